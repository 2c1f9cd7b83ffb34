import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { preview } from 'astro';
import { isolateLessonRoutes } from '../integrations/cross-origin-isolation.ts';
import { addressesToOpen } from './lan-addresses.ts';

export { addressesToOpen };

/**
 * Serves the built site in dist/ like `astro preview`, plus the lesson-only
 * cross-origin isolation headers that production hosts add from _headers.
 */

export interface RunningPreview {
  url: string;
  stop: () => Promise<void>;
}

/**
 * `allowedHosts`: host names the server answers besides localhost and IP addresses (Vite refuses others
 * with 403, against DNS rebinding), e.g. a name that stands for a classroom server in the tests.
 */
export async function startPreview(
  port = 4321,
  host?: string,
  allowedHosts?: string[],
): Promise<RunningPreview> {
  const running = await preview({
    root: process.cwd(),
    server: { port, ...(host && { host }), ...(allowedHosts && { allowedHosts }) },
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

export const PREVIEW_USAGE = `Serve the built site (dist/) as production would.

  npm run preview                          http://localhost:4321/
  npm run preview -- --port 8080           another port (or PORT=8080)
  npm run preview -- --host 0.0.0.0        every network interface, for a room (or HOST=0.0.0.0)`;

export interface PreviewOptions {
  port: number;
  host: string | undefined;
}

/** Reads --port/--host (falling back to PORT/HOST); anything else is answered with the usage, exit 2. */
export function previewOptions(
  args: readonly string[],
  env: Record<string, string | undefined>,
): PreviewOptions | { exitCode: 0 | 2; print: string } {
  let values: { port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    const option = /^Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
    return {
      exitCode: 2,
      print: `${option ? `Unknown option ${option}.` : (error as Error).message}\n\n${PREVIEW_USAGE}`,
    };
  }
  if (values.help) return { exitCode: 0, print: PREVIEW_USAGE };
  const rawPort = values.port ?? env.PORT ?? '4321';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) {
    return {
      exitCode: 2,
      print: `--port takes a port number such as 8080; got "${rawPort}".\n\n${PREVIEW_USAGE}`,
    };
  }
  return { port, host: values.host ?? env.HOST };
}

// Run directly (`npm run preview`): serve until interrupted.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = previewOptions(process.argv.slice(2), process.env);
  if ('exitCode' in options) {
    (options.exitCode === 0 ? console.log : console.error)(options.print);
    process.exit(options.exitCode);
  }
  // --host 0.0.0.0 serves a classroom's network (there the Worker runner grades: no secure context).
  const { url } = await startPreview(options.port, options.host);
  const port = Number(new URL(url).port);
  const { local, network } = addressesToOpen(options.host, port);
  const lines = [`Request Journey: ${local} (lesson pages are cross-origin isolated)`];
  if (network.length > 0) {
    lines.push('On this network, open:', ...network.map((address) => `  ${address}`));
    lines.push('(plain http from another machine: tests run in the page, with no cross-origin isolation)');
  } else if (options.host === '0.0.0.0' || options.host === '::') {
    lines.push('This machine has no network address other than localhost: connect it to the room network.');
  }
  console.log(lines.join('\n'));
}
