/**
 * One merchant, however the card network writes its name (seed 000: an e-nummer works only at
 * the merchant the holder approved). Networks send descriptors such as "WEBBUTIKEN AB
 * STOCKHOLM", "WWW.WEBBUTIKEN.SE" or "WEBBUTIKEN*ORDER 1234" for what the holder typed as
 * "Webbutiken"; both sides are reduced to the same key before they are compared.
 */

/** Company forms that follow (or precede) a name: Swedish, Nordic, English, German, Dutch, French. */
const LEGAL_FORMS = new Set([
  'ab', 'hb', 'kb', 'ek', 'för', 'publ', 'aps', 'as', 'asa', 'oy', 'oyj', 'ltd', 'limited', 'plc', 'llc', 'inc', 'corp', 'co',
  'gmbh', 'ag', 'bv', 'nv', 'sa', 'sarl', 'srl', 'spa',
]);

/** Places networks append to a descriptor: Sweden's larger towns, and the country itself. */
const PLACES = new Set([
  'stockholm', 'göteborg', 'goteborg', 'gothenburg', 'malmö', 'malmo', 'uppsala', 'västerås', 'vasteras', 'örebro', 'orebro',
  'linköping', 'linkoping', 'helsingborg', 'jönköping', 'jonkoping', 'norrköping', 'norrkoping', 'lund', 'umeå', 'umea', 'gävle',
  'gavle', 'borås', 'boras', 'södertälje', 'sodertalje', 'eskilstuna', 'halmstad', 'växjö', 'vaxjo', 'karlstad', 'sundsvall',
  'luleå', 'lulea', 'östersund', 'ostersund', 'solna', 'sundbyberg', 'kista', 'nacka', 'täby', 'taby', 'sverige', 'sweden', 'se',
]);

/** A web address's top-level domains that networks leave in descriptors. */
const DOMAIN = /\.(?:se|com|nu|net|org|eu|io|dk|no|fi|de|co\.uk|shop|store)(?:\/\S*)?$/u;

/** merchantKey's answers by name: every authorization asks it for its e-nummer's stored merchant and the descriptor. */
const keys = new Map<string, string>();
const KEY_CACHE_SIZE = 4096;

/**
 * The name reduced to what identifies the merchant: lower case; an order reference after "*"
 * or "#" dropped; "https://", "www." and the domain ending dropped; legal forms and places at
 * the ends dropped; what is left, letters and digits only, without diacritics. An empty result
 * keeps the whole name (a merchant called "AB" is still "ab").
 */
export function merchantKey(name: string): string {
  let key = keys.get(name);
  if (key === undefined) {
    key = computeKey(name);
    // Bounded: the network's descriptors are many, the stored merchants an authorization meets few.
    if (keys.size >= KEY_CACHE_SIZE) keys.clear();
    keys.set(name, key);
  }
  return key;
}

function computeKey(name: string): string {
  const lower = name.normalize('NFC').toLocaleLowerCase('sv-SE').trim();
  const withoutOrder = lower.replace(/\s*[*#].*$/u, '');
  const withoutWeb = withoutOrder.replace(/^https?:\/\//u, '').replace(/^www\./u, '').replace(DOMAIN, '');
  const words = withoutWeb.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  while (words.length > 1 && (LEGAL_FORMS.has(words[words.length - 1]!) || PLACES.has(words[words.length - 1]!))) words.pop();
  while (words.length > 1 && LEGAL_FORMS.has(words[0]!)) words.shift();
  const key = words.join('') || lower.replace(/[^\p{L}\p{N}]+/gu, '');
  // Descriptors are often ASCII only ("CAFE AKERLUND" for "Café Åkerlund"): compare without diacritics.
  return key.normalize('NFD').replace(/\p{M}+/gu, '');
}

/** Whether a network's descriptor names the merchant the holder approved. */
export function sameMerchant(approved: string, descriptor: string): boolean {
  return merchantKey(approved) === merchantKey(descriptor);
}

/**
 * same: the descriptor names the approved merchant. unclear: no name was approved, or one
 * name contains the other ("Webbutiken" in "MIN WEBBUTIKEN"): the first merchant that uses the
 * e-nummer then owns it. different: another merchant.
 */
export function merchantMatch(approved: string, descriptor: string): 'same' | 'unclear' | 'different' {
  if (approved.trim() === '') return 'unclear';
  const a = merchantKey(approved);
  const d = merchantKey(descriptor);
  if (a === d) return 'same';
  const [shorter, longer] = a.length <= d.length ? [a, d] : [d, a];
  return shorter.length >= 4 && longer.includes(shorter) ? 'unclear' : 'different';
}
