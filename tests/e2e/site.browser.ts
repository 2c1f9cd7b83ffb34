import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { type RunningPreview, startPreview } from '../../site/scripts/preview.ts';
import { launchChromium } from './chromium.ts';

/** The built site served by the preview server, and Debian's Chromium driven by playwright-core. */

export interface SiteUnderTest {
  url: (path: string) => string;
  browser: Browser;
  close: () => Promise<void>;
}

export async function openSite(): Promise<SiteUnderTest> {
  if (!existsSync(join(process.cwd(), 'dist', 'index.html'))) {
    throw new Error('No built site in dist/: run `npm run build` before the site tests.');
  }
  let preview: RunningPreview | undefined;
  let browser: Browser | undefined;
  try {
    preview = await startPreview(0);
    browser = await launchChromium();
  } catch (error) {
    await preview?.stop();
    throw error;
  }
  const origin = preview.url;
  const running = { preview, browser };
  return {
    url: (path) => new URL(path, origin).href,
    browser,
    close: async () => {
      await running.browser.close();
      await running.preview.stop();
    },
  };
}

export type ColorScheme = 'light' | 'dark';

export const desktop = { width: 1280, height: 900 };
export const phone = { width: 375, height: 800 };

export interface ContextOptions {
  viewport?: { width: number; height: number };
  colorScheme?: ColorScheme;
  javaScriptEnabled?: boolean;
  /** localStorage entries set before any page script runs. */
  storage?: Record<string, string>;
  /**
   * Let the course's service worker run (default: blocked). Only the offline tests want it: elsewhere
   * it would download the whole course in the background and answer requests a test routes.
   */
  serviceWorkers?: 'allow' | 'block';
}

export async function newContext(browser: Browser, options: ContextOptions = {}): Promise<BrowserContext> {
  const phoneSized = (options.viewport?.width ?? desktop.width) < 500;
  const context = await browser.newContext({
    viewport: options.viewport ?? desktop,
    colorScheme: options.colorScheme ?? 'light',
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    isMobile: phoneSized,
    hasTouch: phoneSized,
    serviceWorkers: options.serviceWorkers ?? 'block',
  });
  if (options.storage) {
    await context.addInitScript((entries) => {
      for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value);
    }, options.storage);
  }
  return context;
}
