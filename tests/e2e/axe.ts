import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** What axe-core finds wrong on the page as it is now, one line per rule: empty when nothing. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  const violations = await page.evaluate(async () => {
    const { axe: injected } = window as unknown as { axe: typeof axe };
    const results = await injected.run(document, { resultTypes: ['violations'] });
    return results.violations.map((violation) => ({
      id: violation.id,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  });
  return violations.map(({ id, help, targets }) => `${id}: ${help} (${targets.join(', ')})`);
}
