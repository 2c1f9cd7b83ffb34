import {
  createLoadBalancer,
  type LoadBalancer,
  type LoadBalancerOptions,
} from '@exercise/load-balancer/load-balancer';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeClock, installFakeClock } from '../support/clock';
import { checkScenarios } from '../support/property';
import { graderRandom } from '../support/seed';
import { settle } from '../support/settle';
import {
  type Behaviour,
  type Ending,
  type ProxyRequest,
  type ProxyResponse,
  SimulatedCluster,
} from './harness';
import {
  behaviours,
  endings,
  explain,
  type Factory,
  type Family,
  healthyBehaviours,
  healthyEndings,
  nextUpstreamPresets,
  playScenario,
  scenarios,
} from './scenarios';

// ---------------------------------------------------------------------------
// Helpers: a fresh cluster, simulated clock and load balancer per test.
// ---------------------------------------------------------------------------

type Extra = Partial<Omit<LoadBalancerOptions, 'send' | 'now'>>;

let installed: FakeClock | undefined;

afterEach(() => {
  installed?.restore();
  installed = undefined;
});

/** Simulated time: Date and the timers are fake, so a balancer that waits on a timer runs in simulated time. */
function simulatedClock(): FakeClock {
  installed ??= installFakeClock();
  return installed;
}

function setup(names: string[], extra: Extra = {}) {
  const clock = simulatedClock();
  const cluster = new SimulatedCluster(names, clock.now);
  const lb = createLoadBalancer({
    upstreams: names.map((name) => ({ name })),
    strategy: 'round-robin',
    send: cluster.send,
    now: clock.now,
    ...extra,
  });
  return { clock, cluster, lb };
}

const GET = (path = '/'): ProxyRequest => ({ method: 'GET', path });
const seconds = (ms: number) => `${ms / 1000} s`;
const list = (items: readonly string[]) => (items.length === 0 ? '(nothing)' : items.join(', '));

/**
 * Proxies one request and expects an answer without any real waiting: a load
 * balancer must never leave a client hanging on simulated servers that have
 * all answered (or refused) already.
 */
async function answer(
  lb: LoadBalancer,
  cluster: SimulatedCluster,
  request: ProxyRequest,
): Promise<ProxyResponse> {
  const hung = Symbol('hung');
  const result = await Promise.race([lb.handle(request), settle().then(() => hung)]);
  if (result !== hung) return result as ProxyResponse;
  if (cluster.runaway) {
    throw new Error(
      `${request.method} ${request.path} made ${cluster.attempts()} attempts and kept going: the load balancer is ` +
        'retrying forever. Each upstream may be tried at most once per request, and maxTries caps the total.',
    );
  }
  throw new Error(
    `${request.method} ${request.path} got no answer: handle() is still waiting although every upstream it ` +
      `contacted has answered or failed (attempts: ${list(cluster.order())}). A client must get a response ` +
      '(502, 503 or 504 when nothing works), not a hang.',
  );
}

/** Sends `count` GETs one after another and returns where their attempts went. */
async function sendMany(lb: LoadBalancer, cluster: SimulatedCluster, count: number): Promise<string[]> {
  const first = cluster.log.length;
  for (let i = 0; i < count; i++) await answer(lb, cluster, GET(`/req-${i + 1}`));
  return cluster.order().slice(first);
}

/** A request started without waiting for it (held upstreams answer only when released). */
interface Started {
  response: Promise<ProxyResponse>;
  error?: unknown;
}

function start(lb: LoadBalancer, request: ProxyRequest, started: Started[]): void {
  const entry: Started = { response: lb.handle(request) };
  // Remember an early rejection so the test reports it instead of tripping over its side effects.
  entry.response.catch((error: unknown) => {
    entry.error = error ?? new Error('handle() rejected');
  });
  started.push(entry);
}

/** Starts one request, lets it reach its upstream, and surfaces any request that has already failed. */
async function startAndSettle(lb: LoadBalancer, request: ProxyRequest, started: Started[]): Promise<void> {
  start(lb, request, started);
  await settle();
  const failed = started.find((entry) => entry.error !== undefined);
  if (failed) throw failed.error;
}

async function finish(cluster: SimulatedCluster, started: Started[]): Promise<void> {
  cluster.releaseAll();
  await Promise.all(started.map((entry) => entry.response));
}

const requests = (count: number) => `${count} request${count === 1 ? '' : 's'}`;
const countOf = (order: readonly string[], name: string) =>
  order.filter((upstream) => upstream === name).length;

/** Every `names.length` consecutive attempts must reach every upstream once. */
function expectInTurn(order: readonly string[], names: readonly string[], what: string): void {
  for (let i = 0; i + names.length <= order.length; i++) {
    const window = order.slice(i, i + names.length);
    if (new Set(window).size !== names.length) {
      const piled = window.find((name, index) => window.indexOf(name) !== index);
      throw new Error(
        `${what} went to ${list(order)}. Round-robin gives each of the ${names.length} upstreams one request in ` +
          `turn, so every ${names.length} consecutive requests must reach ${names.length} different upstreams, ` +
          `but requests ${i + 1}-${i + names.length} sent ${piled} more than one while another got none.`,
      );
    }
  }
}

// ---------------------------------------------------------------------------
// Generated scenarios: random configurations and sequences of requests, failures of every kind,
// held requests (concurrency), releases and clock moves, played against your load balancer and
// checked step by step against a model of nginx (nginx-model.ts). A failure prints the smallest
// scenario that shows it.
// ---------------------------------------------------------------------------

const RUNS = 25;

async function generated(label: string, family: Family, runs = RUNS): Promise<void> {
  const clock = simulatedClock();
  await checkScenarios(
    label,
    scenarios(family),
    (scenario) => playScenario(createLoadBalancer as unknown as Factory, clock, scenario),
    { runs, explain },
  );
}

