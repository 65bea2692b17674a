/**
 * The BankID RP API v6.0 adapter against a local HTTPS server that answers as BankID's public
 * documentation describes (auth, collect, cancel; errors with errorCode and details), with
 * mutual TLS: a throw-away CA made by openssl here issues the server's certificate and the
 * relying party's client certificate (given as PKCS#12, and as PEM).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BankIdRpProvider, type BankIdRpOptions } from '../../../src/bank/approval/bankIdRp.ts';
import { SqlProviderOrders } from '../../../src/bank/approval/providerOrders.ts';
import { qrAuthCode } from '../../../src/bank/approval/qr.ts';
import { createCustomer } from '../../../src/bank/customers.ts';
import { EkortService } from '../../../src/bank/service.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-bankid-rp-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA and a certificate it issues (EC P-256), with the extensions given. */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`);
}
function issue(ca: string, name: string, cn: string, ext: string): void {
  writeFileSync(file(`${name}.ext`), `${ext}\n`);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

interface FakeOrder {
  orderRef: string;
  endUserIp: string;
  visible: string;
  status: 'pending' | 'failed' | 'complete';
  hintCode?: string;
}

/** BankID's RP API, as documented, for one relying party. */
class FakeBankId {
  readonly orders = new Map<string, FakeOrder>();
  readonly secrets = new Map<string, { qrStartToken: string; qrStartSecret: string }>();
  readonly calls: Array<{ path: string; body: Record<string, unknown>; clientCn: string | undefined; contentType: string | undefined }> = [];
  maintenance = false;
  server!: Server;
  url = '';

  async listen(): Promise<void> {
    this.server = createServer({ key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const answer = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const body = JSON.parse(text || '{}') as Record<string, unknown>;
        const cert = (req.socket as TLSSocket).getPeerCertificate();
        this.calls.push({ path: req.url ?? '', body, clientCn: cert?.subject?.CN as string | undefined, contentType: req.headers['content-type'] });
        if (this.maintenance) return answer(503, { errorCode: 'maintenance', details: 'The service is temporarily unavailable.' });
        if (req.method !== 'POST') return answer(405, { errorCode: 'methodNotAllowed', details: '' });
        const orderRef = body.orderRef as string;
        switch (req.url) {
          case '/rp/v6.0/auth': {
            if (typeof body.endUserIp !== 'string' || typeof body.userVisibleData !== 'string') return answer(400, { errorCode: 'invalidParameters', details: 'Invalid endUserIp.' });
            if (body.endUserIp === '192.0.2.99') return answer(400, { errorCode: 'alreadyInProgress', details: 'Order already in progress for pno.' });
            const ref = randomUUID();
            const qr = { qrStartToken: randomUUID(), qrStartSecret: randomUUID() };
            this.orders.set(ref, { orderRef: ref, endUserIp: body.endUserIp, visible: Buffer.from(body.userVisibleData, 'base64').toString('utf8'), status: 'pending', hintCode: 'outstandingTransaction' });
            this.secrets.set(ref, qr);
            return answer(200, { orderRef: ref, autoStartToken: randomUUID(), ...qr });
          }
          case '/rp/v6.0/collect': {
            const order = this.orders.get(orderRef);
            if (!order) return answer(400, { errorCode: 'invalidParameters', details: 'No such order' });
            if (order.status !== 'complete') return answer(200, { orderRef, status: order.status, hintCode: order.hintCode });
            // BankID answers complete again on every collect for a while.
            return answer(200, {
              orderRef,
              status: 'complete',
              completionData: {
                user: { personalNumber: '199001012385', name: 'Anna Andersson', givenName: 'Anna', surname: 'Andersson' },
                device: { ipAddress: order.endUserIp, uhi: 'OZvYM9VvyiAmG7NA5jU5zRGcSHf' },
                bankIdIssueDate: '2026-01-02',
                signature: Buffer.from('<Signature/>').toString('base64'),
                ocspResponse: Buffer.from('ocsp').toString('base64'),
              },
            });
          }
          case '/rp/v6.0/cancel': {
            if (!this.orders.delete(orderRef)) return answer(400, { errorCode: 'invalidParameters', details: 'No such order' });
            return answer(200, {});
          }
          default:
            return answer(404, { errorCode: 'notFound', details: 'No such endpoint' });
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}/rp/v6.0`;
  }
}

