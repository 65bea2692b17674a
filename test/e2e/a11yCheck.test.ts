/**
 * The axe check every e2e screenshot runs (test/support/a11yCheck.ts) finds what it must: a page
 * with an unlabelled field, an image without text and too little contrast fails with those rules
 * named; the same page put right passes. Without this, a check that never ran would look clean.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAccessible, axeViolations } from '../support/a11yCheck.ts';
import { launchChromium, requireChromium } from '../support/chromium.ts';

const available = requireChromium();

const BAD = `<!doctype html><html lang="sv"><head><title>Test</title></head><body><main>
  <h1>Logga in</h1>
  <input type="password">
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <p style="color:#bbb;background:#fff">Svag text</p>
</main></body></html>`;

const GOOD = `<!doctype html><html lang="sv"><head><title>Test</title></head><body><main>
  <h1>Logga in</h1>
  <label for="pin">PIN-kod</label> <input id="pin" type="password">
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="BankID">
  <p style="color:#222;background:#fff">Tydlig text</p>
</main></body></html>`;

describe.skipIf(!available)('the axe check of the e2e screens', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('names each violation of a faulty page and throws with the screen', async () => {
    await page.setContent(BAD);
    const ids = (await axeViolations(page)).map((v) => v.id).sort();
    expect(ids).toEqual(expect.arrayContaining(['color-contrast', 'image-alt', 'label']));
    await expect(assertAccessible(page, 'bad-screen')).rejects.toThrow(/axe \(WCAG 2\.2 AA\) on "bad-screen": .*\n.*(color-contrast|image-alt|label)/);
  });

  it('passes the same page put right', async () => {
    await page.setContent(GOOD);
    expect(await axeViolations(page)).toEqual([]);
    await expect(assertAccessible(page, 'good-screen')).resolves.toBeUndefined();
  });
});