const everyMethod = ['GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE'];

const roundRobinScenarios: Family = {
  strategies: ['round-robin'],
  maxFails: [1],
  maxTries: [0],
  nextUpstream: [undefined],
  methods: ['GET'],
  behaviours: healthyBehaviours,
  endings: healthyEndings,
  mix: [5, 2, 0, 3],
  maxSteps: 20,
};

const leastConnectionsScenarios: Family = {
  strategies: ['least-connections'],
  maxFails: [0, 100],
  maxTries: [0, 1],
  nextUpstream: [undefined],
  methods: ['GET'],
  behaviours: fc.constantFrom<Behaviour>('ok', 'hold', 'hold', 'refuse', 'timeout'),
  endings: fc.constantFrom<Ending>('ok', 'ok', 'reset', 'timeout'),
  mix: [5, 2, 0, 4],
  maxSteps: 20,
};

const weightedScenarios: Family = {
  strategies: ['weighted-round-robin'],
  maxFails: [1],
  maxTries: [0],
  nextUpstream: [undefined],
  methods: ['GET'],
  behaviours: healthyBehaviours,
  endings: healthyEndings,
  mix: [5, 1, 0, 2],
  maxSteps: 20,
};

const healthScenarios: Family = {
  strategies: ['round-robin', 'weighted-round-robin', 'least-connections'],
  maxFails: [0, 1, 2, 2, 3, 3],
  maxTries: [1],
  nextUpstream: nextUpstreamPresets,
  methods: ['GET'],
  behaviours,
  endings,
  mix: [6, 3, 3, 2],
  maxSteps: 40,
};

const retryScenarios: Family = {
  strategies: ['round-robin', 'weighted-round-robin', 'least-connections'],
  maxFails: [1, 2, 100],
  maxTries: [0, 0, 1, 2, 3, 4],
  nextUpstream: nextUpstreamPresets,
  methods: everyMethod,
  behaviours,
  endings,
  mix: [6, 3, 2, 2],
  maxSteps: 40,
};

// ---------------------------------------------------------------------------

describe('task 1: Round-robin across the upstreams', () => {
  it('hands requests to the upstreams in turn and passes their responses through', async () => {
    const { cluster, lb } = setup(['a', 'b', 'c']);
    const first = await answer(lb, cluster, GET('/products/42'));
    const servedBy = cluster.order()[0];
    expect(
      { status: first.status, body: first.body, upstream: first.upstream },
      "the client should get the upstream's response as it is (status, body and which upstream answered)",
    ).toEqual({
      status: 200,
      body: `200 from ${servedBy} for GET /products/42`,
      upstream: servedBy,
    });
    const order = [...cluster.order(), ...(await sendMany(lb, cluster, 8))];
    expectInTurn(order, ['a', 'b', 'c'], '9 requests in a row');
    for (const name of ['a', 'b', 'c']) {
      expect(countOf(order, name), `upstream ${name}'s share of 9 requests over 3 upstreams`).toBe(3);
    }
  });

  it('keeps rotating while earlier requests are still in flight', async () => {
    const { cluster, lb } = setup(['a', 'b', 'c']);
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('hold');
    const started: Started[] = [];
    for (let i = 1; i <= 6; i++) await startAndSettle(lb, GET(`/slow-${i}`), started);
    const order = cluster.order();
    if (new Set(order).size === 1 && order.length > 1) {
      throw new Error(
        `6 concurrent requests all went to ${order[0]}: the round-robin position only moves on when a response ` +
          'comes back, so every request that starts before then lands on the same upstream. Move to the next ' +
          'upstream when you pick one, before you await its response.',
      );
    }
    expectInTurn(order, ['a', 'b', 'c'], '6 concurrent requests');
    await finish(cluster, started);
  });

  it('matches nginx in generated scenarios of concurrent requests', () =>
    generated('load-balancer round-robin', roundRobinScenarios));
});

// ---------------------------------------------------------------------------

/** Checks every attempt from `from` on went to an upstream with the fewest requests in flight at that moment. */
function expectLeastBusy(cluster: SimulatedCluster, from: number, hint = ''): void {
  for (const attempt of cluster.log.slice(from)) {
    const counts = attempt.inFlightBefore;
    const least = Math.min(...Object.values(counts));
    const mine = counts[attempt.upstream] ?? 0;
    if (mine > least) {
      const idle = Object.keys(counts).find((name) => counts[name] === least);
      const state = Object.entries(counts)
        .map(([name, count]) => `${name}: ${count}`)
        .join(', ');
      throw new Error(
        `${attempt.method} ${attempt.path} went to ${attempt.upstream}, which had ${requests(mine)} in flight, while ` +
          `${idle} had ${least} (in flight: ${state}). Least-connections sends each request to the upstream with ` +
          `the fewest in-flight requests, so a slow server stops collecting new work.${hint}`,
      );
    }
  }
}

