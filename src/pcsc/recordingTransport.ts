import { appendFile, writeFile } from 'node:fs/promises';
import { commandPattern, formatExchangeLines, toHex } from '../iso7816/index.ts';
import { WrappingTransport } from './cardQueue.ts';
import type { CardTransport, Transmit } from './cardTransport.ts';

/**
 * Wraps any transport and keeps every exchange as fixture text (see iso7816/apduFixture.ts), for
 * ReplayTransport to play back. Secret-bearing command data is written as ?? unless
 * `keepSecrets` is set (only for test cards with known test PINs).
 */
export class RecordingTransport extends WrappingTransport {
  private text: string;

  constructor(
    inner: CardTransport,
    private readonly options: { keepSecrets?: boolean; comment?: string } = {},
  ) {
    super(inner);
    this.text = `${options.comment ? `# ${options.comment}\n` : ''}# atr: ${toHex(inner.atr, ' ')}\n`;
  }

  protected wrap(transmit: Transmit): Transmit {
    return async (apdu) => {
      const command = commandPattern(apdu, this.options.keepSecrets);
      try {
        const response = await transmit(apdu);
        this.text += formatExchangeLines(command, { kind: 'response', bytes: response });
        return response;
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'PCSC_ERROR';
        this.text += formatExchangeLines(command, { kind: 'error', code });
        throw error;
      }
    };
  }

  /** The fixture so far. */
  fixtureText(): string {
    return this.text;
  }

  async save(path: string, append = false): Promise<void> {
    await (append ? appendFile : writeFile)(path, this.text, 'utf8');
  }
}
