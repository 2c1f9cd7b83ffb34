import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AstroIntegration, ViteUserConfig } from 'astro';

/**
 * WebContainer only boots in a cross-origin isolated page, which needs COOP
 * and COEP. Isolation also cuts a page off from cross-origin popups (sign-in,
 * payment), so only lesson pages get the headers. Production hosts apply the
 * same rule from site/public/_headers (see docs/hosting.md).
 */

export const isolatedRoutePrefix = '/lessons/';
/** The grading frame (site/pages/grading-frame.astro), embedded by lesson pages from another site. */
export const gradingFramePath = '/grading-frame/';
/** Where a lesson page reads the grading frame's address (site/pages/grading-frame.json.ts). */
export const gradingFrameConfigPath = '/grading-frame.json';

const coep = { 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;
const coopAndCoep = { 'Cross-Origin-Opener-Policy': 'same-origin', ...coep } as const;

/**
 * The headers a response needs. A dedicated worker started by an isolated page
 * is blocked unless its own script is served with COEP too, so worker scripts
 * (the in-page grader) get COEP wherever they live.
 */
export function isolationHeadersFor(url: string, fetchDestination?: string): Record<string, string> {
  const { pathname } = new URL(url, 'http://localhost');
  if (pathname.startsWith(isolatedRoutePrefix)) return coopAndCoep;
  // An isolated page may embed a page from another site only if that page opts in to both.
  if (pathname.startsWith(gradingFramePath))
    return { ...coep, 'Cross-Origin-Resource-Policy': 'cross-origin' };
  if (fetchDestination === 'worker') return coep;
  return {};
}

/**
 * The grading frame's address for a page served as `host` (host:port): the one configured in
 * RJ_GRADING_FRAME_ORIGIN, or else, on this computer, the same server under its other loopback
 * name (localhost and 127.0.0.1 are different sites, so the frame gets a process of its own).
 * None for any other host: a classroom laptop's address has no second name to use.
 */
export function gradingFrameUrl(host: string | undefined, configured = process.env.RJ_GRADING_FRAME_ORIGIN) {
  if (configured) return new URL(gradingFramePath, configured).href;
  const served = host && new URL(`http://${host}`);
  if (!served) return undefined;
  const other = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' }[served.hostname];
  return other && `http://${other}${served.port && `:${served.port}`}${gradingFramePath}`;
}

function answerGradingFrameConfig(request: IncomingMessage, response: ServerResponse): boolean {
  if (new URL(request.url ?? '/', 'http://localhost').pathname !== gradingFrameConfigPath) return false;
  const url = gradingFrameUrl(request.headers.host);
  response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(url ? { url } : {}));
  return true;
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
        if (answerGradingFrameConfig(request, response)) return;
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
 * the preview script hands its HTTP server here: the grading frame's address
 * and the headers come before the static file server answers.
 */
export function isolateLessonRoutes(server: Server): void {
  // Wrapped rather than added: the static file server answers every request, so these go first.
  const listeners = server.listeners('request') as Array<
    (request: IncomingMessage, response: ServerResponse) => void
  >;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (answerGradingFrameConfig(request, response)) return;
    addIsolationHeaders(request, response);
    for (const listener of listeners) listener.call(server, request, response);
  });
}
