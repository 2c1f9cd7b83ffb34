import type { FileSystemTree } from '@webcontainer/api';
import type { ProjectTree } from '../exercise-project.ts';
import { realTimers, TIMED_OUT, type Timers, withinBudget } from '../timers.ts';
import { bootFrameVerdict } from './boot-frame.ts';

/**
 * The part of @webcontainer/api the runner uses (a WebContainer satisfies it),
 * so unit tests can stand a fake in its place; and the page's single instance.
 */

export interface ContainerProcess {
  /** stdout and stderr together, with ANSI codes. */
  output: ReadableStream<string>;
  exit: Promise<number>;
  kill(): void;
}

export interface Container {
  mount(tree: FileSystemTree | Uint8Array, options?: { mountPoint?: string }): Promise<void>;
  spawn(
    command: string,
    args: string[],
    options?: { env?: Record<string, string> },
  ): Promise<ContainerProcess>;
  fs: {
    readFile(path: string, encoding: 'utf-8'): Promise<string>;
    writeFile(path: string, data: string): Promise<void>;
    rm(path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void>;
  };
  export(path: string, options: { format: 'binary' }): Promise<Uint8Array>;
  teardown(): void;
}

export function toFileSystemTree(tree: ProjectTree): FileSystemTree {
  const root: FileSystemTree = {};
  for (const [path, contents] of Object.entries(tree)) {
    const parts = path.split('/');
    const name = parts.pop() as string;
    let dir = root;
    for (const part of parts) {
      dir[part] ??= { directory: {} };
      const node = dir[part];
      if (!('directory' in node)) throw new Error(`${path}: ${part} is a file, not a folder`);
      dir = node.directory;
    }
    dir[name] = { file: { contents } };
  }
  return root;
}

export class BootTimeout extends Error {}

/**
 * Boots the page's one WebContainer (a second boot() fails until the first is torn
 * down), raced against a budget: boot() never settles when StackBlitz's iframe
 * cannot load (offline, blocked, no third-party cookies).
 */
export class ContainerSlot {
  private booting: Promise<Container> | undefined;

  constructor(
    private readonly boot: () => Promise<Container>,
    private readonly timers: Timers = realTimers,
  ) {}

  async acquire(timeoutMs: number): Promise<Container> {
    this.booting ??= this.boot();
    const booting = this.booting;
    // A failed boot may be retried later; a slow one is kept, it may still finish.
    booting.catch(() => {
      if (this.booting === booting) this.booting = undefined;
    });
    const container = await withinBudget(booting, timeoutMs, this.timers);
    if (container === TIMED_OUT)
      throw new BootTimeout(`the WebContainer did not start within ${timeoutMs / 1000} s`);
    return container;
  }

  /** Tears the instance down (now, or when a boot still in flight finishes) so another may boot. */
  release(): void {
    const booting = this.booting;
    this.booting = undefined;
    booting?.then((container) => container.teardown()).catch(() => {});
  }
}

/** Where boot() loads its frame from (the API's default; a page may override it). */
const bootFrameOrigin = () =>
  new URL(
    (globalThis as { WEBCONTAINER_API_IFRAME_URL?: string }).WEBCONTAINER_API_IFRAME_URL ??
      'https://stackblitz.com',
  ).origin;

/** Boots, or fails as soon as the boot frame shows it cannot start (boot() alone would never settle). */
async function bootWebContainer(): Promise<Container> {
  const { WebContainer } = await import('@webcontainer/api');
  const verdict = bootFrameVerdict(bootFrameOrigin());
  try {
    return await Promise.race([
      WebContainer.boot({ coep: 'require-corp', workdirName: 'request-journey' }),
      verdict.failed,
    ]);
  } finally {
    verdict.stop();
  }
}

/** The page's WebContainer. */
export const pageContainer = new ContainerSlot(bootWebContainer);
