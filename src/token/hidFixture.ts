/**
 * The text format of recorded HID feature-report exchanges (the HID sibling of
 * src/iso7816/apduFixture.ts), one call per line, bytes as node-hid passes them:
 *
 *   # comment
 *   > 00 61 62 63 00 00 00 00 80       sendFeatureReport(data), data with report id 0 first
 *   < 00 00 05 04 03 01 00 00 00       getFeatureReport(0, 9) returned these 9 bytes
 *   <(0,9) 00 05 04 03 01 00 00 00     getFeatureReport(0, 9) returned 8 bytes (no report id)
 *   > 00 00 00 00 00 00 00 00 ff ! could not send feature report to device
 *   <(0,9) ! could not get feature report from device
 *
 * A plain `<` line stands for getFeatureReport(first byte, number of bytes); `<(id,length)`
 * gives the call's arguments when the answer has another shape. `! message` means the call
 * threw an Error with that message, as node-hid does for a gone device.
 */
import { FixtureError, fromHex, toHex } from '../iso7816/index.ts';

export type HidFixtureCall =
  | { kind: 'send'; data: Uint8Array; error?: string; line: number }
  | { kind: 'get'; reportId: number; length: number; result?: Uint8Array; error?: string; line: number };

function bytes(text: string, line: number): Uint8Array {
  try {
    const out = fromHex(text);
    if (out.length === 0) throw new Error('empty');
    return out;
  } catch {
    throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: "${text}" is not hex bytes`, line);
  }
}

function split(body: string): { hex: string; error?: string } {
  const bang = body.indexOf('!');
  if (bang < 0) return { hex: body.trim() };
  return { hex: body.slice(0, bang).trim(), error: body.slice(bang + 1).trim() || 'HID call failed' };
}

export function parseHidFixture(text: string): HidFixtureCall[] {
  const calls: HidFixtureCall[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    if (content.startsWith('>')) {
      const { hex, error } = split(content.slice(1));
      calls.push({ kind: 'send', data: bytes(hex, line), ...(error === undefined ? {} : { error }), line });
      return;
    }
    const get = /^<(?:\((\d+),(\d+)\))?(.*)$/.exec(content);
    if (get) {
      const { hex, error } = split(get[3] ?? '');
      if (error !== undefined && hex !== '') throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: a failed read has no bytes`, line);
      const result = error === undefined ? bytes(hex, line) : undefined;
      if (get[1] === undefined && !result) throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: a failed read needs its (id,length)`, line);
      calls.push({
        kind: 'get',
        reportId: get[1] === undefined ? result![0]! : Number(get[1]),
        length: get[2] === undefined ? result!.length : Number(get[2]),
        ...(result ? { result } : {}),
        ...(error === undefined ? {} : { error }),
        line,
      });
      return;
    }
    throw new FixtureError('FIXTURE_MALFORMED', `line ${line}: expected ">", "<" or "#", got "${content.slice(0, 20)}"`, line);
  });
  return calls;
}

/** One fixture line for a sendFeatureReport call. */
export function formatSend(data: Uint8Array, error?: string): string {
  return `> ${toHex(data, ' ')}${error === undefined ? '' : ` ! ${oneLine(error)}`}`;
}

/** One fixture line for a getFeatureReport call. */
export function formatGet(reportId: number, length: number, result?: Uint8Array, error?: string): string {
  const plain = result !== undefined && result.length === length && result[0] === reportId;
  const head = plain ? '<' : `<(${reportId},${length})`;
  if (result === undefined) return `${head} ! ${oneLine(error ?? 'HID call failed')}`;
  return `${head} ${toHex(result, ' ')}`;
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
