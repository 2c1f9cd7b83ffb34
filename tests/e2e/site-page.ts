import type { Page } from 'playwright-core';
import { type ContextOptions, newContext, type SiteUnderTest } from './site.browser.ts';

/** Runs `use` on a page of its own browser context (its own storage), closed afterwards. */
export async function onFreshPage<T>(
  site: SiteUnderTest,
  options: ContextOptions,
  use: (page: Page) => Promise<T>,
): Promise<T> {
  const context = await newContext(site.browser, options);
  try {
    return await use(await context.newPage());
  } finally {
    await context.close();
  }
}
