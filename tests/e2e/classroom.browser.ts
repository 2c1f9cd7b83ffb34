import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { courseRoot } from '../../engine/course/course.ts';
import { CHROMIUM_FLAGS } from './chromium.ts';

/**
 * The classroom as a room sees it, for the end-to-end tests and screenshots: the real classroom
 * server (`npm run classroom`) as its own process over the built site, and Chromium resolving
 * classroom.test to this machine, so pages load over plain http from a name that is not a secure context.
 */

export const ROOM_HOST = 'classroom.test';

/** A port nothing listens on now; the server is restarted on it, so the learners' pages keep their origin. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface RoomServer {
  /** Where the test itself talks to the server. */
  origin: string;
  /** Where the learners' browsers open it. */
  roomOrigin: string;
  instructorToken: string;
  /** Ends the process at once (SIGKILL), as a crash or a pulled plug would. */
  kill(): Promise<void>;
}

/** Starts `npm run classroom` on the port, keeping its data in dataDir, and waits until it serves. */
export async function startRoomServer(port: number, dataDir: string): Promise<RoomServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(courseRoot, 'engine/classroom/cli.ts'),
      ...[
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--data',
        dataDir,
        '--site',
        join(courseRoot, 'dist'),
      ],
    ],
    { cwd: courseRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const ready = () => {
      if (output.includes('Instructor dashboard')) resolve();
    };
    child.stdout?.on('data', ready);
    void exited.then(() => reject(new Error(`the classroom server ended:\n${output}`)));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    roomOrigin: `http://${ROOM_HOST}:${port}`,
    instructorToken: (await readFile(join(dataDir, 'instructor-token'), 'utf8')).trim(),
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export function launchRoomChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_FLAGS, `--host-resolver-rules=MAP ${ROOM_HOST} 127.0.0.1`],
  });
}

/**
 * Joins a class through the workspace's panel (the editor must be open) and waits until it says so.
 * `dblclick` presses Join twice, as an impatient learner does.
 */
export async function joinClass(
  page: Page,
  classCode: string,
  name: string,
  press: 'click' | 'dblclick' = 'click',
): Promise<void> {
  const panel = page.getByRole('region', { name: 'Join a class' });
  await panel.getByLabel('Class code').fill(classCode);
  await panel.getByLabel('Your name').fill(name);
  await panel.getByRole('button', { name: 'Join' })[press]();
  await page.getByRole('region', { name: 'Your class' }).waitFor({ timeout: 30_000 });
}
