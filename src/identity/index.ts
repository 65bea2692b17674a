/** Who someone is, as numbers: personnummer, organisation numbers, and the Luhn check they share. */
export { isLuhnValid, luhnCheckDigit } from './luhn.ts';
export { isValidPersonnummer } from './personnummer.ts';
export { organisationsnummer } from './organisationsnummer.ts';
export { type KnownNumbers, WEAK_CODE_TEXT, type WeakCodeReason, weakCodeReason } from './weakCode.ts';
