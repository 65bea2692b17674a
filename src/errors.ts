/**
 * The one base class for every error this project raises on purpose. `code` is stable and
 * machine-readable (the UI and the CLI's JSON output key on it); `message` is English and
 * says what a person can do about it. The UI translates by `code`.
 */
export class EkortError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  toJSON(): Record<string, unknown> {
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) {
      if (k !== 'code' && k !== 'cause' && typeof v !== 'function') extra[k] = v;
    }
    return { code: this.code, message: this.message, ...extra };
  }
}

/**
 * An EkortError whose code is one of a module's own, so callers can switch on it:
 * `export class Pkcs12Error extends CodedError<Pkcs12ErrorCode> {}`.
 */
export class CodedError<C extends string> extends EkortError {
  declare readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export function isEkortError(e: unknown, code?: string): e is EkortError {
  return e instanceof EkortError && (code === undefined || e.code === code);
}
