/**
 * axe-core in the page under test, against WCAG 2.0, 2.1 and 2.2 at levels A and AA (the
 * level EN 301 549 and the European Accessibility Act ask of a bank): what it finds is thrown
 * with each rule, its help text and the elements, so the test names the screen and the fault.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/** The WCAG A/AA violations axe finds on `page` as it is now. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  // Evaluated, not a <script> tag: the bridge's Content-Security-Policy rightly refuses inline scripts.
  if (!loaded) await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  }, WCAG_AA);
}

/** Throws naming `screen` and every violation when axe finds any. */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length === 0) return;
  const lines = violations.map((v) => `  ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n').slice(1).join('; ') ?? ''}`).join('\n')}`);
  throw new Error(`axe (WCAG 2.2 AA) on "${screen}": ${violations.length} violation(s)\n${lines.join('\n')}`);
}
