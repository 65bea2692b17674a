/**
 * x509-limbo (C2SP) cases that apply to client-auth path validation, vendored in
 * test/fixtures/x509-limbo/cases.json (which commit, which cases and why: see its header).
 * No FAILURE case may be accepted; SUCCESS cases are accepted unless the fixture lists the
 * stricter rule of ours that rejects them, and then with exactly that code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../src/pki/certificate.ts';
import { TrustStore } from '../../../src/pki/chainValidation.ts';
import { pemToDer } from '../../../src/pki/pem.ts';

interface LimboCase {
  id: string;
  expected_result: 'SUCCESS' | 'FAILURE';
  validation_time: string | null;
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  crls: string[];
  ours: string;
  expected_reject?: string;
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/x509-limbo/cases.json', import.meta.url), 'utf8')) as { commit: string; cases: LimboCase[] };

/** Our answer for one case: VALID, or the code of the typed error (a plain Error fails the test). */
function validate(c: LimboCase): string {
  try {
    const trust = TrustStore.from({ trustAnchors: c.trusted_certs.map((p) => pemToDer(p, 'CERTIFICATE')), crls: c.crls.map((p) => pemToDer(p, 'X509 CRL')) });
    // Intermediates arrive the way a login CMS brings them: candidates, never anchors.
    const extra = c.untrusted_intermediates.map((p) => parseCertificate(pemToDer(p, 'CERTIFICATE')));
    trust.validate(parseCertificate(pemToDer(c.peer_certificate, 'CERTIFICATE')), c.validation_time ? new Date(c.validation_time) : new Date(), extra);
    return 'VALID';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') throw e;
    return code;
  }
}

describe(`x509-limbo at ${fixture.commit.slice(0, 12)}`, () => {
  it('vendors FAILURE and SUCCESS cases', () => {
    expect(fixture.cases.filter((c) => c.expected_result === 'FAILURE').length).toBeGreaterThan(50);
    expect(fixture.cases.filter((c) => c.expected_result === 'SUCCESS' && c.expected_reject === undefined).length).toBeGreaterThan(0);
  });

  it.each(fixture.cases.filter((c) => c.expected_result === 'FAILURE').map((c) => [c.id, c] as const))('%s is rejected', (_, c) => {
    const answer = validate(c);
    expect(answer).not.toBe('VALID');
    expect(answer).toBe(c.ours);
  });

  it.each(fixture.cases.filter((c) => c.expected_result === 'SUCCESS').map((c) => [c.id, c] as const))('%s is accepted, or rejected by a stricter rule of ours', (_, c) => {
    const answer = validate(c);
    if (c.expected_reject === undefined) expect(answer).toBe('VALID');
    else expect(answer, c.expected_reject).toBe(c.ours);
  });
});
