/**
 * The e-kort terms a holder reads and accepts before a card is connected, and their changes
 * (card terms §21): the bank announces a new version at least two months before it takes
 * effect; the holder is told (a message), may accept it at once or end e-kort before that
 * day, and is bound by it from that day otherwise. A card stays connected across a change.
 * The first version is built in (wording after the bank's own description of e-kort and its
 * card terms); later ones are in the store (terms_versions).
 */
import type { Terms } from './api/schemas.ts';
import { addMonths, iso, stockholmDayInWords } from './calendar.ts';
import type { BankContext } from './context.ts';
import { bankError } from './errors.ts';
import { sendMessage } from './notifications.ts';

export const TERMS: Terms = {
  version: '2026-11',
  title: 'Villkor för e-kort',
  text: [
    'När du betalar med e-kort på internet visar du aldrig ditt vanliga kortnummer. För varje köp skapar du ett unikt kortnummer, ett e-nummer. Det är endast bankens säkerhetssystem som kan koppla ihop ditt e-nummer med ditt ordinarie kort.',
    'Ett e-nummer fungerar endast hos det försäljningsställe det skapades för. Det gäller i en månad, eller för flergångsköp (till exempel en prenumeration) mellan 1 och 24 månader som du själv väljer. När giltighetstiden har gått ut försvinner kopplingen till ditt ordinarie kort.',
    'Köp med e-nummer dras från det kort e-numret är kopplat till och omfattas av villkoren för det kortet: bankens belopps­gränser per köp och per period gäller, och när kortet spärras slutar också alla dess e-nummer att fungera.',
    'Du loggar in till e-kort med bankens säkra metoder för identifiering: BankID på kort, BankID på fil, säkerhetsdosa eller Mobilt BankID. Lämna aldrig ut din PIN-kod eller dina koder till någon.',
    'Spärra kortet genast om du misstänker att någon obehörig känner till ett e-nummer eller dina inloggningsuppgifter. Vid obehöriga köp är din självrisk högst 400 kronor (12 000 kronor vid grov oaktsamhet); reklamera inom 13 månader.',
  ].join('\n\n'),
};

/** §21: a change takes effect at the earliest this many months after it was announced. */
export const TERMS_NOTICE_MONTHS = 2;

interface TermsRow {
  version: string;
  title: string;
  text: string;
  announced_at: number;
  effective_at: number;
}

/** The terms in effect at `now`, with the change announced after them, if any. */
export async function termsAt(ctx: BankContext, now: number = ctx.config.now()): Promise<Terms> {
  const rows = await ctx.db.query<TermsRow>('SELECT version, title, text, announced_at, effective_at FROM terms_versions ORDER BY effective_at');
  const inEffect = rows.filter((r) => Number(r.effective_at) <= now).at(-1);
  const next = rows.find((r) => Number(r.effective_at) > now);
  return {
    ...(inEffect ? { version: inEffect.version, title: inEffect.title, text: inEffect.text, effectiveFrom: iso(Number(inEffect.effective_at)) } : { ...TERMS, effectiveFrom: null }),
    upcoming: next ? { version: next.version, title: next.title, text: next.text, announcedAt: iso(Number(next.announced_at)), effectiveFrom: iso(Number(next.effective_at)) } : null,
  };
}

/**
 * The bank announces new terms: refused unless they take effect at least two months from now,
 * and while another change is still pending. Every holder with a connected card is told.
 */
export async function announceTerms(ctx: BankContext, input: { version: string; title: string; text: string; effectiveAt: number }): Promise<{ told: number }> {
  const now = ctx.config.now();
  const version = input.version.trim();
  if (!/^[0-9A-Za-z._-]{1,40}$/.test(version)) throw bankError('INVALID_INPUT', 'A terms version is 1 to 40 letters, digits, dots, dashes or underscores.');
  if (input.text.trim() === '' || input.title.trim() === '') throw bankError('INVALID_INPUT', 'New terms need a title and a text.');
  const earliest = addMonths(now, TERMS_NOTICE_MONTHS);
  if (input.effectiveAt < earliest) {
    throw bankError('INVALID_INPUT', `Card terms §21: a change takes effect at the earliest two months after the holders are told (${iso(earliest)} or later).`);
  }
  return ctx.db.transaction(async (tx) => {
    const known = await tx.query<{ version: string; effective_at: number }>('SELECT version, effective_at FROM terms_versions');
    if (version === TERMS.version || known.some((k) => k.version === version)) throw bankError('STATE_CONFLICT', `Terms version ${version} exists already.`);
    if (known.some((k) => Number(k.effective_at) > now)) throw bankError('STATE_CONFLICT', 'A change of the terms is already announced and not yet in effect.');
    await tx.run('INSERT INTO terms_versions (version, title, text, announced_at, effective_at) VALUES (?, ?, ?, ?, ?)', [version, input.title.trim(), input.text.trim(), now, input.effectiveAt]);
    const holders = await tx.query<{ customer_id: string }>('SELECT DISTINCT customer_id FROM payment_cards WHERE terms_version IS NOT NULL ORDER BY customer_id');
    const day = stockholmDayInWords(input.effectiveAt);
    for (const h of holders) {
      await sendMessage(
        tx,
        {
          customerId: h.customer_id,
          kind: 'terms_change',
          refId: version,
          title: { sv: `Villkoren för e-kort ändras den ${day}`, en: `The e-kort terms change on ${day}` },
          text: {
            sv: `Vi ändrar villkoren för e-kort från och med den ${day}. Läs de nya villkoren i e-kort. Du kan godkänna dem redan nu, eller säga upp e-kort utan kostnad före den dagen. Om du inte säger upp e-kort gäller de nya villkoren från den dagen (kortvillkor punkt 21).`,
            en: `We are changing the e-kort terms from ${day}. Read the new terms in e-kort. You may accept them now, or end e-kort free of charge before that day. Unless you end e-kort, the new terms apply from that day (card terms §21).`,
          },
        },
        now,
      );
    }
    return { told: holders.length };
  });
}

/** The holder accepts the announced change now: every connected card is under it from this moment. */
export async function acceptUpcomingTerms(ctx: BankContext, customerId: string, version: string): Promise<void> {
  const terms = await termsAt(ctx);
  if (terms.upcoming?.version !== version) throw bankError('TERMS_OUTDATED', terms.upcoming ? `The announced terms are version ${terms.upcoming.version}.` : 'No change of the terms is announced now.');
  await ctx.db.run('UPDATE payment_cards SET terms_version = ?, terms_accepted_at = ? WHERE customer_id = ? AND terms_version IS NOT NULL', [version, ctx.config.now(), customerId]);
}

/**
 * The holder ends e-kort (the agreement, §21: free of charge before a change takes effect):
 * every card is disconnected and every e-nummer still open or paused closes now.
 */
export async function endAgreement(ctx: BankContext, customerId: string): Promise<{ cards: number; enummers: number }> {
  const now = ctx.config.now();
  return ctx.db.transaction(async (tx) => {
    const cards = await tx.run('UPDATE payment_cards SET terms_version = NULL, terms_accepted_at = NULL WHERE customer_id = ? AND terms_version IS NOT NULL', [customerId]);
    const enummers = await tx.run("UPDATE enummers SET state = 'closed', close_reason = 'agreement_ended', closed_at = ? WHERE customer_id = ? AND state <> 'closed'", [now, customerId]);
    return { cards, enummers };
  });
}
