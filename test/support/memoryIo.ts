/** The CLI run in process with its output kept in memory, for tests of `main`. */
import type { CliIo } from '../../src/cli/cliContext.ts';
import { main } from '../../src/cli/main.ts';

export function memoryIo(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), interrupted: new Promise(() => undefined) }, out, err };
}

/** `ekort ARGS` in process: the exit code and the lines written. */
export async function runMain(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const { io, out, err } = memoryIo();
  const code = await main(args, io);
  return { code, out, err };
}
