import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNetworkKey } from '../../../src/bank/customers.ts';
import { EkortService } from '../../../src/bank/service.ts';
import { defaultDatabasePath } from '../../../src/bank/store/openDatabase.ts';
import { redactDbTarget } from '../../../src/cli/bankCommands.ts';
import { createDosa, saveDosa, VirtualDosa } from '../../../src/virtual/dosa.ts';
import { runMain } from '../../support/memoryIo.ts';

const run = runMain;

let dir: string;
let db: string;
let seed: { dosa: { serial: string; file: string; pin: string }; networkKey: { key: string; name: string }; customer: { personnummer: string }; db: string; next: string[] };

const withService = async <T>(fn: (s: EkortService) => Promise<T>): Promise<T> => {
  const s = await EkortService.open(db, { sweepIntervalMs: 0 });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ekort-bank-cli-'));
  db = path.join(dir, 'ekort.db');
  const r = await run(['bank', 'seed-demo', '--db', db, '--out', path.join(dir, 'demo'), '--json']);
  expect(r.code, r.err.join('\n')).toBe(0);
  expect(r.out).toHaveLength(1);
  seed = JSON.parse(r.out[0]!) as typeof seed;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ekort bank seed-demo', () => {
  it('prints the seed as JSON: files, PINs, the dosa serial, a working network key, the next steps', async () => {
    expect(seed).toMatchObject({
      db,
      customer: { personnummer: '199001012385' },
      card: { file: path.join(dir, 'demo', 'card.json'), pin: '123456', puk: '12345678' },
      dosa: { file: path.join(dir, 'demo', 'dosa.json'), pin: '1234' },
      pki: { dir: path.join(dir, 'demo', 'pki') },
    });
    expect(seed.dosa.serial).toMatch(/^\d{10}$/);
    expect(await withService((s) => isNetworkKey(s.ctx, seed.networkKey.key))).toBe(true);
    expect(seed.next).toContain(`ekort serve --db ${db} --ca ${path.join(dir, 'demo', 'pki')}`);
    expect(seed.next).toContain(`ekort virtual-card insert ${path.join(dir, 'demo', 'card.json')}`);
  });

  it('prints the same for people, again without duplicating anything', async () => {
    const r = await run(['bank', 'seed-demo', '--db', db, '--out', path.join(dir, 'demo')]);
    expect(r.code, r.err.join('\n')).toBe(0);
    const text = r.out.join('\n');
    expect(text).toContain('Anna Andersson, personnummer 199001012385 (reused)');
    expect(text).toContain('PIN 123456, PUK 12345678');
    expect(text).toContain(`serial ${seed.dosa.serial}, PIN 1234 (reused, already enrolled)`);
    expect(text).toMatch(/network key {4}nk_/);
    expect(text).toContain('not connected: "Anslut kort"');
    expect(text).toContain(`ekort serve --db ${db} --ca`);
    expect(r.out.filter((l) => l.includes('••••'))).toHaveLength(2);
  });

  it('never prints a PostgreSQL password', () => {
    expect(redactDbTarget('postgres://ekort:s3cret@127.0.0.1:5432/ekort')).toBe('postgres://ekort:***@127.0.0.1:5432/ekort');
    expect(redactDbTarget('/var/lib/ekort.db')).toBe('/var/lib/ekort.db');
  });
});

describe('ekort bank unblock-dosa', () => {
  it('lifts the block five wrong dosa answers made', async () => {
    // A clock a minute on per try: past the growing wait after each wrong code (login.ts).
    let now = Date.now();
    const s = await EkortService.open(db, { sweepIntervalMs: 0, now: () => now });
    try {
      for (let i = 0; i < 5; i++) {
        now += 60_000;
        const { challengeId } = await s.dosaChallenge(seed.dosa.serial);
        await expect(s.dosaLogin(challengeId, '00000000')).rejects.toMatchObject({ code: i < 4 ? 'DOSA_CODE_WRONG' : 'DOSA_BLOCKED' });
      }
      await expect(s.dosaChallenge(seed.dosa.serial)).rejects.toMatchObject({ code: 'DOSA_BLOCKED' });
    } finally {
      await s.close();
    }
    const r = await run(['bank', 'unblock-dosa', '--db', db, seed.dosa.serial]);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toContain(`Dosa ${seed.dosa.serial} is unblocked`);
    const session = await withService(async (s) => {
      const { challengeId, kontrollnummer } = await s.dosaChallenge(seed.dosa.serial);
      const dosa = await VirtualDosa.open(seed.dosa.file);
      await dosa.unlock(seed.dosa.pin);
      return s.dosaLogin(challengeId, dosa.respond(kontrollnummer));
    });
    expect(session.customer.name).toBe('Anna Andersson');
  });

  it('says so for an unknown serial (exit 1, code in JSON)', async () => {
    const r = await run(['bank', 'unblock-dosa', '--db', db, '--json', '9999999999']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out[0]!)).toMatchObject({ error: { code: 'DOSA_UNKNOWN' } });
  });
});

