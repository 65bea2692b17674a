/**
 * Security-token figures: OCRA verifications per second on one core (the bank's side of the
 * säkerhetsdosa: compute the expected svarskod, compare in constant time), and the full HID
 * OTP challenge-response round trip through HidOtpSession against the in-process virtual
 * token (frame, 4 chunks written, status and 4 response chunks read, CRC, reset).
 */
import { randomBytes } from 'node:crypto';
import { codesEqual, ocra, parseOcraSuite } from '../../src/token/index.ts';
import { HidOtpSession } from '../../src/token/hidOtpSession.ts';
import { VirtualHidToken } from '../../src/virtual/hidToken.ts';
import { median, percentile, report, round } from './figures.ts';

const OCRA_SUITES: Array<{ suite: string; keyBytes: number; label: string }> = [
  { suite: 'OCRA-1:HOTP-SHA1-8:QN08', keyBytes: 20, label: 'sha1_qn08' },
  { suite: 'OCRA-1:HOTP-SHA512-8:QN08-T1M', keyBytes: 64, label: 'sha512_qn08_t1m' },
];

function benchOcra(): void {
  const time = new Date();
  for (const { suite, keyBytes, label } of OCRA_SUITES) {
    const parsed = parseOcraSuite(suite);
    const key = new Uint8Array(randomBytes(keyBytes));
    const challenges = Array.from({ length: 256 }, (_, i) => String(10_000_000 + i * 7919));
    const answers = challenges.map((challenge) => ocra({ suite: parsed, key, challenge, time }));
    const verify = (i: number): boolean => {
      const k = i % challenges.length;
      return codesEqual(ocra({ suite: parsed, key, challenge: challenges[k]!, time }), answers[k]!);
    };
    for (let i = 0; i < 2000; i++) verify(i);
    let n = 0;
    let ok = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 2000) if (verify(n++)) ok++;
    const seconds = (performance.now() - t0) / 1000;
    if (ok !== n) throw new Error(`OCRA bench: ${n - ok} verifications failed`);
    report({ name: `token.ocra_verify.${label}.per_second`, value: round(n / seconds, 0), unit: 'verifications/s', suite, note: 'expected svarskod computed and compared, one core' });
  }
}

async function benchHidRoundTrip(): Promise<void> {
  const token = new VirtualHidToken({ slot2: new Uint8Array(randomBytes(20)) });
  const session = new HidOtpSession(token);
  const challenge = Uint8Array.from({ length: 32 }, (_, i) => i + 1); // fixed: the chunk count depends on the bytes
  for (let i = 0; i < 500; i++) await session.challengeResponse(challenge, { slot: 2, pollMs: 1 });
  const samples: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    const s = performance.now();
    await session.challengeResponse(challenge, { slot: 2, pollMs: 1 });
    samples.push((performance.now() - s) * 1000);
  }
  const seconds = (performance.now() - t0) / 1000;
  const note = 'HidOtpSession HMAC-SHA1, 32-byte challenge, virtual token in process';
  report({ name: 'token.hid_challenge_response.virtual.per_second', value: round(samples.length / seconds, 0), unit: 'ops/s', note });
  report({ name: 'token.hid_challenge_response.virtual.p50', value: round(median(samples), 1), unit: 'µs', note });
  report({ name: 'token.hid_challenge_response.virtual.p99', value: round(percentile(samples, 99), 1), unit: 'µs', note });
  report({ name: 'token.hid_challenge_response.virtual.reports', value: token.written.length / (500 + samples.length), unit: 'reports written/exchange' });
}

export async function benchTokenOtp(): Promise<void> {
  benchOcra();
  await benchHidRoundTrip();
}
