/**
 * The typed client against a real listening server (port 0), and against servers that are
 * gone, silent or answer nonsense.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BankClient, BankClientError } from '../../../src/bank/api/client.ts';
import { startServer, type StartedServer } from '../../../src/bank/api/server.ts';
import { addPaymentCard, createCustomer, createNetworkKey, enrolDosa } from '../../../src/bank/customers.ts';
import { EkortService } from '../../../src/bank/service.ts';
import { TERMS } from '../../../src/bank/terms.ts';
import { EkortError } from '../../../src/errors.ts';
import { svarskod } from '../../../src/token/dosaCodes.ts';
import { createDosa } from '../../../src/virtual/dosa.ts';

const dosa = createDosa({ serial: '87654321' });
let dir: string;
let service: EkortService;
let server: StartedServer;
let cardId: string;
let networkKey: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-client-'));
  service = await EkortService.open(path.join(dir, 'bank.db'), { sweepIntervalMs: 0 });
  const customer = await createCustomer(service.ctx, '199001012385', 'Bertil Berg');
  cardId = (await addPaymentCard(service.ctx, customer.id)).id;
  await enrolDosa(service.ctx, customer.id, { serial: dosa.serial, suite: dosa.suite, secret: dosa.secret, kind: 'hotp', counter: 0, digits: 8, algorithm: 'sha1' });
  networkKey = await createNetworkKey(service.ctx, 'client test');
  server = await startServer(service, { port: 0, log: () => undefined });
});
afterEach(async () => {
  await server?.close();
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

async function loggedIn(client: BankClient): Promise<void> {
  const { challengeId, kontrollnummer } = await client.dosaChallenge(dosa.serial);
  await client.dosaLogin(challengeId, svarskod({ key: Buffer.from(dosa.secret, 'base64'), suite: dosa.suite, kontrollnummer }));
}

/** The BankClientError `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<BankClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BankClientError);
  expect(error).toBeInstanceOf(EkortError);
  return error as BankClientError;
}

/** A plain HTTP server answering every request with `handler` (or never). */
async function rawServer(handler: ((res: import('node:http').ServerResponse) => void) | 'silent'): Promise<{ url: string; close(): Promise<void> }> {
  const held: Array<import('node:http').ServerResponse> = [];
  const raw: Server = createServer((_req, res) => (handler === 'silent' ? held.push(res) : handler(res)));
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  const { port } = raw.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        raw.closeAllConnections();
        raw.close(() => resolve());
      }),
  };
}

