/**
 * `ekort serve` as a child process, as users and deployments run it: started, waited for
 * (its one "listening on URL" line, at most `timeoutMs`), stopped with SIGTERM or killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EKORT_BIN } from './ekortCli.ts';

export interface ServeProcess {
  child: ChildProcess;
  /** The one line it printed, and the URL in it (origin, no trailing slash). */
  line: string;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal); rejects after `ms`. */
  exit(ms: number): Promise<number | null>;
  /** SIGTERM, then SIGKILL after `ms`; resolves with the exit code (null when killed). */
  stop(ms?: number): Promise<number | null>;
  /** SIGKILL now: the process gets no chance to finish anything. */
  kill(): Promise<void>;
}

export function startServe(args: string[], options: { nodeFlags?: string[]; timeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), EKORT_BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const exit = (ms: number): Promise<number | null> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ekort serve did not exit within ${ms} ms`)), ms);
      void exited.then((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  const stop = async (ms = 5000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.kill('SIGTERM');
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ekort serve printed no line within ${options.timeoutMs ?? 20_000} ms; stderr: ${err}`));
    }, options.timeoutMs ?? 20_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ekort serve exited ${code} before listening; stderr: ${err}`));
    });
    child.stdout!.on('data', (d) => {
      out += d;
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      const m = /listening on (\S+)$/.exec(out.slice(0, newline));
      if (!m) {
        child.kill('SIGKILL');
        reject(new Error(`unexpected first line from ekort serve: ${out.slice(0, newline)}`));
        return;
      }
      resolve({ child, line: out.slice(0, newline), url: m[1]!, stdout: () => out, stderr: () => err, exit, stop, kill });
    });
  });
}
