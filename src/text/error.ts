/** A located syntax error: `line`/`column` are 1-based, the column counts characters. */
export class TextParseError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
    /** Byte offset in the UTF-8 source. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'TextParseError';
  }
}
