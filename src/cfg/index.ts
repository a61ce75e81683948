/** The structurizer: control-flow graphs of weft IR into structured WebAssembly. */
export { Cfg, CfgError, type BlockId, type BranchOptions, type CaseOptions, type Code, type Edge } from './cfg.js';
export { DEFAULT_SPLIT_BUDGET, type RenderOptions, type RenderResult, type RenderStats } from './structurize.js';
export { copyInstructions, fragmentError } from './fragment.js';
export { CfgJsonError, cfgFromJson, moduleFromJson, parseCfgJson, type BlockJson, type BranchJson, type CfgJson } from './json.js';
