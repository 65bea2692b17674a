/** The holder commands' pure parts and their usage errors (exit 2 before any network call). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BankClientError } from '../../../src/bank/api/client.ts';
import type { PaymentCard } from '../../../src/bank/api/schemas.ts';
import { holderError } from '../../../src/cli/holderClient.ts';
import { main } from '../../../src/cli/main.ts';
import { findCard } from '../../../src/cli/paymentCardCommands.ts';
import { daysLeft, groupedPan } from '../../../src/cli/textTable.ts';
import { EkortError } from '../../../src/errors.ts';
import { memoryIo } from '../../support/memoryIo.ts';

const card = (id: string, last4: string): PaymentCard => ({
  id,
  last4,
  product: 'Bankkort Visa',
  state: 'active',
  connected: true,
  termsVersion: null,
  termsAcceptedAt: null,
  limitPerPurchase: 1,
  limitPerMonth: 1,
});
const cards = [card('card-aaaaaaaa', '1234'), card('card-bbbbbbbb', '5678'), card('card-cccccccc', '5678')];

function thrown(fn: () => unknown): EkortError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EkortError);
    return e as EkortError;
  }
  throw new Error('did not throw');
}

describe('findCard', () => {
  it('finds a card by its last four or its id', () => {
    expect(findCard(cards, '1234').id).toBe('card-aaaaaaaa');
    expect(findCard(cards, 'card-cccccccc').id).toBe('card-cccccccc');
  });
  it('says NOT_FOUND for an unknown card and CARD_AMBIGUOUS for two that end alike', () => {
    expect(thrown(() => findCard(cards, '0000')).code).toBe('NOT_FOUND');
    expect(thrown(() => findCard(cards, 'card-dddddddd')).code).toBe('NOT_FOUND');
    const ambiguous = thrown(() => findCard(cards, '5678'));
    expect(ambiguous.code).toBe('CARD_AMBIGUOUS');
    expect(ambiguous.message).toContain("give the card's id");
  });
});

describe('holderError', () => {
  it('keeps the code of a session error and says which command logs in again', () => {
    for (const code of ['SESSION_EXPIRED', 'UNAUTHENTICATED', 'REAUTH_REQUIRED']) {
      const e = holderError(new BankClientError(code, 'It ended. Log in again.', { status: 401 }), 'http://bank.test') as BankClientError;
      expect(e.code).toBe(code);
      expect(e.message).toBe('It ended. Log in again: ekort login --server http://bank.test (--card | --dosa FILE | --dosa-serial N | --app).');
    }
    const other = new BankClientError('NOT_FOUND', 'No such e-nummer.', { status: 404 });
    expect(holderError(other, 'http://bank.test')).toBe(other);
  });
});

describe('formats', () => {
  it('groups a card number in fours and counts days left', () => {
    expect(groupedPan('4556991234567890')).toBe('4556 9912 3456 7890');
    const now = new Date('2025-01-01T12:00:00Z');
    expect(daysLeft('2025-01-31T12:00:00Z', now)).toBe(30);
    expect(daysLeft('2024-12-31T12:00:00Z', now)).toBe(0);
  });
});

describe('usage errors, before any call to the service', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-holder-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [['login', '--server', 'http://127.0.0.1:1']],
    [['login', '--server', 'http://127.0.0.1:1', '--card', '--dosa', 'x.json']],
    [['login', '--server', 'ftp://x', '--card']],
    [['login', '--server', 'http://127.0.0.1:1', '--dosa-serial', '12ab']],
    [['login', '--server', 'http://127.0.0.1:1', '--dosa', 'x.json', '--slot', '9c']],
    [['enummer', 'create', '--merchant', 'M']],
    [['enummer', 'create', '--card', '1234', '--merchant', 'M', '--months', '3']],
    [['enummer', 'create', '--card', '1234', '--merchant', 'M', '--limit', '12,345']],
    [['enummer', 'create', '--card', '1234', '--merchant', 'M', '--limit', '0']],
    [['enummer', 'create', '--card', '1234', '--merchant', 'M', '--limit-per', 'month']],
    [['enummer', 'list', '--state', 'gone']],
    [['enummer', 'show']],
    [['enummer', 'pause', 'a', 'b']],
    [['enummer', 'pause', 'abcdefgh', '--yes']],
    [['payment-card', 'block']],
    [['authorize', '--server', 'http://127.0.0.1:1', '--network-key', 'k', '--pan', '123', '--exp', '01/30', '--cvc', '123', '--merchant', 'M', '--amount', '1']],
    [['authorize', '--server', 'http://127.0.0.1:1', '--network-key', 'k', '--pan', '4556991234567890', '--exp', '13/30', '--cvc', '123', '--merchant', 'M', '--amount', '1']],
    [['authorize', '--server', 'http://127.0.0.1:1', '--network-key', 'k', '--pan', '4556991234567890', '--exp', '01/30', '--cvc', '123', '--merchant', 'M', '--amount', '-1']],
  ])('%j exits 2', async (args) => {
    const run = memoryIo();
    expect(await main([...args, '--session', path.join(dir, 'none.json')], run.io)).toBe(2);
    expect(run.out).toEqual([]);
  });

  it('authorize without a key (argument or $EKORT_NETWORK_KEY) is a usage error naming the variable', async () => {
    const saved = process.env.EKORT_NETWORK_KEY;
    delete process.env.EKORT_NETWORK_KEY;
    try {
      const run = memoryIo();
      const args = ['authorize', '--server', 'http://127.0.0.1:1', '--pan', '4556991234567890', '--exp', '01/30', '--cvc', '123', '--merchant', 'M', '--amount', '1'];
      expect(await main(args, run.io)).toBe(2);
      expect(run.err.join('\n')).toContain('$EKORT_NETWORK_KEY');
    } finally {
      if (saved !== undefined) process.env.EKORT_NETWORK_KEY = saved;
    }
  });

  it('a holder command without a session file: exit 1, NOT_LOGGED_IN in --json', async () => {
    const run = memoryIo();
    expect(await main(['enummer', 'list', '--json', '--session', path.join(dir, 'none.json')], run.io)).toBe(1);
    expect(JSON.parse(run.out[0]!).error).toMatchObject({ code: 'NOT_LOGGED_IN' });
    expect(run.err[0]).toContain('ekort login --server URL');
  });

  it('the usage lists the new commands', async () => {
    const run = memoryIo();
    expect(await main(['--help'], run.io)).toBe(0);
    const usage = run.out.join('\n');
    for (const word of ['login --server URL', 'payment-card connect', 'enummer create', 'enummer show ID [--reveal]', 'authorize', 'EKORT_NETWORK_KEY', 'transactions [--limit N] [--cursor C | --all] [--json]']) {
      expect(usage).toContain(word);
    }
  });
});
