import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { memoryIo } from '../../support/memoryIo.ts';

const io = memoryIo;

describe('ekort usage', () => {
  it('prints usage and exits 2 without a command, 0 for help', async () => {
    const a = io();
    expect(await main([], a.io)).toBe(2);
    expect(a.out.join('\n')).toContain('Usage: ekort <command>');
    const b = io();
    expect(await main(['--help'], b.io)).toBe(0);
  });

  it('prints the usage of one command or one noun for --help, and the noun\'s commands when its verb is missing or wrong', async () => {
    const a = io();
    expect(await main(['pki', 'issue', '--help'], a.io)).toBe(0);
    expect(a.out.join('\n')).toMatch(/^Usage:\n {2}pki issue --ca DIR/);
    expect(a.out.join('\n')).not.toContain('pki verify');
    const b = io();
    expect(await main(['pki', '-h'], b.io)).toBe(0);
    expect(b.out.join('\n')).toContain('pki verify');
    expect(b.out.join('\n')).not.toContain('card sign');
    const c = io();
    expect(await main(['pki'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^ekort pki: which one\?\n\n {2}pki init/);
    const d = io();
    expect(await main(['pki', 'frobnicate'], d.io)).toBe(2);
    expect(d.err[0]).toMatch(/^ekort: "pki frobnicate" is not a command\n\n {2}pki init/);
    const e = io();
    expect(await main(['readers', '--help'], e.io)).toBe(0);
    expect(e.out.join('\n')).toMatch(/^Usage:\n {2}readers \[--json\]/);
  });

  it('exits 2 for an unknown command or option', async () => {
    const a = io();
    expect(await main(['frobnicate'], a.io)).toBe(2);
    expect(a.err[0]).toMatch(/^ekort: unknown command "frobnicate"\n/);
    const b = io();
    expect(await main(['readers', '--bogus'], b.io)).toBe(2);
    expect(b.err[0]).toMatch(/^ekort readers: Unknown option '--bogus'/);
  });

  it('exits 2 for an APDU that is not hex or not a command, before touching a reader', async () => {
    const a = io();
    expect(await main(['apdu', '00a4zz'], a.io)).toBe(2);
    expect(a.err[0]).toContain('"00a4zz" is not a command APDU');
    const b = io();
    expect(await main(['apdu', '00a4'], b.io)).toBe(2);
    expect(b.err[0]).toContain('shorter than its 4-byte header');
    const c = io();
    expect(await main(['apdu', '00a4040005a0'], c.io)).toBe(2);
    expect(c.err[0]).toContain('does not match Lc');
    const d = io();
    expect(await main(['apdu'], d.io)).toBe(2);
  });
});
