import { toHex } from '../iso7816/index.ts';
import { ReaderMonitor, type ReaderEvent } from '../pcsc/index.ts';
import { printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';

export function describeEvent(event: ReaderEvent): string {
  switch (event.type) {
    case 'pcsc-up':
      return 'pcscd available';
    case 'pcsc-down':
      return `pcscd unavailable: ${event.error.message}`;
    case 'reader-added':
      return `${event.reader}: reader connected`;
    case 'reader-removed':
      return `${event.reader}: reader disconnected`;
    case 'card-inserted':
      return `${event.reader}: card inserted, ATR ${toHex(event.atr, ' ')}${event.identity ? `, ${event.identity.name}` : ''}`;
    case 'card-mute':
      return `${event.reader}: card inserted but not answering`;
    case 'card-removed':
      return `${event.reader}: card removed`;
  }
}

export function eventJson(event: ReaderEvent) {
  const time = new Date().toISOString();
  switch (event.type) {
    case 'pcsc-down':
      return { time, type: event.type, code: event.error.code, message: event.error.message };
    case 'card-inserted':
      return { time, type: event.type, reader: event.reader, atr: toHex(event.atr), card: event.identity ?? null };
    default:
      return { time, ...event };
  }
}

/** `ekort watch [--json]`: a line per event until interrupted, surviving pcscd restarts. */
export async function watchCommand({ values }: Input<'watch'>, io: CliIo): Promise<number> {
  const monitor = new ReaderMonitor();
  monitor.on('event', (event) => {
    if (values.json) printJson(io, eventJson(event));
    else io.out(`${new Date().toISOString()}  ${describeEvent(event)}`);
  });
  monitor.start();
  await io.interrupted;
  await monitor.close();
  return 0;
}
