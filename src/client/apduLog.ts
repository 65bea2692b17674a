/**
 * The engineers' APDU trace: the last 500 lines of every card exchange the agent makes, with
 * PIN, PUK and other secret data masked before a line is formatted (src/pcsc/apduTrace.ts).
 */
import { type CardTransport, TracingTransport } from '../pcsc/index.ts';

export const APDU_TRACE_LINES = 500;

export class ApduLog {
  private readonly lines: string[] = [];

  constructor(private readonly onLine: (line: string) => void = () => undefined) {}

  /** `transport` with every APDU and answer traced here. */
  wrap(transport: CardTransport): CardTransport {
    return new TracingTransport(transport, (line) => this.add(line));
  }

  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > APDU_TRACE_LINES) this.lines.splice(0, this.lines.length - APDU_TRACE_LINES);
    this.onLine(line);
  }

  snapshot(): string[] {
    return [...this.lines];
  }
}
