import { describeStatus, parseResponse, secretRange, toHex } from '../iso7816/index.ts';
import { WrappingTransport } from './cardQueue.ts';
import type { CardTransport, Transmit } from './cardTransport.ts';

export type TraceSink = (line: string) => void;

/** "00 20 00 80 <masked>" for secret-bearing commands, plain spaced hex otherwise. */
export function formatCommandForTrace(apdu: Uint8Array): string {
  const range = secretRange(apdu);
  if (!range) return toHex(apdu, ' ');
  return `${toHex(apdu.subarray(0, range.start), ' ')} <masked>`;
}

export function formatResponseForTrace(response: Uint8Array): string {
  if (response.length < 2) return `${toHex(response, ' ')} (no status word)`;
  const { sw } = parseResponse(response);
  return `${toHex(response, ' ')} (${describeStatus(sw).code})`;
}

/**
 * An APDU trace around any transport: off unless someone wraps a transport in it. Secrets are
 * masked before the line is formatted, so they never reach the sink.
 */
export class TracingTransport extends WrappingTransport {
  constructor(
    inner: CardTransport,
    private readonly sink: TraceSink,
  ) {
    super(inner);
  }

  protected wrap(transmit: Transmit): Transmit {
    return async (apdu) => {
      this.sink(`=> ${formatCommandForTrace(apdu)}`);
      const started = performance.now();
      try {
        const response = await transmit(apdu);
        this.sink(`<= ${formatResponseForTrace(response)} [${(performance.now() - started).toFixed(2)} ms]`);
        return response;
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'ERROR';
        this.sink(`<= ${code}`);
        throw error;
      }
    };
  }
}
