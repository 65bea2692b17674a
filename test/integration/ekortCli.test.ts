/**
 * The holder's and the card network's `ekort` commands as users run them: `ekort serve` on a
 * temporary SQLite database seeded by `ekort bank seed-demo`, and the real CLI in child
 * processes with the session file in the temp directory and PINs on standard input.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EKORT_BIN, ekort, insertVirtualCard, type InsertedCard } from '../support/ekortCli.ts';
import { type ServeProcess, startServe } from '../support/ekortServe.ts';
import { requireSystem, vpcdPorts, vpcdReaders, waitForCard } from '../support/pcscd.ts';

const cardAvailable = await requireSystem('pcscd');
const READER = vpcdReaders[0];

interface Seed {
  customer: { name: string; personnummer: string };
  cards: Array<{ id: string; product: string; last4: string; connected: boolean }>;
  card: { file: string; pin: string };
  dosa: { file: string; serial: string; pin: string };
  networkKey: { key: string };
  pki: { dir: string };
}
interface Created {
  enummer: { id: string; last4: string; state: string; kind: string; closeReason: string | null };
  secret: { pan: string; expiry: string; cvc: string };
}

let dir: string;
let seed: Seed;
let served: ServeProcess;
let sessionFile: string;

const json = <T = Record<string, unknown>>(text: string): T => JSON.parse(text) as T;
/** `ekort ARGS --session FILE` */
const holder = (args: string[], stdin = '') => ekort([...args, '--session', sessionFile], stdin, { timeoutMs: 20_000 });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-holder-cli-'));
  const db = path.join(dir, 'ekort.db');
  const seeded = await ekort(['bank', 'seed-demo', '--db', db, '--out', path.join(dir, 'demo'), '--json'], '', { timeoutMs: 60_000 });
  expect(seeded.code, seeded.stderr).toBe(0);
  seed = json<Seed>(seeded.stdout);
  served = await startServe(['--port', '0', '--db', db, '--ca', seed.pki.dir], { timeoutMs: 20_000 });
  sessionFile = path.join(dir, 'config', 'session.json');
});

