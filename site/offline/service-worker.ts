/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { addPlugins, cleanupOutdatedCaches, type PrecacheEntry, precacheAndRoute } from 'workbox-precaching';
import { isolationHeadersFor } from '../integrations/cross-origin-isolation.ts';

/**
 * The course's service worker (built by @vite-pwa/astro, see astro.config.mjs):
 * after one visit it keeps every page, the editor, the grading Worker and the
 * course files it grades with in the Cache Storage, so a learner can open
 * another lesson, open the editor and run the tests with the network gone.
 * A new release waits until the learner accepts it (site/offline/register.ts).
 */

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<PrecacheEntry | string> };

/**
 * Lesson pages need COOP and COEP, and a Worker they start needs COEP on its
 * script, or the page loses its isolation (no WebContainer) or the Worker is
 * blocked. A cached response keeps the headers the server sent when it was
 * cached, but hosts differ (the preview server gives a Worker script COEP only
 * when it is fetched as a Worker, not when the precache fetches it), so every
 * response this worker serves gets the headers the course's own rule asks for.
 */
function withIsolationHeaders(request: Request, response: Response): Response {
  const wanted = Object.entries(isolationHeadersFor(request.url, request.destination));
  if (wanted.every(([name, value]) => response.headers.get(name) === value)) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of wanted) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

addPlugins([
  { handlerWillRespond: async ({ request, response }) => withIsolationHeaders(request, response) },
]);
// Pages are listed as their index.html: `/lessons/caching/` finds `/lessons/caching/index.html`.
precacheAndRoute(self.__WB_MANIFEST, {
  directoryIndex: 'index.html',
  // `/lessons/caching` without its slash is the same page (Astro's trailingSlash: 'ignore').
  urlManipulation: ({ url }) =>
    url.pathname.endsWith('/') ? [] : [new URL(`${url.pathname}/index.html`, url.origin)],
});
cleanupOutdatedCaches();

// The first install takes over the open page at once, so its editor can load offline too.
// Later releases wait for the learner's "Reload" (SKIP_WAITING from the update prompt).
clientsClaim();
self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
