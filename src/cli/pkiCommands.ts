import { generateKeyPair, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultAttemptsFile, defaultBankIdDirs, derToPem, initTestPki, issueCardCertificate, ISSUING_CAS, issuingCaFor, listFileCredentials, loadTestPki, LoginSignatureError, PasswordAttempts, pemBlocks, readFileCredential, revokeCertificate, verifyLoginSignature, writePkcs12 } from '../pki/index.ts';
import { writePrivateFile } from '../files/index.ts';
import { isValidPersonnummer, organisationsnummer } from '../identity/index.ts';
import { UsageError, printJson, type CliIo } from './cliContext.ts';
import type { Input } from './commands.ts';
import { readSecret } from './secretInput.ts';
import { EkortError } from '../errors.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** `ekort pki init --out DIR [--bank NAME] [--force] [--json]` */
export async function pkiInit({ values }: Input<'pki init'>, io: CliIo): Promise<number> {
  if (!values.out) throw new UsageError('--out DIR is required');
  const pki = await initTestPki(values.out, { force: values.force, ...(values.bank === undefined ? {} : { bankName: values.bank }) });
  const root = new X509Certificate(pki.root);
  if (values.json) {
    printJson(io, { dir: values.out, root: root.subject.split('\n').join(', '), intermediates: pki.intermediates.length, crls: pki.crls.length });
  } else {
    io.out(`Created the test PKI in ${values.out}: root.pem, issuing-rsa.pem, issuing-ec.pem, their keys and CRLs.`);
  }
  return 0;
}

/** The password for a new PKCS #12 file: one line of stdin, or typed twice on the terminal. */
async function newP12Password(fromStdin: boolean): Promise<string> {
  const password = await readSecret('Password for the file', { fromStdin });
  if (!fromStdin && (await readSecret('The same password again', {})) !== password) throw new UsageError('the two passwords differ');
  if (password.length === 0) throw new UsageError('the file needs a password');
  return password;
}

/**
 * `ekort pki issue --ca DIR --name NAME [--personnummer N | --org NUMBER --employee N [--org-name NAME]]
 *  --key rsa2048|p256 (--out-key KEY.pem --out-cert CERT.pem | --p12 FILE [--p12-password-stdin])
 *  [--days N] [--force] [--json]`: a software key and its certificate, for tests with openssl;
 * with --p12 a BankID på fil: key and certificates in a password-protected PKCS #12 file
 * (the certificate readable without the password, see src/pki/pkcs12.ts). Key files are mode 0600.
 */
