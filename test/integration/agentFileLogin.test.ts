/**
 * The desktop agent's BankID på fil: fileCredentials lists the files in the BankID folder (and
 * picked ones) with their holders before any password; loginWithFile signs the service's
 * challenge, counts wrong passwords in the data folder and locks after five; an
 * e-tjänstelegitimation is refused by the service (ORGANISATION_EID). Against `ekort serve`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { createAgent, type Agent } from '../../src/client/agent.ts';
import { toApiFailure } from '../../src/client/failure.ts';
import { writePkcs12 } from '../../src/pki/pkcs12.ts';
import { initTestPki, issueCardCertificate, type IssueCardCertificateOptions } from '../../src/pki/testPki.ts';
import { startServe, type ServeProcess } from '../support/ekortServe.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-agent-file-'));
const pkiDir = path.join(tmp, 'pki');
const bankidDir = path.join(tmp, 'bankid');
const dataDir = path.join(tmp, 'data');
const PASSWORD = 'Annas lösen 2026';
let served: ServeProcess;
let agent: Agent;
let picked: string;

async function credential(file: string, name: string, subject: Omit<IssueCardCertificateOptions, 'publicKeySpki' | 'commonName'>): Promise<void> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const certificate = await issueCardCertificate(pkiDir, { publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), commonName: name, ...subject });
  writeFileSync(file, writePkcs12({ certificate, privateKey, password: PASSWORD }));
}

beforeAll(async () => {
  await initTestPki(pkiDir);
  mkdirSync(bankidDir);
  await credential(path.join(bankidDir, 'anna.p12'), 'Anna Andersson', { personnummer: '199001012385' });
  await credential(path.join(bankidDir, 'bo.p12'), 'Bo Berg', { personnummer: '198507153990' });
  await credential(path.join(bankidDir, 'gustav.pfx'), 'Gustav Gran', { organisation: { number: '5565027223', personId: '0042' } });
  picked = path.join(tmp, 'usb-anna.p12');
  await credential(picked, 'Anna Andersson', { personnummer: '199001012385' });
  const db = path.join(tmp, 'ekort.db');
  const service = await EkortService.open(db, { sweepIntervalMs: 0 });
  await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
  await createCustomer(service.ctx, '198507153990', 'Bo Berg');
  await service.close();
  served = await startServe(['--port', '0', '--db', db, '--ca', pkiDir]);
  agent = await createAgent({ dataDir, service: { mode: 'remote', url: served.url }, hid: false, bankIdDirs: [bankidDir], log: () => undefined });
}, 90_000);
afterAll(async () => {
  await agent?.close();
  await served?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('BankID på fil in the agent', () => {
  it('lists the files of several people with their holders, without a password; picked files too', async () => {
    const list = await agent.fileCredentials({ paths: [picked] });
    expect(list.map((f) => [f.fileName, f.holder?.name, f.holder?.personnummer, f.holder?.organisation, f.locked])).toEqual([
      ['anna.p12', 'Anna Andersson', '199001012385', null, false],
      ['usb-anna.p12', 'Anna Andersson', '199001012385', null, false],
      ['bo.p12', 'Bo Berg', '198507153990', null, false],
      ['gustav.pfx', 'Gustav Gran', null, { number: '5565027223', name: null, personId: '0042' }, false],
    ]);
    expect(list[0]!.id).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(list[0]!.holder!.validUntil)).toBeGreaterThan(Date.now());
  });

  it('a wrong password says how many tries are left; the right one logs in as the holder', async () => {
    const [anna] = await agent.fileCredentials({});
    const wrong = await agent.loginWithFile({ id: anna!.id, password: 'fel' }).catch((e: unknown) => e);
    expect(toApiFailure(wrong)).toEqual({ code: 'PASSWORD_INCORRECT', message: expect.stringMatching(/4 tries left/), triesLeft: 4 });
    const session = await agent.loginWithFile({ id: anna!.id, password: PASSWORD });
    expect(session).toMatchObject({ customer: { name: 'Anna Andersson', personnummer: '199001012385' } });
    expect(await agent.session()).toMatchObject({ customer: { personnummer: '199001012385' } });
    const state = readFileSync(path.join(dataDir, 'file-credentials.json'), 'utf8');
    expect(state).not.toContain('fel');
    expect(state).not.toContain(PASSWORD);
  });

  it('logs in with a picked file by its path', async () => {
    const session = await agent.loginWithFile({ path: path.join(bankidDir, 'bo.p12'), password: PASSWORD });
    expect(session.customer.name).toBe('Bo Berg');
  });

  it('five wrong passwords in a row lock the file; the list shows it', async () => {
    const bytes = readFileSync(picked);
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push(toApiFailure(await agent.loginWithFile({ path: picked, password: `fel ${i}` }).catch((e: unknown) => e)).code);
    expect(codes).toEqual([...Array(4).fill('PASSWORD_INCORRECT'), 'FILE_CREDENTIAL_LOCKED']);
    const locked = toApiFailure(await agent.loginWithFile({ path: picked, password: PASSWORD }).catch((e: unknown) => e));
    expect(locked).toMatchObject({ code: 'FILE_CREDENTIAL_LOCKED', message: expect.stringMatching(/order a new BankID/) });
    expect((await agent.fileCredentials({})).find((f) => f.fileName === 'usb-anna.p12')?.locked).toBe(true);
    expect(readFileSync(picked).equals(bytes)).toBe(true);
  });

  it('an e-tjänstelegitimation is refused by the service: e-kort needs a personal e-legitimation', async () => {
    const list = await agent.fileCredentials({});
    const gustav = list.find((f) => f.fileName === 'gustav.pfx')!;
    const failure = toApiFailure(await agent.loginWithFile({ id: gustav.id, password: PASSWORD }).catch((e: unknown) => e));
    expect(failure).toMatchObject({ code: 'ORGANISATION_EID', message: expect.stringMatching(/personal e-legitimation/) });
  });

  it('an unknown id is FILE_CREDENTIAL_UNKNOWN', async () => {
    await expect(agent.loginWithFile({ id: 'f'.repeat(64), password: PASSWORD })).rejects.toMatchObject({ code: 'FILE_CREDENTIAL_UNKNOWN' });
  });
});
