/**
 * `ekort bank seed-demo`: everything a new user needs to try e-kort end to end, in one go and
 * directly against the store (no HTTP): a test PKI, the demo customer Anna Andersson with two
 * payment cards (one connected to e-kort, one not, so the app shows "Anslut kort"), her
 * virtual BankID card, a virtual säkerhetsdosa enrolled at the bank, and a network key for
 * the card network's authorization endpoint.
 *
 * Running it again is safe: the PKI, the customer, her cards, the card image and the dosa
 * are reused where they exist. Only the network key is new each time (the bank keeps just its
 * hash, so an old one cannot be shown again).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isEkortError } from '../errors.ts';
import { ensurePrivateDir } from '../files/index.ts';
import type { TestPkiMaterial } from '../pki/index.ts';
import { type CardImage, createCardImage, createDosa, type DosaFile, loadCardImage, loadDosa, saveCardImage, saveDosa, VirtualDosa } from '../virtual/index.ts';
import { addPaymentCard, type BankContext, bankError, connectCard, createCustomer, createNetworkKey, drawPan, EkortService, enrolDosa, listPaymentCards, termsAt } from '../bank/index.ts';

export const DEMO_CUSTOMER = { name: 'Anna Andersson', personnummer: '199001012385' } as const;
/** The first is connected to e-kort by the seed, the second is left for "Anslut kort". */
export const DEMO_CARDS = [
  { product: 'Bankkort Visa', prefix: '455699', connect: true },
  { product: 'Bankkort Mastercard', prefix: '545699', connect: false },
] as const;
export const DEMO_DOSA_PIN = '1234';
export const DEMO_NETWORK_KEY_NAME = 'demo';

export type SeedDemoOptions = { outDir: string } & ({ db: string; service?: undefined } | { service: EkortService; db?: string });

/** created: new this run; reused: found and kept; replaced: found but unusable here, so made again. */
export type SeedStatus = 'created' | 'reused' | 'replaced';

export interface DemoSeed {
  /** The `--db` target, when one was given. */
  db: string | undefined;
  outDir: string;
  pki: { dir: string; status: 'created' | 'reused' };
  customer: { id: string; name: string; personnummer: string; status: 'created' | 'reused' };
  cards: Array<{ id: string; product: string; last4: string; connected: boolean }>;
  card: { file: string; pin: string; puk: string; keyType: string; status: SeedStatus };
  dosa: { file: string; serial: string; pin: string; status: SeedStatus; enrolment: 'enrolled' | 'already-enrolled' };
  networkKey: { name: string; key: string };
}

/** The customer with this personnummer, if there is one. */
export async function findCustomerId(ctx: BankContext, personnummer: string): Promise<string | undefined> {
  const [row] = await ctx.db.query<{ id: string }>('SELECT id FROM customers WHERE personnummer = ?', [personnummer]);
  return row?.id;
}

export async function seedDemo(options: SeedDemoOptions): Promise<DemoSeed> {
  const service = options.service ?? (await EkortService.open(options.db, { sweepIntervalMs: 0 }));
  try {
    return await seed(service.ctx, options.db, options.outDir);
  } finally {
    if (!options.service) await service.close();
  }
}

