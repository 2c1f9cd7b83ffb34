import { realTimers, type Timers } from '../timers.ts';
import type { FromWorker } from '../worker/protocol.ts';
import { startGraderWorker } from '../worker/start-grader-worker.ts';
import type { SpawnWorker, WorkerEvents } from '../worker-runner.ts';
import {
  BEAT_MS,
  FRAME_CONNECT,
  FRAME_HELLO,
  type FrameConnect,
  type FromFrame,
  type ToFrame,
} from './protocol.ts';

/**
 * Grading Workers in a separate process. In Chromium a dedicated Worker lives
 * in its page's renderer process, and running out of memory ends the process:
 * learner code that keeps allocating would take the lesson page down with it.
 * A frame from another site gets a process of its own (site isolation), so the
 * Workers run there (grading-frame/frame.ts): when one exhausts the memory,
 * only the frame dies. The frame beats while alive; when it falls silent, every
 * Worker it held is reported lost and the next spawn opens a fresh frame.
 * When the frame cannot load in time (not configured at its origin, blocked),
 * Workers start in the page as before.
 */

/** The page's side of one grading frame. */
export interface FrameHandle {
  remove(): void;
}

/** Opens the frame; `hello` runs when its script asks to connect, with how to hand it the control port. */
export type OpenFrame = (
  url: string,
  hello: (connect: (control: MessagePort) => void) => void,
) => FrameHandle;

export interface FramedWorkersOptions {
  /** The grading frame's page, on another site than the lesson (see docs/hosting.md); none: grade in the page. */
  frameUrl: () => Promise<string | undefined>;
  openFrame?: OpenFrame;
  /** Starts a Worker in the page, on a private port, when there is no frame. */
  startInPage?: typeof startGraderWorker;
  timers?: Timers;
  now?: () => number;
  /** How long the frame may take to load before Workers start in the page (default 5 s). */
  loadLimitMs?: number;
  /** How long the frame may stay silent before it counts as dead (default 2.5 s: ten missed beats). */
  silenceLimitMs?: number;
}

interface Frame {
  handle: FrameHandle;
  control?: MessagePort;
  lastBeat: number;
  /** Messages waiting for the frame to connect. */
  waiting: Array<{ message: ToFrame; transfer: Transferable[] }>;
  /** The Workers it holds, by number. */
  workers: Map<number, WorkerEvents>;
  watchdog?: unknown;
  /** It did not load in time, or there is none to load. */
  abandoned?: boolean;
}

/** What a spawned Worker still needs once it knows where it runs. */
interface Spawning {
  id: number;
  events: WorkerEvents;
  channel: MessageChannel;
  startedInPage?: Worker;
}

export function framedWorkers(options: FramedWorkersOptions): SpawnWorker {
  const openFrame = options.openFrame ?? openHiddenFrame;
  const startInPage = options.startInPage ?? startGraderWorker;
  const timers = options.timers ?? realTimers;
  const now = options.now ?? (() => performance.now());
  const loadLimitMs = options.loadLimitMs ?? 5_000;
  const silenceLimitMs = options.silenceLimitMs ?? 10 * BEAT_MS;
  let frame: Frame | undefined;
  /** The frame did not load in time: every Worker starts in the page from now on. */
  let inPageOnly = false;
  let nextId = 1;
  /** Workers spawned while the first frame loads: where they run is not decided yet. */
  const undecided = new Map<number, Spawning>();

  function send(target: Frame, message: ToFrame, transfer: Transferable[] = []): void {
    if (target.control) target.control.postMessage(message, transfer);
    else target.waiting.push({ message, transfer });
  }

  function startHere(spawning: Spawning): void {
    spawning.startedInPage = startInPage(spawning.channel.port2, spawning.events.crash);
  }

  function giveUp(failed: Frame): void {
    if (failed.abandoned) return;
    failed.abandoned = true;
    failed.handle.remove();
    if (frame === failed) frame = undefined;
    inPageOnly = true;
    for (const spawning of undecided.values()) startHere(spawning);
    undecided.clear();
  }

  function died(dead: Frame): void {
    timers.clearTimeout(dead.watchdog);
    dead.handle.remove();
    if (frame === dead) frame = undefined;
    for (const events of dead.workers.values()) events.lost();
    dead.workers.clear();
  }

  function watch(target: Frame): void {
    target.watchdog = timers.setTimeout(() => {
      if (now() - target.lastBeat > silenceLimitMs) died(target);
      else watch(target);
    }, BEAT_MS * 2);
  }

  function open(): Frame {
    const opened: Frame = {
      handle: { remove: () => {} },
      lastBeat: now(),
      waiting: [],
      workers: new Map(),
    };
    const loading = timers.setTimeout(() => giveUp(opened), loadLimitMs);
    const connected = (connect: (control: MessagePort) => void) => {
      if (opened.control || opened.abandoned) return;
      const channel = new MessageChannel();
      opened.control = channel.port1;
      channel.port1.onmessage = ({ data }: MessageEvent<FromFrame>) => {
        opened.lastBeat = now();
        if (data.type === 'crash') opened.workers.get(data.worker)?.crash(data.reason);
      };
      connect(channel.port2);
      timers.clearTimeout(loading);
      undecided.clear();
      opened.lastBeat = now();
      for (const { message, transfer } of opened.waiting.splice(0))
        channel.port1.postMessage(message, transfer);
      watch(opened);
    };
    options.frameUrl().then(
      (url) => {
        if (url === undefined) giveUp(opened);
        else if (!opened.abandoned) opened.handle = openFrame(url, connected);
      },
      () => giveUp(opened),
    );
    return opened;
  }

  return (events) => {
    const spawning: Spawning = { id: nextId++, events, channel: new MessageChannel() };
    const { id, channel } = spawning;
    channel.port1.onmessage = (event: MessageEvent<FromWorker>) => events.message(event.data);
    let host: Frame | undefined;
    if (inPageOnly) startHere(spawning);
    else {
      frame ??= open();
      host = frame;
      host.workers.set(id, events);
      if (!host.control) undecided.set(id, spawning);
      send(host, { type: 'spawn', worker: id }, [channel.port2]);
    }
    return {
      post: (message) => channel.port1.postMessage(message),
      terminate() {
        undecided.delete(id);
        spawning.startedInPage?.terminate();
        if (host?.workers.delete(id)) send(host, { type: 'terminate', worker: id });
        channel.port1.close();
      },
    };
  };
}

/** A hidden iframe in this document, answering only its own frame's hello. */
export const openHiddenFrame: OpenFrame = (url, hello) => {
  const iframe = document.createElement('iframe');
  iframe.src = url;
  iframe.hidden = true;
  iframe.title = 'Grading frame';
  iframe.setAttribute('aria-hidden', 'true');
  iframe.tabIndex = -1;
  const origin = new URL(url, location.href).origin;
  const onHello = (event: MessageEvent) => {
    if (event.source !== iframe.contentWindow || event.origin !== origin) return;
    if ((event.data as { type?: unknown } | null)?.type !== FRAME_HELLO) return;
    hello((control) => {
      const connect: FrameConnect = { type: FRAME_CONNECT };
      iframe.contentWindow?.postMessage(connect, origin, [control]);
    });
  };
  addEventListener('message', onHello);
  document.body.append(iframe);
  return {
    remove() {
      removeEventListener('message', onHello);
      iframe.remove();
    },
  };
};
