/**
 * e-tjänstelegitimation (organisation e-ID): a certificate that names a person by the
 * organisation they act for plus a number unique within it (often the employee number), and
 * carries no personnummer. The forms read here:
 * - organizationIdentifier (X.520 2.5.4.97) with the organisationsnummer, bare ("5565027223",
 *   "556502-7223") or in the ETSI EN 319 412-1 §5.1.4 form "NTRSE-5565027223";
 * - serialNumber (2.5.4.5) "<organisationsnummer>-<number>" (Expisoft style), or, next to an
 *   organizationIdentifier, the person's number alone;
 * - the Swedish eID Framework's orgAffiliation (1.2.752.201.3.1) "<number>@<organisationsnummer>".
 * organizationName (O) gives the organisation's name when present.
 */

import { organisationsnummer } from '../identity/index.ts';

export interface Organisation {
  /** The organisationsnummer, 10 digits without a hyphen. */
  number: string;
  name?: string;
  /** The person's number within the organisation (an employee number, or the issuer's own). */
  personId: string;
}

/** Sweden Connect id-attr-org-affiliation (ELN-0604 "orgAffiliation"). */
export const OID_ORG_AFFILIATION = '1.2.752.201.3.1';

/** organizationIdentifier: "NTRSE-<orgnr>" (ETSI), or the number alone. */
function fromOrganizationIdentifier(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^NTRSE-(.+)$/i.exec(value.trim());
  return organisationsnummer(m ? m[1] : value);
}

const PERSON_ID = /^[\p{L}\p{N}._-]{1,64}$/u;

/** The organisation a certificate subject speaks for, or undefined for a personal e-ID. */
export function organisationOf(subject: {
  serialNumber?: string | undefined;
  organizationIdentifier?: string | undefined;
  organizationName?: string | undefined;
  orgAffiliation?: string | undefined;
  personnummer?: string | undefined;
}): Organisation | undefined {
  const named = (org: Omit<Organisation, 'name'>): Organisation => (subject.organizationName ? { ...org, name: subject.organizationName } : org);
  const affiliation = subject.orgAffiliation === undefined ? null : /^(.+)@([^@]+)$/.exec(subject.orgAffiliation.trim());
  if (affiliation) {
    const number = organisationsnummer(affiliation[2]);
    if (number && PERSON_ID.test(affiliation[1]!)) return named({ number, personId: affiliation[1]! });
  }
  const serial = subject.serialNumber?.trim();
  const fromSerial = serial === undefined ? null : /^(\d{6}-?\d{4})-(.+)$/.exec(serial);
  if (fromSerial) {
    const number = organisationsnummer(fromSerial[1]);
    if (number && PERSON_ID.test(fromSerial[2]!)) return named({ number, personId: fromSerial[2]! });
  }
  const number = fromOrganizationIdentifier(subject.organizationIdentifier);
  // A personal e-ID may name an organization too; only without a personnummer is the serial the person's number there.
  if (number && serial !== undefined && subject.personnummer === undefined && PERSON_ID.test(serial)) return named({ number, personId: serial });
  return undefined;
}
