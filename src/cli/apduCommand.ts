import { describeStatus, fromHex, hex16, parseAtr, parseCommand, parseResponse, type ResponseApdu, toHex, transceive } from '../iso7816/index.ts';
import { type CardTransport, TracingTransport } from '../pcsc/index.ts';
import { openCard } from './cardSelection.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';

function supportsExtended(atr: Uint8Array): boolean {
  try {
    return parseAtr(atr).supportsExtendedLength;
  } catch {
    return false;
  }
}

/**
 * `ekort apdu [--reader NAME] [--trace] [--raw] [--json] HEX...`: sends each APDU in turn.
 * GET RESPONSE (61xx) and Le correction (6Cxx) are done for you unless --raw.
 */
export async function apduCommand({ values, positionals }: Input<'apdu'>, io: CliIo): Promise<number> {
  const commands = positionals.map((text) => {
    try {
      const bytes = fromHex(text);
      return { bytes, parsed: parseCommand(bytes) };
    } catch (error) {
      throw new UsageError(`"${text}" is not a command APDU: ${(error as Error).message}`);
    }
  });
  const { monitor, transport: card, reader } = await openCard(values.reader);
  const transport: CardTransport = values.trace ? new TracingTransport(card, (line) => io.err(line)) : card;
  const results: Array<{ command: string; response: string; sw: string; status: string; message: string }> = [];
  try {
    const extendedLength = supportsExtended(card.atr);
    for (const { bytes, parsed } of commands) {
      const response: ResponseApdu = values.raw
        ? parseResponse(await transport.transmit(bytes))
        : await transport.transaction((tx) => transceive(tx, parsed, { extendedLength }));
      const status = describeStatus(response.sw);
      const entry = { command: toHex(bytes), response: toHex(response.data), sw: hex16(response.sw), status: status.code, message: status.message };
      results.push(entry);
      if (!values.json) {
        io.out(`=> ${toHex(bytes, ' ')}`);
        io.out(`<= ${response.data.length ? `${toHex(response.data, ' ')}  ` : ''}SW ${entry.sw}: ${status.message}`);
      }
    }
    if (values.json) printJson(io, { reader, atr: toHex(card.atr), exchanges: results });
    return 0;
  } finally {
    await transport.close();
    await monitor.close();
  }
}
