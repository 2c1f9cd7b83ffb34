import {
  createLoadBalancer,
  type LoadBalancer,
  type LoadBalancerOptions,
} from '@exercise/load-balancer/load-balancer';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../support/clock';
import { graderRandom } from '../support/seed';
import { settle } from '../support/settle';
import { type ProxyRequest, type ProxyResponse, SimulatedCluster } from './harness';

// ---------------------------------------------------------------------------
// Helpers: a fresh cluster, clock and load balancer per test.
// ---------------------------------------------------------------------------

type Extra = Partial<Omit<LoadBalancerOptions, 'send' | 'now'>>;

function setup(names: string[], extra: Extra = {}) {
  const clock = manualClock();
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
  await settle(2);
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
    const clock = manualClock();
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
    const clock = manualClock();
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
  });

  it('brings an upstream back once fail_timeout has passed, not before', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], { maxTries: 1, failTimeoutMs: 10_000 });
    cluster.upstream('a').queue('refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(9_999);
    const early = await sendMany(lb, cluster, 6);
    expect(
      countOf(early, 'a'),
      `a failed and max_fails is 1: it should stay out for the whole fail_timeout of 10 s, but it got requests ` +
        'again after 9.999 s',
    ).toBe(0);
    clock.advance(2);
    const after = await sendMany(lb, cluster, 6);
    if (countOf(after, 'a') === 0) {
      throw new Error(
        `a failed once at t=0 s; ${seconds(10_001)} later (fail_timeout is 10 s) it ` +
          `got none of 6 requests (they went to ${list(after)}): the server never came back. After fail_timeout ` +
          'the load balancer must try it again, or one blip during a deploy removes capacity for good.',
      );
    }
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
        `still got ${countOf(out, 'a')} of 6 requests`,
    ).toBe(0);
  });

  it('never adds up failures that are further apart than fail_timeout', async () => {
    const { clock, cluster, lb } = setup(['a', 'b', 'c'], {
      maxTries: 1,
      maxFails: 2,
      failTimeoutMs: 10_000,
    });
    cluster.upstream('a').queue('refuse');
    await sendMany(lb, cluster, 3);
    clock.advance(11_000);
    // a answers a request successfully, then fails once more.
    cluster.upstream('a').queue('ok', 'refuse');
    await sendMany(lb, cluster, 6);
    clock.advance(500);
    const later = await sendMany(lb, cluster, 6);
    if (countOf(later, 'a') === 0) {
      throw new Error(
        'a failed at t=0 s, served a request successfully at t=11 s, then failed once at t=11 s: that is one ' +
          'failure within fail_timeout (10 s), not max_fails=2, yet a was taken out. Failures older than ' +
          'fail_timeout must stop counting; counting them forever means every server is eventually removed by ' +
          'rare, unrelated errors.',
      );
    }
  });
});

// ---------------------------------------------------------------------------

function expectEachOnce(tried: readonly string[], request: string): void {
  const repeated = tried.find((name, index) => tried.indexOf(name) !== index);
  if (repeated !== undefined) {
    throw new Error(
      `${request} tried ${list(tried)}: it went back to the same upstream (${repeated}) after it failed. The next ` +
        'try must go to the next upstream: the one that just failed is the least likely to answer, and hammering ' +
        'it makes its recovery slower.',
    );
  }
}

