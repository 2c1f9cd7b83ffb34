import { realTimers, type Timers } from '../timers.ts';

/**
 * An early verdict on a WebContainer boot. boot() adds a hidden iframe from
 * StackBlitz's servers and waits for that frame's `init` message. When the
 * frame cannot load (offline, blocked servers, no third-party cookies) boot()
 * never settles, but the frame's `load` event still fires, on the browser's
 * error page, within a fraction of a second. So once the frame has loaded, an
 * `init` that has not come within a short grace period means the boot failed:
 * the page need not wait out the whole boot budget.
 */

export class BootFrameFailed extends Error {}

/** What the verdict watches: the boot frame's load, and messages from its origin. */
export interface BootFrameEvents {
  /** Calls back once the frame loaded from `origin` has loaded; returns how to stop watching. */
  onFrameLoad(origin: string, listener: () => void): () => void;
  /** Calls back on every message posted to the page from `origin`; returns how to stop listening. */
  onMessage(origin: string, listener: (data: unknown) => void): () => void;
}

/** How long `init` may follow the frame's load before the boot counts as failed. */
export const BOOT_FRAME_GRACE_MS = 1_500;

/**
 * Rejects with BootFrameFailed when the boot frame from `origin` loaded and
 * its `init` never followed; never settles otherwise. `stop()` ends the watch.
 */
export function bootFrameVerdict(
  origin: string,
  events: BootFrameEvents = pageBootFrameEvents,
  timers: Timers = realTimers,
  graceMs = BOOT_FRAME_GRACE_MS,
): { failed: Promise<never>; stop(): void } {
  let initialised = false;
  let stopped = false;
  let timer: unknown;
  const stops: Array<() => void> = [];
  const stop = () => {
    stopped = true;
    for (const end of stops.splice(0)) end();
    if (timer !== undefined) timers.clearTimeout(timer);
  };
  const failed = new Promise<never>((_, reject) => {
    stops.push(
      events.onMessage(origin, (data) => {
        if ((data as { type?: unknown } | null)?.type !== 'init') return;
        initialised = true;
        stop();
      }),
      events.onFrameLoad(origin, () => {
        if (initialised || stopped) return;
        timer = timers.setTimeout(() => {
          stop();
          reject(
            new BootFrameFailed(
              `the WebContainer's frame from ${origin} loaded but did not start (offline, or its servers are blocked)`,
            ),
          );
        }, graceMs);
      }),
    );
  });
  // A verdict nobody waits for any more must not surface as an unhandled rejection.
  failed.catch(() => {});
  return { failed, stop };
}

/** The page's own document and window. */
export const pageBootFrameEvents: BootFrameEvents = {
  onFrameLoad(origin, listener) {
    const watched = new WeakSet<HTMLIFrameElement>();
    const watch = () => {
      for (const frame of document.querySelectorAll('iframe')) {
        if (watched.has(frame) || !frame.src.startsWith(`${origin}/`)) continue;
        watched.add(frame);
        frame.addEventListener('load', listener, { once: true });
      }
    };
    const observer = new MutationObserver(watch);
    observer.observe(document.body, { childList: true });
    watch();
    return () => observer.disconnect();
  },
  onMessage(origin, listener) {
    const onMessage = (event: MessageEvent) => {
      if (event.origin === origin) listener(event.data);
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  },
};
