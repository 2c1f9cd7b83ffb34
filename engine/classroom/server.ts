import { timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import QRCode from 'qrcode';
import {
  Classroom,
  ClassroomError,
  type ClassroomEvent,
  type CourseExercise,
  hashToken,
  newToken,
} from './classroom.ts';
import { resultsCsv } from './csv.ts';
import { openEventLog } from './event-log.ts';
import { type RateLimit, tokenBuckets } from './rate-limit.ts';
import {
  handSchema,
  InvalidRequest,
  importSchema,
  joinSchema,
  MAX_SHARED_CODE_BYTES,
  newClassSchema,
  parseBody,
  reportSchema,
} from './validation.ts';

/**
 * The classroom server: the built site and the classroom API on one origin, over plain http on a
 * room's network. No cross-origin isolation headers: a laptop opening http://<address> is not a
 * secure context, so isolation could not be had there anyway and the site grades in a Worker.
 */

/** The largest request body, except a raised hand (which may carry code) and an import (many files). */
export const MAX_BODY_BYTES = 16 * 1024;
const MAX_HAND_BYTES = MAX_SHARED_CODE_BYTES + 8 * 1024;
const MAX_IMPORT_BYTES = 16 * 1024 * 1024;
/** How long a dashboard's stream gathers changes before sending the new state. */
const EVENT_COALESCE_MS = 100;

export interface ClassroomServerOptions {
  /** Where the log and the instructor token are kept. */
  dataDir: string;
  /** The built site (dist/). */
  siteDir: string;
  course: readonly CourseExercise[];
  port?: number;
  host?: string;
  /** The addresses learners open, shown on the dashboard with their QR codes. */
  learnerAddresses?: (port: number) => string[];
  rateLimit?: RateLimit;
  warn?: (message: string) => void;
}

export interface RunningClassroom {
  url: string;
  port: number;
  instructorToken: string;
  classroom: Classroom;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.map': 'application/json',
  '.zip': 'application/zip',
};

/** The token kept in the data dir, so a restart keeps the dashboard's printed address working. */
function instructorTokenIn(dataDir: string): string {
  const file = join(dataDir, 'instructor-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = newToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

export async function startClassroomServer(options: ClassroomServerOptions): Promise<RunningClassroom> {
  mkdirSync(options.dataDir, { recursive: true });
  const instructorToken = instructorTokenIn(options.dataDir);
  const log = openEventLog<ClassroomEvent>(join(options.dataDir, 'events.jsonl'), options.warn);
  const classroom = new Classroom(log, options.course);
  if (classroom.classCodes().length === 0) classroom.createClass('Workshop');
  const limit = options.rateLimit ?? tokenBuckets({ perMinute: 20, burst: 5 });
  const streams = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof ClassroomError) return sendJson(response, error.status, { error: error.message });
      if (error instanceof InvalidRequest) return sendJson(response, 400, { error: error.message });
      (options.warn ?? console.warn)(`classroom server: ${(error as Error).stack ?? error}`);
      if (!response.headersSent)
        sendJson(response, 500, { error: 'The classroom server failed to answer; see its terminal.' });
      else response.destroy();
    });
  });

  const isInstructor = (request: IncomingMessage, url: URL) => {
    const given = bearer(request) ?? url.searchParams.get('token') ?? '';
    return timingSafeEqual(Buffer.from(hashToken(given)), Buffer.from(hashToken(instructorToken)));
  };
  const requireInstructor = (request: IncomingMessage, url: URL) => {
    if (!isInstructor(request, url)) {
      throw new ClassroomError(
        401,
        'This needs the instructor token that the classroom server printed at start.',
      );
    }
  };
  const takeRate = (token: string | undefined, response: ServerResponse) => {
    const wait = limit.take(token ?? '');
    if (wait === 0) return true;
    response.setHeader('Retry-After', String(wait));
    sendJson(response, 429, { error: `Too many requests from this browser; try again in ${wait} s.` });
    return false;
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://classroom');
    const path = url.pathname;
    if (!path.startsWith('/api/')) return serveStatic(options.siteDir, request, response, path);
    const method = request.method ?? 'GET';
    const route = (pattern: RegExp, allowed: string) => {
      const match = pattern.exec(path);
      if (match && method !== allowed) throw new ClassroomError(405, `Use ${allowed} for ${path}.`);
      return match;
    };
    if (route(/^\/api\/classroom$/, 'GET')) return sendJson(response, 200, { classroom: true, version: 1 });
    if (route(/^\/api\/join$/, 'POST')) {
      const body = parseBody(joinSchema, await readJson(request, MAX_BODY_BYTES));
      return sendJson(response, 201, classroom.join(body.classCode, body.name));
    }
    if (route(/^\/api\/reports$/, 'POST')) {
      const body = await readJson(request, MAX_BODY_BYTES);
      const learner = classroom.learnerFor(bearer(request));
      if (!takeRate(bearer(request), response)) return;
      const stored = classroom.report(learner, parseBody(reportSchema, body));
      return sendJson(response, 202, stored ? { stored: true } : { stored: false, duplicate: true });
    }
    if (route(/^\/api\/hands$/, 'POST')) {
      const body = await readJson(request, MAX_HAND_BYTES);
      const learner = classroom.learnerFor(bearer(request));
      if (!takeRate(bearer(request), response)) return;
      return sendJson(response, 201, { handId: classroom.raiseHand(learner, parseBody(handSchema, body)) });
    }
    const hand = route(/^\/api\/hands\/([^/]+)$/, 'DELETE');
    if (hand) {
      const handId = decodeURIComponent(hand[1] ?? '');
      classroom.lowerHand(
        handId,
        isInstructor(request, url) ? undefined : classroom.learnerFor(bearer(request)),
      );
      return sendJson(response, 200, { lowered: true });
    }
    if (route(/^\/api\/classes$/, 'POST')) {
      requireInstructor(request, url);
      const body = parseBody(newClassSchema, await readJson(request, MAX_BODY_BYTES));
      return sendJson(response, 201, { code: classroom.createClass(body.name) });
    }
    if (route(/^\/api\/room$/, 'GET')) {
      requireInstructor(request, url);
      const port = (server.address() as AddressInfo).port;
      const addresses = options.learnerAddresses?.(port) ?? [`http://localhost:${port}/`];
      const qrCodes = await Promise.all(
        addresses.map((address) => QRCode.toString(address, { type: 'svg', margin: 2 })),
      );
      const classes = classroom.classCodes().map((code) => classroom.classNamed(code));
      return sendJson(response, 200, {
        classes,
        addresses: addresses.map((address, index) => ({ address, qrSvg: qrCodes[index] })),
      });
    }
    const classPath = /^\/api\/classes\/([^/]+)\/(state|events|results\.csv|import)$/.exec(path);
    if (classPath) {
      const [, code = '', what] = classPath;
      requireInstructor(request, url);
      if (what === 'import') {
        if (method !== 'POST') throw new ClassroomError(405, `Use POST for ${path}.`);
        const items = parseBody(importSchema, await readJson(request, MAX_IMPORT_BYTES));
        return sendJson(response, 201, { imported: classroom.importProgress(code, items) });
      }
      if (method !== 'GET') throw new ClassroomError(405, `Use GET for ${path}.`);
      const state = classroom.state(code);
      if (what === 'state') return sendJson(response, 200, state);
      if (what === 'results.csv') {
        response.writeHead(200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="results-${state.class.code}.csv"`,
          'Cache-Control': 'no-store',
        });
        // A byte-order mark, so spreadsheets read the names as UTF-8.
        response.end(`\uFEFF${resultsCsv(state)}`);
        return;
      }
      return streamState(classroom, state.class.code, response, streams);
    }
    throw new ClassroomError(404, `The classroom server has no ${path}.`);
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4400, options.host ?? '127.0.0.1', resolveListen);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    instructorToken,
    classroom,
    close: async () => {
      for (const stream of streams) stream.end();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      log.close();
    },
  };
}

function bearer(request: IncomingMessage): string | undefined {
  return /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

/** The body as JSON: 413 past `limit` bytes (checked while it arrives), 400 if it does not parse. */
async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () =>
    new ClassroomError(
      413,
      `The request is too large (over ${Math.round(limit / 1024)} KiB); nothing was stored.`,
    );
  if (Number(request.headers['content-length'] ?? 0) > limit) {
    request.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new InvalidRequest('The request body is not JSON; nothing was stored.');
  }
}

/** Server-Sent Events: the class's state now, then again after each change (gathered for a moment). */
function streamState(
  classroom: Classroom,
  code: string,
  response: ServerResponse,
  streams: Set<ServerResponse>,
) {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  const send = () => response.write(`event: state\ndata: ${JSON.stringify(classroom.state(code))}\n\n`);
  response.write('retry: 2000\n\n');
  send();
  let pending: NodeJS.Timeout | undefined;
  const unsubscribe = classroom.onChange((changed) => {
    if (changed !== code || pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      send();
    }, EVENT_COALESCE_MS);
  });
  // A comment now and then keeps proxies and sleeping Wi-Fi from closing a quiet stream.
  const keepAlive = setInterval(() => response.write(': still here\n\n'), 25_000);
  streams.add(response);
  response.on('close', () => {
    unsubscribe();
    clearTimeout(pending);
    clearInterval(keepAlive);
    streams.delete(response);
  });
}

function serveStatic(siteDir: string, request: IncomingMessage, response: ServerResponse, path: string) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return sendJson(response, 405, { error: 'The site is read-only: use GET.' });
  }
  const root = resolve(siteDir);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return sendJson(response, 400, { error: 'The address is not valid.' });
  }
  const file = normalize(join(root, decoded));
  if (file !== root && !file.startsWith(root + sep)) return sendJson(response, 404, { error: 'Not found.' });
  const found = existsSync(file) ? statSync(file) : undefined;
  if (found?.isDirectory()) {
    if (!path.endsWith('/')) {
      response.writeHead(301, { Location: `${path}/` });
      response.end();
      return;
    }
    return sendFile(join(file, 'index.html'), 200, request, response);
  }
  if (found?.isFile()) return sendFile(file, 200, request, response);
  return sendFile(join(root, '404.html'), 404, request, response);
}

function sendFile(file: string, status: number, request: IncomingMessage, response: ServerResponse) {
  if (!existsSync(file)) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('Not found');
    return;
  }
  const immutable = file.includes(`${sep}_astro${sep}`);
  response.writeHead(status, {
    'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
    'Content-Length': statSync(file).size,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
}