export async function pkiIssue({ values }: Input<'pki issue'>, io: CliIo): Promise<number> {
  const p12 = values.p12;
  if (!values.ca || !values.name || (p12 === undefined && (!values['out-key'] || !values['out-cert']))) {
    throw new UsageError('--ca DIR, --name NAME and either --out-key KEY.pem and --out-cert CERT.pem or --p12 FILE are required');
  }
  if (values['p12-password-stdin'] && p12 === undefined) throw new UsageError('--p12-password-stdin goes with --p12 FILE');
  if (values.key !== 'rsa2048' && values.key !== 'p256') throw new UsageError('--key must be rsa2048 or p256');
  if (values.personnummer !== undefined && !isValidPersonnummer(values.personnummer)) throw new UsageError('--personnummer must be a valid personnummer YYYYMMDDNNNN');
  let organisation: { number: string; name?: string; personId: string } | undefined;
  if (values.org !== undefined || values.employee !== undefined || values['org-name'] !== undefined) {
    const number = organisationsnummer(values.org);
    if (!number) throw new UsageError('--org must be a valid organisationsnummer (NNNNNN-NNNN)');
    if (values.employee === undefined || !/^[\p{L}\p{N}._-]{1,64}$/u.test(values.employee)) throw new UsageError('--org goes with --employee N (the person\'s number in the organisation)');
    if (values.personnummer !== undefined) throw new UsageError('an e-tjänstelegitimation (--org) carries no personnummer');
    organisation = { number, personId: values.employee, ...(values['org-name'] === undefined ? {} : { name: values['org-name'] }) };
  }
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new UsageError('--days must be a positive whole number');
  for (const file of [values['out-key'], values['out-cert'], p12]) {
    if (file !== undefined && existsSync(file) && !values.force) throw new UsageError(`${file} exists; pass --force to overwrite it`);
  }
  const password = p12 === undefined ? undefined : await newP12Password(values['p12-password-stdin'] === true);
  const { privateKey, publicKey } =
    values.key === 'rsa2048'
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const der = await issueCardCertificate(values.ca, {
    publicKeySpki: spki,
    commonName: values.name,
    ...(values.personnummer === undefined ? {} : { personnummer: values.personnummer }),
    ...(organisation === undefined ? {} : { organisation }),
    ...(days === undefined ? {} : { days }),
  });
  if (values['out-key']) {
    await writePrivateFile(values['out-key'], privateKey.export({ format: 'pem', type: 'pkcs8' }));
  }
  if (values['out-cert']) await writeFile(values['out-cert'], derToPem(der, 'CERTIFICATE'));
  if (p12 !== undefined) {
    const pki = await loadTestPki(values.ca);
    const issuing = pki.intermediates[ISSUING_CAS.indexOf(issuingCaFor(spki))]!;
    const pfx = writePkcs12({ certificate: der, chain: [issuing], privateKey, password: password!, friendlyName: values.name });
    await writePrivateFile(p12, pfx);
  }
  const serial = new X509Certificate(der).serialNumber.toLowerCase();
  if (values.json) {
    printJson(io, {
      ...(values['out-cert'] ? { certificate: values['out-cert'] } : {}),
      ...(values['out-key'] ? { key: values['out-key'] } : {}),
      ...(p12 === undefined ? {} : { p12 }),
      serial,
      ...(organisation === undefined ? {} : { organisation }),
    });
  } else if (p12 === undefined && organisation === undefined) {
    io.out(`Issued ${values['out-cert']} (serial ${serial}) for ${values.name}; key in ${values['out-key']}.`);
  } else {
    const where = [values['out-cert'] && `certificate in ${values['out-cert']}`, values['out-key'] && `key in ${values['out-key']}`, p12 && `BankID på fil in ${p12}`].filter(Boolean).join('; ');
    io.out(`Issued serial ${serial} for ${values.name}${organisation ? ` (organisation ${organisation.number}, number ${organisation.personId})` : ''}: ${where}.`);
  }
  return 0;
}

/** `ekort pki revoke --ca DIR SERIAL [--json]` */
export async function pkiRevoke({ values, positionals }: Input<'pki revoke'>, io: CliIo): Promise<number> {
  if (!values.ca) throw new UsageError('--ca DIR is required');
  const revoked = await revokeCertificate(values.ca, positionals[0]!);
  if (values.json) printJson(io, revoked);
  else io.out(`Revoked ${revoked.serial}; ${path.join(values.ca, `${revoked.issuer}.crl.pem`)} lists it now.`);
  return 0;
}

/** A .p7s as DER, or PEM ("CMS" / "PKCS7"). */
async function readCms(file: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(file));
  if (bytes[0] === 0x30) return bytes;
  const text = Buffer.from(bytes).toString('latin1');
  const [block] = [...pemBlocks(text, 'CMS'), ...pemBlocks(text, 'PKCS7')];
  // The file was given right; its bytes are what failed: an operation error (exit 1), not usage.
  if (!block) throw new LoginSignatureError('CMS_MALFORMED', `${file} is not a CMS signature: neither DER nor a PEM CMS/PKCS7 block.`);
  return block;
}

