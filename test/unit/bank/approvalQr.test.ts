/**
 * The animated QR code: BankID's scheme (bankid.<qrStartToken>.<seconds>.<hex HMAC-SHA256
 * (qrStartSecret, seconds)>) checked against OpenSSL's HMAC, the 30 s freshness judged by the
 * seconds and the HMAC, and a photographed old code refused by the built-in provider.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuiltinApprovalProvider } from '../../../src/bank/approval/builtin.ts';
import { autoStartLink, checkQr, parseQrContent, qrAuthCode, qrContent, qrSeconds } from '../../../src/bank/approval/qr.ts';
import { EkortService } from '../../../src/bank/service.ts';

const TOKEN = '67df3917-fa0d-44e5-b327-edcc928297f8';
const SECRET = 'd28db9a7-4cde-429e-a983-359be676944c';

/** HMAC-SHA256 by OpenSSL, not by node:crypto: an independent computation of the vector. */
function opensslHmac(key: string, message: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', key], { input: message }).toString('utf8');
  return /([0-9a-f]{64})\s*$/.exec(out)![1]!;
}

describe('the QR content', () => {
  it('is bankid.<token>.<seconds>.<HMAC-SHA256(secret, seconds as decimal)> in lower-case hex', () => {
    for (const seconds of [0, 1, 7, 29, 30, 179]) {
      const expected = opensslHmac(SECRET, String(seconds));
      expect(qrAuthCode(SECRET, seconds)).toBe(expected);
      expect(qrContent(TOKEN, SECRET, seconds)).toBe(`bankid.${TOKEN}.${seconds}.${expected}`);
    }
  });

  it('counts whole seconds since the order started, never negative', () => {
    expect(qrSeconds(1000, 1000)).toBe(0);
    expect(qrSeconds(1000, 1999)).toBe(0);
    expect(qrSeconds(1000, 2000)).toBe(1);
    expect(qrSeconds(1000, 500)).toBe(0);
    expect(qrSeconds(0, 42_999)).toBe(42);
  });

  it('parses only the exact form', () => {
    const good = qrContent(TOKEN, SECRET, 12);
    expect(parseQrContent(good)).toEqual({ qrStartToken: TOKEN, seconds: 12, authCode: qrAuthCode(SECRET, 12) });
    for (const bad of ['', 'bankid', `bankid.${TOKEN}.12`, good.replace('bankid.', 'bankId.'), good.toUpperCase(), `${good}0`, good.replace('.12.', '.012.'), good.replace('.12.', '.-1.')]) {
      expect(parseQrContent(bad), bad).toBeUndefined();
    }
  });

  it('is fresh for 30 seconds, judged by the seconds it states and proved by its HMAC', () => {
    const order = { qrStartToken: TOKEN, qrStartSecret: SECRET, startedAt: 1_000_000 };
    const at = (s: number) => order.startedAt + s * 1000;
    const code5 = qrContent(TOKEN, SECRET, 5);
    expect(checkQr(code5, order, at(5))).toBe('ok');
    expect(checkQr(code5, order, at(35))).toBe('ok'); // 30 s old
    expect(checkQr(code5, order, at(35) + 999)).toBe('ok'); // still second 35
    expect(checkQr(code5, order, at(36))).toBe('stale'); // 31 s old
    // A photographed code with its seconds moved forward has no valid HMAC.
    const forged = code5.replace('.5.', '.40.');
    expect(checkQr(forged, order, at(41))).toBe('bad-code');
    // Another order's code, a code from the future, garbage.
    expect(checkQr(qrContent('11111111-2222-3333-4444-555555555555', SECRET, 5), order, at(5))).toBe('wrong-order');
    expect(checkQr(qrContent(TOKEN, 'another-secret', 5), order, at(5))).toBe('bad-code');
    expect(checkQr(qrContent(TOKEN, SECRET, 60), order, at(5))).toBe('ahead');
    expect(checkQr('not a code', order, at(5))).toBe('malformed');
  });

  it('makes the same-device link', () => {
    expect(autoStartLink('7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6')).toBe('bankid:///?autostarttoken=7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6&redirect=null');
  });
});

describe('the built-in provider draws and checks the code', () => {
  let now = Date.UTC(2026, 10, 22, 10, 0, 0);
  let service: EkortService;
  let provider: BuiltinApprovalProvider;
  beforeEach(async () => {
    service = await EkortService.open(':memory:', { now: () => now, sweepIntervalMs: 0 });
    provider = service.approval as BuiltinApprovalProvider;
  });
  afterEach(() => service.close());

  it('changes the code every second', async () => {
    const { orderRef, qrStartToken } = await provider.start({ endUserIp: '127.0.0.1', visibleText: 'Logga in på e-kort' });
    const first = await provider.qrContent(orderRef);
    expect(first).toMatch(new RegExp(`^bankid\\.${qrStartToken}\\.0\\.[0-9a-f]{64}$`));
    now += 1000;
    const second = await provider.qrContent(orderRef);
    expect(second).toMatch(new RegExp(`^bankid\\.${qrStartToken}\\.1\\.`));
    expect(second).not.toBe(first);
    // The secret never shows: neither in the answer nor in the code itself.
    const [row] = await service.db.query<{ qr_start_secret: string }>('SELECT qr_start_secret FROM app_orders WHERE order_ref = ?', [orderRef]);
    expect(first).not.toContain(row!.qr_start_secret);
  });

  it('refuses a photographed code older than 30 s, and takes a fresh one of the same order', async () => {
    const { orderRef } = await provider.start({ endUserIp: '127.0.0.1', visibleText: 'Logga in på e-kort' });
    const photo = await provider.qrContent(orderRef);
    now += 31_000;
    await expect(provider.lookup({ kind: 'qr', value: photo })).rejects.toMatchObject({ code: 'APPROVAL_CODE_STALE', status: 400 });
    const fresh = await provider.qrContent(orderRef);
    await expect(provider.lookup({ kind: 'qr', value: fresh })).resolves.toMatchObject({ orderRef, visibleText: 'Logga in på e-kort', qr: { seconds: 31, ageSeconds: 0 } });
    // A forged newer seconds value on the photo fails its HMAC.
    await expect(provider.lookup({ kind: 'qr', value: photo.replace('.0.', '.31.') })).rejects.toMatchObject({ code: 'APPROVAL_CODE_INVALID' });
  });
});
