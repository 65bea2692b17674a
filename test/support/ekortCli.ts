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
