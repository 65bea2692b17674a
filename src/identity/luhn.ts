/**
 * The Luhn check (ISO/IEC 7812-1 Annex B), as card numbers, personnummer and organisation
 * numbers use it: from the right, every second digit doubled (digit sum), the total a
 * multiple of ten.
 */

/** The check digit for `digits`, the payload without its check digit. */
export function luhnCheckDigit(digits: string): string {
  return String((10 - (luhnSum(digits, true) % 10)) % 10);
}

/** True when `digits` ends in its right Luhn check digit. Digits only. */
export function isLuhnValid(digits: string): boolean {
  return /^[0-9]+$/.test(digits) && luhnSum(digits, false) % 10 === 0;
}

/** The Luhn sum; `payload`: `digits` lacks its check digit, so doubling starts at the rightmost. */
function luhnSum(digits: string, payload: boolean): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === (payload ? 0 : 1)) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum;
}
