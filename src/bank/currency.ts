/**
 * Purchases in another currency (card terms §17 "Växelkurser och valutaväxlingspåslag" and the
 * price list, seed 004): "Transaktioner i utländsk valuta växlas till svenska kronor ...
 * Växelkursen ... utgörs av en referensväxelkurs ... samt ett valutaväxlingspåslag enligt
 * prisbilaga", and the price list (Prisbilaga 2023-01-01): "Valutaväxlingspåslag vid köp och
 * uttag utomlands 1,65 %".
 *
 * The service is given its reference rates in a rates file (`ekort serve --rates FILE`); it
 * never fetches rates from the network. The format, validated strictly (RatesFile below):
 *
 *   {"date": "2026-11-20", "base": "SEK", "rates": {"EUR": 11.2345, "JPY": 0.071234}}
 *
 * - `date`: the rates' day (YYYY-MM-DD), kept with each converted purchase;
 * - `base`: optional, and if given "SEK": every rate is SEK for ONE unit (not minor unit) of
 *   the currency;
 * - `rates`: currency code → a positive decimal number with at most 8 decimals (no exponent
 *   notation); only currencies of CURRENCY_EXPONENTS; SEK itself is not listed.
 * - `ecb`: optional, the European Central Bank's euro reference rates of the same day as SEK
 *   per unit (cross rates), in the same form. EU regulation 2019/518 has the §17 message give
 *   the total conversion charge as a markup over these: with them, the message states the
 *   markup over the ECB rate (rate × 1.0165 against the ECB rate), not just the 1.65 %.
 *
 * Banking days: rates are set on banking days (Monday to Friday but Swedish bank holidays); a
 * file older than the last banking day before today is stale (`staleOn`), which `ekort serve`
 * and the health answer warn about.
 *
 * Arithmetic is exact (BigInt on scaled integers), rounding HALF UP to whole öre, twice:
 *   converted = round(amountMinor / 10^exponent × rate)            (SEK at the reference rate)
 *   fee       = round(converted × 1.65 / 100)                      (the markup, on the rounded amount)
 *   amount    = converted + fee                                    (what is booked; the limits see it)
 * so a holder can check the fee from the two amounts shown. Half up (not bankers' rounding):
 * the amounts are never negative, so half up is half away from zero, the rounding people
 * expect on a receipt.
 */
import { readFile } from 'node:fs/promises';
import * as z from '../zod.ts';
import { EkortError } from '../errors.ts';
import { lastBankingDayBefore, stockholmDate } from './calendar.ts';

/** Prisbilaga 2023-01-01: "Valutaväxlingspåslag vid köp och uttag utomlands 1,65 %", in basis points. */
export const MARKUP_BASIS_POINTS = 165;
/** The markup as the holder reads it. */
export const MARKUP_PERCENT = '1.65';

/**
 * ISO 4217 minor-unit exponents of the currencies the service converts (amounts arrive in
 * the currency's minor units: JPY 0 decimals, SEK 2, KWD 3).
 */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = {
  SEK: 2,
  EUR: 2,
  DKK: 2,
  NOK: 2,
  ISK: 0,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  RON: 2,
  BGN: 2,
  CHF: 2,
  GBP: 2,
  USD: 2,
  CAD: 2,
  AUD: 2,
  JPY: 0,
  KWD: 3,
  BHD: 3,
};

/**
 * The currencies of the EEA (EES-valutor, §17): the euro and the national currencies of the
 * EU member states outside the euro area (BGN, CZK, DKK, HUF, PLN, RON, SEK), and of the EEA
 * EFTA states: Iceland (ISK), Norway (NOK) and Liechtenstein (CHF, its legal tender). For
 * purchases in these the holder gets the conversion-cost message of §17 (EU regulation
 * 2019/518).
 */
export const EEA_CURRENCIES: ReadonlySet<string> = new Set(['EUR', 'BGN', 'CZK', 'DKK', 'HUF', 'PLN', 'RON', 'SEK', 'ISK', 'NOK', 'CHF']);

export const isEeaCurrency = (currency: string): boolean => EEA_CURRENCIES.has(currency);
export const currencyExponent = (currency: string): number | undefined => CURRENCY_EXPONENTS[currency];