describe('task 2: Least-connections', () => {
  it('rotates ties: with every upstream idle, requests go round in turn, not all to the first', async () => {
    const { cluster, lb } = setup(['a', 'b', 'c'], { strategy: 'least-connections' });
    const order = await sendMany(lb, cluster, 6);
    if (countOf(order, 'a') > 2) {
      throw new Error(
        `6 requests, one at a time, to 3 idle upstreams went to ${list(order)}: every tie (all at 0 in flight) ` +
          'went to the first upstream in the list. When several upstreams are equally least busy, least-connections ' +
          'must rotate among them (nginx uses round-robin among the tied ones), or at low traffic one server takes ' +
          'all the load and the others sit idle.',
      );
    }
    expectInTurn(order, ['a', 'b', 'c'], '6 sequential requests to idle upstreams (every pick a tie)');
  });

  it('sends each request to the upstream with the fewest requests in flight', async () => {
    const { cluster, lb } = setup(['a', 'b', 'c'], { strategy: 'least-connections' });
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('hold');
    const started: Started[] = [];
    for (let i = 1; i <= 3; i++) await startAndSettle(lb, GET(`/report-${i}`), started);
    // Two upstreams finish their work; one stays busy with a slow request.
    const busy = cluster.log[0]?.upstream ?? 'a';
    for (const name of ['a', 'b', 'c']) if (name !== busy) cluster.upstream(name).release();
    await settle();
    for (let i = 4; i <= 7; i++) await startAndSettle(lb, GET(`/report-${i}`), started);
    expectLeastBusy(cluster, 0);
    expect(cluster.attempts(), 'attempts for 7 requests to healthy upstreams').toBe(7);
    await finish(cluster, started);
  });

  it('stops counting a request as in flight when it fails', async () => {
    const { cluster, lb } = setup(['a', 'b'], { strategy: 'least-connections', maxTries: 1, maxFails: 100 });
    cluster.upstream('a').behave('refuse');
    cluster.upstream('b').behave('hold');
    const warmup: Started[] = [];
    for (let i = 1; i <= 4; i++) await startAndSettle(lb, GET(`/warmup-${i}`), warmup);
    await finish(cluster, warmup);
    // Both upstreams are idle now; a is healthy again. Whatever failed before must not weigh on a.
    cluster.upstream('a').behave('hold');
    const from = cluster.log.length;
    const started: Started[] = [];
    for (let i = 1; i <= 4; i++) await startAndSettle(lb, GET(`/after-${i}`), started);
    expectLeastBusy(
      cluster,
      from,
      ' Earlier requests to a failed (connection refused): does the in-flight count skip its decrement when ' +
        'send() rejects? A count that only goes down on success makes a server that once failed look busy forever.',
    );
    await finish(cluster, started);
  });

  it('matches nginx in generated scenarios of concurrent, slow and failing requests', () =>
    generated('load-balancer least-connections', leastConnectionsScenarios));
});

// ---------------------------------------------------------------------------

/** nginx's smooth weighted round-robin, as the reference the learner's sequence must match. */
function smoothSequence(weights: ReadonlyArray<{ name: string; weight: number }>, picks: number): string[] {
  const current = weights.map(() => 0);
  const total = weights.reduce((sum, { weight }) => sum + weight, 0);
  const order: string[] = [];
  for (let pick = 0; pick < picks; pick++) {
    let best = 0;
    weights.forEach(({ weight }, i) => {
      current[i] = (current[i] ?? 0) + weight;
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i;
    });
    current[best] = (current[best] ?? 0) - total;
    order.push(weights[best]?.name ?? '?');
  }
  return order;
}

function longestRun(order: readonly string[]): { name: string; length: number } {
  let best = { name: '', length: 0 };
  let run = 0;
  order.forEach((name, i) => {
    run = i > 0 && order[i - 1] === name ? run + 1 : 1;
    if (run > best.length) best = { name, length: run };
  });
  return best;
}

describe('task 3: Smooth weighted round-robin', () => {
  it("weights 5, 1, 1 give nginx's sequence a, a, b, a, c, a, a", async () => {
    const clock = simulatedClock();
    const cluster = new SimulatedCluster(['a', 'b', 'c'], clock.now);
    const lb = createLoadBalancer({
      upstreams: [
        { name: 'a', weight: 5 },
        { name: 'b', weight: 1 },
        { name: 'c', weight: 1 },
      ],
      strategy: 'weighted-round-robin',
      send: cluster.send,
      now: clock.now,
    });
    const order = await sendMany(lb, cluster, 7);
    const expected = ['a', 'a', 'b', 'a', 'c', 'a', 'a'];
    const run = longestRun(order);
    if (run.length > 2 && countOf(order, 'a') === 5) {
      throw new Error(
        `7 requests went to ${list(order)}: the shares are right but it is not smooth. ${run.name} took ` +
          `${run.length} requests in a row while the others waited: in production that is a burst on the heavy ` +
          "server and idle gaps on the light ones. nginx's smooth weighted round-robin interleaves them as " +
          `${list(expected)}: on each pick add every upstream's weight to its current weight, pick the highest ` +
          '(the first listed on a tie), then subtract the total weight from the winner.',
      );
    }
    expect(
      order.join(', '),
      `7 requests with weights a=5, b=1, c=1 went to ${list(order)}; nginx's smooth weighted round-robin gives ` +
        `${list(expected)} (add each weight to its current weight, pick the highest, first listed on a tie, ` +
        'subtract the total from the winner)',
    ).toBe(expected.join(', '));
  });

  it('shares traffic exactly by weight and matches nginx for any weights', async () => {
    const random = graderRandom('load-balancer weighted');
    const weights = ['a', 'b', 'c', 'd'].map((name) => ({ name, weight: random.int(1, 6) }));
    // An upstream configured without a weight counts as weight 1.
    const upstreams = [...weights.slice(0, 3), { name: 'e' }];
    const all = [...weights.slice(0, 3), { name: 'e', weight: 1 }];
    const total = all.reduce((sum, { weight }) => sum + weight, 0);
    const clock = simulatedClock();
    const cluster = new SimulatedCluster(
      all.map(({ name }) => name),
      clock.now,
    );
    const lb = createLoadBalancer({
      upstreams,
      strategy: 'weighted-round-robin',
      send: cluster.send,
      now: clock.now,
    });
    const order = await sendMany(lb, cluster, 3 * total);
    const config = all.map(({ name, weight }) => `${name}=${weight}`).join(', ');
    for (const { name, weight } of all) {
      expect(
        countOf(order, name),
        `with weights ${config} (e has no weight: it counts as 1), ${3 * total} requests should give ${name} ` +
          `${3 * weight} (its weight / total weight of the traffic)`,
      ).toBe(3 * weight);
    }
    expect(
      order.join(', '),
      `with weights ${config}, the order should be nginx's smooth weighted round-robin`,
    ).toBe(smoothSequence(all, 3 * total).join(', '));
  });

  it('matches nginx in generated scenarios with random weights', () =>
    generated('load-balancer weighted', weightedScenarios));
});

