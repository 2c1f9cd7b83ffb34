import { Buffer } from 'buffer';

/**
 * The Node globals the grader packages and graders rely on, installed before
 * any of them is evaluated. No `process`: see vite-worker.ts.
 */
const scope = globalThis as {
  Buffer?: typeof Buffer;
  setImmediate?: (callback: () => void) => void;
};

// ioredis-mock's Node build, the ioredis code it borrows and pg-mem use Buffer as the global it is in Node.
scope.Buffer ??= Buffer;

// pg-mem answers each query on the next macrotask: setImmediate where it exists, setTimeout(0) otherwise.
// Browsers clamp nested setTimeout(0) to 4 ms, which made every statement (and every turn of the graders'
// settle()) cost 4 ms. A MessageChannel message is a macrotask with no clamp, so queries take the same turns
// they take in Node, without the wait.
if (scope.setImmediate === undefined) {
  const queue: Array<() => void> = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => queue.shift()?.();
  scope.setImmediate = (callback) => {
    queue.push(callback);
    channel.port2.postMessage(undefined);
  };
}
