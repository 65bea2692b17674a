/**
 * `npm run bench`: every figure as a JSON line on stdout, and the run in bench-results/.
 * Timings on a shared machine are noisy: compare figures within one run as ratios.
 */
import { benchApduInProcess } from './apduInProcess.ts';
import { benchApduVpcd } from './apduVpcd.ts';
import { benchPivLogin } from './pivLogin.ts';
import { benchLoginCms } from './loginCms.ts';
import { benchTokenOtp } from './tokenOtp.ts';
import { benchBankService } from './bankService.ts';
import { saveFigures } from './figures.ts';

const suites: Record<string, () => Promise<void>> = {
  'apdu-inprocess': benchApduInProcess,
  'apdu-vpcd': benchApduVpcd,
  'piv-login': benchPivLogin,
  'login-cms': benchLoginCms,
  'token-otp': benchTokenOtp,
  'bank-service': benchBankService,
  'desktop-ui': async () => (await import('./desktopUi.ts')).benchDesktopUi(),
};

const only = process.argv.slice(2);
for (const [name, suite] of Object.entries(suites)) {
  if (only.length && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}\n`);
  await suite();
}
process.stderr.write(`bench: figures saved to ${saveFigures()}\n`);
