/**
 * e-tjänstelegitimation at the e-kort service, on SQLite and PostgreSQL: a login signed with an
 * organisation e-ID (no personnummer) is refused with ORGANISATION_EID, never mapped to a private
 * customer; a BankID på fil with a personnummer logs in like a card.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TrustConfig } from '../../src/bank/context.ts';
import { createCustomer } from '../../src/bank/customers.ts';
import { EkortService } from '../../src/bank/service.ts';
import { PasswordAttempts } from '../../src/pki/fileAttempts.ts';
import { openFileSigner } from '../../src/pki/fileSigner.ts';
import { signChallenge } from '../../src/pki/loginSignature.ts';
import { writePkcs12 } from '../../src/pki/pkcs12.ts';
import { initTestPki, issueCardCertificate, loadTestPki, type IssueCardCertificateOptions } from '../../src/pki/testPki.ts';
import { requirePostgres, storeTargets } from '../support/postgres.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-orgeid-'));
const pkiDir = path.join(tmp, 'pki');
const PASSWORD = 'lösenord-123';
let trust: TrustConfig;
let orgFile: string;
let annaFile: string;
const attempts = new PasswordAttempts(path.join(tmp, 'state.json'));

async function credential(name: string, subject: Omit<IssueCardCertificateOptions, 'publicKeySpki' | 'commonName'>): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const certificate = await issueCardCertificate(pkiDir, { publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })), commonName: name, ...subject });
  const file = path.join(tmp, `${randomBytes(4).toString('hex')}.p12`);
  writeFileSync(file, writePkcs12({ certificate, privateKey, password: PASSWORD }));
  return file;
}

beforeAll(async () => {
  await initTestPki(pkiDir);
  const pki = await loadTestPki(pkiDir);
  trust = { trustAnchors: [pki.root], intermediates: pki.intermediates, crls: pki.crls };
  // The employee number is the tail of Anna's personnummer on purpose: it must not find her.
  orgFile = await credential('Anna Andersson', { organisation: { number: '5565027223', name: 'Exempelbolaget AB', personId: '2385' } });
  annaFile = await credential('Anna Andersson', { personnummer: '199001012385' });
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

await requirePostgres();
const stores = storeTargets(tmp, 'orgeid');

describe.each(stores)('organisation e-ID at the service on $name', (store) => {
  let service: EkortService;

  beforeEach(async () => {
    const target = await store.open();
    service = await EkortService.open(target.target, { trust, sweepIntervalMs: 0, serviceId: 'test-bank' });
    await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
    return async () => {
      await service.close();
      await target.drop();
    };
  });

  const signedLogin = async (file: string) => {
    const c = await service.cardChallenge();
    const signer = await openFileSigner({ file, password: PASSWORD, attempts });
    return { challengeId: c.challengeId, cms: await signChallenge(Buffer.from(c.challenge, 'base64'), signer) };
  };

  it('refuses an e-tjänstelegitimation with ORGANISATION_EID (403): e-kort needs a personal e-legitimation', async () => {
    const { challengeId, cms } = await signedLogin(orgFile);
    const error = await service.cardLogin(challengeId, cms).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ORGANISATION_EID', status: 403 });
    expect((error as Error).message).toMatch(/service for private persons: log in with your personal e-legitimation/);
    const sessions = await service.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM sessions');
    expect(Number(sessions[0]!.n)).toBe(0);
  });

  it('logs in with BankID på fil as the customer of its personnummer', async () => {
    const { challengeId, cms } = await signedLogin(annaFile);
    expect(await service.cardLogin(challengeId, cms)).toMatchObject({ method: 'card', customer: { personnummer: '199001012385', name: 'Anna Andersson' } });
  });
});
