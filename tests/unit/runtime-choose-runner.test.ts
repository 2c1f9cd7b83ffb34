import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import {
  type BrowserEnvironment,
  browserEnvironment,
  chooseRunner,
  RUNNER_HELP,
  unsupportedReason,
} from '../../engine/runtime/choose-runner.ts';
import { courseFilesFrom } from '../../engine/runtime/course-files.ts';
import type { Runner } from '../../engine/runtime/runner.ts';
import type { Timers } from '../../engine/runtime/timers.ts';
import { ContainerSlot } from '../../engine/runtime/webcontainer/container.ts';
import { createWebContainerRunner } from '../../engine/runtime/webcontainer-runner.ts';

const agents = {
  chrome:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  safari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  chromeOnIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
};

const isolated = (userAgent = agents.chrome): BrowserEnvironment => ({
  crossOriginIsolated: true,
  sharedArrayBuffer: true,
  userAgent,
});

function fakeRunner(kind: Runner['kind'], start: () => Promise<void> = async () => {}) {
  const runner = {
    kind,
    disposed: false,
    startedWith: undefined as number | undefined,
    grade: async () => ({ kind: 'runner-error', message: 'not graded in this test' }) as const,
    start: (timeoutMs: number) => {
      runner.startedWith = timeoutMs;
      return start();
    },
    dispose: () => {
      runner.disposed = true;
    },
  };
  return runner;
}

describe('choosing the runner', () => {
  it('uses the WebContainer when the browser supports it and it boots within 5 s', async () => {
    const webContainer = fakeRunner('webcontainer');
    const choice = await chooseRunner({
      preference: 'auto',
      environment: isolated(),
      webContainer: () => webContainer,
      worker: () => fakeRunner('worker'),
    });
    expect(choice).toEqual({ runner: webContainer });
    expect(webContainer.startedWith).toBe(5_000);
  });

  it('falls back to the Worker, with a notice and help, when the boot fails', async () => {
    const webContainer = fakeRunner('webcontainer', () => Promise.reject(new Error('blocked')));
    const choice = await chooseRunner({
      preference: 'auto',
      environment: isolated(),
      webContainer: () => webContainer,
      worker: () => fakeRunner('worker'),
    });
    expect(choice.runner.kind).toBe('worker');
    expect(choice.notice).toEqual({ reason: 'boot-failed', message: expect.any(String), help: RUNNER_HELP });
    expect(webContainer.disposed).toBe(true);
  });

  it('does not try the WebContainer where it cannot work', async () => {
    for (const [environment, reason] of [
      [{ ...isolated(), crossOriginIsolated: false }, 'not-isolated'],
      [{ ...isolated(), sharedArrayBuffer: false }, 'not-isolated'],
      [isolated(agents.safari), 'unsupported-browser'],
      [isolated(agents.chromeOnIphone), 'unsupported-browser'],
    ] as const) {
      let tried = false;
      const choice = await chooseRunner({
        preference: 'auto',
        environment,
        webContainer: () => {
          tried = true;
          return fakeRunner('webcontainer');
        },
        worker: () => fakeRunner('worker'),
      });
      expect([choice.runner.kind, choice.notice?.reason, tried]).toEqual(['worker', reason, false]);
    }
  });

  it('respects a learner who forces the Worker, without a notice', async () => {
    const choice = await chooseRunner({
      preference: 'worker',
      environment: isolated(),
      webContainer: () => fakeRunner('webcontainer'),
      worker: () => fakeRunner('worker'),
    });
    expect(choice.runner.kind).toBe('worker');
    expect(choice.notice).toBeUndefined();
  });

  it('tries a forced WebContainer even in an unsupported browser, still falling back if it cannot boot', async () => {
    const forced = await chooseRunner({
      preference: 'webcontainer',
      environment: isolated(agents.safari),
      webContainer: () => fakeRunner('webcontainer'),
      worker: () => fakeRunner('worker'),
    });
    expect(forced.runner.kind).toBe('webcontainer');
  });

  it('switches to the Worker once 5 s pass on a boot that never settles', async () => {
    const clock = FakeTimers.createClock();
    const timers: Timers = {
      setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
      clearTimeout: (handle) => clock.clearTimeout(handle as number),
    };
    const slot = new ContainerSlot(() => new Promise(() => {}), timers);
    const choosing = chooseRunner({
      preference: 'auto',
      environment: isolated(agents.firefox),
      webContainer: () => createWebContainerRunner({ courseFiles: courseFilesFrom({}), slot, timers }),
      worker: () => fakeRunner('worker'),
    });
    clock.tick(4_999);
    let settled = false;
    void choosing.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.tick(1);
    await expect(choosing).resolves.toMatchObject({
      runner: { kind: 'worker' },
      notice: { reason: 'boot-failed' },
    });
  });

  it('reads the environment from the browser globals', () => {
    expect(unsupportedReason(isolated())).toBeUndefined();
    expect(
      browserEnvironment({
        crossOriginIsolated: true,
        SharedArrayBuffer,
        navigator: { userAgent: 'x' },
      } as never),
    ).toEqual({ crossOriginIsolated: true, sharedArrayBuffer: true, userAgent: 'x' });
  });
});
