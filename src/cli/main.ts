import { EkortError } from '../errors.ts';
import { apduCommand } from './apduCommand.ts';
import { UsageError, type CliIo, type Command } from './cliContext.ts';
import { readersCommand } from './readersCommand.ts';
import { watchCommand } from './watchCommand.ts';

export const USAGE = `ekort: smart cards, security tokens and the e-kort service, from the terminal

Usage: ekort <command> [options]

  readers [--json]                          readers, card present or not, ATR, card type
  watch [--json]                            a line per reader/card event until Ctrl-C
  apdu [--reader NAME] [--trace] [--raw] [--json] HEX...
                                            send APDUs, print responses with the status explained

Exit codes: 0 ok, 1 the operation failed (message on stderr, code in --json output), 2 usage error.`;

const COMMANDS: Record<string, Command> = {
  readers: readersCommand,
  watch: watchCommand,
  apdu: apduCommand,
};

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`ekort: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const json = rest.includes('--json');
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`ekort ${name}: ${error.message}`);
      return 2;
    }
    const typed = error instanceof EkortError ? error : new EkortError('INTERNAL', (error as Error)?.message ?? String(error));
    io.err(`ekort ${name}: ${typed.message}`);
    if (json) io.out(JSON.stringify({ error: typed.toJSON() }));
    return 1;
  }
}
