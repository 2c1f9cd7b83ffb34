import FakeTimers from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import {
  type BrowserEnvironment,
  browserEnvironment,
  chooseRunner,
  RUNNER_HELP,
  sessionBootVerdicts,
  unsupportedReason,
} from '../../engine/runtime/choose-runner.ts';
import { courseFilesFrom } from '../../engine/runtime/course-files.ts';
import type { Runner } from '../../engine/runtime/runner.ts';
import type { Timers } from '../../engine/runtime/timers.ts';
import {
  type BootFrameEvents,
  BootFrameFailed,
  bootFrameVerdict,
} from '../../engine/runtime/webcontainer/boot-frame.ts';
import { ContainerSlot } from '../../engine/runtime/webcontainer/container.ts';
import { createWebContainerRunner } from '../../engine/runtime/webcontainer-runner.ts';
import { fakeSessionStorage } from './session-storage.ts';

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
  secureContext: true,
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
      [{ ...isolated(), secureContext: false, crossOriginIsolated: false }, 'not-secure'],
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
    ).toEqual({ secureContext: true, crossOriginIsolated: true, sharedArrayBuffer: true, userAgent: 'x' });
    expect(browserEnvironment({ isSecureContext: false } as never).secureContext).toBe(false);
  });
});

describe('the notice on a page served without isolation', () => {
  it.each([
    ['plain http from another computer', { ...isolated(), secureContext: false, crossOriginIsolated: false }],
    ['a host that sends no isolation headers', { ...isolated(), crossOriginIsolated: false }],
  ])(
    '%s: says tests run in this page and that this is fine, without blaming the browser',
    async (_, environment) => {
      const { notice } = await chooseRunner({
        preference: 'auto',
        environment,
        webContainer: () => fakeRunner('webcontainer'),
        worker: () => fakeRunner('worker'),
      });
      expect(notice?.message).toMatch(/^Tests run in this page, and that is fine: .*(served|serves)/);
      expect(`${notice?.message} ${notice?.help}`).not.toMatch(
        /this browser|ad blocker|third-party cookies/i,
      );
      expect(notice?.help).toMatch(/^Nothing to change in your browser/);
    },
  );
});

describe('remembering a failed boot for the session', () => {
  const failing = () => fakeRunner('webcontainer', () => Promise.reject(new Error('blocked')));

  it.each([
    ['in sessionStorage', false],
    ['in memory when storage throws', true],
  ])('%s: the next page falls back at once, without trying to boot', async (_, broken) => {
    const storage = fakeSessionStorage(broken);
    const firstPage = sessionBootVerdicts(() => storage);
    const first = await chooseRunner({
      preference: 'auto',
      environment: isolated(),
      webContainer: failing,
      worker: () => fakeRunner('worker'),
      verdicts: firstPage,
    });
    expect(first.notice?.reason).toBe('boot-failed');

    // The next lesson page reads the session's storage afresh; without storage, only the page's memory is left.
    const nextPage = broken ? firstPage : sessionBootVerdicts(() => storage);
    let tried = false;
    const second = await chooseRunner({
      preference: 'auto',
      environment: isolated(),
      webContainer: () => {
        tried = true;
        return failing();
      },
      worker: () => fakeRunner('worker'),
      verdicts: nextPage,
    });
    expect([second.runner.kind, second.notice?.reason, tried]).toEqual(['worker', 'boot-failed', false]);
    expect(second.notice?.message).toMatch(/earlier in this visit/);
  });

  it('tries again when the learner forces the WebContainer, and forgets the failure once it boots', async () => {
    const storage = fakeSessionStorage();
    const verdicts = sessionBootVerdicts(() => storage);
    verdicts.record(false);
    const forced = await chooseRunner({
      preference: 'webcontainer',
      environment: isolated(),
      webContainer: () => fakeRunner('webcontainer'),
      worker: () => fakeRunner('worker'),
      verdicts,
    });
    expect(forced.runner.kind).toBe('webcontainer');
    expect(sessionBootVerdicts(() => storage).failedBefore()).toBe(false);
  });
});

describe("the boot frame's early verdict", () => {
  const origin = 'https://stackblitz.com';

  function fakeFrame() {
    const clock = FakeTimers.createClock();
    const timers: Timers = {
      setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
      clearTimeout: (handle) => clock.clearTimeout(handle as number),
    };
    let loaded: (() => void) | undefined;
    let message: ((data: unknown) => void) | undefined;
    const events: BootFrameEvents = {
      onFrameLoad: (from, listener) => {
        expect(from).toBe(origin);
        loaded = listener;
        return () => (loaded = undefined);
      },
      onMessage: (from, listener) => {
        expect(from).toBe(origin);
        message = listener;
        return () => (message = undefined);
      },
    };
    return { clock, timers, events, load: () => loaded?.(), post: (data: unknown) => message?.(data) };
  }

  it('fails the boot soon after its frame loaded without starting, long before the 5 s budget', async () => {
    const frame = fakeFrame();
    const { failed } = bootFrameVerdict(origin, frame.events, frame.timers, 1_500);
    let verdict: unknown;
    failed.catch((error: unknown) => (verdict = error));
    frame.clock.tick(200);
    frame.load(); // the error page of an iframe that could not reach its server
    frame.clock.tick(1_499);
    await Promise.resolve();
    expect(verdict).toBeUndefined();
    frame.clock.tick(1);
    await Promise.resolve();
    expect(verdict).toBeInstanceOf(BootFrameFailed);
  });

  it('gives no verdict when the frame sends init, before or after its load', async () => {
    for (const initFirst of [true, false]) {
      const frame = fakeFrame();
      const { failed } = bootFrameVerdict(origin, frame.events, frame.timers, 1_500);
      let verdict: unknown;
      failed.catch((error: unknown) => (verdict = error));
      if (initFirst) frame.post({ type: 'init' });
      frame.load();
      frame.post({ type: 'warning' });
      if (!initFirst) frame.post({ type: 'init' });
      frame.clock.tick(60_000);
      await Promise.resolve();
      expect(verdict).toBeUndefined();
    }
  });

  it('switches to the Worker as soon as the verdict is in', async () => {
    const frame = fakeFrame();
    const slot = new ContainerSlot(async () => {
      const verdict = bootFrameVerdict(origin, frame.events, frame.timers, 1_500);
      return Promise.race([new Promise<never>(() => {}), verdict.failed]);
    }, frame.timers);
    const choosing = chooseRunner({
      preference: 'auto',
      environment: isolated(),
      webContainer: () =>
        createWebContainerRunner({ courseFiles: courseFilesFrom({}), slot, timers: frame.timers }),
      worker: () => fakeRunner('worker'),
    });
    await Promise.resolve();
    frame.clock.tick(200);
    frame.load();
    await frame.clock.tickAsync(1_500);
    await expect(choosing).resolves.toMatchObject({
      runner: { kind: 'worker' },
      notice: { reason: 'boot-failed' },
    });
    expect(frame.clock.now).toBeLessThan(5_000);
  });
});