// ---------------------------------------------------------------------------

describe('task 4: Passive health checks: max_fails and fail_timeout', () => {
  it('takes an upstream out after max_fails failures (default 1)', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], { maxTries: 1 });
    cluster.upstream('a').queue('refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(5_000);
    const later = await sendMany(lb, cluster, 6);
    expect(
      countOf(later, 'a'),
      `a refused a connection at t=0 s; with max_fails=1 (nginx's default) one failure takes it out for ` +
        `fail_timeout (10 s by default), yet at t=5 s it still got ${countOf(later, 'a')} of 6 requests. ` +
        'Every request sent to a dead server is a failure (or a slow retry) a healthy one would have avoided.',
    ).toBe(0);
    clock.advance(5_001);
    const back = await sendMany(lb, cluster, 6);
    expect(
      countOf(back, 'a'),
      `a failed at t=0 s; at t=10.001 s, past the default fail_timeout of 10 s (failTimeoutMs 10_000), it should ` +
        `get a trial request again, but it got none of 6 (${list(back)}): the server never came back`,
    ).toBeGreaterThan(0);
  });

  it('keeps it out for fail_timeout after its last failure (10 s still out), and tries it again just after', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], { maxTries: 1, failTimeoutMs: 10_000 });
    cluster.upstream('a').queue('refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(9_999);
    const early = await sendMany(lb, cluster, 3);
    clock.advance(1);
    const boundary = await sendMany(lb, cluster, 3);
    expect(
      countOf(early, 'a') + countOf(boundary, 'a'),
      `a failed at t=0 s and max_fails is 1: it stays out while at most fail_timeout (10 s) has passed since ` +
        `that failure (nginx: now - checked <= fail_timeout), but it got requests at t=9.999 s (${countOf(early, 'a')}) ` +
        `or at exactly t=10 s (${countOf(boundary, 'a')})`,
    ).toBe(0);
    clock.advance(1);
    const after = await sendMany(lb, cluster, 6);
    if (countOf(after, 'a') === 0) {
      throw new Error(
        `a failed once at t=0 s; ${seconds(10_001)} later (fail_timeout is 10 s) it ` +
          `got none of 6 requests (they went to ${list(after)}): the server never came back. After fail_timeout ` +
          'the load balancer must try it again, or one blip during a deploy removes capacity for good.',
      );
    }
  });

  it('counts fail_timeout from the last failure, not the first', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], {
      maxTries: 1,
      maxFails: 2,
      failTimeoutMs: 10_000,
    });
    cluster.upstream('a').queue('refuse', 'refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(4_000);
    await sendMany(lb, cluster, 3);
    clock.advance(8_000);
    const at12 = await sendMany(lb, cluster, 6);
    expect(
      countOf(at12, 'a'),
      'a failed at t=0 s and at t=4 s (max_fails 2): it is out until fail_timeout (10 s) after its last ' +
        `failure, t=14 s, but at t=12 s it got ${countOf(at12, 'a')} of 6 requests`,
    ).toBe(0);
  });

  it('keeps an upstream in with fewer than max_fails failures, and takes it out at max_fails', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], {
      maxTries: 1,
      maxFails: 3,
      failTimeoutMs: 10_000,
    });
    cluster.upstream('a').queue('refuse', 'refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(1_000);
    await sendMany(lb, cluster, 3);
    clock.advance(1_000);
    const stillIn = await sendMany(lb, cluster, 6);
    expect(
      countOf(stillIn, 'a'),
      'a failed 2 times within fail_timeout and max_fails is 3: it must stay in rotation (2 of every 6 requests ' +
        `under round-robin), but it got ${countOf(stillIn, 'a')}. Taking a server out on its first error turns ` +
        'every blip into lost capacity.',
    ).toBe(2);
    cluster.upstream('a').queue('refuse');
    clock.advance(1_000);
    await sendMany(lb, cluster, 3);
    clock.advance(1_000);
    const out = await sendMany(lb, cluster, 6);
    expect(
      countOf(out, 'a'),
      'a has now failed 3 times within 3 s; max_fails is 3 and fail_timeout 10 s, so it must be out, but it ' +
        `still got ${countOf(out, 'a')} of 6 requests. The requests a answered in between came within fail_timeout ` +
        'of its last failure, and in nginx such successes do not forgive earlier failures.',
    ).toBe(0);
  });

  it('spreads the share of an upstream that is out evenly over the others', async () => {
    const { cluster, lb } = setup(['a', 'b', 'c'], { maxTries: 1 });
    cluster.upstream('b').queue('refuse');
    await sendMany(lb, cluster, 3);
    const order = await sendMany(lb, cluster, 6);
    if (countOf(order, 'a') !== 3 || countOf(order, 'c') !== 3) {
      throw new Error(
        `b refused a request and is out; the next 6 requests went to ${list(order)}. With b out, round-robin ` +
          'should alternate a and c (3 each): the next turn goes to the next usable upstream after the one picked ' +
          "last. A position that moves by one per request hands b's whole share to its neighbour c, which then " +
          'carries twice the load of a while b is down.',
      );
    }
  });

  it('never takes an upstream out when max_fails is 0', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], { maxTries: 1, maxFails: 0 });
    cluster.upstream('a').behave('refuse');
    const order = await sendMany(lb, cluster, 9);
    clock.advance(1_000);
    const later = await sendMany(lb, cluster, 6);
    expect(
      countOf(order, 'a') + countOf(later, 'a'),
      `with maxFails 0 (nginx max_fails=0: no failure accounting) a must stay in rotation however often it fails, ` +
        `so round-robin gives it 5 of 15 requests; it got ${countOf(order, 'a') + countOf(later, 'a')}`,
    ).toBe(5);
  });

  it('gives a still-dead upstream exactly one trial request after fail_timeout, then takes it out again at once', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], {
      maxTries: 1,
      maxFails: 3,
      failTimeoutMs: 10_000,
    });
    cluster.upstream('a').behave('refuse');
    await sendMany(lb, cluster, 9);
    expect(cluster.attempts('a'), 'a should fail 3 requests (max_fails 3) before it is taken out').toBe(3);
    for (const [wait, when] of [
      [10_001, 't=10.001 s'],
      [5_001, 't=20.002 s'],
    ] as const) {
      clock.advance(wait);
      const probe = await sendMany(lb, cluster, 9);
      if (countOf(probe, 'a') !== 1) {
        throw new Error(
          `a refused 3 requests (max_fails 3) and was out; at ${when}, fail_timeout after its last failure, it got ` +
            `${countOf(probe, 'a')} of the next 9 requests (${list(probe)}), and it still refuses every one. nginx ` +
            'sends a recovering upstream exactly one trial request: if it fails, the upstream is out for another ' +
            'fail_timeout at once. A count of failures in a sliding window gives a dead server max_fails fresh ' +
            'failures every cycle, each one an error (or a slow retry) for a client.',
        );
      }
      clock.advance(5_000);
      const meanwhile = await sendMany(lb, cluster, 6);
      expect(
        countOf(meanwhile, 'a'),
        `a failed its trial request; 5 s later (less than fail_timeout) it must still be out, but it got ${countOf(meanwhile, 'a')} of 6`,
      ).toBe(0);
    }
  });

  it('sends one trial at a time even with requests in flight, and a good trial brings the upstream fully back', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], {
      maxTries: 1,
      maxFails: 1,
      failTimeoutMs: 10_000,
    });
    cluster.upstream('a').queue('refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(10_001);
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('hold');
    const started: Started[] = [];
    const from = cluster.log.length;
    for (let i = 1; i <= 6; i++) await startAndSettle(lb, GET(`/burst-${i}`), started);
    const burst = cluster.order().slice(from);
    expect(
      countOf(burst, 'a'),
      `a failed at t=0 s; at t=10.001 s six requests arrived together and a got ${countOf(burst, 'a')} of them ` +
        `(${list(burst)}). After fail_timeout a recovering upstream gets one trial request, and while that trial is ` +
        'in flight it stays out: a server still down must not take a burst of clients with it.',
    ).toBe(1);
    await finish(cluster, started);
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('ok');
    const back = await sendMany(lb, cluster, 6);
    expect(
      countOf(back, 'a'),
      `a's trial request succeeded, so a is back in rotation with its failures forgiven, yet it got none of the ` +
        `next 6 requests (${list(back)})`,
    ).toBeGreaterThan(0);
  });

  it('does not let successes within fail_timeout forgive earlier failures', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], {
      maxTries: 1,
      maxFails: 2,
      failTimeoutMs: 10_000,
    });
    cluster.upstream('a').queue('refuse', 'ok', 'refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(5_000);
    await sendMany(lb, cluster, 3);
    clock.advance(3_000);
    await sendMany(lb, cluster, 3);
    clock.advance(1_000);
    const later = await sendMany(lb, cluster, 6);
    expect(
      countOf(later, 'a'),
      'a failed at t=0 s, answered one request at t=5 s, and failed again at t=8 s: with max_fails 2 that is ' +
        `its second failure and it must be out, but at t=9 s it got ${countOf(later, 'a')} of 6 requests. In ` +
        'nginx a success does not forgive failures until fail_timeout has passed since the last one: a server ' +
        'that fails every other request is not healthy.',
    ).toBe(0);
  });

  it('forgives failures only after a success more than fail_timeout after the last failure', async () => {
    for (const [gap, forgiven] of [
      [10_000, false],
      [10_001, true],
    ] as const) {
      const { clock, cluster, lb } = setup(['a', 'b', 'c'], {
        maxTries: 1,
        maxFails: 2,
        failTimeoutMs: 10_000,
      });
      cluster.upstream('a').queue('refuse', 'ok', 'refuse');
      await sendMany(lb, cluster, 3);
      clock.advance(gap);
      await sendMany(lb, cluster, 3);
      clock.advance(500);
      await sendMany(lb, cluster, 3);
      clock.advance(500);
      const later = await sendMany(lb, cluster, 6);
      const when = `${seconds(gap)} after`;
      if (forgiven) {
        expect(
          countOf(later, 'a'),
          `a failed at t=0 s, answered a request ${when} (more than fail_timeout, 10 s, later: that success ` +
            'forgives the old failure) and failed once more 0.5 s later: one failure, max_fails 2, so it must stay ' +
            `in, but it got ${countOf(later, 'a')} of 6 requests. Failures older than fail_timeout must stop counting ` +
            'once the server answers again, or rare unrelated errors eventually remove every server.',
        ).toBe(2);
      } else {
        expect(
          countOf(later, 'a'),
          `a failed at t=0 s, answered a request exactly ${when} (not more than fail_timeout, so nginx does not ` +
            'forgive the failure yet) and failed again 0.5 s later: that is its second failure (max_fails 2), so it ' +
            `must be out, but it got ${countOf(later, 'a')} of 6 requests`,
        ).toBe(0);
      }
      installed?.restore();
      installed = undefined;
    }
  });

  it('adds up failures further apart than fail_timeout when no success came between them', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], {
      maxTries: 1,
      maxFails: 2,
      failTimeoutMs: 10_000,
    });
    cluster.upstream('a').behave('refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(15_000);
    await sendMany(lb, cluster, 3);
    clock.advance(1_000);
    const later = await sendMany(lb, cluster, 6);
    expect(
      countOf(later, 'a'),
      'a refused a request at t=0 s and the next one it got, at t=15 s, with no success in between: nginx ' +
        'keeps counting (its failure count is reset only by a success, once fail_timeout has passed since the ' +
        'last failure), so that is failure 2 of max_fails 2 and a must be out; at t=16 s it got ' +
        `${countOf(later, 'a')} of 6 requests. A server that fails every request it gets is down, however ` +
        'little traffic reaches it; a count that restarts whenever failures are fail_timeout apart never sees it.',
    ).toBe(0);
  });

  it('counts only failed attempts: a 404 never, a 5xx only when nextUpstream lists it', async () => {
    const cases: Array<{ extra: Extra; behaviour: Behaviour; counted: boolean; what: string }> = [
      {
        extra: {},
        behaviour: { status: 500 },
        counted: false,
        what: 'a 500 with nextUpstream left out (error, timeout)',
      },
      { extra: {}, behaviour: { status: 404 }, counted: false, what: 'a 404' },
      {
        extra: { nextUpstream: ['error', 'timeout', 'http_404', 'http_403'] },
        behaviour: { status: 404 },
        counted: false,
        what: "a 404 with nextUpstream listing 'http_404' (passed on, but never a failure)",
      },
      {
        extra: { nextUpstream: ['error', 'timeout', 'http_503'] },
        behaviour: { status: 503 },
        counted: true,
        what: "a 503 with nextUpstream listing 'http_503'",
      },
      {
        extra: { nextUpstream: ['error', 'timeout', 'http_429'] },
        behaviour: { status: 429 },
        counted: true,
        what: "a 429 with nextUpstream listing 'http_429'",
      },
      {
        extra: { nextUpstream: ['timeout'] },
        behaviour: 'refuse',
        counted: true,
        what: "a refused connection with nextUpstream ['timeout'] (errors and timeouts always count)",
      },
    ];
    for (const { extra, behaviour, counted, what } of cases) {
      const { clock, cluster, lb } = setup(['a', 'b', 'c'], { maxTries: 1, ...extra });
      cluster.upstream('a').queue(behaviour);
      await sendMany(lb, cluster, 3);
      clock.advance(1_000);
      const later = await sendMany(lb, cluster, 6);
      expect(
        countOf(later, 'a'),
        counted
          ? `after ${what} at t=0 s (max_fails 1), a should be out for fail_timeout, but it got ${countOf(later, 'a')} of 6 requests`
          : `after ${what} at t=0 s, a should still be in rotation (2 of 6 requests): that answer is not a failed ` +
              `attempt, but a got ${countOf(later, 'a')}. An upstream answering "not found" is working; counting it ` +
              'as a failure lets one bad link take every server out.',
      ).toBe(counted ? 0 : 2);
      installed?.restore();
      installed = undefined;
    }
  });

  it('matches nginx in generated scenarios of failures, recoveries and clock moves', () =>
    generated('load-balancer health', healthScenarios, 50));
});

