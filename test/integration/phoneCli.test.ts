/**
 * The telephone service from the terminal, as the bank's engineers and scripts use it, on
 * both stores: `ekort bank set-phone-credentials / change-password / issue-codetable /
 * ivr-key / sms-outbox` on the store, `ekort serve`, and `ekort phone call` driven line by
 * line through standard input, answering what it asks (the cell from the letter, the SMS
 * code from the outbox, the app request approved through the API). And the prompts as WAV
 * with espeak-ng (with CI=true a missing espeak-ng fails; run native/setup-audio.sh).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { BankClient } from '../../src/bank/api/client.ts';
import type { PhoneCall } from '../../src/bank/api/schemas.ts';
import { enrolmentProof, newAppKeyPair, saveAppFile, sealAppFile } from '../../src/bank/approval/appWallet.ts';
import { enrolApp, issueEnrolmentCode } from '../../src/bank/approval/enrolment.ts';
import { createCustomer } from '../../src/bank/customers.ts';
import { audioAvailable } from '../../src/bank/phone/audio.ts';
import { P } from '../../src/bank/phone/prompts.ts';
import { EkortService } from '../../src/bank/service.ts';
import { createSession } from '../../src/bank/sessions.ts';
import { saveSession } from '../../src/cli/sessionFile.ts';
import { ekort, EKORT_BIN } from '../support/ekortCli.ts';
import { startServe, type ServeProcess } from '../support/ekortServe.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const PERSONNUMMER = '199001012385';
const USER_CODE = '12345678';
const PHONE = '+46701234567';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-phone-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

await requirePostgres();
const espeak = await audioAvailable();
if (!espeak && process.env.CI === 'true') throw new Error('espeak-ng is not installed (CI=true: the audio test must run, not skip); run native/setup-audio.sh');

const stores = storeTargets(tmp, 'phonecli');

/** `ekort phone call --json` with a pipe for stdin: one parsed answer per stdout line. */
function phone(server: string, ivrKey: string, extra: string[] = []) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [EKORT_BIN, 'phone', 'call', '--server', server, '--json', '--poll-ms', '100', ...extra], {
    env: { ...process.env, EKORT_IVR_KEY: ivrKey },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const answers: PhoneCall[] = [];
  let buffer = '';
  let stderr = '';
  const waiters: Array<{ test: (a: PhoneCall) => boolean; resolve: (a: PhoneCall) => void }> = [];
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    buffer += d;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const answer = JSON.parse(line) as PhoneCall;
      answers.push(answer);
      for (const w of [...waiters]) {
        if (w.test(answer)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(answer);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exited.then(() => clearTimeout(kill));
  return {
    answers,
    stderr: () => stderr,
    /** The next answer (from now on, or already seen after `from`) that passes `test`. */
    until(test: (a: PhoneCall) => boolean, from = 0): Promise<PhoneCall> {
      const seen = answers.slice(from).find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve });
        void exited.then(() => reject(new Error(`ekort phone call exited before the answer awaited; stderr: ${stderr}; answers: ${JSON.stringify(answers)}`)));
      });
    },
    type(line: string): void {
      child.stdin.write(`${line}\n`);
    },
    end(): Promise<number | null> {
      child.stdin.end();
      return exited;
    },
  };
}

