import type { VitePWAOptions } from 'vite-plugin-pwa';

/**
 * How @vite-pwa/astro builds the service worker (site/offline/service-worker.ts).
 *
 * What is precached, and when: everything the course needs offline, right
 * after the first visit (once the page has loaded): the pages, their CSS,
 * the workspace, Monaco with its editor and TypeScript workers, the grading
 * Worker, and the course files it grades with, all of them JavaScript in
 * dist/_astro. Monaco is most of it (about 12 of 17 MB raw, 2.7 MB gzip on
 * the wire): caching it only once the editor is opened would leave a learner
 * who read a lesson on the train without an editor, so it is precached too,
 * except for browsers set to save data (register.ts registers nothing there).
 * Files whose names carry a content hash are downloaded again only when they
 * change, so a new release costs what changed.
 */
export const offlineCourse: Partial<VitePWAOptions> = {
  strategies: 'injectManifest',
  srcDir: 'site/offline',
  filename: 'service-worker.ts',
  // A new release waits for the learner's Reload; register.ts registers it after the page loads.
  registerType: 'prompt',
  injectRegister: false,
  // An offline copy of a web site, not an installable app: no web app manifest.
  manifest: false,
  injectManifest: {
    // No .json: /grading-frame.json names a grading frame on another site, which cannot load offline;
    // without the file the Workers start in the page at once.
    globPatterns: ['**/*.{html,js,css,svg,ttf}'],
    // Monaco's TypeScript worker is about 7 MB raw; Workbox skips files over 2 MB unless told.
    maximumFileSizeToCacheInBytes: 10 * 1024 * 1024,
    // Keep each page's own index.html as its URL: the service worker maps `/lessons/x/` to it.
    manifestTransforms: [],
  },
};
