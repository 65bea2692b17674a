/**
 * The PIV Card Application Administration Key (key reference 9B, SP 800-73-4 Part 2 §3.2.4
 * and Appendix A.1): a symmetric key the host proves it holds before the card lets it generate
 * keys or write data objects. Both ways of SP 800-73-4 are answered, as a YubiKey does:
 * - challenge-response: 7C{81 00} asks for a challenge, 7C{82 E(challenge)} answers it;
 * - mutual: 7C{80 00} asks for a witness, E(witness) comes back; 7C{80 witness, 81 challenge}
 *   returns it decrypted with a challenge of the host's, which the card answers 7C{82 E(challenge)}.
 * A witness or challenge serves one answer; a wrong one ends the authentication (6982).
 */
import { createCipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeTlv, fromHex, tlv, type Tlv } from '../iso7816/index.ts';

export type ManagementKeyAlgorithm = 'tdes' | 'aes128' | 'aes192' | 'aes256';

export interface ManagementKey {
  algorithm: ManagementKeyAlgorithm;
  /** Hex. */
  key: string;
}

/** SP 800-78-4 Table 6-2 identifiers, OpenSSL's ECB cipher, key and block length. */
export const MANAGEMENT_ALGORITHMS: Record<ManagementKeyAlgorithm, { id: number; cipher: string; keyLength: number; block: number }> = {
  tdes: { id: 0x03, cipher: 'des-ede3-ecb', keyLength: 24, block: 8 },
  aes128: { id: 0x08, cipher: 'aes-128-ecb', keyLength: 16, block: 16 },
  aes192: { id: 0x0a, cipher: 'aes-192-ecb', keyLength: 24, block: 16 },
  aes256: { id: 0x0c, cipher: 'aes-256-ecb', keyLength: 32, block: 16 },
};

/** The management key every PIV card and YubiKey leaves the factory with (3DES 01..08 x3). */
export const DEFAULT_MANAGEMENT_KEY: ManagementKey = { algorithm: 'tdes', key: '010203040506070801020304050607080102030405060708' };

export function managementAlgorithmById(id: number): ManagementKeyAlgorithm | undefined {
  return (Object.keys(MANAGEMENT_ALGORITHMS) as ManagementKeyAlgorithm[]).find((a) => MANAGEMENT_ALGORITHMS[a].id === id);
}

export function isDefaultManagementKey(key: ManagementKey): boolean {
  return key.algorithm === DEFAULT_MANAGEMENT_KEY.algorithm && key.key.toLowerCase() === DEFAULT_MANAGEMENT_KEY.key;
}

const SW_OK = 0x9000;
const SW_SECURITY_STATUS = 0x6982;
const SW_WRONG_DATA = 0x6a80;

export interface AuthReply {
  data?: Uint8Array;
  sw: number;
}

export class ManagementKeyAuth {
  /** The host proved it holds the key since the last SELECT or reset. */
  authenticated = false;
  private pending: { kind: 'witness' | 'challenge'; value: Uint8Array } | undefined;

  constructor(private key: () => ManagementKey) {}

  /** Forgets the authentication and any pending witness or challenge (reset, SELECT). */
  clear(): void {
    this.authenticated = false;
    this.pending = undefined;
  }

  /** Any other command between the two steps ends the exchange. */
  interrupt(): void {
    this.pending = undefined;
  }

  /** GENERAL AUTHENTICATE with key reference 9B: P1 the algorithm, data the 7C template. */
  authenticate(algorithmId: number, data: Uint8Array): AuthReply {
    const pending = this.pending;
    this.pending = undefined;
    const key = this.key();
    const spec = MANAGEMENT_ALGORITHMS[key.algorithm];
    if (algorithmId !== spec.id) return { sw: SW_WRONG_DATA };
    const fields = authenticationTemplate(data);
    if (!fields) return { sw: SW_WRONG_DATA };
    const { witness, challenge, response } = fields;
    const encrypt = (block: Uint8Array) => {
      const cipher = createCipheriv(spec.cipher, fromHex(key.key), null).setAutoPadding(false);
      return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
    };
    const fail = (): AuthReply => {
      this.authenticated = false;
      return { sw: SW_SECURITY_STATUS };
    };
    // Asked for a witness (mutual) or a challenge (challenge-response).
    if (witness?.length === 0 && !challenge && !response) {
      const value = new Uint8Array(randomBytes(spec.block));
      this.pending = { kind: 'witness', value };
      return { data: tlv(0x7c, tlv(0x80, encrypt(value))), sw: SW_OK };
    }
    if (challenge?.length === 0 && !witness && !response) {
      const value = new Uint8Array(randomBytes(spec.block));
      this.pending = { kind: 'challenge', value };
      return { data: tlv(0x7c, tlv(0x81, value)), sw: SW_OK };
    }
    // The decrypted witness, with the host's challenge for the card or alone.
    if (witness?.length && !response && (!challenge || challenge.length === spec.block)) {
      if (pending?.kind !== 'witness' || !sameBlock(witness, pending.value)) return fail();
      this.authenticated = true;
      return challenge ? { data: tlv(0x7c, tlv(0x82, encrypt(challenge))), sw: SW_OK } : { sw: SW_OK };
    }
    // The encrypted challenge.
    if (response?.length && !witness && !challenge) {
      if (pending?.kind !== 'challenge' || !sameBlock(response, encrypt(pending.value))) return fail();
      this.authenticated = true;
      return { sw: SW_OK };
    }
    // The card proves it holds the key (it authenticates nobody).
    if (challenge?.length === spec.block && response?.length === 0 && !witness) {
      return { data: tlv(0x7c, tlv(0x82, encrypt(challenge))), sw: SW_OK };
    }
    return fail();
  }
}

function sameBlock(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The dynamic authentication template of GENERAL AUTHENTICATE (SP 800-73-4 Part 2 §3.2.4):
 * 7C { 80 witness?, 81 challenge?, 82 response? }, each at most once and nothing else;
 * undefined for anything malformed.
 */
export function authenticationTemplate(data: Uint8Array): { witness?: Uint8Array; challenge?: Uint8Array; response?: Uint8Array } | undefined {
  let tlvs: Tlv[];
  try {
    tlvs = decodeTlv(data, { allowPadding: false });
  } catch {
    return undefined;
  }
  const [template] = tlvs;
  if (tlvs.length !== 1 || template?.tag !== 0x7c || !template.children) return undefined;
  const out: { witness?: Uint8Array; challenge?: Uint8Array; response?: Uint8Array } = {};
  const names: Record<number, 'witness' | 'challenge' | 'response'> = { 0x80: 'witness', 0x81: 'challenge', 0x82: 'response' };
  for (const child of template.children) {
    const name = names[child.tag];
    if (!name || out[name]) return undefined;
    out[name] = child.value;
  }
  return out;
}
