import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import { loadCourse } from '../../engine/course/course.ts';
import type { GradeReport } from '../../engine/grading/results.ts';
import { bundledCourseFiles } from '../../engine/runtime/bundled-course-files.ts';
import { projectDependencies } from '../../engine/runtime/exercise-project.ts';
import type { Timers } from '../../engine/runtime/timers.ts';
import {
  BootTimeout,
  type Container,
  type ContainerProcess,
  ContainerSlot,
} from '../../engine/runtime/webcontainer/container.ts';
import type { InstallCache } from '../../engine/runtime/webcontainer/install-cache.ts';
import { RESULTS_CONFIG } from '../../engine/runtime/webcontainer/results.ts';
import { createWebContainerRunner } from '../../engine/runtime/webcontainer-runner.ts';

// No real WebContainer can boot here (StackBlitz is unreachable): these tests
// drive the runner against a fake container that behaves as the API documents.

const [exercise, other] = loadCourse();
if (!exercise || !other) throw new Error('these tests need two exercises');
const { manifest } = exercise;
const editable = manifest.files.editable[0] ?? '';
const request = { manifest, files: { [editable]: 'export const mine = 1;\n' }, seed: 42 };

const report: GradeReport = {
  exercise: manifest.id,
  runtime: 'webcontainer',
  seed: 42,
  tests: [],
  errors: [],
};

interface Spawned {
  command: string;
  args: string[];
  env: Record<string, string>;
  killed: boolean;
}

/** What a spawned command does: its output, its exit code (never, if undefined) and its effect on files. */
type Script = (spawned: Spawned, files: Map<string, string>) => { output?: string[]; exit?: number };

class FakeContainer implements Container {
  files = new Map<string, string>();
  mounts: Array<{ snapshot: boolean; mountPoint?: string }> = [];
  spawned: Spawned[] = [];
  exported = 0;
  tornDown = false;
  constructor(private readonly script: Script) {}

  async mount(tree: object, options?: { mountPoint?: string }) {
    const snapshot = tree instanceof Uint8Array;
    this.mounts.push({ snapshot, ...options });
    if (snapshot) return;
    const walk = (node: Record<string, unknown>, prefix: string) => {
      for (const [name, entry] of Object.entries(node)) {
        const value = entry as { directory?: Record<string, unknown>; file?: { contents: string } };
        if (value.directory) walk(value.directory, `${prefix}${name}/`);
        else this.files.set(`${prefix}${name}`, value.file?.contents ?? '');
      }
    };
    walk(tree as Record<string, unknown>, '');
  }

  async spawn(command: string, args: string[], options?: { env?: Record<string, string> }) {
    const spawned: Spawned = { command, args, env: options?.env ?? {}, killed: false };
    this.spawned.push(spawned);
    const { output = [], exit } = this.script(spawned, this.files);
    const process: ContainerProcess = {
      output: new ReadableStream({
        start(controller) {
          for (const chunk of output) controller.enqueue(chunk);
          controller.close();
        },
      }),
      exit: exit === undefined ? new Promise(() => {}) : Promise.resolve(exit),
      kill: () => {
        spawned.killed = true;
      },
    };
    return process;
  }

