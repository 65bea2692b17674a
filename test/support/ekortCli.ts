/**
 * Runs the `ekort` command as a user does (bin/ekort.js in a child process). Always
 * asynchronous: the virtual card under test may answer from this very process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const EKORT_BIN = fileURLToPath(new URL('../../bin/ekort.js', import.meta.url));

export interface EkortRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function ekort(args: string[], stdin = '', options: { until?: RegExp; timeoutMs?: number } = {}): Promise<EkortRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EKORT_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const kill = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      // For long-running commands (watch): Ctrl-C once the output shows what the test waits for.
      if (options.until?.test(stdout)) child.kill('SIGINT');
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(stdin);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface InsertedCard {
  /** What `ekort virtual-card insert` printed when the card went in. */
  firstLine: string;
  /** SIGTERM, as a user's Ctrl-C would; resolves with the exit code. */
  pullOut(): Promise<number | null>;
}

/** Runs `ekort virtual-card insert FILE --reader-port PORT` until pullOut(). */
export function insertVirtualCard(file: string, port: number, timeoutMs = 15_000): Promise<InsertedCard> {
  const child = spawn(process.execPath, [EKORT_BIN, 'virtual-card', 'insert', file, '--reader-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`virtual-card insert printed nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve({
        firstLine: out.split('\n')[0]!,
        pullOut: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`virtual-card insert exited ${code} before inserting`));
    });
  });
}

/**
 * One vpcd reader for a test file's virtual card: insert(file) runs `ekort virtual-card insert`
 * and resolves once pcscd shows the card; pullOut() stops it (exit 0) and waits until the card
 * is gone. pullOut() without a card does nothing.
 */
export function vpcdCardSlot(port: number, reader: string, waitForCard: (reader: string, options?: { present?: boolean }) => Promise<unknown>) {
  let inserted: InsertedCard | undefined;
  return {
    async insert(file: string): Promise<InsertedCard> {
      inserted = await insertVirtualCard(file, port);
      await waitForCard(reader);
      return inserted;
    },
    async pullOut(): Promise<void> {
      if (!inserted) return;
      const code = await inserted.pullOut();
      inserted = undefined;
      if (code !== 0) throw new Error(`ekort virtual-card insert exited ${code}`);
      await waitForCard(reader, { present: false });
    },
  };
}
