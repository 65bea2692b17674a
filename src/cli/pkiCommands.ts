import { generateKeyPair, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { verifyLoginSignature } from '../pki/cmsVerifier.ts';
import { derToPem, pemBlocks } from '../pki/pem.ts';
import { initTestPki, issueCardCertificate, revokeCertificate, loadTestPki } from '../pki/testPki.ts';
import { isValidPersonnummer } from '../virtual/cardImage.ts';
import { UsageError, parse, printJson, type CliIo } from './cliContext.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** `ekort pki init --out DIR [--bank NAME] [--force] [--json]` */
export async function pkiInit(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { out: { type: 'string' }, bank: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } });
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

/**
 * `ekort pki issue --ca DIR --name NAME [--personnummer N] --key rsa2048|p256 --out-key KEY.pem
 *  --out-cert CERT.pem [--days N] [--force] [--json]`: a software key and its certificate, for
 * tests with openssl. The key file is mode 0600.
 */
export async function pkiIssue(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ca: { type: 'string' },
    name: { type: 'string' },
    personnummer: { type: 'string' },
    key: { type: 'string' },
    'out-key': { type: 'string' },
    'out-cert': { type: 'string' },
    days: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (!values.ca || !values.name || !values['out-key'] || !values['out-cert']) throw new UsageError('--ca DIR, --name NAME, --out-key KEY.pem and --out-cert CERT.pem are required');
  if (values.key !== 'rsa2048' && values.key !== 'p256') throw new UsageError('--key must be rsa2048 or p256');
  if (values.personnummer !== undefined && !isValidPersonnummer(values.personnummer)) throw new UsageError('--personnummer must be a valid personnummer YYYYMMDDNNNN');
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new UsageError('--days must be a positive whole number');
  for (const file of [values['out-key'], values['out-cert']]) {
    if (existsSync(file) && !values.force) throw new UsageError(`${file} exists; pass --force to overwrite it`);
  }
  const { privateKey, publicKey } =
    values.key === 'rsa2048'
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
      : await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  const der = await issueCardCertificate(values.ca, {
    publicKeySpki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    commonName: values.name,
    ...(values.personnummer === undefined ? {} : { personnummer: values.personnummer }),
    ...(days === undefined ? {} : { days }),
  });
  await writeFile(values['out-key'], privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  await chmod(values['out-key'], 0o600); // --force over an existing file keeps its old mode otherwise
  await writeFile(values['out-cert'], derToPem(der, 'CERTIFICATE'));
  const serial = new X509Certificate(der).serialNumber.toLowerCase();
  if (values.json) printJson(io, { certificate: values['out-cert'], key: values['out-key'], serial });
  else io.out(`Issued ${values['out-cert']} (serial ${serial}) for ${values.name}; key in ${values['out-key']}.`);
  return 0;
}

/** `ekort pki revoke --ca DIR SERIAL [--json]` */
export async function pkiRevoke(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ca: { type: 'string' }, json: { type: 'boolean' } });
  if (!values.ca) throw new UsageError('--ca DIR is required');
  if (positionals.length !== 1) throw new UsageError('give exactly one SERIAL (hex)');
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
  if (!block) throw new UsageError(`${file} is neither DER nor a PEM CMS/PKCS7 block`);
  return block;
}

/** `ekort pki verify [--at TIME] [--max-age SECONDS] --ca DIR --content FILE FILE.p7s [--json]`: exit 0 with the signer, 1 with the typed code. */
export async function pkiVerify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ca: { type: 'string' },
    content: { type: 'string' },
    at: { type: 'string' },
    'max-age': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.ca || !values.content) throw new UsageError('--ca DIR and --content FILE are required');
  const now = values.at === undefined ? undefined : new Date(values.at);
  if (now && Number.isNaN(now.getTime())) throw new UsageError(`--at "${values.at}" is not an ISO 8601 time`);
  const maxAge = values['max-age'] === undefined ? undefined : Number(values['max-age']);
  if (maxAge !== undefined && !(Number.isInteger(maxAge) && maxAge >= 0)) throw new UsageError('--max-age takes whole seconds');
  if (positionals.length !== 1) throw new UsageError('give exactly one FILE.p7s');
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
