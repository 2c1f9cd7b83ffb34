import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { courseRoot, fixtureConfig, fixturePage, terminalPage } from './vite.config.ts';

/** Builds the fixture page with the site's Vite (Astro's copy), serves it, and opens it in Chromium. */

/** The Vite the site builds with: Astro's own copy when it has one, else the root one. */
async function siteVite(): Promise<typeof import('vite')> {
  const astroDir = dirname(createRequire(import.meta.url).resolve('astro/package.json'));
  const nested = join(astroDir, 'node_modules/vite');
  const dir = existsSync(nested) ? nested : join(courseRoot, 'node_modules/vite');
  const entry = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).exports['.'].import;
  const vite = await import(pathToFileURL(join(dir, typeof entry === 'string' ? entry : entry.default)).href);
  return vite;
}

export async function buildFixture(outDir: string): Promise<string> {
  const vite = await siteVite();
  await vite.build(fixtureConfig(outDir));
  return vite.version;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

export async function serve(dir: string): Promise<{ url: string; terminalUrl: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    try {
      const body = await readFile(join(dir, path));
      response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return { url: `${origin}/${fixturePage}`, terminalUrl: `${origin}/${terminalPage}`, server };
}

/**
 * The fixture page from Vite's dev server, as `npm run dev` serves the site: the
 * Worker's modules unbundled, its packages pre-bundled by the dependency optimizer
 * (into `cacheDir`, so each run starts as a fresh clone does).
 */
export async function serveDev(cacheDir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const vite = await siteVite();
  const server = await vite.createServer({
    ...fixtureConfig(cacheDir),
    cacheDir,
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  await server.listen();
  const address = server.httpServer?.address() as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}/${fixturePage}`, close: () => server.close() };
}