describe('BankClient against the service', () => {
  it('listens on 127.0.0.1 on a free port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).not.toMatch(/:0$/);
  });

  it('does a whole holder flow with typed, checked answers', async () => {
    const client = new BankClient({ baseUrl: `${server.url}/` });
    expect(await client.health()).toMatchObject({ status: 'ok' });
    expect((await client.terms()).version).toBe(TERMS.version);
    const doc = await client.openapi();
    expect(doc.openapi).toBe('3.1.0');

    await loggedIn(client);
    expect(client.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await client.session()).toMatchObject({ method: 'dosa', customer: { name: 'Bertil Berg' } });
    expect(await client.cards()).toEqual([expect.objectContaining({ id: cardId, connected: false })]);
    expect(await client.connectCard(cardId, TERMS.version)).toMatchObject({ connected: true });

    const created = await client.createEnummer({ cardId, merchant: 'Bokhandeln', limit: { amount: 500_00, period: 'purchase' } });
    expect(created.enummer).toMatchObject({ merchant: 'Bokhandeln', kind: 'single', state: 'open', limit: { amount: 500_00, period: 'purchase' } });
    const id = created.enummer.id;
    expect(await client.revealEnummer(id)).toEqual(created.secret);
    expect(await client.enummers({ state: 'open' })).toHaveLength(1);
    expect(await client.enummer(id)).toEqual(created.enummer);
    expect((await client.pauseEnummer(id)).state).toBe('paused');
    expect((await client.resumeEnummer(id)).state).toBe('open');

    const network = new BankClient({ baseUrl: server.url, networkKey });
    const { pan, expiry, cvc } = created.secret;
    expect(await network.authorize({ pan, expiry, cvc, merchant: 'Bokhandeln', amount: 199_00 })).toMatchObject({ approved: true });
    expect(await client.enummerTransactions(id)).toEqual([expect.objectContaining({ decision: 'approved', amount: 199_00 })]);
    expect(await client.transactions()).toHaveLength(1);
    // Single purchase: closed by its first approved purchase.
    expect((await client.enummer(id)).state).toBe('closed');
    expect((await refusal(client.closeEnummer(id))).code).toBe('STATE_CONFLICT');
    // §21: no change is announced, so there is nothing to accept; ending e-kort disconnects the card.
    expect((await refusal(client.acceptTerms('2099-01'))).code).toBe('TERMS_OUTDATED');
    expect(await client.endAgreement()).toEqual({ cards: 1, enummers: 0 });
    expect(await client.cards()).toEqual([expect.objectContaining({ id: cardId, connected: false })]);
    expect((await client.blockCard(cardId)).state).toBe('blocked');

    await client.logout();
    expect(client.token).toBeUndefined();
    const after = await refusal(client.session());
    expect(after).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });

  it("throws the service's code, message, status and issues", async () => {
    const client = new BankClient({ baseUrl: server.url });
    const unauthenticated = await refusal(client.cards());
    expect(unauthenticated).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, message: 'Log in first.' });

    const invalid = await refusal(client.dosaChallenge('12'));
    expect(invalid).toMatchObject({ code: 'INVALID_INPUT', status: 400 });
    expect(invalid.issues).toEqual([expect.objectContaining({ path: 'body.serial' })]);

    const { challengeId } = await client.dosaChallenge(dosa.serial);
    const wrong = await refusal(client.dosaLogin(challengeId, '12345678'));
    expect(wrong).toMatchObject({ code: 'DOSA_CODE_WRONG', status: 401, triesLeft: 4 });
    expect(client.token).toBeUndefined();

    const badKey = await refusal(new BankClient({ baseUrl: server.url, networkKey: 'nk_nope' }).authorize({ pan: '4571000000000001', expiry: '01/30', cvc: '123', merchant: 'X', amount: 1 }));
    expect(badKey).toMatchObject({ code: 'NETWORK_KEY_INVALID', status: 401 });
  });
});

describe('startServer', () => {
  it('close() stops accepting but finishes the request in flight', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const terms = await service.terms();
    service.terms = () => {
      entered();
      return held.then(() => terms) as never;
    };
    const client = new BankClient({ baseUrl: server.url, timeoutMs: 5_000 });
    const inFlight = client.terms();
    await inHandler;
    const closed = server.close();
    for (let i = 0; i < 200 && server.app.server.listening; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.app.server.listening).toBe(false);
    expect((await refusal(client.health())).code).toBe('SERVICE_UNREACHABLE');
    release();
    expect(await inFlight).toEqual(terms);
    await closed;
  });
});

describe('BankClient transport failures', () => {
  it('says SERVICE_UNREACHABLE for a closed port', async () => {
    const gone = await startServer(service, { port: 0 });
    const url = gone.url;
    await gone.close();
    const error = await refusal(new BankClient({ baseUrl: url }).health());
    expect(error).toMatchObject({ code: 'SERVICE_UNREACHABLE', status: 0 });
    expect(error.message).toContain(url);
  });

  it('says SERVICE_TIMEOUT when the service does not answer in time', async () => {
    const silent = await rawServer('silent');
    try {
      const client = new BankClient({ baseUrl: silent.url, timeoutMs: 5_000 });
      const started = Date.now();
      const error = await refusal(client.health({ timeoutMs: 150 }));
      expect(error).toMatchObject({ code: 'SERVICE_TIMEOUT', status: 0 });
      expect(error.message).toContain('150 ms');
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await silent.close();
    }
  });

  it('says SERVICE_BAD_RESPONSE for non-JSON, an answer off the contract, and an error without ApiError', async () => {
    const answers: Array<[number, string]> = [
      [200, '<html>proxy</html>'],
      [200, '{"status":"ok"}'],
      [502, '{"error":"bad gateway"}'],
    ];
    for (const [status, body] of answers) {
      const odd = await rawServer((res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      });
      try {
        const error = await refusal(new BankClient({ baseUrl: odd.url }).health());
        expect(error).toMatchObject({ code: 'SERVICE_BAD_RESPONSE', status });
      } finally {
        await odd.close();
      }
    }
  });
});
