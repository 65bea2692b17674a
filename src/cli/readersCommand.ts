import { toHex } from '../iso7816/index.ts';
import { ReaderMonitor, type ReaderState } from '../pcsc/index.ts';
import { printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';

export function describeReader(state: ReaderState): string[] {
  if (state.mute) return [`${state.name}: card present but not answering`];
  if (!state.present || !state.atr) return [`${state.name}: no card`];
  const lines = [`${state.name}: card present${state.exclusive ? ' (held exclusively by another program)' : ''}`, `  ATR   ${toHex(state.atr, ' ')}`];
  lines.push(`  Card  ${state.identity ? `${state.identity.name} (${state.identity.kind})` : 'not in the identification table'}`);
  return lines;
}

export function readerJson(state: ReaderState) {
  return {
    name: state.name,
    cardPresent: state.present,
    mute: state.mute,
    exclusive: state.exclusive,
    atr: state.atr ? toHex(state.atr) : null,
    card: state.identity ?? null,
  };
}

/** `ekort readers [--json]` */
export async function readersCommand({ values }: Input<'readers'>, io: CliIo): Promise<number> {
  const monitor = new ReaderMonitor().start();
  try {
    await monitor.settled();
    const reason = monitor.unavailableReason;
    if (reason) throw reason;
    const readers = monitor.readers();
    if (values.json) printJson(io, { readers: readers.map(readerJson) });
    else if (readers.length === 0) io.out('No card readers found.');
    else for (const r of readers) for (const line of describeReader(r)) io.out(line);
    return 0;
  } finally {
    await monitor.close();
  }
}
