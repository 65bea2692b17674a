/**
 * `ekort authorize --currency`, `ekort transactions`, `ekort notifications`, `ekort transaction
 * dispute`, `ekort disputes` and `ekort bank dispute-resolve` as users run them: `ekort serve
 * --rates FILE` on a SQLite database seeded by `ekort bank seed-demo`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ekort } from '../support/ekortCli.ts';
import { type ServeProcess, startServe } from '../support/ekortServe.ts';

interface Seed {
  cards: Array<{ id: string; last4: string; connected: boolean }>;
  dosa: { file: string; pin: string };
  networkKey: { key: string };
  pki: { dir: string };
}

let dir: string;
let db: string;
let seed: Seed;
let served: ServeProcess;
let sessionFile: string;
const holder = (args: string[]) => ekort([...args, '--session', sessionFile], '', { timeoutMs: 20_000 });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-disputes-cli-'));
  db = path.join(dir, 'ekort.db');
  const seeded = await ekort(['bank', 'seed-demo', '--db', db, '--out', path.join(dir, 'demo'), '--json'], '', { timeoutMs: 60_000 });
  expect(seeded.code, seeded.stderr).toBe(0);
  seed = JSON.parse(seeded.stdout) as Seed;
  const rates = path.join(dir, 'rates.json');
  await writeFile(rates, JSON.stringify({ date: '2026-11-20', base: 'SEK', rates: { EUR: 11.2345 } }));
  served = await startServe(['--port', '0', '--db', db, '--ca', seed.pki.dir, '--rates', rates]);
  sessionFile = path.join(dir, 'session.json');
  const login = await ekort(['login', '--server', served.url, '--dosa', seed.dosa.file, '--pin-stdin', '--session', sessionFile], `${seed.dosa.pin}\n`);
  expect(login.code, login.stderr).toBe(0);
}, 90_000);

afterAll(async () => {
  if (served) expect(await served.stop(5_000)).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

describe('disputes and foreign currency from the terminal', { timeout: 90_000 }, () => {
  it('ekort serve refuses a bad rates file', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ date: '2026-11-20', rates: { EUR: -1 } }));
    const run = await ekort(['serve', '--port', '0', '--db', path.join(dir, 'other.db'), '--rates', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bad.json');
  });

  it('a EUR purchase shows both amounts and the fee, a notice; then a dispute with the card blocked, resolved by the bank', async () => {
    const card = seed.cards.find((c) => c.connected)!;
    const created = await holder(['enummer', 'create', '--card', card.last4, '--merchant', 'Boutique Paris', '--recurring', '--months', '3', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { secret } = JSON.parse(created.stdout) as { secret: { pan: string; expiry: string; cvc: string } };
    const auth = await ekort(
      ['authorize', '--server', served.url, '--network-key', seed.networkKey.key, '--pan', secret.pan, '--exp', secret.expiry, '--cvc', secret.cvc, '--merchant', 'Boutique Paris', '--amount', '12,50', '--currency', 'EUR', '--sca', '--json'],
      '',
      { timeoutMs: 20_000 },
    );
    expect(auth.code, auth.stderr).toBe(0);
    const { transactionId } = JSON.parse(auth.stdout) as { transactionId: string };

    const list = await holder(['transactions']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(transactionId);
    expect(list.stdout).toMatch(/142,75\u00a0kr\s+12,50\u00a0EUR at 11\.2345, fee 2,32\u00a0kr\s+approved/);

    const notices = await holder(['notifications', '--json']);
    expect(JSON.parse(notices.stdout)).toEqual([expect.objectContaining({ currency: 'EUR', markupPercent: '1.65' })]);
    const printed = (await holder(['notifications'])).stdout;
    expect(printed).toContain('Växlingsavgift för köp i EUR\n  Du har handlat med ditt kort i EUR.');
    expect(printed).toContain('Valutaväxlingspåslaget är 1,65 %');
    // §17: the holder may turn the message off, and on again.
    expect((await holder(['preferences', '--currency-notices', 'off'])).stdout).toContain('(card terms §17) is off.');
    expect(JSON.parse((await holder(['preferences', '--json'])).stdout)).toEqual({ currencyNotices: false });
    expect((await holder(['preferences', '--currency-notices', 'maybe'])).code).toBe(2);
    expect((await holder(['preferences', '--currency-notices', 'on'])).stdout).toContain('is on.');

    const dispute = await holder(['transaction', 'dispute', transactionId, '--kind', 'unauthorised', '--description', 'Inte jag', '--block-card', '--json']);
    expect(dispute.code, dispute.stderr).toBe(0);
    const d = JSON.parse(dispute.stdout) as { id: string; state: string; liability: { maxSelfRiskOre: number; grossNegligenceMaxOre: number }; blockedCard: { state: string; id: string } };
    expect(d).toMatchObject({ state: 'received', liability: { maxSelfRiskOre: 142_75, grossNegligenceMaxOre: 142_75 }, blockedCard: { id: card.id, state: 'blocked' } });

    const again = await holder(['transaction', 'dispute', transactionId, '--kind', 'incorrect', '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ error: { code: 'ALREADY_DISPUTED' } });
    expect((await holder(['transaction', 'dispute', transactionId, '--kind', 'theft'])).code).toBe(2);
    expect((await holder(['transaction', 'dispute', transactionId, '--kind', 'goods', '--block-card'])).code).toBe(2);

    // §20: a refund; a difference within the EUR amount is the exchange rate's, so none.
    const rateOnly = await holder(['transaction', 'refund', transactionId, '--expected', '12,50', '--json']);
    expect(rateOnly.code).toBe(1);
    expect(JSON.parse(rateOnly.stdout)).toMatchObject({ error: { code: 'REFUND_NOT_DUE' } });
    const asked = await holder(['transaction', 'refund', transactionId, '--expected', '10,00', '--reason', 'Dyrare än väntat', '--json']);
    expect(asked.code, asked.stderr).toBe(0);
    const refundId = (JSON.parse(asked.stdout) as { id: string; expectedAmount: number }).id;
    expect((await holder(['refunds'])).stdout).toMatch(new RegExp(`${refundId}\\s+Boutique Paris\\s+142,75\u00a0kr\\s+10,00\u00a0EUR\\s+received`));
    expect((await ekort(['bank', 'refund-answer', '--db', db, refundId, 'refuse'])).code).toBe(2);
    const refused = await ekort(['bank', 'refund-answer', '--db', db, refundId, 'refuse', '--reason', 'Beloppet var angivet.']);
    expect(refused.code, refused.stderr).toBe(0);
    expect(refused.stdout).toContain("The bank's reasons: Beloppet var angivet.");

    // §10.4: the bank asks for a police report; the holder gives its number.
    expect((await holder(['dispute', 'police-report', d.id, '--reference', '5000-K1-26'])).code).toBe(1);
    expect((await ekort(['bank', 'dispute-resolve', '--db', db, d.id, 'police-report'])).code).toBe(0);
    const reported = await holder(['dispute', 'police-report', d.id, '--reference', '5000-K123456-26']);
    expect(reported.code, reported.stderr).toBe(0);
    expect(reported.stdout).toContain('Police report 5000-K123456-26 given for dispute');
    expect((await holder(['disputes'])).stdout).toContain('received; police report 5000-K123456-26');

    const resolved = await ekort(['bank', 'dispute-resolve', '--db', db, d.id, 'refund']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout).toContain('resolved (refunded)');
    const disputes = await holder(['disputes']);
    expect(disputes.stdout).toMatch(new RegExp(`${d.id}\\s+unauthorised\\s+Boutique Paris\\s+142,75\u00a0kr\\s+resolved \\(refunded\\)`));
    expect((await ekort(['bank', 'dispute-resolve', '--db', db, d.id, 'reject'])).code).toBe(1);
    // §10.8: the refund was wrong after all; the holder repays.
    const reclaimed = await ekort(['bank', 'dispute-resolve', '--db', db, d.id, 'reclaim']);
    expect(reclaimed.code, reclaimed.stderr).toBe(0);
    expect(reclaimed.stdout).toContain('resolved (refunded); police report 5000-K123456-26, to be repaid');
  });

  it('the bank announces new terms (§21); the holder reads them, accepts them now, and then ends e-kort', async () => {
    const text = path.join(dir, 'terms-2099.txt');
    await writeFile(text, 'Nya villkor för e-kort.\r\n\r\nAndra stycket.\n');
    const day = new Date(Date.now() + 70 * 86_400_000).toISOString().slice(0, 10);
    const tooSoon = await ekort(['bank', 'announce-terms', '--db', db, text, '--version', '2099-01', '--effective', new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10)]);
    expect(tooSoon.code).toBe(1);
    expect(tooSoon.stderr).toContain('two months');
    const announced = await ekort(['bank', 'announce-terms', '--db', db, text, '--version', '2099-01', '--effective', day, '--json']);
    expect(announced.code, announced.stderr).toBe(0);
    expect(JSON.parse(announced.stdout)).toMatchObject({ version: '2099-01', told: 1 });

    const shown = await holder(['terms', 'show']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('New terms, version 2099-01, take effect');
    expect(shown.stdout).toContain('Nya villkor för e-kort.\n\nAndra stycket.');
    expect((await holder(['notifications'])).stdout).toContain('Villkoren för e-kort ändras den');
    const accepted = await holder(['terms', 'accept', '2099-01']);
    expect(accepted.code, accepted.stderr).toBe(0);
    const cards = JSON.parse((await holder(['payment-card', 'list', '--json'])).stdout) as Array<{ connected: boolean; termsVersion: string | null }>;
    expect(cards.filter((c) => c.connected).every((c) => c.termsVersion === '2099-01')).toBe(true);

    const ended = await holder(['terms', 'end', '--yes', '--json']);
    expect(ended.code, ended.stderr).toBe(0);
    expect(JSON.parse(ended.stdout).cards).toBeGreaterThan(0);
    const after = JSON.parse((await holder(['payment-card', 'list', '--json'])).stdout) as Array<{ connected: boolean }>;
    expect(after.every((c) => !c.connected)).toBe(true);
  });
});
