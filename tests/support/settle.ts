/**
 * Requests a harness has sent to a real server and not yet seen answered. The
 * simulations answer within a few turns of the event loop; a real server answers
 * over the network, so `settle()` also waits for these.
 */
export interface InFlight {
  /** Counts a request from when it is sent until it settles; returns it unchanged. */
  track<T>(request: Promise<T>): Promise<T>;
  readonly count: number;
  /** Resolves once nothing is in flight. */
  idle(): Promise<void>;
}

export function inFlight(): InFlight {
  let count = 0;
  const waiters: Array<() => void> = [];
  const finished = () => {
    count--;
    if (count === 0) for (const wake of waiters.splice(0)) wake();
  };
  return {
    track(request) {
      count++;
      request.then(finished, finished);
      return request;
    },
    get count() {
      return count;
    },
    idle: () => (count === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

const watched = new Set<InFlight>();

/** Makes `settle()` wait for this harness's requests to real servers; returns how to stop. */
export function settleWaitsFor(requests: InFlight): () => void {
  watched.add(requests);
  return () => {
    watched.delete(requests);
  };
}

/** The most a settle() waits for real servers to answer: a stuck request must not hang the grader. */
const NETWORK_WAIT_MS = 2_000;

/**
 * One turn of the event loop. setImmediate, the way pg-mem answers queries: in Node, and in the
 * grading Worker, which provides one. Never setTimeout(0), which Node stretches to 1 ms and browsers
 * to 4 ms once nested.
 */
export const nextMacrotask = (): Promise<void> =>
  new Promise<void>((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

/**
 * Lets every pending promise chain and timer-queued callback run, without any
 * real waiting: a fixed number of turns of the event loop, never a duration.
 * Used where a grader starts concurrent calls and must see what they did
 * before it releases a simulated server. Against real servers it also waits
 * until every request a harness sent has been answered (and the code that
 * awaited it has run its turns), up to a couple of seconds.
 */
export async function settle(turns = 25): Promise<void> {
  // performance.now(), not Date.now(): graders fake Date.
  const deadline = performance.now() + NETWORK_WAIT_MS;
  for (;;) {
    for (let i = 0; i < turns; i++) {
      await nextMacrotask();
    }
    const busy = [...watched].filter((requests) => requests.count > 0);
    const left = deadline - performance.now();
    if (busy.length === 0 || left <= 0) return;
    await Promise.race([
      Promise.all(busy.map((requests) => requests.idle())),
      new Promise<void>((resolve) => setTimeout(resolve, left)),
    ]);
  }
}

/** A promise that a simulated server holds open until the grader releases it. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}
