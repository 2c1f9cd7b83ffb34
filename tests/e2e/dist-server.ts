import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { isolationHeadersFor } from '../../site/integrations/cross-origin-isolation.ts';

/**
 * The built site in dist/, served with the course's isolation headers by a
 * plain Node server the offline tests control: it answers any host name (the
 * preview server refuses names it does not know, such as classroom.test) and
 * can publish a new release of the service worker.
 */

export interface DistServer {
  origin: string;
  /** Appended to the service worker's script: a new value is a new release to the browser. */
  setRelease(release: string): void;
  close(): Promise<void>;
}

const dist = join(process.cwd(), 'dist');
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
};

export async function serveDist(): Promise<DistServer> {
  let release = '';
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const file = normalize(join(dist, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    try {
      if (!file.startsWith(`${dist}/`)) throw new Error('outside dist/');
      let body = await readFile(file);
      if (pathname === '/service-worker.js') body = Buffer.concat([body, Buffer.from(`\n// ${release}\n`)]);
      const headers = isolationHeadersFor(pathname, request.headers['sec-fetch-dest']?.toString());
      response.writeHead(200, {
        'Content-Type': types[extname(file)] ?? 'application/octet-stream',
        ...headers,
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setRelease: (next) => {
      release = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