/** Rates are kept as integers of 10^-8 SEK per unit. */
const RATE_DECIMALS = 8;
const RATE_SCALE = 10n ** BigInt(RATE_DECIMALS);

export class RatesError extends EkortError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RATES_INVALID', message, options);
  }
}

const rateNumber = z
  .number()
  .check(
    z.positive('a rate is more than 0'),
    z.maximum(1_000_000, 'a rate is at most 1 000 000 SEK per unit'),
    z.refine((n) => rateText(n) !== undefined, `a rate has at most ${RATE_DECIMALS} decimals`),
  );

const currencyRates = z.record(z.string(), rateNumber).check(
  z.superRefine((rates, ctx) => {
    for (const code of Object.keys(rates)) {
      if (code === 'SEK') ctx.addIssue({ code: 'custom', message: 'SEK is the base: do not list it', path: [code] });
      else if (currencyExponent(code) === undefined) {
        ctx.addIssue({ code: 'custom', message: `${code} is not a supported currency (${Object.keys(CURRENCY_EXPONENTS).join(', ')})`, path: [code] });
      }
    }
  }),
);

export const RatesFile = z.strictObject({
  date: z
    .string()
    .check(
      z.regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'),
      z.refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'a real date'),
    ),
  base: z.optional(z.literal('SEK')),
  rates: currencyRates,
  ecb: z.optional(currencyRates),
});
export type RatesFile = z.infer<typeof RatesFile>;

/** A rate as a plain decimal (no exponent), or undefined when it has too many decimals. */
function rateText(n: number): string | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  // JSON numbers read back as their shortest round-trip text: the digits that were written.
  let text = String(n);
  if (/e/i.test(text)) {
    const fixed = n.toFixed(RATE_DECIMALS);
    if (Number(fixed) !== n) return undefined;
    text = fixed.replace(/\.?0+$/, '');
  }
  const decimals = text.split('.')[1]?.length ?? 0;
  return decimals <= RATE_DECIMALS ? text : undefined;
}

/** The reference rates the service converts with: validated, exact. */
export class Rates {
  readonly date: string;
  private readonly scaled: Map<string, bigint>;
  private readonly texts: Map<string, string>;
  private readonly ecbTexts: Map<string, string>;

  private constructor(file: RatesFile) {
    this.date = file.date;
    this.scaled = new Map();
    this.texts = new Map();
    this.ecbTexts = new Map(Object.entries(file.ecb ?? {}).map(([code, n]) => [code, rateText(n)!]));
    for (const [code, n] of Object.entries(file.rates)) {
      const text = rateText(n)!;
      this.scaled.set(code, scaledRate(text));
      this.texts.set(code, text);
    }
  }

  /** True when these rates are older than the last banking day before `now`'s Stockholm date. */
  staleOn(now: number): boolean {
    return this.date < lastBankingDayBefore(stockholmDate(now));
  }

