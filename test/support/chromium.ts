/**
 * Debian's Chromium for the end-to-end tests and the UI bench, driven by playwright-core
 * (Playwright's own browser download does not work offline). Test files start with
 *
 *   const hasChromium = requireChromium();
 *   describe.skipIf(!hasChromium)(...)
 *
 * requireChromium() is true when /usr/bin/chromium is there; without it, with CI=true it
 * throws (native/setup-browser.sh installs it: CI never skips), else it warns and the file skips.
 */
import { accessSync, constants } from 'node:fs';
import type { Browser, LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.EKORT_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumProblem(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch {
    return `${CHROMIUM_PATH} (Debian package chromium: run native/setup-browser.sh)`;
  }
}

export function requireChromium(): boolean {
  const problem = chromiumProblem();
  if (!problem) return true;
  const message = `end-to-end test prerequisites missing: ${problem}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: these tests must run, not skip)`);
  console.warn(`${message}; skipping`);
  return false;
}

/** Headless Chromium; --no-sandbox only when running as root (Chromium refuses otherwise). */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const args = [...(options.args ?? []), ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage'];
  return chromium.launch({ timeout: 30_000, ...options, executablePath: CHROMIUM_PATH, headless: true, args });
}
