/**
 * `npm run bench [suite…]`: every figure as a JSON line on stdout, and the run in
 * bench-results/. Each suite runs in a process of its own: a suite measured after others in
 * one process inherited their heap (the login verifier ran a third slower after the APDU and
 * PIV suites). Timings on a shared machine are noisy: compare figures within one run as ratios.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Figure, recordFigure, saveFigures } from './figures.ts';

const suites: Record<string, () => Promise<void>> = {
  'apdu-inprocess': async () => (await import('./apduInProcess.ts')).benchApduInProcess(),
  'apdu-vpcd': async () => (await import('./apduVpcd.ts')).benchApduVpcd(),
  'apdu-ekort-reader': async () => (await import('./apduEkortReader.ts')).benchApduEkortReader(),
  'piv-login': async () => (await import('./pivLogin.ts')).benchPivLogin(),
  'login-cms': async () => (await import('./loginCms.ts')).benchLoginCms(),
  'token-otp': async () => (await import('./tokenOtp.ts')).benchTokenOtp(),
  'bank-service': async () => (await import('./bankService.ts')).benchBankService(),
  'service-http': async () => (await import('./serviceHttp.ts')).benchServiceHttp(),
  'desktop-ui': async () => (await import('./desktopUi.ts')).benchDesktopUi(),
  'cli-start': async () => (await import('./cliStart.ts')).benchCliStart(),
  'fresh-install': async () => (await import('./freshInstall.ts')).benchFreshInstall(),
};

const CHILD = '--suite-process';

/** Runs one suite in a fresh Node process; its JSON lines are passed on and kept. */
function runIsolated(name: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    try {
      recordFigure(JSON.parse(line) as Figure);
    } catch {
      // Not a figure: already passed on as it was.
    }
  });
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench suite ${name} exited with ${code}`)))));
}

const args = process.argv.slice(2);
if (args[0] === CHILD) {
  await suites[args[1]!]!();
} else {
  const unknown = args.filter((a) => !(a in suites));
  if (unknown.length) throw new Error(`unknown bench suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  for (const name of Object.keys(suites)) {
    if (args.length && !args.includes(name)) continue;
    process.stderr.write(`bench: ${name}\n`);
    await runIsolated(name);
  }
  process.stderr.write(`bench: figures saved to ${saveFigures()}\n`);
}
