import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import { framedWorkers, type OpenFrame } from '../../engine/runtime/grading-frame/framed-workers.ts';
import type { FromFrame, ToFrame } from '../../engine/runtime/grading-frame/protocol.ts';
import { type GradeOutcome, OUT_OF_MEMORY_MESSAGE } from '../../engine/runtime/runner.ts';
import type { Timers } from '../../engine/runtime/timers.ts';
import type { FromWorker, ToWorker } from '../../engine/runtime/worker/protocol.ts';
import { createWorkerRunner, type WorkerEvents } from '../../engine/runtime/worker-runner.ts';
import { gradingFrameUrl, isolationHeadersFor } from '../../site/integrations/cross-origin-isolation.ts';

/**
 * Grading in a frame of its own process: the page side (framed-workers.ts)
 * against a stand-in frame over real MessageChannels, and the Worker runner's
 * answer when the process a run used dies.
 */

const manifest = { id: 'demo', files: { editable: ['demo.ts'] } } as ExerciseManifest;
const request = { manifest, files: { 'demo.ts': 'export {}' } };

/** Ports to close after each test, so no channel keeps the test process alive. */
const open: MessagePort[] = [];
afterEach(() => {
  for (const port of open.splice(0)) port.close();
});

/** MessagePorts deliver on the event loop: let them. */
const delivered = () => new Promise((resolve) => setTimeout(resolve, 20));

function fakeClock() {
  const clock = FakeTimers.createClock();
  const timers: Timers = {
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle as number),
  };
  return { clock, timers, now: () => clock.now };
}

/** A stand-in for grading-frame/frame.ts: records what the page asks and the private ports it hands over. */
class StandInFrame {
  control: MessagePort | undefined;
  received: ToFrame[] = [];
  privatePorts = new Map<number, MessagePort>();
  removed = false;
  private hello: ((connect: (control: MessagePort) => void) => void) | undefined;

  readonly open: OpenFrame = (_url, hello) => {
    this.hello = hello;
    return { remove: () => (this.removed = true) };
  };

  /** The frame's script ran and said hello: the page hands over the control port. */
  connect() {
    this.hello?.((control) => {
      this.control = control;
      open.push(control);
      control.onmessage = (event: MessageEvent<ToFrame>) => {
        this.received.push(event.data);
        const [port] = event.ports;
        if (event.data.type === 'spawn' && port) {
          open.push(port);
          this.privatePorts.set(event.data.worker, port);
        }
      };
    });
  }

  send(message: FromFrame) {
    this.control?.postMessage(message);
  }
}

function recordingEvents() {
  const seen: { messages: FromWorker[]; crashes: string[]; lost: number } = {
    messages: [],
    crashes: [],
    lost: 0,
  };
  const events: WorkerEvents = {
    message: (message) => seen.messages.push(message),
    crash: (reason) => seen.crashes.push(reason),
    lost: () => seen.lost++,
  };
  return { seen, events };
}

describe('grading Workers in a frame of their own', () => {
  function setup() {
    const { clock, timers, now } = fakeClock();
    const frames: StandInFrame[] = [];
    const startedInPage: MessagePort[] = [];
    const spawn = framedWorkers({
      frameUrl: async () => 'http://127.0.0.1:4321/grading-frame/',
      openFrame: (url, hello) => {
        const frame = new StandInFrame();
        frames.push(frame);
        return frame.open(url, hello);
      },
      startInPage: (port) => {
        open.push(port);
        startedInPage.push(port);
        return { terminate() {} } as Worker;
      },
      timers,
      now,
    });
    return { clock, frames, startedInPage, spawn };
  }

  it('starts the Worker in the frame once it connects, and the page and the Worker then talk directly', async () => {
    const { frames, spawn } = setup();
    const { seen, events } = recordingEvents();
    const worker = spawn(events);
    await delivered();
    const warm: ToWorker = { type: 'warm', manifest };
    worker.post(warm); // before the frame has even loaded: it waits in the channel
    frames[0]?.connect();
    await delivered();
    expect(frames[0]?.received).toEqual([{ type: 'spawn', worker: 1 }]);
    const privatePort = frames[0]?.privatePorts.get(1);
    const atWorker: ToWorker[] = [];
    if (!privatePort) throw new Error('the frame got no private port');
    privatePort.onmessage = (event: MessageEvent<ToWorker>) => atWorker.push(event.data);
    privatePort.postMessage({ type: 'running', id: 1 } satisfies FromWorker);
    await delivered();
    expect(atWorker).toEqual([warm]);
    expect(seen.messages).toEqual([{ type: 'running', id: 1 }]);

    worker.terminate();
    await delivered();
    expect(frames[0]?.received.at(-1)).toEqual({ type: 'terminate', worker: 1 });
  });

  it('reports every Worker of a frame that falls silent as lost, and opens a fresh frame for the next', async () => {
    const { clock, frames, spawn } = setup();
    const first = recordingEvents();
    const second = recordingEvents();
    spawn(first.events);
    spawn(second.events);
    await delivered();
    frames[0]?.connect();
    await delivered();
    for (let beat = 0; beat < 8; beat++) {
      frames[0]?.send({ type: 'beat' });
      await delivered();
      clock.tick(250);
    }
    expect([first.seen.lost, second.seen.lost]).toEqual([0, 0]);
    // The learner's code exhausts the memory: the frame's process ends and no beat comes any more.
    clock.tick(3_000);
    expect([first.seen.lost, second.seen.lost]).toEqual([1, 1]);
    expect(frames[0]?.removed).toBe(true);

    spawn(recordingEvents().events);
    await delivered();
    expect(frames).toHaveLength(2);
  });

  it('passes on a Worker that failed inside the frame as a crash', async () => {
    const { frames, spawn } = setup();
    const { seen, events } = recordingEvents();
    spawn(events);
    await delivered();
    frames[0]?.connect();
    await delivered();
    frames[0]?.send({ type: 'crash', worker: 1, reason: 'Failed to fetch a module script' });
    await delivered();
    expect(seen.crashes).toEqual(['Failed to fetch a module script']);
  });

  it('starts Workers in the page when the frame does not load in time, and keeps doing so', async () => {
    const { clock, frames, startedInPage, spawn } = setup();
    spawn(recordingEvents().events);
    await delivered();
    clock.tick(4_999);
    expect(startedInPage).toHaveLength(0);
    clock.tick(1);
    expect(startedInPage).toHaveLength(1);
    expect(frames[0]?.removed).toBe(true);
    spawn(recordingEvents().events);
    expect([frames.length, startedInPage.length]).toEqual([1, 2]);
  });
});

