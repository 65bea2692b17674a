/**
 * The text format of recorded card exchanges, one line each way:
 *
 *   # comment; "# atr: 3b ..." sets the card's ATR
 *   => 00 a4 04 00 09 a0 00 00 03 08 00 00 10 00     command sent (?? matches any byte)
 *   <= 61 11                                         response received
 *   <! CARD_REMOVED                                  the transport failed with this code
 *
 * Replayed strictly in order. Recordings hide secret-bearing command data as ?? bytes.
 */
import { EkortError } from '../errors.ts';
import { fromHex, toHex } from './hex.ts';
import { secretRange } from './secrets.ts';

export class FixtureError extends EkortError {
  constructor(
    code: 'FIXTURE_MALFORMED' | 'REPLAY_MISMATCH' | 'REPLAY_EXHAUSTED' | 'REPLAY_UNUSED',
    message: string,
    readonly line?: number,
  ) {
    super(code, message);
  }
}

/** A command pattern: a byte, or null for "any byte" (written ??). */
export type BytePattern = Array<number | null>;

export type FixtureReply = { kind: 'response'; bytes: Uint8Array } | { kind: 'error'; code: string };

export interface FixtureExchange {
  command: BytePattern;
  commandLine: number;
  reply: FixtureReply;
  replyLine: number;
}

export interface ApduFixture {
  atr?: Uint8Array;
  exchanges: FixtureExchange[];
}

function parsePattern(text: string, line: number): BytePattern {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 2 !== 0 || !/^([0-9a-fA-F]{2}|\?\?)+$/.test(compact)) {
    throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: "${text}" is not a hex command (?? for any byte)`, line);
  }
  const out: BytePattern = [];
  for (let i = 0; i < compact.length; i += 2) {
    const pair = compact.slice(i, i + 2);
    out.push(pair === '??' ? null : parseInt(pair, 16));
  }
  return out;
}

function parseHexLine(text: string, line: number): Uint8Array {
  try {
    return fromHex(text);
  } catch {
    throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: "${text}" is not hex`, line);
  }
}

export function parseFixture(text: string): ApduFixture {
  const fixture: ApduFixture = { exchanges: [] };
  let pending: { command: BytePattern; line: number } | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '') return;
    if (content.startsWith('#')) {
      const atr = /^#\s*atr:\s*(.*)$/i.exec(content);
      if (atr) fixture.atr = parseHexLine(atr[1]!, line);
      return;
    }
    const marker = content.slice(0, 2);
    const body = content.slice(2).trim();
    if (marker === '=>') {
      if (pending) throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: a command follows the command of line ${pending.line} without a reply`, line);
      pending = { command: parsePattern(body, line), line };
    } else if (marker === '<=' || marker === '<!') {
      if (!pending) throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: a reply without a command before it`, line);
      const reply: FixtureReply =
        marker === '<=' ? { kind: 'response', bytes: parseHexLine(body, line) } : { kind: 'error', code: body };
      fixture.exchanges.push({ command: pending.command, commandLine: pending.line, reply, replyLine: line });
      pending = undefined;
    } else {
      throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: expected "=>", "<=", "<!" or "#", got "${content.slice(0, 20)}"`, line);
    }
  });
  if (pending) throw new FixtureError('FIXTURE_MALFORMED', `line ${pending.line}: the last command has no reply`, pending.line);
  return fixture;
}

export function matchesPattern(pattern: BytePattern, bytes: Uint8Array): boolean {
  if (pattern.length !== bytes.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p !== null && p !== bytes[i]) return false;
  }
  return true;
}

export function formatPattern(pattern: BytePattern): string {
  return pattern.map((b) => (b === null ? '??' : b.toString(16).padStart(2, '0'))).join(' ');
}

/** The command as a recording writes it: secret data as ?? unless told to keep it. */
export function commandPattern(apdu: Uint8Array, keepSecrets = false): BytePattern {
  const pattern: BytePattern = Array.from(apdu);
  const range = keepSecrets ? undefined : secretRange(apdu);
  if (range) for (let i = range.start; i < range.end; i++) pattern[i] = null;
  return pattern;
}

export function formatExchangeLines(command: BytePattern, reply: FixtureReply): string {
  const answer = reply.kind === 'response' ? `<= ${toHex(reply.bytes, ' ')}` : `<! ${reply.code}`;
  return `=> ${formatPattern(command)}\n${answer}\n`;
}
