import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { preview } from 'astro';
import { isolateLessonRoutes } from '../integrations/cross-origin-isolation.ts';

/**
 * Serves the built site in dist/ like `astro preview`, plus the lesson-only
 * cross-origin isolation headers that production hosts add from _headers.
 */

export interface RunningPreview {
  url: string;
  stop: () => Promise<void>;
}

export async function startPreview(port = 4321, host?: string): Promise<RunningPreview> {
  const running = await preview({
    root: process.cwd(),
    server: { port, ...(host && { host }) },
    logLevel: 'warn',
  });
  const server = httpServerOf(running);
  isolateLessonRoutes(server);
  const { port: listening } = server.address() as AddressInfo;
  return { url: `http://localhost:${listening}`, stop: () => running.stop() };
}

/** Astro's static preview keeps its Node server on an untyped `server` field. */
function httpServerOf(running: object): Server {
  const server = (running as { server?: unknown }).server;
  if (!(server instanceof Server)) {
    throw new Error('astro preview no longer exposes its HTTP server; update site/scripts/preview.ts');
  }
  return server;
}

// Run directly (`npm run preview`): serve until interrupted.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 4321);
  // HOST=0.0.0.0 serves a classroom's network (there the Worker runner grades: no secure context).
  const { url } = await startPreview(port, process.env.HOST);
  console.log(`Request Journey: ${url}/ (lesson pages are cross-origin isolated)`);
}