// ---------------------------------------------------------------------------

function expectEachOnce(tried: readonly string[], request: string): void {
  const repeated = tried.find((name, index) => tried.indexOf(name) !== index);
  if (repeated !== undefined) {
    throw new Error(
      `${request} tried ${list(tried)}: it went back to an upstream it had already tried (${repeated}). Each ` +
        'try must go to an upstream this request has not tried yet, not merely a different one from the last: ' +
        'a server that just failed is the least likely to answer, and hammering it slows its recovery.',
    );
  }
}

describe('task 5: Retry on the next upstream', () => {
  it('passes a GET on after an error or a timeout, and after a status only when nextUpstream lists it', async () => {
    const cases: Array<{ extra: Extra; a: Behaviour; b: Behaviour; what: string }> = [
      { extra: {}, a: 'refuse', b: 'timeout', what: 'a refuses, b times out' },
      { extra: {}, a: 'reset', b: 'refuse', what: 'a resets the connection, b refuses' },
      {
        extra: { nextUpstream: ['error', 'timeout', 'http_500'] },
        a: { status: 500 },
        b: 'reset',
        what: "a answers 500 (listed as 'http_500'), b resets",
      },
      {
        extra: { nextUpstream: ['error', 'timeout', 'http_404'] },
        a: { status: 404 },
        b: { status: 404 },
        what: "a and b answer 404 (listed as 'http_404')",
      },
    ];
    for (const { extra, a, b, what } of cases) {
      const { cluster, lb } = setup(['a', 'b', 'c'], { maxFails: 100, ...extra });
      cluster.upstream('a').behave(a);
      cluster.upstream('b').behave(b);
      const response = await answer(lb, cluster, GET('/cart'));
      const tried = cluster.order();
      expectEachOnce(tried, 'GET /cart');
      expect(
        `${response.status} from ${response.upstream ?? 'the load balancer'}`,
        `${what}, c is healthy: GET /cart tried ${list(tried)}. A GET whose try failed in a way nextUpstream ` +
          'lists should be passed to the next upstream until one answers',
      ).toBe('200 from c');
      installed?.restore();
      installed = undefined;
    }
    const unlisted: Array<{ extra: Extra; behaviour: Behaviour; status: number; what: string }> = [
      {
        extra: {},
        behaviour: { status: 500 },
        status: 500,
        what: 'a 500 with nextUpstream left out (error, timeout)',
      },
      { extra: {}, behaviour: { status: 404 }, status: 404, what: 'a 404' },
      {
        extra: { nextUpstream: ['error', 'timeout', 'http_502'] },
        behaviour: { status: 503 },
        status: 503,
        what: "a 503 when nextUpstream lists 'http_502' but not 'http_503'",
      },
      {
        extra: { nextUpstream: ['timeout'] },
        behaviour: 'refuse',
        status: 502,
        what: "a refused connection with nextUpstream ['timeout']",
      },
      {
        extra: { nextUpstream: ['off'] },
        behaviour: 'timeout',
        status: 504,
        what: "a timeout with nextUpstream ['off']",
      },
    ];
    for (const { extra, behaviour, status, what } of unlisted) {
      const { cluster, lb } = setup(['a', 'b', 'c'], { maxFails: 100, ...extra });
      for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave(behaviour);
      const response = await answer(lb, cluster, GET('/page'));
      expect(
        cluster.attempts(),
        `after ${what}, GET /page tried ${list(cluster.order())}: only the cases nextUpstream lists are passed to ` +
          "another upstream (nginx's proxy_next_upstream, default 'error timeout'); anything else goes to the client " +
          'as it is. Retrying an answer that is not listed only multiplies load.',
      ).toBe(1);
      expect(
        response.status,
        `after ${what} the client got ${response.status}; it should get ${status}, the outcome of the last try: ` +
          "the upstream's own response as it was, 502 after a connection error, 504 after a timeout",
      ).toBe(status);
      installed?.restore();
      installed = undefined;
    }
  });

  it("gives up after every upstream or maxTries tries, with the last try's outcome: its response, else 502 (error) or 504 (timeout)", async () => {
    const listed: Extra = { maxFails: 100, nextUpstream: ['error', 'timeout', 'http_503'] };
    const cases: Array<{ behaviours: Behaviour[]; status: number; from?: number; kind: string }> = [
      {
        behaviours: [{ status: 503 }, { status: 503 }, { status: 503 }],
        status: 503,
        from: 2,
        kind: 'a 503 from every upstream',
      },
      { behaviours: ['refuse', 'refuse', 'refuse'], status: 502, kind: 'connection refused everywhere' },
      { behaviours: ['timeout', 'timeout', 'timeout'], status: 504, kind: 'a timeout everywhere' },
      {
        behaviours: [{ status: 503 }, 'timeout', 'reset'],
        status: 502,
        kind: 'a 503, then a timeout, then a reset',
      },
      {
        behaviours: ['refuse', { status: 503 }, 'timeout'],
        status: 504,
        kind: 'a refusal, then a 503, then a timeout',
      },
      {
        behaviours: ['timeout', 'reset', { status: 503 }],
        status: 503,
        from: 2,
        kind: 'a timeout, then a reset, then a 503',
      },
    ];
    for (const { behaviours, status, from, kind } of cases) {
      const { cluster, lb } = setup(['a', 'b', 'c'], listed);
      ['a', 'b', 'c'].forEach((name, i) => {
        cluster.upstream(name).behave(behaviours[i] as Behaviour);
      });
      const response = await answer(lb, cluster, GET('/checkout'));
      const tried = cluster.order();
      expectEachOnce(tried, 'GET /checkout');
      expect(
        tried.join(', '),
        `with ${kind}, GET /checkout should try each of the 3 upstreams once, in turn`,
      ).toBe('a, b, c');
      const wanted = from === undefined ? `${status}` : `${status} from ${tried[from]}`;
      expect(
        from === undefined ? `${response.status}` : `${response.status} from ${response.upstream}`,
        `with ${kind}, the client got ${response.status} after trying ${list(tried)}; it should get the outcome of the ` +
          `last try, ${wanted}: ` +
          (status === 503
            ? "that upstream's own 503 response, passed through as it was"
            : status === 502
              ? '502 Bad Gateway, because the last upstream could not be reached'
              : '504 Gateway Timeout, because the last upstream did not answer in time'),
      ).toBe(wanted);
      installed?.restore();
      installed = undefined;
    }
    for (const [maxTries, tries] of [
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 3],
    ] as const) {
      const { cluster, lb } = setup(['a', 'b', 'c'], { maxTries, maxFails: 100 });
      for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('refuse');
      const response = await answer(lb, cluster, GET('/checkout'));
      expectEachOnce(cluster.order(), `GET /checkout (maxTries ${maxTries})`);
      expect(
        cluster.attempts(),
        `with maxTries ${maxTries}, 3 upstreams and every one refusing, GET /checkout tried ${list(cluster.order())}: ` +
          `it should make ${tries} tr${tries === 1 ? 'y' : 'ies'}. maxTries (nginx proxy_next_upstream_tries) caps the ` +
          'tries per request, the first one included, and no upstream is tried twice for one request',
      ).toBe(tries);
      expect(response.status, 'after the last try was refused the client should get 502').toBe(502);
      installed?.restore();
      installed = undefined;
    }
  });

  it('never goes back to an upstream this request already tried', async () => {
    for (const strategy of ['weighted-round-robin', 'least-connections'] as const) {
      const clock = simulatedClock();
      const cluster = new SimulatedCluster(['a', 'b', 'c'], clock.now);
      const lb = createLoadBalancer({
        upstreams: [
          { name: 'a', weight: 5 },
          { name: 'b', weight: 1 },
          { name: 'c', weight: 1 },
        ],
        strategy,
        send: cluster.send,
        now: clock.now,
        maxFails: 100,
      });
      for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('refuse');
      for (let i = 1; i <= 3; i++) {
        const from = cluster.log.length;
        const response = await answer(lb, cluster, GET(`/search-${i}`));
        const tried = cluster.order().slice(from);
        expectEachOnce(
          tried,
          `GET /search-${i} (${strategy}${strategy === 'weighted-round-robin' ? ', a=5, b=1, c=1' : ''})`,
        );
        expect(
          tried.length,
          `GET /search-${i} should try each of the 3 refusing upstreams once (${strategy})`,
        ).toBe(3);
        expect(response.status, 'every upstream refused: 502').toBe(502);
      }
      installed?.restore();
      installed = undefined;
    }
  });

  it('does not pass on a POST, PATCH or LOCK the upstream may have received, unless nextUpstream lists non_idempotent', async () => {
    const cases = [
      { method: 'POST', behaviour: 'timeout', status: 504, what: 'timed out' },
      {
        method: 'POST',
        behaviour: { status: 503 },
        status: 503,
        what: "answered 503 (listed as 'http_503')",
      },
      {
        method: 'PATCH',
        behaviour: 'reset',
        status: 502,
        what: 'reset the connection after reading the request',
      },
      { method: 'LOCK', behaviour: 'timeout', status: 504, what: 'timed out' },
    ] as const;
    for (const { method, behaviour, status, what } of cases) {
      const { cluster, lb } = setup(['a', 'b', 'c'], {
        maxFails: 100,
        nextUpstream: ['error', 'timeout', 'http_503'],
      });
      for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave(behaviour);
      const response = await answer(lb, cluster, { method, path: '/orders' });
      const tried = cluster.order();
      expect(
        tried.length,
        `${method} /orders was sent to ${list(tried)}: the first upstream ${what}, so it may already have ` +
          `created the order, and the retry can create it twice. A ${method} is not idempotent: like nginx ` +
          "(since 1.9.13), do not pass it to another upstream once it was sent, unless nextUpstream lists 'non_idempotent'.",
      ).toBe(1);
      expect(response.status, `the client should get ${status} for the one try that ${what}`).toBe(status);
      installed?.restore();
      installed = undefined;
    }
    for (const method of ['PUT', 'DELETE', 'HEAD']) {
      const { cluster, lb } = setup(['a', 'b', 'c'], { maxFails: 100 });
      cluster.upstream('a').behave('timeout');
      const response = await answer(lb, cluster, { method, path: '/orders/7' });
      expect(
        `${response.status} after ${list(cluster.order())}`,
        `${method} is idempotent (doing it twice has the effect of doing it once), so after a timeout on a it should be passed to b`,
      ).toBe('200 after a, b');
      installed?.restore();
      installed = undefined;
    }
    const { cluster, lb } = setup(['a', 'b', 'c'], {
      maxFails: 100,
      nextUpstream: ['error', 'timeout', 'non_idempotent'],
    });
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('timeout');
    await answer(lb, cluster, { method: 'POST', path: '/orders' });
    expect(
      cluster.attempts(),
      "with nextUpstream listing 'non_idempotent' a POST that timed out should be passed on like a GET",
    ).toBe(3);
  });

  it('retries a POST whose connection was refused: the request never left', async () => {
    const { cluster, lb } = setup(['a', 'b', 'c']);
    cluster.upstream('a').behave('refuse');
    cluster.upstream('b').behave('refuse');
    const response = await answer(lb, cluster, { method: 'POST', path: '/orders' });
    expect(
      response.status,
      `POST /orders tried ${list(cluster.order())} and the client got ${response.status}. A refused connection ` +
        'never carried the request (UpstreamError.requestSent is false), so nothing can happen twice: pass it to ' +
        'the next upstream, as nginx does, and c answers 200.',
    ).toBe(200);
  });

  it('counts every failed try towards max_fails, even when a retry saved the request', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c']);
    cluster.upstream('a').queue('refuse');
    for (let i = 1; i <= 3; i++) {
      const response = await answer(lb, cluster, GET(`/home-${i}`));
      expect(response.status, `GET /home-${i} should succeed on a healthy upstream`).toBe(200);
    }
    clock.advance(1_000);
    const later = await sendMany(lb, cluster, 6);
    expect(
      countOf(later, 'a'),
      'a refused a connection at t=0 s and the request was retried on another upstream; that failed try still ' +
        `counts towards max_fails (1), so a should be out for fail_timeout, but it got ${countOf(later, 'a')} of ` +
        '6 requests. If only requests that failed completely count, a dead server keeps costing every client a ' +
        'wasted try.',
    ).toBe(0);
  });

  it('matches nginx in generated scenarios of retries, methods, maxTries and nextUpstream', () =>
    generated('load-balancer retries', retryScenarios, 50));
});

