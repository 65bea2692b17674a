/** Real inputs for the mutation fuzzers, read once from test/fixtures. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFixture } from '../../src/iso7816/apduFixture.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixturePath(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** Every recorded PIV exchange: the commands a host sent and the card's answers. */
export function pivExchanges(): { commands: Uint8Array[]; responses: Uint8Array[]; texts: string[]; byIns: Map<number, Uint8Array[]> } {
  const dir = fixturePath('piv');
  const commands: Uint8Array[] = [];
  const responses: Uint8Array[] = [];
  const texts: string[] = [];
  const byIns = new Map<number, Uint8Array[]>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.apdu')).sort()) {
    const text = readFileSync(path.join(dir, name), 'utf8');
    texts.push(text);
    for (const x of parseFixture(text).exchanges) {
      commands.push(Uint8Array.from(x.command, (b) => b ?? 0));
      if (x.reply.kind !== 'response') continue;
      responses.push(x.reply.bytes);
      const ins = x.command[1] ?? 0;
      byIns.set(ins, [...(byIns.get(ins) ?? []), x.reply.bytes]);
    }
  }
  return { commands, responses, texts, byIns };
}

/** The X.509 corpus (DER), by file name order. */
export function certificateDers(): Uint8Array[] {
  const dir = fixturePath('x509');
  return readdirSync(dir)
    .filter((n) => n.endsWith('.der'))
    .sort()
    .map((n) => new Uint8Array(readFileSync(path.join(dir, n))));
}
