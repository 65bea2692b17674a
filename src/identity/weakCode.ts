/**
 * Codes a customer chooses (app PIN, card PIN, dosa PIN, web bank password) must not be easy
 * to guess (card terms §7b): not a run of digits, not one digit repeated or a short pattern
 * repeated, not part of the personnummer or the birth date, not part of the card or phone
 * number. The reason is a code the UI and the CLI put in words.
 */
export type WeakCodeReason = 'sequence' | 'repeated' | 'pattern' | 'birth_date' | 'personnummer' | 'card_number' | 'phone_number';

export interface KnownNumbers {
  /** YYYYMMDDNNNN or YYMMDD-NNNN. */
  personnummer?: string | undefined;
  /** Card numbers the customer has (payment cards, e-nummer are not known to the customer's PIN choice). */
  cardNumbers?: readonly string[] | undefined;
  phone?: string | undefined;
}

const digitsOf = (s: string | undefined): string => (s ?? '').replace(/\D/g, '');

/** 1234, 6543, 90123 (wrapping 9 → 0 counts: keypads do). */
function isRun(code: string): boolean {
  for (const step of [1, -1]) {
    let run = true;
    for (let i = 1; i < code.length && run; i++) run = (Number(code[i]) - Number(code[i - 1]) + 10) % 10 === (step + 10) % 10;
    if (run) return true;
  }
  return false;
}

/** The size of the block that, repeated, makes the code (2 for 1212, 3 for 123123), if one does. */
function repeatedBlock(code: string): number | undefined {
  for (let size = 1; size <= code.length / 2; size++) {
    if (code.length % size === 0 && code.slice(0, size).repeat(code.length / size) === code) return size;
  }
  return undefined;
}

/** The dates a birth date is written as: YYYYMMDD, YYMMDD, DDMMYY, DDMM, MMDD, YYYY, MMYY and DDMMYYYY. */
function birthDateForms(personnummer: string): string[] {
  const d = digitsOf(personnummer);
  const full = d.length === 12 ? d : d.length === 10 ? `${Number(d.slice(0, 2)) > new Date().getFullYear() % 100 ? '19' : '20'}${d}` : '';
  if (!full) return [];
  const [yyyy, yy, mm, rawDd] = [full.slice(0, 4), full.slice(2, 4), full.slice(4, 6), full.slice(6, 8)];
  const dd = String(Number(rawDd) > 60 ? Number(rawDd) - 60 : Number(rawDd)).padStart(2, '0'); // samordningsnummer
  return [`${yyyy}${mm}${dd}`, `${yy}${mm}${dd}`, `${dd}${mm}${yy}`, `${dd}${mm}${yyyy}`, `${dd}${mm}`, `${mm}${dd}`, yyyy, `${mm}${yy}`];
}

/** What each reason means, in English (the CLI, the service's message); the app has its own Swedish. */
export const WEAK_CODE_TEXT: Record<WeakCodeReason, string> = {
  sequence: 'it is a run of digits, such as 1234 or 9876',
  repeated: 'it is one digit repeated',
  pattern: 'it is a short pattern repeated, such as 1212',
  birth_date: 'it contains your birth date',
  personnummer: 'it is part of your personnummer',
  card_number: 'it is part of your card number',
  phone_number: 'it is part of your phone number',
};

/** Why `code` (digits) is too easy to guess for this customer, or undefined when it is not. */
export function weakCodeReason(code: string, known: KnownNumbers = {}): WeakCodeReason | undefined {
  if (!/^\d+$/.test(code)) return undefined;
  if (/^(\d)\1+$/.test(code)) return 'repeated';
  if (isRun(code)) return 'sequence';
  const block = repeatedBlock(code);
  if (block !== undefined && block <= 3) return 'pattern';
  if (known.personnummer) {
    const forms = birthDateForms(known.personnummer);
    if (forms.some((f) => f.length >= 4 && (f.includes(code) || (code.length > f.length && code.includes(f))))) return 'birth_date';
    if (digitsOf(known.personnummer).includes(code)) return 'personnummer';
  }
  for (const card of known.cardNumbers ?? []) if (digitsOf(card).includes(code)) return 'card_number';
  const phone = digitsOf(known.phone);
  if (phone && (phone.includes(code) || digitsOf(`0${phone.replace(/^46/, '')}`).includes(code))) return 'phone_number';
  return undefined;
}