describe('ekort bank network-key', () => {
  it('makes a new key the bank recognises', async () => {
    const r = await run(['bank', 'network-key', '--db', db, '--name', 'acquirer', '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    const { name, key } = JSON.parse(r.out[0]!) as { name: string; key: string };
    expect(name).toBe('acquirer');
    expect(key).not.toBe(seed.networkKey.key);
    expect(await withService((s) => isNetworkKey(s.ctx, key))).toBe(true);
    const plain = await run(['bank', 'network-key', '--db', db]);
    expect(plain.code).toBe(0);
    expect(plain.out).toEqual([expect.stringMatching(/^nk_[\w-]+$/)]);
  });
});

describe('ekort bank enrol-dosa', () => {
  it('enrols a virtual dosa for an existing customer, once', async () => {
    const file = path.join(dir, 'second-dosa.json');
    await saveDosa(file, createDosa({ pin: '4321' }));
    const r = await run(['bank', 'enrol-dosa', '--db', db, '--personnummer', '199001012385', file, '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    const { serial } = JSON.parse(r.out[0]!) as { serial: string };
    const session = await withService(async (s) => {
      const { challengeId, kontrollnummer } = await s.dosaChallenge(serial);
      const dosa = await VirtualDosa.open(file);
      await dosa.unlock('4321');
      return s.dosaLogin(challengeId, dosa.respond(kontrollnummer));
    });
    expect(session.customer.personnummer).toBe('199001012385');
    const again = await run(['bank', 'enrol-dosa', '--db', db, '--personnummer', '199001012385', file, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.out[0]!)).toMatchObject({ error: { code: 'STATE_CONFLICT' } });
  });

  it('refuses a customer the bank does not have', async () => {
    const file = path.join(dir, 'third-dosa.json');
    await saveDosa(file, createDosa());
    const r = await run(['bank', 'enrol-dosa', '--db', db, '--personnummer', '198112189876', file]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toContain('no e-kort customer');
  });
});

describe('ekort bank expire', () => {
  it('runs the sweep and says how many were erased', async () => {
    const r = await run(['bank', 'expire', '--db', db, '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(JSON.parse(r.out[0]!)).toEqual({ erased: 0 });
    const plain = await run(['bank', 'expire', '--db', db]);
    expect(plain.out).toEqual(['Erased 0 expired e-nummer.']);
  });
});

describe('ekort bank usage errors', () => {
  it.each([
    [['bank', 'seed-demo', '--db', 'x.db']],
    [['bank', 'seed-demo', '--out', 'd', 'extra']],
    [['bank', 'unblock-dosa', '--db', 'x.db']],
    [['bank', 'unblock-dosa', '--db', 'x.db', 'abc']],
    [['bank', 'network-key', '--bogus']],
    [['bank', 'enrol-dosa', '--db', 'x.db', 'file.json']],
    [['bank', 'enrol-dosa', '--db', 'x.db', '--personnummer', '199001012384', 'file.json']],
    [['bank', 'enrol-dosa', '--db', 'x.db', '--personnummer', '199001012385']],
    [['bank', 'expire', 'now']],
    [['bank', 'nonsense']],
  ])('%j exits 2', async (args) => {
    const r = await run(args.map((a) => (a === 'x.db' ? path.join(dir, 'never.db') : a)));
    expect(r.code).toBe(2);
    expect(r.err.length).toBeGreaterThan(0);
  });

  it('the default database is $XDG_DATA_HOME/ekort/ekort.db, else ~/.local/share/ekort/ekort.db', () => {
    expect(defaultDatabasePath({ XDG_DATA_HOME: '/data' })).toBe('/data/ekort/ekort.db');
    expect(defaultDatabasePath({ XDG_DATA_HOME: 'relative' })).toBe(path.join(os.homedir(), '.local/share/ekort/ekort.db'));
    expect(defaultDatabasePath({})).toBe(path.join(os.homedir(), '.local/share/ekort/ekort.db'));
  });
});