/** `ekort pki verify [--at TIME] [--max-age SECONDS] --ca DIR --content FILE FILE.p7s [--json]`: exit 0 with the signer, 1 with the typed code. */
export async function pkiVerify({ values, positionals }: Input<'pki verify'>, io: CliIo): Promise<number> {
  if (!values.ca || !values.content) throw new UsageError('--ca DIR and --content FILE are required');
  const now = values.at === undefined ? undefined : new Date(values.at);
  if (now && Number.isNaN(now.getTime())) throw new UsageError(`--at "${values.at}" is not an ISO 8601 time`);
  const maxAge = values['max-age'] === undefined ? undefined : Number(values['max-age']);
  if (maxAge !== undefined && !(Number.isInteger(maxAge) && maxAge >= 0)) throw new UsageError('--max-age takes whole seconds');
  const pki = await loadTestPki(values.ca);
  const cms = await readCms(positionals[0]!);
  const challenge = new Uint8Array(await readFile(values.content));
  const { signer, signingTime, chain, warnings } = await verifyLoginSignature({
    cms,
    challenge,
    trustAnchors: [pki.root],
    intermediates: pki.intermediates,
    crls: pki.crls,
    ...(now ? { now } : {}),
    ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}),
  });
  if (values.json) {
    printJson(io, {
      valid: true,
      signer: { subject: signer.subject.dn, commonName: signer.subject.commonName, personnummer: signer.subject.personnummer, serialNumber: signer.serialNumber },
      signingTime: signingTime.toISOString(),
      chain: chain.map((c) => c.subject.dn),
      warnings,
    });
  } else {
    io.out(`Signature valid: signed by ${signer.subject.dn} (serial ${signer.serialNumber}) at ${signingTime.toISOString()}.`);
    for (const w of warnings) io.err(`warning: ${w.message}`);
  }
  return 0;
}

/** `ekort pki files [--dir DIR]... [FILE...] [--json]`: BankID på fil files found, and whose they are (no password asked). */
export async function pkiFiles({ values, positionals }: Input<'pki files'>, io: CliIo): Promise<number> {
  const dirs = values.dir && values.dir.length > 0 ? values.dir.map((d) => path.resolve(d)) : defaultBankIdDirs();
  const attempts = new PasswordAttempts(defaultAttemptsFile());
  const found = await listFileCredentials(dirs, { files: positionals, attempts });
  // A file named on the command line that is not in the list could not be read: say which and why.
  const listed = new Set(found.map((f) => f.path));
  const unreadable: Array<{ path: string; code: string; message: string }> = [];
  for (const file of positionals) {
    if (listed.has(path.resolve(file))) continue;
    try {
      await readFileCredential(file); // the same file as another one listed: not an error
    } catch (error) {
      const typed = error instanceof EkortError ? error : new EkortError('FILE_UNREADABLE', (error as Error)?.message ?? String(error));
      unreadable.push({ path: path.resolve(file), code: typed.code, message: typed.message });
    }
  }
  const status = unreadable.length > 0 ? 1 : 0;
  if (values.json) {
    printJson(io, { dirs, files: found, unreadable });
    return status;
  }
  for (const u of unreadable) io.err(`ekort pki files: ${u.path} could not be read (${u.code}): ${u.message}`);
  if (found.length === 0) {
    io.out(`No BankID på fil (*.p12, *.pfx) in ${dirs.join(', ')}${positionals.length > 0 ? ' or the files named' : ''}.`);
    return status;
  }
  for (const f of found) {
    const h = f.holder;
    const who = !h
      ? '(holder shown after the password)'
      : h.organisation
        ? `${h.name}, e-tjänstelegitimation for organisation ${h.organisation.number}${h.organisation.name ? ` (${h.organisation.name})` : ''}, number ${h.organisation.personId}`
        : `${h.name}${h.personnummer ? ` (${h.personnummer})` : ''}`;
    const valid = h ? `, valid until ${h.validUntil.slice(0, 10)}` : '';
    io.out(`${f.path}: ${who}${valid}${f.locked ? ' — LOCKED after 5 wrong passwords: order a new BankID' : ''}`);
  }
  return status;
}