  /** From the parsed JSON of a rates file; RATES_INVALID with the first problems otherwise. */
  static from(json: unknown, where = 'the rates'): Rates {
    const parsed = RatesFile.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
      throw new RatesError(`${where} are not a valid rates file {date, base?: "SEK", rates: {EUR: 11.2345, ...}}: ${issues.join('; ')}`);
    }
    return new Rates(parsed.data);
  }

  /** Reads and validates a rates file. */
  static async load(file: string): Promise<Rates> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new RatesError(`The rates file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new RatesError(`The rates file ${file} is not JSON (${(error as Error).message}).`, { cause: error });
    }
    return Rates.from(json, `The rates in ${file}`);
  }

  currencies(): string[] {
    return [...this.scaled.keys()].sort();
  }

  /** The rate as given in the file (decimal text), or undefined. */
  rateText(currency: string): string | undefined {
    return this.texts.get(currency);
  }

  /** The purchase in SEK, or undefined when the currency is not supported or has no rate. */
  convert(amountMinor: number, currency: string): Conversion | undefined {
    const exponent = currencyExponent(currency);
    const scaled = this.scaled.get(currency);
    if (exponent === undefined || scaled === undefined) return undefined;
    const ecb = this.ecbTexts.get(currency);
    return { ...conversion(amountMinor, currency, exponent, scaled, this.texts.get(currency)!, this.date), ...(ecb ? { ecbRate: ecb, markupOverEcb: markupOver(scaled, scaledRate(ecb)) } : {}) };
  }
}

const scaledRate = (text: string): bigint => {
  const [whole, frac = ''] = text.split('.');
  return BigInt(whole!) * RATE_SCALE + BigInt(frac.padEnd(RATE_DECIMALS, '0'));
};

/** (rate × (1 + markup) / ecb − 1) in percent, two decimals, half up (negative when below the ECB rate). */
export function markupOver(rate: bigint, ecb: bigint): string {
  // In hundredths of a percent: rate × 1.0165 / ecb × 10 000 − 10 000.
  const hundredths = divHalfUp(rate * BigInt(10_000 + MARKUP_BASIS_POINTS), ecb) - 10_000n;
  const sign = hundredths < 0n ? '-' : '';
  const abs = hundredths < 0n ? -hundredths : hundredths;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}



export interface Conversion {
  /** In the currency's minor units, as the network sent it. */
  originalAmount: number;
  currency: string;
  /** SEK per unit of the currency (decimal text as in the rates file). */
  rate: string;
  rateDate: string;
  /** At the reference rate, öre. */
  converted: number;
  /** The 1.65 % markup, öre. */
  fee: number;
  /** converted + fee, öre: what is booked and what the limits are checked with. */
  amount: number;
  /** The ECB's reference rate of the day (decimal text), when the rates file has it. */
  ecbRate?: string;
  /** The total charge as a markup over the ECB rate, percent with two decimals ("2.10"). */
  markupOverEcb?: string;
}

/** n / d rounded half up (n, d ≥ 0). */
export function divHalfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d);
}

function conversion(amountMinor: number, currency: string, exponent: number, scaledRate: bigint, rate: string, rateDate: string): Conversion {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0) throw new RangeError('an amount in minor units is a whole number ≥ 0');
  // öre = amountMinor / 10^exponent × rate × 100 = amountMinor × scaledRate × 100 / (10^exponent × 10^8)
  const converted = divHalfUp(BigInt(amountMinor) * scaledRate * 100n, 10n ** BigInt(exponent) * RATE_SCALE);
  const fee = divHalfUp(converted * BigInt(MARKUP_BASIS_POINTS), 10_000n);
  return { originalAmount: amountMinor, currency, rate, rateDate, converted: Number(converted), fee: Number(fee), amount: Number(converted + fee) };
}

/** "12,50" in EUR → 1250; "1500" in JPY → 1500. At most `exponent` decimals; a MINOR_AMOUNT error otherwise. */
export function parseMinorUnits(text: string, currency: string): number {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new EkortError('CURRENCY_NOT_SUPPORTED', `${currency} is not a currency the service converts (${Object.keys(CURRENCY_EXPONENTS).join(', ')}).`);
  const m = /^(\d{1,13})(?:[.,](\d+))?$/.exec(text.trim().replace(/[ \u00a0\u202f]/g, ''));
  if (!m) throw new EkortError('INVALID_AMOUNT', `"${text}" is not an amount (e.g. 12,50)`);
  const frac = m[2] ?? '';
  if (frac.length > exponent) throw new EkortError('INVALID_AMOUNT', `"${text}" has more than ${exponent} decimals, which ${currency} has`);
  return Number(`${m[1]}${frac.padEnd(exponent, '0')}`);
}

/** 1250 EUR → "12,50 EUR"; 1500 JPY → "1 500 JPY" (U+00A0 spaces as formatKronor). */
export function formatMinorUnits(amount: number, currency: string): string {
  const exponent = currencyExponent(currency) ?? 2;
  const text = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const whole = text.slice(0, text.length - exponent).replace(/\B(?=(\d{3})+$)/g, '\u00a0');
  const frac = exponent > 0 ? `,${text.slice(text.length - exponent)}` : '';
  return `${amount < 0 ? '-' : ''}${whole}${frac}\u00a0${currency}`;
}
