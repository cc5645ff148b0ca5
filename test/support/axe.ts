import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's violations on `page`, within the `include` selectors or the whole document, as "rule: targets" lines.
 * Evaluated through the DevTools protocol, so a page's CSP (the console's `script-src 'self'`) cannot refuse it.
 */
export async function axeViolations(page: Page, include?: string[]): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async (selectors) => {
    type Axe = { run(ctx: unknown): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> };
    const context = selectors ? { include: selectors.map((s) => [s]) } : document;
    const result = await (window as unknown as { axe: Axe }).axe.run(context);
    return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  }, include ?? null);
}
