import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands.ts';
import { closest, type CommandSpec } from '../../../src/cli/commandSpec.ts';
import { fullUsage, main } from '../../../src/cli/main.ts';
import { memoryIo } from '../../support/memoryIo.ts';

const table = Object.entries(COMMANDS) as Array<[string, CommandSpec]>;

async function run(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const m = memoryIo();
  const code = await main(args, m.io);
  return { code, err: m.err.join('\n'), out: m.out.join('\n') };
}

describe('the command table', () => {
  it('lists every command in the usage, each with a summary, in the order of the table', () => {
    const USAGE = fullUsage();
    let at = 0;
    for (const [name, spec] of table) {
      expect(spec.summary.trim(), name).not.toBe('');
      const found = USAGE.indexOf(`\n  ${name} `, at) >= 0 ? USAGE.indexOf(`\n  ${name} `, at) : USAGE.indexOf(`\n  ${name}\n`, at);
      expect(found, `${name} in the usage after the command before it`).toBeGreaterThan(at - 1);
      at = found;
    }
  });

  it('declares every option its usage shows, so the help never offers an option the command refuses', () => {
    for (const [name, spec] of table) {
      const shown = [...`${spec.synopsis} ${spec.summary}`.matchAll(/--([a-z0-9][a-z0-9-]*)/g)].map((m) => m[1]!);
      for (const option of shown) expect(Object.keys(spec.options), `${name} --${option}`).toContain(option);
    }
  });

  it('has a handler behind every entry', async () => {
    for (const [name, spec] of table) expect(typeof (await spec.load()), name).toBe('function');
  });

  it('prints one command\'s usage for --help, with the note its group shares', async () => {
    const r = await run(['card', 'unblock', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage:\n {2}card unblock \[--reader NAME\] \[--pin-stdin\]\n {44}the PUK, then the new PIN\n {44}PIN and PUK are read/);
    expect(r.out).not.toContain('card info');
  });
});

describe('argument checks from the table (exit 2, the command\'s usage after the reason)', () => {
  it('an unknown option, with the declared one it was probably meant to be', async () => {
    const r = await run(['enummer', 'list', '--stat', 'open']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ekort enummer list: Unknown option '--stat'; did you mean --state\?\n\nUsage:\n {2}enummer list /);
    const far = await run(['readers', '--frobnicate']);
    expect(far.err).toMatch(/^ekort readers: Unknown option '--frobnicate'\n/);
  });

  it('too few and too many positional arguments', async () => {
    const few = await run(['enummer', 'show']);
    expect(few.code).toBe(2);
    expect(few.err).toMatch(/^ekort enummer show: give one e-nummer ID \(ekort enummer list shows them\)\n\nUsage:\n {2}enummer show ID/);
    const many = await run(['enummer', 'show', 'a', 'b']);
    expect(many.code).toBe(2);
    expect(many.err).toMatch(/^ekort enummer show: unexpected argument "b"/);
    const none = await run(['card', 'info', 'extra']);
    expect(none.err).toMatch(/^ekort card info: unexpected argument "extra"/);
  });

  it('a value given to a flag, and a value missing after an option', async () => {
    const flag = await run(['readers', '--json=yes']);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/^ekort readers: Option '--json' does not take an argument/);
    const missing = await run(['enummer', 'list', '--state']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^ekort enummer list: Option '--state <value>' argument missing/);
  });

  it('an unknown command or verb, with the nearest one', async () => {
    const r = await run(['raeders']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ekort: unknown command "raeders"; did you mean "readers"\?/);
    const verb = await run(['enummer', 'lst']);
    expect(verb.err).toMatch(/^ekort: "enummer lst" is not a command; did you mean "enummer list"\?\n\n {2}enummer create/);
  });

  it('checks before loading the command: no reader, service or file is touched', async () => {
    const r = await run(['card', 'sign', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
  });
});

describe('closest', () => {
  it('suggests only what is within a typing mistake', () => {
    expect(closest('jsn', ['json', 'reader'])).toBe('json');
    expect(closest('x', ['json'])).toBeUndefined();
    expect(closest('reveal', ['reveal'])).toBe('reveal');
  });
});