async function seed(ctx: BankContext, db: string | undefined, outDir: string): Promise<DemoSeed> {
  await ensurePrivateDir(outDir); // card.json and dosa.json hold PINs and secrets
  const pkiDir = path.join(outDir, 'pki');
  const cardFile = path.join(outDir, 'card.json');
  const dosaFile = path.join(outDir, 'dosa.json');

  // The test PKI: reused when OUT/pki holds one. The PKI code (pkijs) comes with the demo, not
  // with the app that offers it.
  const { initTestPki, issuerFor, loadTestPki } = await import('../pki/index.ts');
  let pkiStatus: 'created' | 'reused' = 'reused';
  let pki: TestPkiMaterial;
  if (existsSync(path.join(pkiDir, 'root.pem'))) pki = await loadTestPki(pkiDir);
  else {
    pki = await initTestPki(pkiDir);
    pkiStatus = 'created';
  }

  // The customer.
  const { customerId, customerStatus } = await demoCustomer(ctx);

  // Her payment cards, by product: one connected with the current terms, one not.
  const had = await listPaymentCards(ctx, customerId);
  for (const want of DEMO_CARDS) {
    if (had.some((c) => c.product === want.product)) continue;
    const { id } = await addPaymentCard(ctx, customerId, { product: want.product, pan: drawPan(want.prefix) });
    // Only a card the seed made is connected: a rerun leaves the holder's own choices alone.
    if (want.connect) await connectCard(ctx, customerId, id, (await termsAt(ctx)).version);
  }
  const cards = await listPaymentCards(ctx, customerId);

  // Her virtual BankID card: reused when it is hers and chains to this PKI.
  let card: CardImage | undefined;
  let cardStatus: SeedStatus = 'created';
  if (existsSync(cardFile)) {
    const existing = await loadCardImage(cardFile);
    if (isDemoCard(existing, pki)) {
      card = existing;
      cardStatus = 'reused';
    } else cardStatus = 'replaced';
  }
  if (!card) {
    card = await createCardImage({ name: DEMO_CUSTOMER.name, personnummer: DEMO_CUSTOMER.personnummer, keyType: 'rsa2048', issue: issuerFor(pkiDir) });
    await saveCardImage(cardFile, card);
  }

  // Her dosa, as `ekort dosa create` makes it, enrolled from its bank record.
  let dosa: DosaFile;
  let dosaStatus: SeedStatus = 'created';
  if (existsSync(dosaFile)) {
    dosa = await loadDosa(dosaFile);
    dosaStatus = 'reused';
  } else {
    dosa = createDosa({ pin: DEMO_DOSA_PIN });
    await saveDosa(dosaFile, dosa);
  }
  const record = (await VirtualDosa.open(dosaFile)).exportForBank();
  const [enrolled] = await ctx.db.query<{ customer_id: string; secret: string }>('SELECT customer_id, secret FROM dosas WHERE serial = ?', [record.serial]);
  let enrolment: DemoSeed['dosa']['enrolment'] = 'already-enrolled';
  if (!enrolled) {
    await enrolDosa(ctx, customerId, record);
    enrolment = 'enrolled';
  } else if (enrolled.customer_id !== customerId || enrolled.secret !== record.secret) {
    throw bankError('STATE_CONFLICT', `The dosa ${record.serial} in ${dosaFile} is enrolled at the bank as another dosa or for another customer. Remove ${dosaFile} and run seed-demo again.`);
  }

  const networkKey = await createNetworkKey(ctx, DEMO_NETWORK_KEY_NAME);

  return {
    db,
    outDir,
    pki: { dir: pkiDir, status: pkiStatus },
    customer: { id: customerId, name: DEMO_CUSTOMER.name, personnummer: DEMO_CUSTOMER.personnummer, status: customerStatus },
    cards: cards.map((c) => ({ id: c.id, product: c.product, last4: c.last4, connected: c.connected })),
    card: { file: cardFile, pin: card.pin, puk: card.puk, keyType: card.slots['9a']?.keyType ?? 'rsa2048', status: cardStatus },
    dosa: { file: dosaFile, serial: dosa.serial, pin: dosa.pin, status: dosaStatus, enrolment },
    networkKey: { name: DEMO_NETWORK_KEY_NAME, key: networkKey },
  };
}

async function demoCustomer(ctx: BankContext): Promise<{ customerId: string; customerStatus: 'created' | 'reused' }> {
  const existing = await findCustomerId(ctx, DEMO_CUSTOMER.personnummer);
  if (existing) return { customerId: existing, customerStatus: 'reused' };
  try {
    const { id } = await createCustomer(ctx, DEMO_CUSTOMER.personnummer, DEMO_CUSTOMER.name);
    return { customerId: id, customerStatus: 'created' };
  } catch (e) {
    // Another seed-demo on the same database won the race.
    const raced = isEkortError(e, 'STATE_CONFLICT') ? await findCustomerId(ctx, DEMO_CUSTOMER.personnummer) : undefined;
    if (raced) return { customerId: raced, customerStatus: 'reused' };
    throw e;
  }
}

/** Anna's card, with a 9A login certificate issued by one of this PKI's issuing CAs. */
function isDemoCard(image: CardImage, pki: TestPkiMaterial): boolean {
  if (image.holder.personnummer !== DEMO_CUSTOMER.personnummer) return false;
  const login = image.slots['9a'];
  if (!login?.certificate) return false;
  try {
    const cert = new X509Certificate(Buffer.from(login.certificate, 'base64'));
    return pki.intermediates.some((der) => {
      const ca = new X509Certificate(Buffer.from(der));
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    });
  } catch {
    return false;
  }
}
