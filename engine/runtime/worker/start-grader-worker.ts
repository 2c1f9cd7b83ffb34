import type { Connect } from './protocol.ts';

/**
 * Starts one grading Worker (grader-worker.ts) and hands it the private
 * channel it answers on, before any learner code can load. Used by the page
 * itself and by the grading frame (grading-frame/frame.ts), which runs the
 * same Worker in a process of its own.
 */
export function startGraderWorker(privatePort: MessagePort, crash: (reason: string) => void): Worker {
  const worker = new Worker(new URL('./grader-worker.ts', import.meta.url), { type: 'module' });
  const connect: Connect = { type: 'connect' };
  worker.postMessage(connect, [privatePort]);
  worker.onerror = (event) => {
    event.preventDefault();
    crash(event.message || 'the grading worker could not start');
  };
  return worker;
}
