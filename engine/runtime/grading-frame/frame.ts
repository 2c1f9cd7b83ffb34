import { startGraderWorker } from '../worker/start-grader-worker.ts';
import {
  BEAT_MS,
  FRAME_CONNECT,
  FRAME_HELLO,
  type FrameConnect,
  type FrameHello,
  type FromFrame,
  type ToFrame,
} from './protocol.ts';

/**
 * The grading frame's script (site/pages/grading-frame.astro). Its only job is
 * to run grading Workers for the page that embeds it, in this frame's process,
 * so that learner code that exhausts the memory ends this process and not the
 * lesson page. It beats while alive; the page takes silence for death.
 */

let connected = false;
addEventListener('message', (event: MessageEvent<FrameConnect>) => {
  const [control] = event.ports;
  if (connected || event.source !== parent || event.data?.type !== FRAME_CONNECT || !control) return;
  connected = true;
  const workers = new Map<number, Worker>();
  const send = (message: FromFrame) => control.postMessage(message);
  control.onmessage = (request: MessageEvent<ToFrame>) => {
    const { data } = request;
    if (data.type === 'terminate') {
      workers.get(data.worker)?.terminate();
      workers.delete(data.worker);
      return;
    }
    const [privatePort] = request.ports;
    if (!privatePort) return;
    const crash = (reason: string) => send({ type: 'crash', worker: data.worker, reason });
    workers.set(data.worker, startGraderWorker(privatePort, crash));
  };
  send({ type: 'beat' });
  setInterval(() => send({ type: 'beat' }), BEAT_MS);
});

const hello: FrameHello = { type: FRAME_HELLO };
parent.postMessage(hello, '*');
