import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AstroIntegration, ViteUserConfig } from 'astro';

/**
 * WebContainer only boots in a cross-origin isolated page, which needs COOP
 * and COEP. Isolation also cuts a page off from cross-origin popups (sign-in,
 * payment), so only lesson pages get the headers. Production hosts apply the
 * same rule from site/public/_headers (see docs/hosting.md).
 */

export const isolatedRoutePrefix = '/lessons/';

const coep = { 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;
const coopAndCoep = { 'Cross-Origin-Opener-Policy': 'same-origin', ...coep } as const;

/**
 * The headers a response needs. A dedicated worker started by an isolated page
 * is blocked unless its own script is served with COEP too, so worker scripts
 * (the in-page grader) get COEP wherever they live.
 */
export function isolationHeadersFor(url: string, fetchDestination?: string): Record<string, string> {
  if (new URL(url, 'http://localhost').pathname.startsWith(isolatedRoutePrefix)) return coopAndCoep;
  if (fetchDestination === 'worker') return coep;
  return {};
}

function addIsolationHeaders(request: IncomingMessage, response: ServerResponse): void {
  const headers = isolationHeadersFor(request.url ?? '/', request.headers['sec-fetch-dest']?.toString());
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
}

/** A plugin for Astro's own Vite (the root `vite` package is vitest's, a newer major). */
type AstroVitePlugin = Extract<NonNullable<ViteUserConfig['plugins']>[number], { name: string }>;

/** `astro dev`: a Vite middleware that runs before Astro renders the page. */
function devServerHeaders(): AstroVitePlugin {
  return {
    name: 'request-journey:cross-origin-isolation',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        addIsolationHeaders(request, response);
        next();
      });
    },
  };
}

export function crossOriginIsolation(): AstroIntegration {
  return {
    name: 'request-journey:cross-origin-isolation',
    hooks: {
      'astro:config:setup': ({ command, updateConfig }) => {
        if (command === 'dev') updateConfig({ vite: { plugins: [devServerHeaders()] } });
      },
    },
  };
}

/**
 * `astro preview` of a static build takes no Vite plugins from the config, so
 * the preview script hands its HTTP server here: this listener runs before the
 * static file server answers.
 */
export function isolateLessonRoutes(server: Server): void {
  server.prependListener('request', addIsolationHeaders);
}
