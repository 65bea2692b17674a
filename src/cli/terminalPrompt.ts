/**
 * Questions on the terminal (prompt on stderr, answer typed with echo): a confirmation
 * ("[y/N]") and one line (a svarskod read off a physical dosa). Never from a pipe: a script
 * passes --yes, --accept-terms or --svarskod-stdin instead, so nothing is agreed to by accident.
 */
import { createInterface } from 'node:readline/promises';
import { UsageError } from './cliContext.ts';

/** One line typed on the terminal; `noTerminal` is the usage error's hint when there is none. */
export async function askLine(prompt: string, noTerminal: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(`no terminal to ask on: ${noTerminal}`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(prompt)).trim();
  } finally {
    rl.close();
  }
}

/** true when the user types y or yes (any case); anything else, or just Enter, is no. */
export async function confirm(question: string, noTerminal: string): Promise<boolean> {
  const answer = await askLine(`${question} [y/N] `, noTerminal);
  return /^(y|yes|j|ja)$/i.test(answer);
}
