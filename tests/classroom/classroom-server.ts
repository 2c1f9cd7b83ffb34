import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CourseExercise } from '../../engine/classroom/classroom.ts';

/** Shared by the classroom tests: a small course, a tiny built site, and a JSON client. */

export const course: CourseExercise[] = [
  {
    id: 'cache-aside',
    title: 'Cache-aside',
    tasks: [
      { number: 1, title: 'Read through the cache' },
      { number: 2, title: 'Expire entries' },
    ],
  },
  { id: 'rate-limiter', title: 'Rate limiter', tasks: [{ number: 1, title: 'Count requests' }] },
];

/** A folder holding a stand-in for dist/: a home page, a 404 page, a hashed asset and a lesson page. */
export function builtSite(): string {
  const site = mkdtempSync(join(tmpdir(), 'classroom-site-'));
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>Home</title>');
  writeFileSync(join(site, '404.html'), '<!doctype html><title>Not found</title>');
  mkdirSync(join(site, '_astro'));
  writeFileSync(join(site, '_astro', 'page.abc123.js'), 'export {};');
  mkdirSync(join(site, 'lessons', 'caching'), { recursive: true });
  writeFileSync(join(site, 'lessons', 'caching', 'index.html'), '<!doctype html><title>Caching</title>');
  return site;
}

export const dataDir = () => mkdtempSync(join(tmpdir(), 'classroom-data-'));

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A request with a JSON body (or raw text), answered as JSON. */
export async function call(
  base: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown; raw?: string } = {},
): Promise<Answer> {
  const response = await fetch(new URL(path, base), {
    method: init.method ?? (init.body === undefined && init.raw === undefined ? 'GET' : 'POST'),
    headers: {
      'Content-Type': 'application/json',
      ...(init.token && { Authorization: `Bearer ${init.token}` }),
    },
    ...((init.body !== undefined || init.raw !== undefined) && {
      body: init.raw ?? JSON.stringify(init.body),
    }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

let reportCount = 0;
/** A report of cache-aside with task 1 passing and task 2 failing, unless told otherwise. */
export function report(overrides: Record<string, unknown> = {}) {
  reportCount += 1;
  return {
    reportId: `r${reportCount}-${Date.now().toString(36)}`,
    exercise: 'cache-aside',
    at: new Date().toISOString(),
    tasks: [
      { task: 1, title: 'Read through the cache', passed: true },
      { task: 2, title: 'Expire entries', passed: false, message: 'expected 2 to be 1' },
    ],
    ...overrides,
  };
}

const courseRoot = join(import.meta.dirname, '../..');

export interface ServingCli {
  child: ChildProcess;
  /** The loopback address it serves. */
  base: string;
  token: string;
  classCode: string;
  printed: string;
}

/**
 * `npm run classroom` as its own process on a free loopback port; `serving` resolves with what it
 * printed once it serves, and rejects if it exits first.
 */
export function startClassroomCli(
  data: string,
  site: string,
): { child: ChildProcess; serving: Promise<ServingCli> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'engine/classroom/cli.ts',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data',
      data,
      '--site',
      site,
    ],
    { cwd: courseRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let printed = '';
  child.stderr?.on('data', (chunk) => {
    printed += chunk;
  });
  const serving = new Promise<ServingCli>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      printed += chunk;
      const dashboard = /http:\/\/localhost:(\d+)\/classroom\/dashboard\/#token=(\S+)/.exec(printed);
      const classCode = /Class code: ([A-Z0-9]{6})/.exec(printed)?.[1];
      if (dashboard && classCode && printed.includes('Stop with Ctrl+C')) {
        resolve({
          child,
          base: `http://127.0.0.1:${dashboard[1]}`,
          token: dashboard[2] ?? '',
          classCode,
          printed,
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`the classroom server exited (${code}):\n${printed}`)));
  });
  return { child, serving };
}

/** Kills a process the way a crash or a pulled plug would: no chance to tidy up. */
export function killed(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
