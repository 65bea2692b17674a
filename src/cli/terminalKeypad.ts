/**
 * The keypad of ekort's virtual PIN-pad reader, at a terminal: when a program asks the reader
 * for a PIN, the engineer types it here ("on the reader"), one line per PIN; an empty line
 * cancels. A virtual YubiKey's touch is a line too. Lines come from stdin, so a test or a script can type too. Nothing is echoed back
 * or logged.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Keypad, PinEntryRequest, PinEntryResult } from '../virtual/index.ts';

export class TerminalKeypad implements Keypad {
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;
  private readonly rl: Interface;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly say: (line: string) => void,
  ) {
    this.rl = createInterface({ input, terminal: false });
    this.rl.on('line', (line) => {
      if (this.waiting) this.take(line);
      else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      this.take(undefined);
    });
  }

  close(): void {
    this.rl.close();
  }

  async enter(request: PinEntryRequest): Promise<PinEntryResult> {
    const digits = `${request.minDigits}-${request.maxDigits} digits`;
    const ask = async (what: string): Promise<string | undefined> => {
      this.say(`ekort PIN Pad: type ${what} (${digits}) and Enter; an empty line cancels (${request.timeoutSeconds} s)`);
      const line = await this.next(request.signal);
      return line === undefined || line.trim() === '' ? undefined : line.trim();
    };
    if (request.kind === 'verify') {
      const pin = await ask('the PIN');
      return pin === undefined ? 'cancelled' : { pin };
    }
    const pin = request.currentPin ? await ask('the current PIN') : '';
    if (pin === undefined) return 'cancelled';
    const newPin = await ask('the new PIN');
    if (newPin === undefined) return 'cancelled';
    if (!request.confirmNewPin) return { pin, newPin };
    const confirmation = await ask('the new PIN again');
    return confirmation === undefined ? 'cancelled' : { pin, newPin, confirmation };
  }

  /** A virtual YubiKey's touch: the engineer presses Enter within `seconds`. */
  async touch(seconds: number): Promise<boolean> {
    this.say(`ekort YubiKey: touch the key (press Enter) within ${seconds} s`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), seconds * 1000);
    try {
      return (await this.next(controller.signal)) !== undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private take(line: string | undefined): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(line);
  }

  private next(signal: AbortSignal): Promise<string | undefined> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed || signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = (): void => this.take(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting = (line) => {
        signal.removeEventListener('abort', onAbort);
        resolve(line);
      };
    });
  }
}
