/** e-tjänstelegitimation: the organisation read from a certificate subject, never a personnummer. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../src/pki/certificate.ts';
import { organisationsnummer } from '../../../src/identity/index.ts';
import { organisationOf, OID_ORG_AFFILIATION } from '../../../src/pki/organisation.ts';
import { initTestPki, issueCardCertificate } from '../../../src/pki/testPki.ts';
import { issue } from './pkiFixtures.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ekort-org-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('organisationsnummer', () => {
  it('takes the 10-digit number with its Luhn digit, with or without hyphen or the 16 prefix', () => {
    expect(organisationsnummer('556502-7223')).toBe('5565027223');
    expect(organisationsnummer('5565027223')).toBe('5565027223');
    expect(organisationsnummer('165565027223')).toBe('5565027223');
    expect(organisationsnummer('2021005489')).toBe('2021005489'); // a public authority
    expect(organisationsnummer('5565027224')).toBeUndefined(); // wrong check digit
    expect(organisationsnummer('9001012385')).toBeUndefined(); // a personnummer (month digit 0/1)
    expect(organisationsnummer('199001012385')).toBeUndefined();
  });
});

describe('organisationOf', () => {
  it('reads the Expisoft serialNumber "<orgnr>-<number>"', () => {
    expect(organisationOf({ serialNumber: '556502-7223-0042', organizationName: 'Exempelbolaget AB' })).toEqual({ number: '5565027223', name: 'Exempelbolaget AB', personId: '0042' });
    expect(organisationOf({ serialNumber: '5565027223-A17' })).toEqual({ number: '5565027223', personId: 'A17' });
  });
  it('reads organizationIdentifier (ETSI "NTRSE-" or bare) with the number in serialNumber', () => {
    expect(organisationOf({ organizationIdentifier: 'NTRSE-5565027223', serialNumber: '0042' })).toEqual({ number: '5565027223', personId: '0042' });
    expect(organisationOf({ organizationIdentifier: '556502-7223', serialNumber: 'E1234' })).toEqual({ number: '5565027223', personId: 'E1234' });
  });
  it('reads the Swedish eID Framework orgAffiliation "<number>@<orgnr>"', () => {
    expect(organisationOf({ orgAffiliation: '0042@5565027223' })).toEqual({ number: '5565027223', personId: '0042' });
  });
  it('a personal e-ID naming an organisation is still personal', () => {
    expect(organisationOf({ organizationIdentifier: 'NTRSE-5565027223', serialNumber: '199001012385', personnummer: '199001012385' })).toBeUndefined();
    expect(organisationOf({ serialNumber: '199001012385', personnummer: '199001012385' })).toBeUndefined();
    expect(organisationOf({ organizationIdentifier: 'NTRSE-5565027223' })).toBeUndefined();
    expect(organisationOf({ serialNumber: '5565027224-0042' })).toBeUndefined();
  });
});

describe('parseCertificate', () => {
  it('exposes the organisation of a test-PKI e-tjänstelegitimation, and no personnummer', async () => {
    await initTestPki(path.join(tmp, 'pki'));
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = await issueCardCertificate(path.join(tmp, 'pki'), {
      publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      commonName: 'Gustav Gran',
      organisation: { number: '5565027223', name: 'Exempelbolaget AB', personId: '0042' },
    });
    const cert = parseCertificate(der);
    expect(cert.subject.personnummer).toBeUndefined();
    expect(cert.subject.organisation).toEqual({ number: '5565027223', name: 'Exempelbolaget AB', personId: '0042' });
    expect(cert.subject.organizationIdentifier).toBe('NTRSE-5565027223');
    expect(cert.subject.dn).toBe('CN=Gustav Gran,serialNumber=5565027223-0042,organizationIdentifier=NTRSE-5565027223,O=Exempelbolaget AB,C=SE');
    await expect(
      issueCardCertificate(path.join(tmp, 'pki'), {
        publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
        commonName: 'X',
        personnummer: '199001012385',
        organisation: { number: '5565027223', personId: '1' },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_SUBJECT' });
  }, 60_000);

  it('reads orgAffiliation from the subject', async () => {
    const leaf = await issue({ subject: [['2.5.4.6', 'SE'], [OID_ORG_AFFILIATION, '7@2021005489'], ['2.5.4.3', 'Hanna Holm']] });
    expect(parseCertificate(leaf.der).subject.organisation).toEqual({ number: '2021005489', personId: '7' });
  });

  it('a BankID certificate has a personnummer and no organisation', async () => {
    const leaf = await issue({ subject: [['2.5.4.6', 'SE'], ['2.5.4.5', '199001012385'], ['2.5.4.3', 'Anna Andersson']] });
    const s = parseCertificate(leaf.der).subject;
    expect(s.personnummer).toBe('199001012385');
    expect(s.organisation).toBeUndefined();
  });
});
