/**
 * Another program holding a PC/SC transaction on a card, as OpenSC does around each of its
 * operations: holdTransaction.py through the real libpcsclite and pcscd. pcscd lets no other
 * handle connect or transmit on that card until the transaction ends.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./holdTransaction.py', import.meta.url));

export interface HeldTransaction {
  /** Ends the transaction; resolves once the program said it has. */
  release(): Promise<void>;
}

/** Resolves once the transaction is held; it ends on release(), or by itself after `maxMs`. */
export function holdTransaction(reader: string, maxMs = 30_000): Promise<HeldTransaction> {
  const child = spawn('/usr/bin/python3', [SCRIPT, reader, String(maxMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let said = '';
  const heard = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (said.includes(word)) resolve();
        else if (child.exitCode !== null) reject(new Error(`holdTransaction.py ended without "${word}": ${said.trim()}`));
      };
      child.stdout.on('data', check);
      child.on('exit', check);
      check();
    });
  child.stdout.on('data', (chunk: Buffer) => (said += chunk));
  const released = heard('released');
  released.catch(() => undefined);
  return heard('holding').then(() => ({
    release: async () => {
      child.stdin.end('\n');
      await released;
    },
  }));
}
