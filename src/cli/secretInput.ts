/**
 * Reading a PIN or PUK: from the terminal without echo, or one line of standard input for
 * scripts (--pin-stdin). Never from an argument, except the --pin flag meant for test scripts.
 */
import { WEAK_CODE_TEXT, weakCodeReason } from '../identity/index.ts';
import { UsageError } from './cliContext.ts';

export interface SecretSource {
  /** --pin VALUE: for test scripts only; it shows in the process list. */
  flag?: string;
  /** --pin-stdin */
  fromStdin?: boolean;
}

let stdinLines: string[] | undefined;

async function readStdinLines(): Promise<string[]> {
  if (!stdinLines) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    stdinLines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  }
  return stdinLines;
}

/** Prompts on stderr and reads what is typed with echo off. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new UsageError('no terminal to ask for the PIN on: use --pin-stdin');
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (result: string | Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0003') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Line `lineIndex` of standard input (trimmed), or undefined when there is none or it is empty. */
export async function optionalStdinLine(lineIndex: number): Promise<string | undefined> {
  const line = (await readStdinLines())[lineIndex]?.trim();
  return line === undefined || line === '' ? undefined : line;
}

/** The one warning for a secret given as an argument (kept for test scripts): where it shows, and what to use. */
export const argvSecretWarning = (command: string, flag: string, instead: string): string =>
  `ekort ${command}: warning: ${flag} shows in the process list and shell history; use ${instead} (the argument is for test scripts)`;

/**
 * Reads secrets in order: with --pin-stdin each call takes the next line of standard input
 * (so `change-pin` reads the old PIN, then the new one).
 */
export async function readSecret(label: string, source: SecretSource, lineIndex = 0): Promise<string> {
  if (source.flag !== undefined) return source.flag;
  if (source.fromStdin) {
    const line = (await readStdinLines())[lineIndex];
    if (line === undefined || line === '') throw new UsageError(`standard input has no line ${lineIndex + 1} for the ${label}`);
    return line.trim();
  }
  return promptHidden(`${label}: `);
}

/** A code the customer chooses must not be easy to guess (card terms §7b): a usage error saying why. */
export function refuseEasyCode(what: string, code: string): void {
  const reason = weakCodeReason(code);
  if (reason) throw new UsageError(`the ${what} is too easy to guess: ${WEAK_CODE_TEXT[reason]}; choose another`);
}
