import { sessionCrashMarker } from '../../engine/runtime/crash-marker.ts';
import { framedWorkers } from '../../engine/runtime/grading-frame/framed-workers.ts';
import { createWorkerRunner, type WorkerRunner } from '../../engine/runtime/worker-runner.ts';

/** Where each Worker run leaves word, in case it takes the tab down (crash-marker.ts). */
export const pageCrashMarker = sessionCrashMarker();

/**
 * The page's Worker runner: it grades in a frame of its own process where the
 * site names one (grading-frame.json), so code that exhausts the memory ends
 * the frame and not the page; each run also leaves a crash marker, for when
 * it cannot.
 */
export function createPageWorkerRunner(): WorkerRunner {
  return createWorkerRunner({
    spawn: framedWorkers({ frameUrl: gradingFrameUrl }),
    progress: (run) => (run ? pageCrashMarker.mark(run) : pageCrashMarker.clear()),
  });
}

/** The grading frame's address, read once per page (none when the site names none, or cannot be reached). */
let gradingFrame: Promise<string | undefined> | undefined;
function gradingFrameUrl(): Promise<string | undefined> {
  // Served by site/pages/grading-frame.json.ts (under dev and preview, by cross-origin-isolation.ts).
  gradingFrame ??= fetch('/grading-frame.json')
    .then((response) => (response.ok ? response.json() : {}))
    .then((config: { url?: unknown }) => (typeof config.url === 'string' ? config.url : undefined))
    .catch(() => undefined);
  return gradingFrame;
}
