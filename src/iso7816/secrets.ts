/**
 * Which command APDUs carry secrets: VERIFY (ISO/IEC 7816-4 §11.5.6, INS 20/21), CHANGE
 * REFERENCE DATA (§11.5.7, INS 24/25) and RESET RETRY COUNTER (§11.5.10, INS 2C/2D) carry
 * PINs and PUKs in their data field; a YubiKey's PIV SET MANAGEMENT KEY (FF) and IMPORT
 * ASYMMETRIC KEY (FE) carry keys, its OATH PUT (01) and SET CODE (03) an account's secret and
 * the password's key. Traces and recordings hide that field; whatever the CLA.
 */
const SECRET_INS = new Set([0x20, 0x21, 0x24, 0x25, 0x2c, 0x2d, 0xfe, 0xff, 0x01, 0x03]);

export function carriesSecret(apdu: Uint8Array): boolean {
  return apdu.length > 5 && SECRET_INS.has(apdu[1]!);
}

/**
 * The bytes to hide: everything after the 4-byte header, so neither the PIN nor its length
 * (Lc) shows. Le is hidden too; it carries nothing useful for these commands.
 */
export function secretRange(apdu: Uint8Array): { start: number; end: number } | undefined {
  return carriesSecret(apdu) ? { start: 4, end: apdu.length } : undefined;
}
