/**
 * The keypad of ekort's PIN-pad reader when the app holds the card there: the engineers' view
 * shows the reader's request and the engineer types the PIN "on the reader". Nothing of it is
 * kept: the PIN goes into the APDU the reader builds, then the buffer is dropped.
 */
import type { Keypad, PinEntryRequest, PinEntryResult } from '../virtual/index.ts';
import type { PinPadPrompt } from './api.ts';
import { AgentError } from './failure.ts';

export class EngineerKeypad implements Keypad {
  private waiting: ((result: PinEntryResult) => void) | undefined;

  constructor(
    private readonly reader: string,
    private readonly announce: (prompt: PinPadPrompt | null) => void,
  ) {}

  enter(request: PinEntryRequest): Promise<PinEntryResult> {
    this.waiting?.('cancelled');
    return new Promise((resolve) => {
      const done = (result: PinEntryResult): void => {
        this.waiting = undefined;
        request.signal.removeEventListener('abort', onAbort);
        this.announce(null);
        resolve(result);
      };
      const onAbort = (): void => done('cancelled');
      request.signal.addEventListener('abort', onAbort, { once: true });
      this.waiting = done;
      this.announce({ reader: this.reader, kind: request.kind, minDigits: request.minDigits, maxDigits: request.maxDigits, timeoutSeconds: request.timeoutSeconds });
    });
  }

  /** The engineer typed `pin` (or cancelled) on the reader. */
  type(input: { pin?: string; cancel?: boolean }): void {
    if (!this.waiting) throw new AgentError('PIN_PAD_NOT_ASKING', 'The PIN pad is not asking for a PIN now.');
    this.waiting(input.cancel || input.pin === undefined ? 'cancelled' : { pin: input.pin });
  }

  close(): void {
    this.waiting?.('cancelled');
  }
}