  fs = {
    readFile: async (path: string) => {
      const text = this.files.get(path);
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    writeFile: async (path: string, data: string) => {
      this.files.set(path, data);
    },
    rm: async (path: string) => {
      for (const key of [...this.files.keys()])
        if (key === path || key.startsWith(`${path}/`)) this.files.delete(key);
    },
  };

  async export() {
    this.exported++;
    return new Uint8Array([1, 2, 3]);
  }

  teardown() {
    this.tornDown = true;
  }
}

/** npm install succeeds; vitest writes `reports` as its results and exits 1 (tests failed). */
const healthy =
  (reports: unknown = [report]): Script =>
  ({ command, env }, files) => {
    if (command === 'npm') return { output: ['added 116 packages\n'], exit: 0 };
    files.set(env.GRADE_RESULTS_FILE ?? '', JSON.stringify(reports));
    return { output: ['\u001b[31m  cache-aside  ·····  0/5\u001b[39m\n'], exit: 1 };
  };

function memoryCache(): InstallCache & { entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  return {
    entries,
    get: async (key) => entries.get(key),
    put: async (key, value) => void entries.set(key, value),
  };
}

function setup(script: Script = healthy(), cache = memoryCache()) {
  const clock = FakeTimers.createClock();
  const timers: Timers = {
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle as number),
  };
  const container = new FakeContainer(script);
  let boots = 0;
  const slot = new ContainerSlot(async () => {
    boots++;
    return container;
  }, timers);
  const runner = createWebContainerRunner({
    courseFiles: bundledCourseFiles,
    slot,
    installCache: cache,
    timers,
  });
  return { runner, container, cache, clock, boots: () => boots };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the WebContainer runner', () => {
  it('mounts the exercise project, installs once, runs vitest and grades from its results file', async () => {
    const { runner, container, cache } = setup();
    expect(await runner.grade(request)).toEqual({ kind: 'graded', report, diagnostics: [] });

    expect(container.files.get(`exercises/${manifest.id}/${editable}`)).toBe('export const mine = 1;\n');
    expect(container.files.has(manifest.files.grader)).toBe(true);
    expect(container.files.has(RESULTS_CONFIG)).toBe(true);
    expect(container.spawned.map(({ command, args }) => [command, ...args].join(' '))).toEqual([
      'npm install --no-audit --no-fund',
      `npx vitest run --config ${RESULTS_CONFIG} --project ${manifest.id}`,
    ]);
    expect(container.spawned[1]?.env).toEqual({
      GRADER_SEED: '42',
      GRADE_RESULTS_FILE: expect.stringMatching(/^\.grade\/results-[0-9a-f]{24}\.json$/),
      FORCE_COLOR: '1',
    });
    await turn();
    expect([...cache.entries.keys()]).toEqual([JSON.stringify(projectDependencies())]);
  });

  it('on the next run mounts the course files again, rewrites the learner files and runs vitest again', async () => {
    const { runner, container, boots } = setup();
    await runner.grade(request);
    await runner.grade({ ...request, files: { [editable]: 'export const mine = 2;\n' } });
    expect(boots()).toBe(1);
    // The project once, then the course's files before each of the two runs.
    expect(container.mounts.filter((mount) => !mount.snapshot)).toHaveLength(3);
    expect(container.spawned.map((spawned) => spawned.command)).toEqual(['npm', 'npx', 'npx']);
    expect(container.files.get(`exercises/${manifest.id}/${editable}`)).toBe('export const mine = 2;\n');
  });

  it('grades every run with pristine grader and engine files, whatever the last run wrote to disk', async () => {
    const graderSeen: string[] = [];
    const { runner } = setup((spawned, files) => {
      if (spawned.command === 'npm') return { exit: 0 };
      graderSeen.push(files.get(manifest.files.grader) ?? '');
      // The learner's code edits the grader during its run, hoping the next run uses it.
      files.set(manifest.files.grader, 'it("passes", () => {});');
      files.set(spawned.env.GRADE_RESULTS_FILE ?? '', JSON.stringify([report]));
      return { exit: 0 };
    });
    await runner.grade(request);
    await runner.grade(request);
    expect(graderSeen[1]).toBe(graderSeen[0]);
    expect(graderSeen[0]).toContain('describe(');
  });

  it('reads results only from a file named anew for each run, never one written before the run', async () => {
    const forged = { ...report, tests: [] };
    const names: string[] = [];
    const { runner, container } = setup(({ command, env }, files) => {
      if (command === 'npm') return { exit: 0 };
      names.push(env.GRADE_RESULTS_FILE ?? '');
      files.set(env.GRADE_RESULTS_FILE ?? '', JSON.stringify([report]));
      return { exit: 1 };
    });
    // What a learner's code might have left for the next run, at the old fixed name and at the last run's.
    container.files.set('grade-results.json', JSON.stringify([forged]));
    await runner.grade(request);
    container.files.set(names[0] ?? '', JSON.stringify([forged]));
    expect(await runner.grade(request)).toEqual({ kind: 'graded', report, diagnostics: [] });
    expect(new Set(names).size).toBe(2);
  });

  it('mounts the node_modules snapshot of an earlier visit instead of installing', async () => {
    const cache = memoryCache();
    cache.entries.set(JSON.stringify(projectDependencies()), new Uint8Array([9]));
    const { runner, container } = setup(healthy(), cache);
    await runner.grade(request);
    expect(container.mounts).toContainEqual({ snapshot: true, mountPoint: 'node_modules' });
    expect(container.spawned.map((spawned) => spawned.command)).toEqual(['npx']);
  });

