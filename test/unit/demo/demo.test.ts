import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMER, seedDemo, type DemoSeed } from '../../../src/demo/index.ts';
import { EkortService } from '../../../src/bank/service.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { PivSession } from '../../../src/piv/pivSession.ts';
import { pivSigner } from '../../../src/piv/pivSigner.ts';
import { signChallenge } from '../../../src/pki/loginSignature.ts';
import { loadTestPki } from '../../../src/pki/testPki.ts';
import { isValidPersonnummer } from '../../../src/identity/index.ts';
import { loadCardImage } from '../../../src/virtual/cardImage.ts';
import { loadDosa, VirtualDosa } from '../../../src/virtual/dosa.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';
import { freshSchema, requirePostgres, type TestSchema } from '../../support/postgres.ts';

/** A service on the seeded database that trusts the demo PKI. */
async function serviceFor(seed: DemoSeed, db: string): Promise<EkortService> {
  const pki = await loadTestPki(seed.pki.dir);
  return EkortService.open(db, { sweepIntervalMs: 0, trust: { trustAnchors: [pki.root], intermediates: pki.intermediates, crls: pki.crls } });
}

async function dosaLogin(service: EkortService, seed: DemoSeed) {
  const { challengeId, kontrollnummer } = await service.dosaChallenge(seed.dosa.serial);
  const dosa = await VirtualDosa.open(seed.dosa.file);
  await dosa.unlock(seed.dosa.pin);
  return service.dosaLogin(challengeId, dosa.respond(kontrollnummer));
}

/** As test/bench/loginCms.ts: the card image in process, PIN, a CMS over the service's challenge. */
async function cardLogin(service: EkortService, seed: DemoSeed) {
  const { challengeId, challenge } = await service.cardChallenge();
  const card = new VirtualPivCard(await loadCardImage(seed.card.file));
  const session = await PivSession.open(new InProcessTransport(card));
  await session.verifyPin(seed.card.pin);
  const cms = await signChallenge(new Uint8Array(Buffer.from(challenge, 'base64')), await pivSigner(session, '9a'));
  return service.cardLogin(challengeId, cms);
}

/** Everything a seeded database and OUT directory must give a new user. */
async function checkSeed(seed: DemoSeed, db: string): Promise<void> {
  const image = await loadCardImage(seed.card.file);
  expect(image.holder).toEqual({ name: 'Anna Andersson', personnummer: '199001012385' });
  expect(image.slots['9a']?.keyType).toBe('rsa2048');
  expect([seed.card.pin, seed.card.puk]).toEqual([image.pin, image.puk]);
  expect((await stat(seed.card.file)).mode & 0o777).toBe(0o600);
  const dosaFile = await loadDosa(seed.dosa.file);
  expect(dosaFile.serial).toBe(seed.dosa.serial);
  expect(dosaFile.pin).toBe('1234');
  expect(seed.networkKey.key).toMatch(/^nk_/);

  const service = await serviceFor(seed, db);
  try {
    const byDosa = await dosaLogin(service, seed);
    expect(byDosa.customer).toEqual({ name: 'Anna Andersson', personnummer: '199001012385' });
    const active = await service.session(byDosa.token);
    // Both cards are made in the same millisecond: their order is by id, so compare by product.
    const byProduct = <T extends { product: string }>(list: T[]): T[] => [...list].sort((a, b) => a.product.localeCompare(b.product));
    const cards = byProduct(await service.paymentCards(active));
    expect(cards.map((c) => [c.product, c.connected])).toEqual([
      ['Bankkort Mastercard', false],
      ['Bankkort Visa', true],
    ]);
    expect(cards.map((c) => c.last4)).toEqual(byProduct(seed.cards).map((c) => c.last4));
    expect(cards.every((c) => c.state === 'active')).toBe(true);

    const byCard = await cardLogin(service, seed);
    expect(byCard.customer).toEqual({ name: 'Anna Andersson', personnummer: '199001012385' });
    expect(await service.session(byCard.token)).toBeDefined();
  } finally {
    await service.close();
  }
}

describe('seedDemo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-demo-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses a valid personnummer (Luhn)', () => {
    expect(isValidPersonnummer(DEMO_CUSTOMER.personnummer)).toBe(true);
  });

  it('seeds a SQLite database and OUT directory from which both login methods work, and a second run reuses everything', async () => {
    const db = path.join(dir, 'sqlite', 'ekort.db');
    const out = path.join(dir, 'out');
    const first = await seedDemo({ db, outDir: out });
    expect(first).toMatchObject({
      db,
      pki: { dir: path.join(out, 'pki'), status: 'created' },
      customer: { name: 'Anna Andersson', personnummer: '199001012385', status: 'created' },
      card: { file: path.join(out, 'card.json'), pin: '123456', puk: '12345678', keyType: 'rsa2048', status: 'created' },
      dosa: { file: path.join(out, 'dosa.json'), pin: '1234', status: 'created', enrolment: 'enrolled' },
      networkKey: { name: 'demo' },
    });
    expect(first.cards).toHaveLength(2);
    expect(first.cards.filter((c) => c.connected)).toHaveLength(1);
    await checkSeed(first, db);

    const second = await seedDemo({ db, outDir: out });
    expect(second.customer).toEqual({ ...first.customer, status: 'reused' });
    expect(second.cards).toEqual(first.cards);
    expect(second.pki.status).toBe('reused');
    expect(second.card.status).toBe('reused');
    expect(second.dosa).toEqual({ ...first.dosa, status: 'reused', enrolment: 'already-enrolled' });
    expect(second.networkKey.key).not.toBe(first.networkKey.key);
    await checkSeed(second, db);
  });

  it('takes an open service, and replaces a card image that is not from its PKI', async () => {
    const out = path.join(dir, 'out-service');
    const db = path.join(dir, 'service.db');
    const service = await EkortService.open(db, { sweepIntervalMs: 0 });
    try {
      const first = await seedDemo({ service, outDir: out });
      expect(first.db).toBeUndefined();
      // Another PKI in another directory: the card from the first no longer chains to it.
      const other = await seedDemo({ service, outDir: path.join(dir, 'out-other') });
      await rm(path.join(out, 'pki'), { recursive: true });
      await cp(path.join(dir, 'out-other', 'pki'), path.join(out, 'pki'), { recursive: true });
      const again = await seedDemo({ service, outDir: out });
      expect(again.card.status).toBe('replaced');
      expect(again.customer.id).toBe(first.customer.id);
      expect(other.customer.id).toBe(first.customer.id);
    } finally {
      await service.close();
    }
    const seeded = await seedDemo({ db, outDir: out });
    expect(seeded.card.status).toBe('reused');
    await checkSeed(seeded, db);
  });
});

describe('seedDemo on PostgreSQL', () => {
  let schema: TestSchema;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-demo-pg-'));
    await requirePostgres();
    schema = await freshSchema('demo');
  });
  afterAll(async () => {
    await schema.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('seeds the same, idempotently', async () => {
    const out = path.join(dir, 'out');
    const first = await seedDemo({ db: schema.url, outDir: out });
    expect(first.customer.status).toBe('created');
    await checkSeed(first, schema.url);
    const second = await seedDemo({ db: schema.url, outDir: out });
    expect(second.customer.id).toBe(first.customer.id);
    expect(second.cards).toEqual(first.cards);
    expect(second.dosa.enrolment).toBe('already-enrolled');
    await checkSeed(second, schema.url);
  });
});