let bankid: FakeBankId;
let base: Omit<BankIdRpOptions, 'baseUrl'>;

beforeAll(async () => {
  makeCa('ca');
  issue('ca', 'server', 'appapi2.test.local', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  issue('ca', 'client', 'Test RP e-kort', 'extendedKeyUsage=clientAuth');
  openssl('pkcs12', '-export', '-inkey', 'client.key', '-in', 'client.pem', '-out', 'client.p12', '-passout', 'pass:qwerty123');
  makeCa('other');
  issue('other', 'stranger', 'Someone else', 'extendedKeyUsage=clientAuth');
  bankid = new FakeBankId();
  await bankid.listen();
  base = { pfx: readFileSync(file('client.p12')), passphrase: 'qwerty123', ca: readFileSync(file('ca.pem')) };
}, 60_000);
afterAll(() => {
  bankid?.server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  bankid.maintenance = false;
  bankid.calls.length = 0;
});

describe('the BankID RP API v6.0 adapter', () => {
  it('starts an order over mutual TLS with the documented JSON, and draws its QR code from qrStartSecret', async () => {
    let now = 1_800_000_000_000;
    const rp = new BankIdRpProvider({ baseUrl: bankid.url, ...base, now: () => now });
    try {
      const order = await rp.start({ endUserIp: '198.51.100.7', visibleText: 'Logga in på e-kort' });
      expect(bankid.calls[0]).toMatchObject({ path: '/rp/v6.0/auth', clientCn: 'Test RP e-kort', contentType: 'application/json' });
      expect(bankid.calls[0]!.body).toEqual({ endUserIp: '198.51.100.7', userVisibleData: Buffer.from('Logga in på e-kort').toString('base64') });
      const secret = bankid.secrets.get(order.orderRef)!;
      expect(order).toMatchObject({ qrStartToken: secret.qrStartToken, autoStartToken: expect.any(String) });
      expect(order).not.toHaveProperty('qrStartSecret');
      now += 4_500;
      expect(await rp.qrContent(order.orderRef)).toBe(`bankid.${secret.qrStartToken}.4.${qrAuthCode(secret.qrStartSecret, 4)}`);
    } finally {
      rp.close();
    }
  });

  it('maps collect: pending hint codes, failed hint codes, complete handed over once', async () => {
    const rp = new BankIdRpProvider({ baseUrl: bankid.url, cert: readFileSync(file('client.pem')), key: readFileSync(file('client.key')), ca: readFileSync(file('ca.pem')) });
    try {
      const { orderRef } = await rp.start({ endUserIp: '198.51.100.7', visibleText: 'x' });
      const order = bankid.orders.get(orderRef)!;
      for (const hint of ['outstandingTransaction', 'noClient', 'started', 'userSign']) {
        order.hintCode = hint;
        expect(await rp.collect(orderRef)).toEqual({ orderRef, status: 'pending', hintCode: hint });
      }
      Object.assign(order, { status: 'complete', hintCode: undefined });
      const done = await rp.collect(orderRef);
      expect(done).toMatchObject({ orderRef, status: 'complete', completion: { personnummer: '199001012385', name: 'Anna Andersson', device: '198.51.100.7', signature: expect.any(String) } });
      // BankID says complete again; the completion is ours once.
      await expect(rp.collect(orderRef)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });

      const second = await rp.start({ endUserIp: '198.51.100.7', visibleText: 'x' });
      for (const hint of ['expiredTransaction', 'userCancel', 'startFailed', 'certificateErr']) {
        Object.assign(bankid.orders.get(second.orderRef)!, { status: 'failed', hintCode: hint });
        expect(await rp.collect(second.orderRef)).toEqual({ orderRef: second.orderRef, status: 'failed', hintCode: hint });
      }
    } finally {
      rp.close();
    }
  });

  it('cancels; an unknown order is NOT_FOUND', async () => {
    const rp = new BankIdRpProvider({ baseUrl: bankid.url, ...base });
    try {
      const { orderRef } = await rp.start({ endUserIp: '198.51.100.7', visibleText: 'x' });
      await rp.cancel(orderRef);
      expect(bankid.calls.at(-1)).toMatchObject({ path: '/rp/v6.0/cancel', body: { orderRef } });
      await expect(rp.collect(orderRef)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(rp.cancel(orderRef)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      rp.close();
    }
  });

  it('maps the documented errors: 400 alreadyInProgress, 400 invalidParameters, 503 maintenance', async () => {
    const rp = new BankIdRpProvider({ baseUrl: bankid.url, ...base });
    try {
      await expect(rp.start({ endUserIp: '192.0.2.99', visibleText: 'x' })).rejects.toMatchObject({ code: 'APPROVAL_ALREADY_IN_PROGRESS', status: 409, providerCode: 'alreadyInProgress' });
      await expect(rp.start({ endUserIp: 1 as unknown as string, visibleText: 'x' })).rejects.toMatchObject({ code: 'APPROVAL_PROVIDER_REJECTED', status: 502, providerCode: 'invalidParameters' });
      bankid.maintenance = true;
      await expect(rp.start({ endUserIp: '198.51.100.7', visibleText: 'x' })).rejects.toMatchObject({ code: 'APPROVAL_PROVIDER_UNAVAILABLE', status: 503, providerCode: 'maintenance' });
    } finally {
      rp.close();
    }
  });

  it('fails closed on TLS: a client certificate of another CA, a server the CA did not issue', async () => {
    const stranger = new BankIdRpProvider({ baseUrl: bankid.url, cert: readFileSync(file('stranger.pem')), key: readFileSync(file('stranger.key')), ca: readFileSync(file('ca.pem')) });
    const trustsOther = new BankIdRpProvider({ baseUrl: bankid.url, ...base, ca: readFileSync(file('other.pem')) });
    try {
      await expect(stranger.start({ endUserIp: '198.51.100.7', visibleText: 'x' })).rejects.toMatchObject({ code: 'APPROVAL_PROVIDER_UNAVAILABLE' });
      await expect(trustsOther.start({ endUserIp: '198.51.100.7', visibleText: 'x' })).rejects.toMatchObject({ code: 'APPROVAL_PROVIDER_UNAVAILABLE' });
      expect(() => new BankIdRpProvider({ baseUrl: bankid.url.replace('https', 'http'), ...base })).toThrow(TypeError);
    } finally {
      stranger.close();
      trustsOther.close();
    }
  });

  it('logs a customer in through the service: one session, method app', async () => {
    const service = await EkortService.open(':memory:', {
      sweepIntervalMs: 0,
      approval: (ctx) => new BankIdRpProvider({ baseUrl: bankid.url, ...base, orders: new SqlProviderOrders(ctx.db, 'bankid-rp') }),
    });
    try {
      await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
      const started = await service.appLoginStart('198.51.100.7');
      expect(started.qr).toMatch(/^bankid\.[0-9a-f-]{36}\.0\.[0-9a-f]{64}$/);
      expect(started.autoStartLink).toBe(`bankid:///?autostarttoken=${started.autoStartToken}&redirect=null`);
      bankid.orders.get(started.orderRef)!.hintCode = 'userSign';
      expect(await service.appLoginCollect(started.orderRef)).toMatchObject({ status: 'pending', hintCode: 'userSign', phase: 'signing' });
      Object.assign(bankid.orders.get(started.orderRef)!, { status: 'complete' });
      const done = await service.appLoginCollect(started.orderRef);
      expect(done).toMatchObject({ status: 'complete', phase: 'done', session: { method: 'app', customer: { personnummer: '199001012385' } } });
      await expect(service.appLoginCollect(started.orderRef)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // The app's own routes belong to the built-in provider.
      await expect(service.appLookup({ kind: 'autostart', value: started.autoStartToken })).rejects.toMatchObject({ code: 'APPROVAL_NOT_SUPPORTED' });
    } finally {
      (service.approval as BankIdRpProvider).close();
      await service.close();
    }
  });
});