describe('task 5: Retry on the next upstream', () => {
  it('passes a GET to the next upstream after an error, a timeout or a 5xx, but not after a 404', async () => {
    for (const [first, second] of [
      ['refuse', 'timeout'],
      [{ status: 500 }, 'reset'],
    ] as const) {
      const { cluster, lb } = setup(['a', 'b', 'c']);
      cluster.upstream('a').behave(first);
      cluster.upstream('b').behave(second);
      const response = await answer(lb, cluster, GET('/cart'));
      const tried = cluster.order();
      expectEachOnce(tried, 'GET /cart');
      const what = `a: ${JSON.stringify(first)}, b: ${JSON.stringify(second)}, c: healthy`;
      expect(
        response.status,
        `with ${what}, GET /cart tried ${list(tried)} and the client got ${response.status}: an idempotent request ` +
          'that failed on one upstream should be passed to the next until one answers',
      ).toBe(200);
      expect(response.upstream, 'the 200 can only come from c').toBe('c');
    }
    const { cluster, lb } = setup(['a', 'b', 'c']);
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave({ status: 404 });
    const notFound = await answer(lb, cluster, GET('/no-such-page'));
    expect(
      cluster.attempts(),
      `GET /no-such-page tried ${list(cluster.order())}: a 404 is the application's answer, not a failed ` +
        'upstream; retrying it only multiplies load',
    ).toBe(1);
    expect(notFound.status, 'the client should get the 404').toBe(404);
  });

  it('gives up after every upstream or maxTries tries: the last 5xx, else 502 (error) or 504 (timeout)', async () => {
    const cases = [
      { behaviour: { status: 503 }, status: 503, kind: 'a 503 from every upstream' },
      { behaviour: 'refuse', status: 502, kind: 'connection refused everywhere' },
      { behaviour: 'timeout', status: 504, kind: 'a timeout everywhere' },
    ] as const;
    for (const { behaviour, status, kind } of cases) {
      const { cluster, lb } = setup(['a', 'b', 'c'], { maxFails: 100 });
      for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave(behaviour);
      const response = await answer(lb, cluster, GET('/checkout'));
      const tried = cluster.order();
      expectEachOnce(tried, 'GET /checkout');
      expect(tried.length, `with ${kind}, GET /checkout should try each of the 3 upstreams once`).toBe(3);
      expect(
        response.status,
        `with ${kind}, the client got ${response.status} after trying ${list(tried)}; it should get ${status}` +
          (status === 503
            ? " (the last upstream's own 5xx response, passed through)"
            : status === 502
              ? ' (Bad Gateway: no upstream could be reached)'
              : ' (Gateway Timeout: the upstreams did not answer in time)'),
      ).toBe(status);
      if (status === 503) {
        expect(response.upstream, 'the 503 passed through should be the last upstream tried').toBe(tried[2]);
      }
    }
    const { cluster, lb } = setup(['a', 'b', 'c'], { maxTries: 2, maxFails: 100 });
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('refuse');
    const response = await answer(lb, cluster, GET('/checkout'));
    expect(
      cluster.attempts(),
      `with maxTries 2 and every upstream refusing, GET /checkout tried ${list(cluster.order())}: maxTries ` +
        '(nginx proxy_next_upstream_tries) caps the tries per request, so one request cannot multiply into a ' +
        'storm of retries while the whole backend is struggling',
    ).toBe(2);
    expect(response.status, 'after the last try was refused the client should get 502').toBe(502);
  });

  it('does not retry a POST or PATCH the upstream may have received, unless retryNonIdempotent is set', async () => {
    const cases = [
      { method: 'POST', behaviour: 'timeout', status: 504, what: 'timed out' },
      { method: 'POST', behaviour: { status: 500 }, status: 500, what: 'answered 500' },
      {
        method: 'PATCH',
        behaviour: 'reset',
        status: 502,
        what: 'reset the connection after reading the request',
      },
    ] as const;
    for (const { method, behaviour, status, what } of cases) {
      const { cluster, lb } = setup(['a', 'b', 'c'], { maxFails: 100 });
      for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave(behaviour);
      const response = await answer(lb, cluster, { method, path: '/orders' });
      const tried = cluster.order();
      expect(
        tried.length,
        `${method} /orders was sent to ${list(tried)}: the first upstream ${what}, so it may already have ` +
          `created the order, and the retry can create it twice. A ${method} is not idempotent: like nginx ` +
          '(since 1.9.13), do not pass it to another upstream once it was sent, unless retryNonIdempotent is set.',
      ).toBe(1);
      expect(response.status, `the client should get ${status} for the one try that ${what}`).toBe(status);
    }
    const { cluster, lb } = setup(['a', 'b', 'c'], { maxFails: 100, retryNonIdempotent: true });
    for (const name of ['a', 'b', 'c']) cluster.upstream(name).behave('timeout');
    await answer(lb, cluster, { method: 'POST', path: '/orders' });
    expect(
      cluster.attempts(),
      'with retryNonIdempotent: true (nginx non_idempotent) a POST that timed out should be passed on like a GET',
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