describe('grading Workers with no frame configured', () => {
  it('starts them in the page at once', async () => {
    const startedInPage: MessagePort[] = [];
    const spawn = framedWorkers({
      frameUrl: async () => undefined,
      openFrame: () => {
        throw new Error('no frame may open');
      },
      startInPage: (port) => {
        open.push(port);
        startedInPage.push(port);
        return { terminate() {} } as Worker;
      },
    });
    spawn(recordingEvents().events);
    await delivered();
    spawn(recordingEvents().events);
    expect(startedInPage).toHaveLength(2);
  });
});

describe('the Worker runner when the process of its Worker dies', () => {
  it('reports the run as out of memory, naming the running test, and grades the next run in a new Worker', async () => {
    const { clock, timers } = fakeClock();
    const workers: Array<{ events: WorkerEvents; posted: ToWorker[] }> = [];
    const runner = createWorkerRunner({
      timers,
      spawn: (events) => {
        const worker = { events, posted: [] as ToWorker[] };
        workers.push(worker);
        return { post: (message) => worker.posted.push(message), terminate() {} };
      },
    });
    const hog = runner.grade(request);
    await Promise.resolve();
    const first = workers[0];
    first?.events.message({ type: 'running', id: 1 });
    first?.events.message({ type: 'test-started', id: 1, test: { task: 2, name: 'caches the product' } });
    clock.tick(3_000);
    first?.events.lost();
    await expect(hog).resolves.toEqual({
      kind: 'stopped',
      reason: 'out-of-memory',
      message: OUT_OF_MEMORY_MESSAGE,
      test: { task: 2, name: 'caches the product' },
    });

    const next = runner.grade(request);
    await Promise.resolve();
    const fresh = workers.at(-1);
    expect(fresh).not.toBe(first);
    const grade = fresh?.posted.at(-1);
    if (grade?.type !== 'grade') throw new Error('the next run was not sent');
    const graded: GradeOutcome = {
      kind: 'graded',
      report: { exercise: 'demo', runtime: 'worker', seed: 1, tests: [], errors: [] },
      diagnostics: [],
    };
    fresh?.events.message({ type: 'done', id: grade.id, outcome: graded });
    await expect(next).resolves.toEqual(graded);
  });
});

describe("the grading frame's address and headers", () => {
  it('is the configured origin, or on this computer the other loopback name, or none', () => {
    expect(gradingFrameUrl('course.example.org', 'https://grading.example.org')).toBe(
      'https://grading.example.org/grading-frame/',
    );
    expect(gradingFrameUrl('localhost:4321', '')).toBe('http://127.0.0.1:4321/grading-frame/');
    expect(gradingFrameUrl('127.0.0.1:4321', '')).toBe('http://localhost:4321/grading-frame/');
    // A classroom laptop opens the server by its address: there is no second name for it.
    expect(gradingFrameUrl('192.168.1.20:4321', '')).toBeUndefined();
    expect(gradingFrameUrl(undefined, '')).toBeUndefined();
  });

  it('lets an isolated lesson page from another site embed the frame', () => {
    expect(isolationHeadersFor('/grading-frame/')).toEqual({
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
  });
});