// ---------------------------------------------------------------------------

describe('task 6: Fail fast when every upstream is down', () => {
  it('answers 502 or 503 at once, without contacting any upstream, when all are marked down', async () => {
    const { cluster, lb } = setup(['a', 'b', 'c']);
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('refuse');
    const first = await answer(lb, cluster, GET('/status'));
    expect(first.status, 'every upstream refused: the client should get 502').toBe(502);
    const before = cluster.attempts();
    expect(before, 'each of the 3 upstreams should have been tried once').toBe(3);
    const response = await answer(lb, cluster, GET('/status'));
    const contacted = cluster.order().slice(before);
    if (contacted.length > 0) {
      throw new Error(
        `every upstream failed and was marked down (max_fails 1, fail_timeout 10 s), yet the next request still ` +
          `contacted ${list(contacted)}. With no live upstream the load balancer should answer 502 or 503 at ` +
          'once, without contacting a server it knows is down: clients get a fast error instead of waiting on ' +
          'connection attempts, and the failing servers get room to recover.',
      );
    }
    expect([502, 503], `with every upstream down the client got ${response.status}`).toContain(
      response.status,
    );
  });

  it('serves again once fail_timeout has passed', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], { failTimeoutMs: 10_000 });
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('timeout');
    const first = await answer(lb, cluster, GET('/status'));
    expect(first.status, 'every upstream timed out: the client should get 504').toBe(504);
    await answer(lb, cluster, GET('/status'));
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('ok');
    clock.advance(10_001);
    const response = await answer(lb, cluster, GET('/status'));
    expect(
      response.status,
      'every upstream timed out, then recovered; 10.001 s later (fail_timeout is 10 s) the load balancer ' +
        `answered ${response.status}: it should try them again and return the 200`,
    ).toBe(200);
  });
});