  it('keeps only the current exercise in the project when the learner moves to another', async () => {
    const { runner, container } = setup();
    await runner.grade(request);
    await runner.grade({ manifest: other.manifest, files: { [other.manifest.files.editable[0] ?? '']: '' } });
    expect(
      [...container.files.keys()].filter((path) => path.startsWith(`exercises/${manifest.id}/`)),
    ).toEqual([]);
    expect(container.spawned.filter((spawned) => spawned.command === 'npm')).toHaveLength(1);
  });

  it('reports a syntax error with line and column without starting anything', async () => {
    const { runner, boots } = setup();
    const outcome = await runner.grade({ ...request, files: { [editable]: 'export const = 1;' } });
    expect(outcome).toMatchObject({
      kind: 'compile-error',
      diagnostics: [{ file: editable, line: 1, column: 14 }],
    });
    expect(boots()).toBe(0);
  });

  it('stops a run past its time limit and kills vitest', async () => {
    const { runner, container, clock } = setup(({ command }) =>
      command === 'npm' ? { exit: 0 } : { output: ['running'] },
    );
    const outcome = runner.grade(request);
    while (container.spawned.length < 2) await turn();
    clock.tick(45_000);
    await expect(outcome).resolves.toMatchObject({ kind: 'stopped', reason: 'time-limit', limitMs: 45_000 });
    expect(container.spawned[1]?.killed).toBe(true);
  });

  it('stops a run when the learner asks, and kills vitest', async () => {
    const { runner, container } = setup(({ command }) =>
      command === 'npm' ? { exit: 0 } : { output: ['running'] },
    );
    const outcome = runner.grade(request);
    while (container.spawned.length < 2) await turn();
    await turn();
    runner.stop?.();
    await expect(outcome).resolves.toMatchObject({ kind: 'stopped', reason: 'learner' });
    expect(container.spawned[1]?.killed).toBe(true);
  });

  it('reports vitest ending without results as a runner error that shows its output', async () => {
    const { runner } = setup(({ command }) =>
      command === 'npm' ? { exit: 0 } : { output: ['Error: Cannot find module vitest\n'], exit: 0 },
    );
    const outcome = await runner.grade(request);
    expect(outcome).toMatchObject({ kind: 'runner-error' });
    expect(outcome.kind === 'runner-error' && outcome.message).toContain('Cannot find module vitest');
  });

  it('reports a failed install as a runner error and installs again on the next run', async () => {
    let installs = 0;
    const { runner } = setup((spawned, files) =>
      spawned.command === 'npm'
        ? { output: ['ETIMEDOUT\n'], exit: installs++ === 0 ? 1 : 0 }
        : healthy()(spawned, files),
    );
    const failed = await runner.grade(request);
    expect(failed).toMatchObject({ kind: 'runner-error' });
    expect(failed.kind === 'runner-error' && failed.message).toContain('npm install failed (exit code 1)');
    expect(await runner.grade(request)).toMatchObject({ kind: 'graded' });
    expect(installs).toBe(2);
  });

  it('streams the raw output of install and test runs to its listeners', async () => {
    const { runner } = setup();
    const chunks: string[] = [];
    const stop = runner.onOutput?.((chunk) => chunks.push(chunk));
    await runner.grade(request);
    await turn();
    expect(chunks.join('')).toContain('added 116 packages');
    expect(chunks.join('')).toContain('0/5');
    stop?.();
  });
});

describe('the page WebContainer slot', () => {
  function slotWith(boot: () => Promise<Container>) {
    const clock = FakeTimers.createClock();
    const timers: Timers = {
      setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
      clearTimeout: (handle) => clock.clearTimeout(handle as number),
    };
    return { slot: new ContainerSlot(boot, timers), clock };
  }

  it('gives up on a boot that never settles once the budget passes', async () => {
    const { slot, clock } = slotWith(() => new Promise(() => {}));
    const acquiring = slot.acquire(5_000);
    clock.tick(5_000);
    await expect(acquiring).rejects.toBeInstanceOf(BootTimeout);
  });

  it('boots once per page, and tears down a late boot when released', async () => {
    let boots = 0;
    let finishBoot: (container: Container) => void = () => {};
    const { slot, clock } = slotWith(() => {
      boots++;
      return new Promise((resolve) => (finishBoot = resolve));
    });
    const first = slot.acquire(5_000);
    clock.tick(5_000);
    await expect(first).rejects.toBeInstanceOf(BootTimeout);
    const second = slot.acquire(5_000);
    const container = new FakeContainer(healthy());
    finishBoot(container);
    await expect(second).resolves.toBe(container);
    expect(boots).toBe(1);
    slot.release();
    await turn();
    expect(container.tornDown).toBe(true);
  });
});
