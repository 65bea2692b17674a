/** PEM (RFC 7468) to DER and back. */
import { EkortError } from '../errors.ts';

export class PemError extends EkortError {
  constructor(message: string) {
    super('PEM_MALFORMED', message);
  }
}

/** Every block with `label` ("CERTIFICATE", "X509 CRL", "PRIVATE KEY"...), in order. */
export function pemBlocks(text: string, label: string): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(re)) {
    const body = m[1]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw new PemError(`the ${label} block is not base64`);
    out.push(new Uint8Array(Buffer.from(body, 'base64')));
  }
  return out;
}

/** The one block with `label`; a PemError when there is none. */
export function pemToDer(text: string, label: string): Uint8Array {
  const [first] = pemBlocks(text, label);
  if (!first) throw new PemError(`no "${label}" PEM block found`);
  return first;
}

export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}
