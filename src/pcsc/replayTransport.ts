import { readFile } from 'node:fs/promises';
import { QueuedTransport } from './cardQueue.ts';
import { FixtureError, formatPattern, matchesPattern, parseFixture, type ApduFixture } from '../iso7816/index.ts';
import { PcscError, type PcscErrorCode } from './errors.ts';
import { formatCommandForTrace } from './apduTrace.ts';

/**
 * Replays a recorded fixture strictly in order: the first command that differs from the
 * recording fails with the fixture's line number, and `finish()` fails while exchanges are
 * left unused. For what a real card does that no software card here does.
 */
export class ReplayTransport extends QueuedTransport {
  private next = 0;
  readonly atr: Uint8Array;

  constructor(
    private readonly fixture: ApduFixture,
    private readonly name = 'fixture',
  ) {
    super();
    this.atr = fixture.atr ?? new Uint8Array(0);
  }

  static fromText(text: string, name?: string): ReplayTransport {
    return new ReplayTransport(parseFixture(text), name);
  }

  static async fromFile(path: string): Promise<ReplayTransport> {
    return ReplayTransport.fromText(await readFile(path, 'utf8'), path);
  }

  protected async exchange(apdu: Uint8Array): Promise<Uint8Array> {
    const expected = this.fixture.exchanges[this.next];
    if (!expected) {
      throw new FixtureError('REPLAY_EXHAUSTED', `${this.name}: command ${formatCommandForTrace(apdu)} sent after the last recorded exchange`);
    }
    if (!matchesPattern(expected.command, apdu)) {
      throw new FixtureError(
        'REPLAY_MISMATCH',
        `${this.name} line ${expected.commandLine}: expected => ${formatPattern(expected.command)}, got => ${formatCommandForTrace(apdu)}`,
        expected.commandLine,
      );
    }
    this.next++;
    if (expected.reply.kind === 'error') {
      const code = expected.reply.code;
      throw new PcscError(code as PcscErrorCode, `${this.name} line ${expected.replyLine}: recorded transport error ${code}`);
    }
    return Uint8Array.from(expected.reply.bytes);
  }

  get remaining(): number {
    return this.fixture.exchanges.length - this.next;
  }

  /** Throws when recorded exchanges were not used: the code under test sent fewer APDUs. */
  finish(): void {
    const left = this.fixture.exchanges[this.next];
    if (left) {
      throw new FixtureError('REPLAY_UNUSED', `${this.name}: ${this.remaining} recorded exchange(s) left unused, from line ${left.commandLine}`, left.commandLine);
    }
  }

  async close(): Promise<void> {}
}

