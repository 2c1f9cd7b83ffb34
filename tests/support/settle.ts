import { type FakeClock, fireDueTimers } from './clock';

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
/** Turns in a row with nothing happening that count as quiet, when nothing tells how much is still scheduled. */
const QUIET_TURNS = 20;
/**
 * Turns in a row that count as quiet when the grading engine counts the realm's real macrotasks
 * (engine/grading/never-settles.ts) and none is pending: promise chains run out within a turn, so
 * with no macrotask and no due timer left nothing more can happen. The second turn is a margin.
 */
const QUIET_TURNS_WHEN_COUNTED = 2;

/** Where the engine keeps its count (looked up once: settle() asks on every turn). */
const MACROTASK_TRACKER = Symbol.for('request-journey:macrotask-tracker');

/** The engine's count of real macrotasks scheduled and not yet run, where it keeps one. */
function pendingMacrotasks(): number | undefined {
  const tracker = (globalThis as Record<symbol, { pending?: unknown } | undefined>)[MACROTASK_TRACKER];
  return typeof tracker?.pending === 'number' ? tracker.pending : undefined;
}
/** A bound for code that never goes quiet (a zero-delay timer that re-arms itself forever). */
const MAX_TURNS = 20_000;

// Captured before any grader fakes the timers: the wait for real servers needs a real one.
const realSetTimeout = globalThis.setTimeout;

/**
 * One turn of the event loop. setImmediate, the way pg-mem answers queries: in Node, and in the
 * grading Worker, which provides one. Never setTimeout(0), which Node stretches to 1 ms and browsers
 * to 4 ms once nested (and which graders fake).
 */
export const nextMacrotask = (): Promise<void> =>
  new Promise<void>((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : realSetTimeout(resolve, 0),
  );

/**
 * Lets the code under test run until it is quiet, without moving simulated time
 * and without any real waiting on the simulations. Quiet means: no timer due at
 * the current simulated time (zero-delay timers fire here), no request a harness
 * tracks still in flight, and then a run of turns in which nothing new happened
 * (two when the engine counts no real macrotask pending, else twenty).
 * So a design that batches on setTimeout(0), yields on a timer, or chains
 * promises and microtasks is judged by what it did, not by how many turns it
 * took. Used where a grader starts concurrent calls and must see what they did
 * before it releases a simulated server. Against real servers it also waits
 * until every request a harness sent has been answered, up to a couple of seconds.
 */
export async function settle(): Promise<void> {
  // performance.now(), not Date.now(): graders fake Date.
  const deadline = performance.now() + NETWORK_WAIT_MS;
  let quiet = 0;
  let enough = QUIET_TURNS;
  for (let turn = 0; turn < MAX_TURNS && quiet < enough; turn++) {
    await nextMacrotask();
    const timersBusy = fireDueTimers();
    const busy = [...watched].filter((requests) => requests.count > 0);
    const waiting = busy.length > 0 && deadline - performance.now() > 0;
    quiet = timersBusy || waiting ? 0 : quiet + 1;
    enough = pendingMacrotasks() === 0 ? QUIET_TURNS_WHEN_COUNTED : QUIET_TURNS;
    if (waiting) {
      const left = deadline - performance.now();
      await Promise.race([
        Promise.all(busy.map((requests) => requests.idle())),
        new Promise<void>((resolve) => realSetTimeout(resolve, left)),
      ]);
    }
  }
}

/** How long calls may wait in simulated time (see finishInSimulatedTime). */
export interface SimulatedWait {
  /** Moves while the calls wait on a timer; with none, calls still waiting after their turns are not finished. */
  clock: FakeClock | undefined;
  /** How far the clock moves at a time. */
  stepMs: number;
  /** The most simulated time the calls get. */
  withinMs: number;
  /** Also let work the calls left running (a write not awaited) land before returning. */
  quiet?: boolean;
}

/**
 * Waits for calls started together; true once all have settled, false if some were still waiting after
 * `withinMs` of simulated time. The simulations answer within a few turns of the event loop, so most
 * calls are done before the clock moves; code that waits on a timer (a pool's queue, a batching window,
 * a lock it polls) then runs in simulated time, the clock moving in small steps while the calls are
 * quiet, so any reasonable wait is over before the grader gives up.
 */
export async function finishInSimulatedTime(
  calls: Promise<unknown>[],
  { clock, stepMs, withinMs, quiet = false }: SimulatedWait,
): Promise<boolean> {
  let pending = calls.length;
  for (const call of calls)
    call.then(
      () => pending--,
      () => pending--,
    );
  for (let turn = 0; turn < 50 && pending > 0; turn++) {
    await nextMacrotask();
    fireDueTimers();
  }
  for (let waited = 0; ; waited += stepMs) {
    if (pending === 0 && !quiet) return true;
    await settle();
    if (pending === 0) return true;
    if (waited >= withinMs || clock === undefined) return false;
    clock.advance(stepMs);
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