describe.each(stores)('ekort phone call against ekort serve on $name', (store) => {
  let db: { target: string; drop(): Promise<void> };
  let serve: ServeProcess;
  let ivrKey: string;
  let codes: Record<string, string>;

  beforeEach(async () => {
    db = await store.open();
    const service = await EkortService.open(db.target, { sweepIntervalMs: 0 });
    await createCustomer(service.ctx, PERSONNUMMER, 'Anna Andersson');
    await service.close();
    const set = await ekort(['bank', 'set-phone-credentials', '--db', db.target, '--personnummer', PERSONNUMMER, '--user-code', USER_CODE, '--phone', PHONE, '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ userCode: USER_CODE, phone: PHONE, mustChangeAtFirstLogin: true });
    const changed = await ekort(['bank', 'change-password', '--db', db.target, '--user-code', USER_CODE, '--password-stdin'], '010190\n4711\n');
    expect(changed.code, changed.stderr).toBe(0);
    const table = await ekort(['bank', 'issue-codetable', '--db', db.target, '--personnummer', PERSONNUMMER, '--json']);
    expect(table.code, table.stderr).toBe(0);
    codes = JSON.parse(table.stdout).codes;
    expect(Object.keys(codes)).toHaveLength(100);
    const key = await ekort(['bank', 'ivr-key', '--db', db.target, '--json']);
    expect(key.code, key.stderr).toBe(0);
    ivrKey = JSON.parse(key.stdout).key;
    serve = await startServe(['--port', '0', '--db', db.target, '--login-rate-limit', '0']);
    return async () => {
      await serve.stop();
      await db.drop();
    };
  }, 60_000);


  it('2: the code table, with the cell read from the letter and the SMS code from the outbox', async () => {
    const call = phone(serve.url, ivrKey);
    await call.until((a) => a.state === 'menu');
    call.type('2');
    call.type(`${USER_CODE}#`);
    call.type('4711#');
    const asked = await call.until((a) => a.state === 'table.cell');
    const cell = /Ange koden ([A-E]) ([0-9]+)/.exec(asked.prompts.join(' '))!;
    call.type(`${codes[`${cell[1]}${cell[2]}`]}#`);
    await call.until((a) => a.state === 'table.sms');
    const outbox = await ekort(['bank', 'sms-outbox', '--db', db.target, '--to', PHONE, '--json']);
    expect(outbox.code, outbox.stderr).toBe(0);
    const sms = JSON.parse(outbox.stdout) as Array<{ text: string }>;
    const smsCode = /är ([0-9]{6})\./.exec(sms.at(-1)!.text)![1]!;
    call.type(`${smsCode}#`);
    const identified = await call.until((a) => a.identified);
    expect(identified).toMatchObject({ state: 'reason', method: 'codetable', customer: { name: 'Anna Andersson', personnummer: PERSONNUMMER } });
    call.type('4');
    await call.until((a) => a.state === 'queued');
    expect(await call.end()).toBe(0);
    expect(call.answers.at(-1)).toMatchObject({ state: 'ended', ended: true, prompts: [P.goodbye] });
    // Neither the password nor the codes went to the terminal's error output.
    expect(call.stderr()).not.toContain('4711');
    expect(call.stderr()).not.toContain(smsCode);
  }, 60_000);

  it('1: the app, approved with `ekort app approve --request` (signed) while the phone waits', async () => {
    const APP_PIN = '246810';
    const service = await EkortService.open(db.target, { sweepIntervalMs: 0 });
    const [customer] = await service.db.query<{ id: string; name: string; personnummer: string }>('SELECT id, name, personnummer FROM customers');
    const session = await createSession(service.ctx, customer!, 'dosa');
    // Anna's approval app, enrolled and sealed under its PIN; her session from a login.
    const { code } = await issueEnrolmentCode(service.ctx, customer!.id);
    const keys = newAppKeyPair();
    const enrolled = await enrolApp(service.ctx, { code, publicKey: keys.publicKey, proof: enrolmentProof(code, keys.publicKey, keys.privateKey) });
    await service.close();
    const appFile = path.join(tmp, `app-${randomBytes(3).toString('hex')}.json`);
    const sessionFile = path.join(tmp, `session-${randomBytes(3).toString('hex')}.json`);
    await saveAppFile(appFile, sealAppFile({ server: serve.url, deviceId: enrolled.deviceId, customer: enrolled.customer, publicKey: keys.publicKey, privateKey: keys.privateKey, pin: APP_PIN }));
    await saveSession(sessionFile, { server: serve.url, token: session.token, customer: enrolled.customer, method: 'dosa', authenticatedAt: new Date().toISOString() });
    const app = new BankClient({ baseUrl: serve.url, token: session.token });
    const call = phone(serve.url, ivrKey);
    call.type('1');
    call.type(`${USER_CODE}#`);
    call.type('2'); // the reason, read only once the app has answered
    const waiting = await call.until((a) => a.state === 'app.waiting' && a.prompts.length > 0);
    const [request] = await app.appIdentifications();
    expect(request).toMatchObject({ requester: 'S-Bankens kundtjänst', code: waiting.identificationCode });
    // An approval without the app's valid signature is refused: the app must sign.
    await expect(app.approveAppIdentification(request!.id, { deviceId: 'not-an-enrolled-app', time: new Date().toISOString(), signature: 'AAAA' })).rejects.toMatchObject({
      status: expect.any(Number),
    });
    const listed = await ekort(['app', 'approve', appFile, '--requests', '--session', sessionFile, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: request!.id, code: waiting.identificationCode })]);
    const approved = await ekort(['app', 'approve', appFile, '--request', request!.id, '--session', sessionFile, '--pin-stdin', '--json'], `${APP_PIN}\n`);
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ id: request!.id, state: 'approved', code: waiting.identificationCode });
    expect(approved.stderr).toContain(`Code: ${waiting.identificationCode}`);
    expect(await call.until((a) => a.identified && a.state === 'reason')).toMatchObject({ method: 'app' });
    expect(await call.until((a) => a.state === 'queued')).toMatchObject({ reason: 'loans', identified: true });
    expect(await call.end()).toBe(0);
  }, 60_000);

  it('text mode from a script: 5 goes to the general queue; the end of input hangs up', async () => {
    const run = await ekort(['phone', 'call', '--server', serve.url, '--ivr-key', ivrKey], '5\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual([P.welcome, P.menu, P.queuedGeneral, P.goodbye]);
  }, 30_000);

  it('a wrong IVR key is refused', async () => {
    const run = await ekort(['phone', 'call', '--server', serve.url, '--ivr-key', 'ivr_wrong', '--json'], '5\n');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'IVR_KEY_INVALID' } });
  }, 30_000);

  it('the code-table letter is Swedish with the A–E × 1–20 grid', async () => {
    const letter = await ekort(['bank', 'issue-codetable', '--db', db.target, '--personnummer', PERSONNUMMER]);
    expect(letter.code, letter.stderr).toBe(0);
    expect(letter.stdout).toContain('Din kodtabell för webbanken och telefontjänsten');
    expect(letter.stdout).toContain('Spara inte koderna på datorn, mobilen eller någon annan enhet du använder.');
    expect(letter.stdout).toMatch(/ A {4} B {4} C {4} D {4} E/);
    expect(letter.stdout.split('\n').filter((l) => /^ +[0-9]{1,2} {3}([0-9]{4} {2}){4}[0-9]{4}$/.test(l))).toHaveLength(20);
    // A forgotten password: the one-time password's letter, then changed back at the first login.
    const otp = await ekort(['bank', 'new-password', '--db', db.target, '--personnummer', PERSONNUMMER]);
    expect(otp.code, otp.stderr).toBe(0);
    const once = /Engångslösenord: ([0-9]{6})/.exec(otp.stdout)?.[1];
    expect(once).toBeDefined();
    const changed = await ekort(['bank', 'change-password', '--db', db.target, '--user-code', USER_CODE, '--password-stdin'], `${once}\n4711\n`);
    expect(changed.code, changed.stderr).toBe(0);
  }, 30_000);

  it.runIf(espeak)('--audio DIR writes one WAV per prompt with espeak-ng', async () => {
    const dir = path.join(tmp, `audio-${randomBytes(3).toString('hex')}`);
    const run = await ekort(['phone', 'call', '--server', serve.url, '--ivr-key', ivrKey, '--audio', dir], '5\n', { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['001.wav', '002.wav', '003.wav', '004.wav']);
    for (const f of files) {
      const head = readFileSync(path.join(dir, f)).subarray(0, 12);
      expect(head.subarray(0, 4).toString()).toBe('RIFF');
      expect(head.subarray(8, 12).toString()).toBe('WAVE');
    }
  }, 60_000);
});