afterAll(async () => {
  if (served) expect(await served.stop(5_000)).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

/** The network's authorization, key from $EKORT_NETWORK_KEY unless given. */
function authorize(secret: Created['secret'], merchant: string, amount: string, extra: string[] = []) {
  return ekort(['authorize', '--server', served.url, '--pan', secret.pan, '--exp', secret.expiry, '--cvc', secret.cvc, '--merchant', merchant, '--amount', amount, ...extra], '', {
    timeoutMs: 20_000,
  });
}

// Every test runs several CLI processes (about a second each): more time than the default.
describe('ekort login, payment-card, enummer, authorize, transactions, logout against ekort serve', { timeout: 60_000 }, () => {
  const visa = () => seed.cards.find((c) => c.connected)!;
  const mastercard = () => seed.cards.find((c) => !c.connected)!;
  let single: Created;
  let recurring: Created;
  let token: string;

  it('logs in with the virtual dosa: kontrollnummer on stderr, PIN from stdin, session file 0600 without printing the token', async () => {
    const run = await ekort(['login', '--server', served.url, '--dosa', seed.dosa.file, '--pin-stdin', '--session', sessionFile], `${seed.dosa.pin}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^Kontrollnummer: \d{4} \d{4}$/m);
    expect(run.stdout).toContain(`Logged in as Anna Andersson (199001012385) with säkerhetsdosa at ${served.url}.`);
    expect((await stat(sessionFile)).mode & 0o777).toBe(0o600);
    const stored = json<{ server: string; token: string; method: string; customer: { name: string } }>(await readFile(sessionFile, 'utf8'));
    expect(stored).toMatchObject({ server: served.url, method: 'dosa', customer: { name: 'Anna Andersson' } });
    token = stored.token;
    expect(token.length).toBeGreaterThan(20);
    expect(run.stdout + run.stderr).not.toContain(token);
  });

  it('a wrong dosa PIN is refused by the dosa, with the tries left', async () => {
    const run = await ekort(['login', '--server', served.url, '--dosa', seed.dosa.file, '--pin-stdin', '--json', '--session', path.join(dir, 'other.json')], '9999\n');
    expect(run.code).toBe(1);
    expect(json<{ error: { code: string; triesLeft: number } }>(run.stdout).error).toMatchObject({ code: 'DOSA_PIN_WRONG', triesLeft: 2 });
    expect(existsSync(path.join(dir, 'other.json'))).toBe(false);
  });

  it('session shows who is logged in', async () => {
    const run = await holder(['session', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(json(run.stdout)).toMatchObject({ server: served.url, customer: { name: 'Anna Andersson', personnummer: '199001012385' }, method: 'dosa', idleTimeoutSeconds: 900 });
    expect(run.stdout).not.toContain(token);
    const text = await holder(['session']);
    expect(text.stdout).toContain('Logged in as Anna Andersson (199001012385)');
  });

  it('payment-card list shows last four, product, state, connected; connect needs the terms accepted', async () => {
    const list = await holder(['payment-card', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const cards = json<Array<{ last4: string; connected: boolean; state: string }>>(list.stdout);
    expect(cards).toHaveLength(2);
    expect(cards.find((c) => c.last4 === mastercard().last4)).toMatchObject({ connected: false, state: 'active' });
    const text = await holder(['payment-card', 'list']);
    expect(text.stdout).toMatch(new RegExp(`•••• ${visa().last4}\\s+Bankkort Visa\\s+active\\s+yes`));
    expect(text.stdout).toMatch(new RegExp(`•••• ${mastercard().last4}\\s+Bankkort Mastercard\\s+active\\s+no`));

    // No terminal to ask on and no --accept-terms: nothing is agreed to.
    const unasked = await holder(['payment-card', 'connect', mastercard().last4]);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('--accept-terms');
    expect(unasked.stderr).toContain('Villkor för e-kort'); // the terms were shown first

    const connected = await holder(['payment-card', 'connect', mastercard().last4, '--accept-terms', '--json']);
    expect(connected.code, connected.stderr).toBe(0);
    expect(json(connected.stdout)).toMatchObject({ last4: mastercard().last4, connected: true });
    const unknown = await holder(['payment-card', 'connect', '0000', '--accept-terms', '--json']);
    expect(unknown.code).toBe(1);
    expect(json<{ error: { code: string } }>(unknown.stdout).error.code).toBe('NOT_FOUND');
  });

  it('enummer create: a single-purchase one (text: the full number in fours, expiry, CVC) and a recurring one', async () => {
    const text = await holder(['enummer', 'create', '--card', visa().last4, '--merchant', 'Webbutiken AB', '--limit', '1 000,50']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Created a single-purchase e-nummer for Webbutiken AB on Bankkort Visa');
    expect(text.stdout).toMatch(/number {7}\d{4} \d{4} \d{4} \d{4}\n/);
    expect(text.stdout).toMatch(/expiry {7}\d{2}\/\d{2}\n/);
    expect(text.stdout).toMatch(/CVC {10}\d{3}\n/);
    expect(text.stdout).toContain('limit        1\u00a0000,50\u00a0kr per purchase');
    const textId = /id {11}(\S+)/.exec(text.stdout)![1]!;
    expect((await holder(['enummer', 'close', textId, '--yes'])).code).toBe(0);

    const one = await holder(['enummer', 'create', '--card', visa().last4, '--merchant', 'Webbutiken AB', '--json']);
    expect(one.code, one.stderr).toBe(0);
    single = json<Created>(one.stdout);
    expect(single.enummer).toMatchObject({ kind: 'single', state: 'open' });
    expect(single.secret.pan).toMatch(/^\d{16}$/);

    const rec = await holder(['enummer', 'create', '--card', visa().id, '--merchant', 'Streamly', '--recurring', '--months', '6', '--limit', '200', '--limit-per', 'month', '--nickname', 'Film', '--json']);
    expect(rec.code, rec.stderr).toBe(0);
    recurring = json<Created>(rec.stdout);
    expect(recurring.enummer).toMatchObject({ kind: 'recurring', months: 6, nickname: 'Film', limit: { amount: 20_000, period: 'month' } });

    const unknown = await holder(['enummer', 'create', '--card', '0000', '--merchant', 'X', '--json']);
    expect(unknown.code).toBe(1);
    expect(json<{ error: { code: string } }>(unknown.stdout).error.code).toBe('NOT_FOUND');
  });

  it('enummer list shows last four only, with days left; show --reveal the full number', async () => {
    const list = await holder(['enummer', 'list', '--state', 'open', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(json<Array<{ id: string }>>(list.stdout).map((e) => e.id).sort()).toEqual([single.enummer.id, recurring.enummer.id].sort());
    const text = await holder(['enummer', 'list']);
    expect(text.stdout).toMatch(new RegExp(`${recurring.enummer.id}\\s+•••• ${recurring.enummer.last4}\\s+Streamly\\s+recurring\\s+\\d{4}-\\d{2}-\\d{2} \\(\\d+ days left\\)\\s+open`));
    expect(text.stdout).toContain('closed_by_holder');
    expect(text.stdout).not.toContain(single.secret.pan);
    expect(text.stdout).not.toContain(recurring.secret.pan);

    const shown = await holder(['enummer', 'show', recurring.enummer.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toContain(recurring.secret.pan);
    const revealed = await holder(['enummer', 'show', recurring.enummer.id, '--reveal', '--json']);
    expect(revealed.code, revealed.stderr).toBe(0);
    expect(json<Created>(revealed.stdout).secret).toMatchObject(recurring.secret);
    const revealedText = await holder(['enummer', 'show', recurring.enummer.id, '--reveal']);
    expect(revealedText.stdout.replace(/ /g, '')).toContain(recurring.secret.pan);
  });

  it('authorize: APPROVED at the right merchant (key from $EKORT_NETWORK_KEY), DECLINED MERCHANT_MISMATCH at another', async () => {
    process.env.EKORT_NETWORK_KEY = seed.networkKey.key;
    try {
      const approved = await authorize(single.secret, 'webbutiken ab', '123,45');
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stdout).toBe('APPROVED\n');
    } finally {
      delete process.env.EKORT_NETWORK_KEY;
    }
    const declined = await authorize(recurring.secret, 'Other Shop', '50', ['--network-key', seed.networkKey.key]);
    expect(declined.code).toBe(1);
    expect(declined.stdout).toBe('DECLINED MERCHANT_MISMATCH\n');
    const declinedJson = await authorize(recurring.secret, 'Other Shop', '50', ['--network-key', seed.networkKey.key, '--json']);
    expect(declinedJson.code).toBe(1);
    expect(json(declinedJson.stdout)).toMatchObject({ approved: false, declineCode: 'MERCHANT_MISMATCH', error: { code: 'MERCHANT_MISMATCH' } });
    const approvedJson = await authorize(recurring.secret, 'Streamly', '99.50', ['--network-key', seed.networkKey.key, '--json', '--request-id', 'req-1']);
    expect(approvedJson.code, approvedJson.stderr).toBe(0);
    expect(json(approvedJson.stdout)).toMatchObject({ approved: true, declineCode: null });
    const wrongKey = await authorize(recurring.secret, 'Streamly', '1', ['--network-key', 'nk_wrong', '--json']);
    expect(wrongKey.code).toBe(1);
    expect(json<{ error: { code: string } }>(wrongKey.stdout).error.code).toBe('NETWORK_KEY_INVALID');
    // The single-purchase number is used up.
    const again = await authorize(single.secret, 'Webbutiken AB', '1', ['--network-key', seed.networkKey.key]);
    expect(again.stdout).toBe('DECLINED CLOSED\n');
  });

  it('transactions shows the approved and the declined purchases; enummer transactions only its own', async () => {
    const all = await holder(['transactions', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const list = json<{ items: Array<{ enummerId: string; decision: string; declineCode: string | null; amount: number }> }>(all.stdout).items;
    expect(list).toContainEqual(expect.objectContaining({ enummerId: single.enummer.id, decision: 'approved', amount: 12_345 }));
    expect(list).toContainEqual(expect.objectContaining({ enummerId: recurring.enummer.id, decision: 'declined', declineCode: 'MERCHANT_MISMATCH', amount: 5_000 }));
    const text = await holder(['transactions']);
    expect(text.stdout).toMatch(new RegExp(`•••• ${single.enummer.last4}\\s+webbutiken ab\\s+123,45\u00a0kr\\s+approved`));
    expect(text.stdout).toMatch(new RegExp(`•••• ${recurring.enummer.last4}\\s+Other Shop\\s+50,00\u00a0kr\\s+declined MERCHANT_MISMATCH`));
    const own = await holder(['enummer', 'transactions', recurring.enummer.id, '--json']);
    const ownList = json<{ items: Array<{ enummerId: string }> }>(own.stdout).items;
    expect(ownList.length).toBe(3);
    expect(ownList.every((t) => t.enummerId === recurring.enummer.id)).toBe(true);
  });

  it('pause, resume and close change what the network gets', async () => {
    const id = recurring.enummer.id;
    const paused = await holder(['enummer', 'pause', id, '--json']);
    expect(json(paused.stdout)).toMatchObject({ state: 'paused' });
    expect((await authorize(recurring.secret, 'Streamly', '1', ['--network-key', seed.networkKey.key])).stdout).toBe('DECLINED PAUSED\n');
    const resumed = await holder(['enummer', 'resume', id]);
    expect(resumed.stdout).toContain('Resumed e-nummer');
    expect((await authorize(recurring.secret, 'Streamly', '1', ['--network-key', seed.networkKey.key])).stdout).toBe('APPROVED\n');
    const unasked = await holder(['enummer', 'close', id]);
    expect(unasked.code).toBe(2); // no terminal, no --yes: not closed
    const closed = await holder(['enummer', 'close', id, '--yes', '--json']);
    expect(json(closed.stdout)).toMatchObject({ state: 'closed', closeReason: 'closed_by_holder' });
    expect((await authorize(recurring.secret, 'Streamly', '1', ['--network-key', seed.networkKey.key])).stdout).toBe('DECLINED CLOSED\n');
  });

  it('payment-card block takes effect at once: the network gets CARD_BLOCKED', async () => {
    const made = await holder(['enummer', 'create', '--card', visa().last4, '--merchant', 'Kiosken', '--recurring', '--json']);
    const open = json<Created>(made.stdout);
    expect((await holder(['payment-card', 'block', visa().last4])).code).toBe(2); // asks first
    const blocked = await holder(['payment-card', 'block', visa().last4, '--yes']);
    expect(blocked.code, blocked.stderr).toBe(0);
    expect(blocked.stdout).toContain('effective at once');
    const declined = await authorize(open.secret, 'Kiosken', '10', ['--network-key', seed.networkKey.key, '--json']);
    expect(declined.code).toBe(1);
    expect(json(declined.stdout)).toMatchObject({ approved: false, declineCode: 'CARD_BLOCKED' });
    const shown = await holder(['enummer', 'show', open.enummer.id, '--json']);
    expect(json(shown.stdout)).toMatchObject({ enummer: { state: 'closed', closeReason: 'card_blocked' } });
  });

  it('logs in with a physical dosa: the svarskod typed for the kontrollnummer shown', async () => {
    const file = path.join(dir, 'physical.json');
    const child = spawn(process.execPath, [EKORT_BIN, 'login', '--server', served.url, '--dosa-serial', seed.dosa.serial, '--svarskod-stdin', '--session', file, '--json'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const kontrollnummer = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /Kontrollnummer: (\d{4} \d{4})/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      void exited.then(() => reject(new Error(`login exited before showing a kontrollnummer: ${stderr}`)));
    });
    // The holder keys it into the dosa (here: the virtual one) and types what it shows.
    const answer = await ekort(['dosa', 'respond', seed.dosa.file, kontrollnummer, '--pin-stdin'], `${seed.dosa.pin}\n`);
    expect(answer.code, answer.stderr).toBe(0);
    child.stdin.end(`${answer.stdout.trim().replace(/(\d{4})(\d{4})/, '$1 $2')}\n`);
    const code = await exited;
    clearTimeout(kill);
    expect(code, stderr).toBe(0);
    expect(json(stdout)).toMatchObject({ customer: { name: 'Anna Andersson' }, method: 'dosa', session: file });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('a service that cannot be reached: SERVICE_UNREACHABLE, on stderr and in --json', async () => {
    const run = await holder(['enummer', 'list', '--json', '--server', 'http://127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(json<{ error: { code: string } }>(run.stdout).error.code).toBe('SERVICE_UNREACHABLE');
    expect(run.stderr).toContain('cannot be reached');
  });

  it('logout ends the session at the service and removes the file; later commands say to log in again', async () => {
    const copy = path.join(dir, 'copy.json');
    await copyFile(sessionFile, copy);
    const out = await holder(['logout']);
    expect(out.code, out.stderr).toBe(0);
    expect(existsSync(sessionFile)).toBe(false);
    const after = await holder(['enummer', 'list', '--json']);
    expect(after.code).toBe(1);
    expect(json<{ error: { code: string } }>(after.stdout).error.code).toBe('NOT_LOGGED_IN');
    expect(after.stderr).toContain('ekort login --server');
    // The old token is dead at the service too.
    const stale = await ekort(['transactions', '--json', '--session', copy]);
    expect(stale.code).toBe(1);
    expect(json<{ error: { code: string } }>(stale.stdout).error.code).toBe('SESSION_EXPIRED');
    expect(stale.stderr).toContain(`Log in again: ekort login --server ${served.url}`);
  });
});

describe.skipIf(!cardAvailable)('ekort login --card through pcscd and vpcd', { timeout: 60_000 }, () => {
  let inserted: InsertedCard | undefined;

  beforeAll(async () => {
    inserted = await insertVirtualCard(seed.card.file, vpcdPorts[0]);
    await waitForCard(READER, { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    if (inserted) expect(await inserted.pullOut()).toBe(0);
    await waitForCard(READER, { present: false, timeoutMs: 10_000 });
  });

  it('logs in with the right PIN: the card signs the challenge, a session is made', async () => {
    const file = path.join(dir, 'card-session.json');
    const run = await ekort(['login', '--server', served.url, '--card', '--reader', READER, '--pin-stdin', '--session', file, '--json'], `${seed.card.pin}\n`, { timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(json(run.stdout)).toMatchObject({ customer: { name: 'Anna Andersson', personnummer: '199001012385' }, method: 'card' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const session = await ekort(['session', '--json', '--session', file]);
    expect(json(session.stdout)).toMatchObject({ method: 'card' });
  });

  it('a wrong PIN: exit 1, PIN_INCORRECT with the tries left, not retried, no session', async () => {
    const file = path.join(dir, 'card-wrong.json');
    const run = await ekort(['login', '--server', served.url, '--card', '--pin-stdin', '--session', file, '--json'], '654321\n', { timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(json<{ error: unknown }>(run.stdout).error).toMatchObject({ code: 'PIN_INCORRECT', retriesLeft: 2 });
    expect(run.stderr).not.toContain('654321');
    expect(existsSync(file)).toBe(false);
    // One try used, not more: the right PIN works again and resets the counter.
    const ok = await ekort(['login', '--server', served.url, '--card', '--pin-stdin', '--session', file], `${seed.card.pin}\n`, { timeoutMs: 30_000 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(json<{ pinTriesLeft: number }>(await readFile(seed.card.file, 'utf8')).pinTriesLeft).toBe(3);
  });
});
