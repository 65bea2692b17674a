/**
 * No secret only on argv: `authorize` takes the card number and CVC from standard input or the
 * environment, `dosa create` and `virtual-card create` their PINs from standard input; the
 * argument forms stay for test scripts, with a warning.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from '../../../src/bank/api/server.ts';
import { addPaymentCard, connectCard, createCustomer, createNetworkKey } from '../../../src/bank/customers.ts';
import { EkortService } from '../../../src/bank/service.ts';
import { InProcessTransport } from '../../../src/pcsc/inProcessTransport.ts';
import { PivSession } from '../../../src/piv/pivSession.ts';
import { VirtualPivCard } from '../../../src/virtual/pivCard.ts';
import { ekort } from '../../support/ekortCli.ts';
import { runMain } from '../../support/memoryIo.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ekort-secret-args-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dosa create and virtual-card create take their PINs from standard input', { timeout: 60_000 }, () => {
  it('dosa create --pin-stdin: the dosa opens with that PIN only; --pin warns', async () => {
    const file = path.join(dir, 'dosa.json');
    const created = await ekort(['dosa', 'create', '--out', file, '--pin-stdin', '--json'], '4719\n');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toBe('');
    expect((await ekort(['dosa', 'code', file, '--pin-stdin'], '4719\n')).code).toBe(0);
    expect((await ekort(['dosa', 'code', file, '--pin-stdin'], '1234\n')).code).toBe(1);
    expect((await ekort(['dosa', 'create', '--out', path.join(dir, 'bad.json'), '--pin-stdin'], '12\n')).code).toBe(2);

    const warned = await runMain(['dosa', 'create', '--out', path.join(dir, 'argv.json'), '--pin', '5802']);
    expect(warned.code).toBe(0);
    expect(warned.err).toEqual([expect.stringMatching(/warning: --pin shows in the process list.*--pin-stdin/)]);
  });

  it('virtual-card create --pin-stdin: PIN on line 1, PUK on line 2', async () => {
    const file = path.join(dir, 'card.json');
    const created = await ekort(['virtual-card', 'create', '--out', file, '--key', 'p256', '--pin-stdin'], '654321\n87654321\n');
    expect(created.code, created.stderr).toBe(0);
    const piv = await PivSession.open(new InProcessTransport(await VirtualPivCard.open(file)));
    await expect(piv.verifyPin('123456')).rejects.toMatchObject({ code: 'PIN_INCORRECT' });
    await piv.verifyPin('654321');
    const warned = await runMain(['virtual-card', 'create', '--out', path.join(dir, 'argv-card.json'), '--key', 'p256', '--pin', '222222']);
    expect(warned.code).toBe(0);
    expect(warned.err.join('\n')).toMatch(/warning: --pin shows in the process list/);
  });
});

describe('authorize takes the card number and CVC from standard input or the environment', { timeout: 60_000 }, () => {
  let service: EkortService;
  let server: StartedServer;
  let secret: { pan: string; expiry: string; cvc: string };
  const saved = { ...process.env };

  beforeAll(async () => {
    service = await EkortService.open(path.join(dir, 'bank.db'), { sweepIntervalMs: 0 });
    const { id } = await createCustomer(service.ctx, '199001012385', 'Anna Andersson');
    const cardId = (await addPaymentCard(service.ctx, id)).id;
    await connectCard(service.ctx, id, cardId, (await service.terms()).version);
    secret = (await service.createEnummer({ customerId: id, method: 'dosa', authenticatedAt: Date.now() }, { cardId, merchant: 'Shop', recurring: true, months: 3 })).secret;
    process.env.EKORT_NETWORK_KEY = await createNetworkKey(service.ctx, 'test');
    server = await startServer(service, { port: 0, log: () => undefined });
  });
  afterAll(async () => {
    process.env = saved;
    await server?.close();
    await service?.close();
  });

  const base = () => ['authorize', '--server', server.url, '--exp', secret.expiry, '--merchant', 'Shop', '--amount', '10', '--json'];

  it('--card-stdin: line 1 the number, line 2 the CVC', async () => {
    const run = await ekort([...base(), '--card-stdin'], `${secret.pan}\n${secret.cvc}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ approved: true });
    expect(run.stderr).not.toContain('warning');
  });

  it('$EKORT_PAN and $EKORT_CVC; neither given is a usage error naming them; --pan/--cvc warn', async () => {
    delete process.env.EKORT_PAN;
    delete process.env.EKORT_CVC;
    const none = await runMain(base());
    expect(none.code).toBe(2);
    expect(none.err.join('\n')).toContain('$EKORT_PAN');
    process.env.EKORT_PAN = secret.pan;
    const noCvc = await runMain(base());
    expect(noCvc.code).toBe(2);
    expect(noCvc.err.join('\n')).toContain('$EKORT_CVC');
    process.env.EKORT_CVC = secret.cvc;
    const env = await runMain(base());
    expect(env.code, env.err.join('\n')).toBe(0);
    expect(env.err).toEqual([]);
    delete process.env.EKORT_PAN;
    delete process.env.EKORT_CVC;
    const argv = await runMain([...base(), '--pan', secret.pan, '--cvc', secret.cvc]);
    expect(argv.code).toBe(0);
    expect(argv.err).toEqual([expect.stringContaining('warning: --pan shows in the process list'), expect.stringContaining('warning: --cvc shows in the process list')]);
  });
});
