import { parseArgs, type ParseArgsConfig } from 'node:util';
import { escapeJson } from '../text/index.ts';
import { EkortError } from '../errors.ts';

export class UsageError extends EkortError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the user asks to stop (Ctrl-C, SIGTERM); for long-running commands. */
  interrupted: Promise<void>;
}

export type Command = (args: string[], io: CliIo) => Promise<number>;

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with our usage errors, strict, positionals allowed. */
export function parse<O extends Options>(args: string[], options: O): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(escapeJson(JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))));
}
