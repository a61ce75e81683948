/** weft's validator: `import { validate } from 'weft/validate'`. */
export { validate, validateFunc, checkModule, type ValidateOptions } from './module.js';
export { BodyValidator, type BodyError } from './func.js';
export { TypeContext, type TypeIssue } from './types.js';
export type { Features, ModuleContext, ValidationError } from './context.js';
