import { createRateLimiter } from '@exercise/rate-limiter/rate-limiter';
import { afterEach, describe, it } from 'vitest';
import { simulationOnly } from '../support/backends';
import { type FakeClock, installFakeClock } from '../support/clock';
import { checkScenarios } from '../support/property';
import { nextMacrotask, settle } from '../support/settle';
import {
  apiRequest,
  createRedis,
  type LimitPolicy,
  type RateLimiter,
  type RateLimiterOptions,
  type SimulatedRedis,
  type Upstream,
  upstream,
} from './harness';
import { type Arrival, arrivals, CLIENTS, explainArrivals, quotaModel, secondsAllowed } from './scenarios';

// ---------------------------------------------------------------------------------------------------------
// Setup: a fresh Redis, API and fake clock for every test.

const FIXED: LimitPolicy = { algorithm: 'fixed-window', limit: 5, windowSeconds: 10 };
const SLIDING: LimitPolicy = { ...FIXED, algorithm: 'sliding-window' };
const BUCKET: LimitPolicy = { ...FIXED, algorithm: 'token-bucket' };
const CLIENT = '198.51.100.7';
const LOAD_BALANCER = '10.0.0.2';
const CDN = '10.0.0.9';
const KEY = 'key-acme-2f9c';
const OTHER_KEY = 'key-globex-81d0';
const REDIS_TIMEOUT_MS = 50;

let clock: FakeClock | undefined;

afterEach(() => {
  clock?.restore();
  clock = undefined;
});

interface World {
  redis: SimulatedRedis;
  api: Upstream;
  options: RateLimiterOptions;
  /** A limiter on one app server; `another()` makes one more, sharing Redis. */
  limiter: RateLimiter;
  another(): RateLimiter;
  clock: FakeClock;
  redisErrors: unknown[];
}

async function start(policy: LimitPolicy, overrides: Partial<RateLimiterOptions> = {}): Promise<World> {
  clock = installFakeClock();
  const world = clock;
  const redis = await createRedis();
  const redisErrors: unknown[] = [];
  const options: RateLimiterOptions = {
    redis: redis.client,
    policy,
    now: () => Date.now(),
    apiKeys: new Set([KEY, OTHER_KEY]),
    trustedProxies: [LOAD_BALANCER],
    whenRedisFails: 'open',
    redisTimeoutMs: REDIS_TIMEOUT_MS,
    onRedisError: (error) => redisErrors.push(error),
    ...overrides,
  };
  // Every test starts on a window boundary (against real servers the clock starts at the real time).
  const windowMs = policy.windowSeconds * 1000;
  world.advance((windowMs - (world.now() % windowMs)) % windowMs);
  const another = () => attempt('createRateLimiter(options)', () => createRateLimiter(options));
  return { redis, api: upstream(), options, limiter: another(), another, clock: world, redisErrors };
}

/** Moves the clock to `ms` past the start of the next window (every test starts on a window boundary). */
function toNextWindow(world: World, ms = 0): void {
  const windowMs = world.options.policy.windowSeconds * 1000;
  const now = world.clock.now();
  world.clock.advance(Math.ceil((now + 1) / windowMs) * windowMs - now + ms);
}

// ---------------------------------------------------------------------------------------------------------
// Turning failures into explanations.

function fail(message: string): never {
  throw new Error(message);
}

function attempt<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    fail(`${what} threw: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** How long the grader lets one request take, in simulated time, before calling it hung. */
const ANSWER_WITHIN_MS = 1_000;

/**
 * Sends requests at once and waits for every answer, moving simulated time on in small steps while
 * they wait on a timer. A request still unanswered after `withinMs` of simulated time has hung.
 */
async function sendAll(
  world: World,
  sends: Array<{ limiter?: RateLimiter; request?: Request; from?: string }>,
  what: string,
  withinMs = ANSWER_WITHIN_MS,
): Promise<Response[]> {
  let pending = sends.length;
  const calls = sends.map(({ limiter, request, from }) => {
    const call = new Promise<Response>((resolve) =>
      resolve(
        (limiter ?? world.limiter).handle(
          request ?? apiRequest(),
          { remoteAddress: from ?? CLIENT },
          world.api.handler,
        ),
      ),
    );
    call.then(
      () => pending--,
      () => pending--,
    );
    return call;
  });
  for (let turn = 0; turn < 5 && pending > 0; turn++) await nextMacrotask();
  const started = world.clock.now();
  while (pending > 0) {
    await settle();
    if (pending === 0) break;
    const waited = world.clock.now() - started;
    if (waited >= withinMs) {
      fail(
        `${what}: ${pending} of ${sends.length} request(s) had still not been answered after ` +
          `${waited} ms of simulated time. A request that hangs holds a connection and a worker on every ` +
          'server it passes; with Redis slow or unreachable, hung requests pile up until the whole API ' +
          `stops. Give every Redis call a deadline (options.redisTimeoutMs, ${world.options.redisTimeoutMs} ms here).`,
      );
    }
    world.clock.advance(10);
  }
  const responses: Response[] = [];
  for (const call of calls) {
    try {
      const response = await call;
      if (!(response instanceof Response)) {
        fail(`${what}: handle() resolved with ${String(response)}, not a Response.`);
      }
      responses.push(response);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/ECONNREFUSED|max retries|did not answer/i.test(message)) {
        fail(
          `${what}: handle() rejected with "${message}": a Redis failure became a failed request ` +
            '(a 500 for the client). The limiter must decide what an outage means (options.whenRedisFails) ' +
            'and answer, not throw.',
        );
      }
      fail(`${what}: handle() rejected with "${message}".`);
    }
  }
  return responses;
}

async function send(world: World, what: string, request?: Request, from?: string): Promise<Response> {
  const [response] = await sendAll(world, [{ request, from }], what);
  return response as Response;
}

/** Sends `count` requests one after the other, at the current time; returns their status codes. */
async function sendSequence(world: World, count: number, request = () => apiRequest(), from?: string) {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    statuses.push((await send(world, `request ${i + 1}`, request(), from)).status);
  }
  return statuses;
}

/** Checks that a refused request is a 429 that never reached the API. */
function expectRefused(world: World, response: Response, what: string, callsBefore: number): void {
  if (response.status === 200 || world.api.calls > callsBefore) {
    fail(
      `${what} was let through to the API (status ${response.status}), but the client had used up its ` +
        `${world.options.policy.limit} requests per ${world.options.policy.windowSeconds} s. A limit that ` +
        'does not hold protects nothing: the excess reaches the database like any other request.',
    );
  }
  if (response.status !== 429) {
    fail(
      `${what} was refused with status ${response.status}. The status for "you sent too many requests" is ` +
        '429 Too Many Requests (RFC 6585): clients, SDKs and dashboards recognise it and back off. ' +
        '503 says the server is broken, 403 that the client may never ask.',
    );
  }
}

/** The numbers of the IETF draft's RateLimit fields (`"name";r=2;t=7` and `"name";q=5;w=10`). */
function field(response: Response, name: string): Record<string, string> | undefined {
  const value = response.headers.get(name);
  if (value === null) return undefined;
  const match = /^\s*("[^"]*"|[A-Za-z*][\w:.*/-]*)((?:\s*;\s*[a-z][a-z0-9_.*-]*=[^;,]*)*)\s*$/.exec(value);
  if (!match) return {};
  return Object.fromEntries(
    (match[2] ?? '')
      .split(';')
      .filter((part) => part.includes('='))
      .map((part) => part.trim().split('=') as [string, string]),
  );
}

// ---------------------------------------------------------------------------------------------------------

/** For any arrival pattern, your limiter decides what the model of the policy decides. */
async function followsThePolicy(label: string, policy: LimitPolicy, runs: number): Promise<void> {
  await checkScenarios(
    label,
    arrivals(policy),
    async (pattern: Arrival[]) => {
      try {
        await playArrivals(policy, pattern);
      } finally {
        clock?.restore();
        clock = undefined;
      }
    },
    { explain: explainArrivals, runs },
  );
}

async function playArrivals(policy: LimitPolicy, pattern: Arrival[]): Promise<void> {
  const world = await start(policy);
  const servers = [world.limiter, world.another()];
  const models = CLIENTS.map(() => quotaModel(policy));
  let at = 0;
  for (const [i, arrival] of pattern.entries()) {
    world.clock.advance(arrival.afterMs);
    at += arrival.afterMs;
    const address = CLIENTS[arrival.client] as string;
    const model = models[arrival.client] as ReturnType<typeof quotaModel>;
    const now = world.clock.now();
    const step = `step ${i + 1} (at +${(at / 1000).toFixed(1)} s)`;
    const responses = await sendAll(
      world,
      Array.from({ length: arrival.burst }, (_, r) => ({
        limiter: servers[(arrival.server + r) % 2],
        from: address,
      })),
      step,
    );
    const accepted = responses.filter((response) => response.status !== 429).length;
    const expected = Math.max(0, Math.min(arrival.burst, model.available(now)));
    if (accepted > expected) {
      fail(
        `At ${step} your limiter accepted ${accepted} of ${address}'s ${arrival.burst} request(s), but the ` +
          `${policy.algorithm} policy (${policy.limit} per ${policy.windowSeconds} s) allowed ${expected}: ` +
          'the excess reached the API.',
      );
    }
    if (accepted < expected) {
      fail(
        `At ${step} your limiter accepted only ${accepted} of ${address}'s ${arrival.burst} request(s), but ` +
          `the ${policy.algorithm} policy (${policy.limit} per ${policy.windowSeconds} s) allowed ${expected}: ` +
          'a client within its quota was refused. Refusing well-behaved clients is an outage for them.',
      );
    }
    // In the order Redis decided them, each accepted request leaves one place fewer (r counts down).
    const headersAfter = Array.from({ length: accepted }, () => {
      model.take(now);
      return { r: Math.max(0, model.available(now)), t: secondsAllowed(model.resetMs(now)) };
    });
    const refused = responses.find((response) => response.status === 429);
    if (refused) {
      const allowed = secondsAllowed(model.waitMs(now));
      const said = refused.headers.get('Retry-After');
      if (said === null || !allowed.includes(Number(said))) {
        fail(
          `At ${step} a refusal said Retry-After: ${said ?? '(missing)'}, but ${address} gets quota back in ` +
            `${(model.waitMs(now) / 1000).toFixed(3)} s: it should say ${allowed.join(' or ')}.`,
        );
      }
      const left = field(refused, 'RateLimit');
      if (left?.r !== '0' || left.t !== said) {
        fail(
          `At ${step} a refusal said RateLimit: ${refused.headers.get('RateLimit') ?? '(missing)'} with ` +
            `Retry-After: ${said}. A refused client has r=0 left, and t names the same moment as Retry-After.`,
        );
      }
    }
    const answers = responses
      .filter((response) => response.status !== 429)
      .map((response) => ({ header: response.headers.get('RateLimit'), left: field(response, 'RateLimit') }))
      .sort((a, b) => Number(b.left?.r) - Number(a.left?.r));
    for (const [k, { header, left }] of answers.entries()) {
      const want = headersAfter[k] as { r: number; t: number[] };
      if (left?.r !== String(want.r) || !want.t.includes(Number(left.t))) {
        fail(
          `At ${step} an accepted request of ${address} said RateLimit: ${header ?? '(missing)'}, but after it the ` +
            `${policy.algorithm} policy leaves r=${want.r}, and the next place comes back in ` +
            `t=${want.t.join(' or ')} s (whole seconds, rounded up). Clients pace themselves on these numbers.`,
        );
      }
    }
  }
}

/**
 * Fewer patterns for the policies decided by a Lua script: every request runs it in fengari, a Lua
 * interpreter written in JavaScript, several times the work of a MULTI even with the script compiled
 * once (tests/support/redis-scripts.ts), and grading one exercise should take about a second.
 */
const SCRIPTED_RUNS = 10;

/** Two app servers receive a burst at the same moment: Redis sees their commands interleaved. */
async function concurrentBurst(policy: LimitPolicy): Promise<void> {
  const world = await start(policy);
  const servers = [world.limiter, world.another()];
  const burst = policy.limit * 3;
  const responses = await sendAll(
    world,
    Array.from({ length: burst }, (_, i) => ({ limiter: servers[i % 2] })),
    `${burst} concurrent requests`,
  );
  const accepted = responses.filter((response) => response.status !== 429).length;
  if (accepted > policy.limit) {
    const perServer = accepted === policy.limit * 2;
    fail(
      `${burst} requests from one client arrived at the same moment on two app servers, and ${accepted} ` +
        `reached the API: the limit is ${policy.limit}. ` +
        (perServer
          ? "Each server let the full limit through: the count lives in each server's memory, so the real " +
            'limit is the limit times the number of servers. Keep the state in Redis.'
          : 'The requests read the same state from Redis before any of them wrote it back (read, decide, ' +
            'write in separate commands): a race that lets a burst through exactly when limiting matters. ' +
            'Decide in one atomic step: INCR, MULTI, or a Lua script (EVAL), which Redis runs as one command.'),
    );
  }
  if (accepted < policy.limit) {
    fail(
      `${burst} concurrent requests from a client with a fresh quota: only ${accepted} reached the API, ` +
        `but ${policy.limit} should have.`,
    );
  }
}

/** Every key the limiter leaves in Redis expires, and no later than it needs to. */
async function expectKeysExpire(world: World, what: string, atMostMs: number): Promise<void> {
  const keys = await world.redis.keys();
  if (keys.length === 0) fail(`${what}: the limiter keeps nothing in Redis, so it cannot share a limit.`);
  for (const { key, ttlMs } of keys) {
    if (ttlMs === -1) {
      fail(
        `${what}: "${key}" has no expiry. A rate-limit key without one stays in Redis forever: one per ` +
          'client per window adds up to millions of keys, and Redis runs out of memory. Set its TTL ' +
          'in the same atomic step that creates it.',
      );
    }
    if (ttlMs > atMostMs) {
      fail(
        `${what}: "${key}" expires in ${Math.round(ttlMs / 1000)} s, but nothing in it matters after ` +
          `${Math.round(atMostMs / 1000)} s` +
          `${ttlMs >= atMostMs * 500 ? ' (a TTL in milliseconds given to a command that counts seconds?)' : ''}. ` +
          'Rate-limit state for every client that ever called is a lot of memory to keep for nothing.',
      );
    }
  }
}

describe('task 1: Count requests in a fixed window', () => {
  it('the first 5 requests in a window reach the API, the 6th is refused with 429', async () => {
    const world = await start(FIXED);
    const statuses = await sendSequence(world, 5);
    if (statuses.some((status) => status !== 200) || world.api.calls !== 5) {
      fail(
        `The first 5 requests of a client answered ${statuses.join(', ')} and ${world.api.calls} reached ` +
          'the API: with a limit of 5 per 10 s, all 5 should have passed.',
      );
    }
    const sixth = await send(world, 'the 6th request');
    expectRefused(world, sixth, 'The 6th request in the same 10 s window', 5);
  });

  it('windows start on whole multiples of the window length, each with a fresh count', async () => {
    const world = await start(FIXED);
    world.clock.advance(3_000); // 3 s into a window: it ends in 7 s
    await sendSequence(world, 5);
    world.clock.advance(6_999);
    const late = await send(world, 'a request 1 ms before the window ends');
    expectRefused(world, late, 'A request 1 ms before the window ended', 5);
    world.clock.advance(1);
    const next = await send(world, 'the first request of the next window');
    if (next.status !== 200) {
      fail(
        `The first request of a new window (09:00:10, windows of 10 s from 09:00:00) was answered ` +
          `${next.status}: the client had used its 5 requests in the previous window, which is over. ` +
          'The window is part of the key (e.g. ratelimit:{client}:{Math.floor(now / windowMs)}), so a new ' +
          "window starts a new count; a window that starts at the client's first request is another policy.",
      );
    }
  });

  it("each client has its own count: one client's excess does not refuse another", async () => {
    const world = await start(FIXED);
    await sendSequence(world, 6);
    const other = await send(world, 'a request from another client', apiRequest(), '203.0.113.40');
    if (other.status !== 200) {
      fail(
        `A request from 203.0.113.40 was answered ${other.status} after 198.51.100.7 had used up its quota: ` +
          'one counter for everybody lets one noisy client lock out every other. Count per client.',
      );
    }
  });

  it('every counter expires with its window, even when the server dies between two commands', async () => {
    const world = await start(FIXED);
    await sendSequence(world, 3);
    await expectKeysExpire(world, 'After 3 requests', 10_000);
    toNextWindow(world, 2_000);
    // The connection drops after the first command of the next request: a crash half-way through.
    world.redis.dropAfter(1);
    await send(world, 'a request during which the connection dropped after one command');
    world.redis.comeBack();
    const keys = await world.redis.keys();
    const immortal = keys.find(({ ttlMs }) => ttlMs === -1);
    if (immortal) {
      fail(
        `The server lost its Redis connection right after the first command of a request, and ` +
          `"${immortal.key}" was left with no expiry: INCR and then EXPIRE are two commands, and a crash, a ` +
          'deploy or a timeout between them skips the EXPIRE. That counter never resets: the client stays ' +
          'limited, or the key stays in memory, for ever. Set the count and the expiry in one atomic step: ' +
          'MULTI/EXEC with INCR and EXPIRE, SET key 0 EX 10 NX before INCR, or a Lua script.',
      );
    }
  });

  it('two app servers share the count: a concurrent burst gets exactly the limit through', async () => {
    await concurrentBurst(FIXED);
  });

  it('random arrival patterns: exactly what a fixed window allows', async () => {
    await followsThePolicy('task 1 scenarios', FIXED, 20);
  });
});

describe('task 2: Say no properly: 429, Retry-After and the quota headers', () => {
  it('a refusal says in Retry-After how many whole seconds to wait, and waiting that long works', async () => {
    const world = await start(FIXED);
    world.clock.advance(3_200); // the window ends in 6.8 s
    await sendSequence(world, 5);
    const refused = await send(world, 'the 6th request, 6.8 s before the window ends');
    expectRefused(world, refused, 'The 6th request', 5);
    const said = refused.headers.get('Retry-After');
    if (said === null) {
      fail(
        'The 429 had no Retry-After header. Without it every client guesses, and most retry at once: the ' +
          'limit turns into a storm of retries. Say when to come back: Retry-After: 7 (RFC 9110, 10.2.3).',
      );
    }
    if (!/^\d+$/.test(said.trim())) {
      fail(
        `The 429 said Retry-After: ${said}. Retry-After is a whole number of seconds (delay-seconds) or an ` +
          'HTTP date; a fraction or a unit is not understood by clients. Round the wait up: 6.8 s is "7".',
      );
    }
    const seconds = Number(said);
    if (seconds !== 7) {
      fail(
        `The 429 said Retry-After: ${seconds}, but the window ends in 6.8 s, so the right answer is 7 ` +
          (seconds < 7
            ? '(rounded up: a client that comes back earlier is refused again).'
            : seconds >= 1000
              ? '(it looks like milliseconds: Retry-After counts seconds).'
              : '(a client that waits longer than needed is slowed down for nothing).'),
      );
    }
    if ((await refused.text()).trim() === '') {
      fail(
        'The 429 had an empty body. RFC 6585 asks for a short explanation in it: the person who reads the ' +
          'logs, or sees the error in a browser, should learn that they were rate limited, not guess.',
      );
    }
    world.clock.advance(seconds * 1000);
    const retried = await send(world, `a retry ${seconds} s later`);
    if (retried.status !== 200) {
      fail(`A client that waited Retry-After: ${seconds} seconds was refused again (${retried.status}).`);
    }
  });

  it('every answer carries RateLimit-Policy and RateLimit (IETF draft): the quota and what is left', async () => {
    const world = await start(FIXED);
    world.clock.advance(4_000); // 6 s left in the window
    for (let i = 1; i <= 6; i++) {
      const response = await send(world, `request ${i}`);
      const policy = field(response, 'RateLimit-Policy');
      const left = field(response, 'RateLimit');
      if (policy === undefined || left === undefined) {
        const legacy = response.headers.has('X-RateLimit-Remaining');
        fail(
          `Response ${i} (${response.status}) has no ${policy === undefined ? 'RateLimit-Policy' : 'RateLimit'} ` +
            'header. This course follows the IETF draft "RateLimit header fields for HTTP": ' +
            'RateLimit-Policy: "default";q=5;w=10 (the quota per window) and RateLimit: "default";r=4;t=6 ' +
            '(requests left, seconds until quota comes back).' +
            (legacy
              ? ' X-RateLimit-* headers are common, but each API reads them differently (X-RateLimit-Reset ' +
                'is a Unix time at GitHub and a number of seconds elsewhere); the draft fixes one meaning.'
              : ''),
        );
      }
      if (policy.q !== '5' || policy.w !== '10') {
        fail(
          `Response ${i} says RateLimit-Policy: ${response.headers.get('RateLimit-Policy')}; the policy is ` +
            '5 requests (q=5) per 10 seconds (w=10).',
        );
      }
      const remaining = Math.max(0, 5 - i);
      if (left.r !== String(remaining)) {
        fail(
          `Response ${i} says RateLimit: ${response.headers.get('RateLimit')}, but after ${Math.min(i, 5)} ` +
            `accepted request(s) the client has r=${remaining} left. A client paces itself on this number: ` +
            `one that is off by one ${Number(left.r) > remaining ? 'runs into 429s' : 'wastes quota'}.`,
        );
      }
      if (left.t !== '6') {
        fail(
          `Response ${i} says RateLimit: ${response.headers.get('RateLimit')}, but the window, and with it ` +
            'the quota, resets in 6 s: t=6 (whole seconds from now, never a timestamp).',
        );
      }
      if (i === 6 && left.t !== response.headers.get('Retry-After')) {
        fail(
          `The 429 says RateLimit t=${left.t} but Retry-After: ${response.headers.get('Retry-After')}; the ` +
            'draft asks both to name the same moment.',
        );
      }
    }
  });

  it("an accepted request gets the API's own response, untouched but for the quota headers", async () => {
    const world = await start(FIXED);
    const response = await send(world, 'a request within the limit');
    const body = await response.text();
    if (response.status !== 200 || body !== '{"ok":true}') {
      fail(
        `The API answered 200 {"ok":true}, but the client got ${response.status} ${JSON.stringify(body)}: ` +
          'pass the response from next(request) on.',
      );
    }
    if (!/application\/json/.test(response.headers.get('Content-Type') ?? '')) {
      fail("The API's Content-Type header was lost on the way back to the client.");
    }
  });
});

describe('task 3: Know who is asking', () => {
  it('a request with a known API key counts against the key, wherever it comes from', async () => {
    const world = await start(FIXED);
    await sendSequence(world, 5, () => apiRequest({ apiKey: KEY }), '198.51.100.7');
    const moved = await send(
      world,
      'the same key from another address',
      apiRequest({ apiKey: KEY }),
      '192.0.2.77',
    );
    if (moved.status === 200) {
      fail(
        'An API key that had used its 5 requests got a fresh quota by calling from another address. The key ' +
          'identifies the customer; its addresses change (a mobile network, a fleet of servers). Limit per ' +
          'key when the request has a known one.',
      );
    }
    const other = await send(world, 'another key from the same address', apiRequest({ apiKey: OTHER_KEY }));
    if (other.status !== 200) {
      fail(
        `A request with a different API key from the same address was refused (${other.status}): two ` +
          'customers behind one office NAT, or one integration server, each have their own quota.',
      );
    }
  });

  it('an unknown API key gives no fresh quota: the address counts', async () => {
    const world = await start(FIXED);
    await sendSequence(world, 5);
    const invented = await send(
      world,
      'a request with an invented API key',
      apiRequest({ apiKey: 'key-made-up' }),
    );
    if (invented.status === 200) {
      fail(
        'A client that had used its quota sent X-API-Key: key-made-up and was let through. Anyone can invent ' +
          'a key: one that the company did not issue (options.apiKeys) is no identity, and the request is ' +
          'limited by its address like one with no key.',
      );
    }
  });

  it('behind our load balancer, each client is known by the address it appended to X-Forwarded-For', async () => {
    const world = await start(FIXED);
    const viaLb = (client: string) => apiRequest({ forwardedFor: client });
    await sendSequence(world, 5, () => viaLb('198.51.100.7'), LOAD_BALANCER);
    const other = await send(
      world,
      'another client through the load balancer',
      viaLb('203.0.113.40'),
      LOAD_BALANCER,
    );
    if (other.status !== 200) {
      fail(
        `A second client behind our load balancer (${LOAD_BALANCER}) was refused after the first used its ` +
          "quota: every request arrives from the load balancer's address, so counting by the connection " +
          'puts all clients in one bucket. The load balancer appends the address it saw to X-Forwarded-For.',
      );
    }
  });

  it('a client cannot get a fresh quota by writing its own X-Forwarded-For', async () => {
    const world = await start(FIXED);
    let n = 0;
    // The client sends its own header; our load balancer appends the address it really saw.
    const spoofed = () => apiRequest({ forwardedFor: `10.9.8.${++n}, ${CLIENT}` });
    await sendSequence(world, 5, spoofed, LOAD_BALANCER);
    const next = await send(world, 'a 6th request with another forged address', spoofed(), LOAD_BALANCER);
    if (next.status === 200) {
      fail(
        `A client sent "X-Forwarded-For: 10.9.8.6" and our load balancer appended ${CLIENT}, giving ` +
          `"10.9.8.6, ${CLIENT}". Taking the leftmost address let the client pick a new identity, and a new ` +
          'quota, with every request. Only what our own proxies added can be trusted: read the list from the ' +
          'right, skip the trusted proxies, and take the first address that is not one of them.',
      );
    }
    const direct = await send(
      world,
      'a request straight to the server with a forged header',
      apiRequest({ forwardedFor: '10.9.8.99' }),
      CLIENT,
    );
    if (direct.status === 200) {
      fail(
        `${CLIENT}, out of quota, connected to the app server directly (not through a trusted proxy) with ` +
          '"X-Forwarded-For: 10.9.8.99" and was let through: a header from a connection that is not one of ' +
          "our proxies was written by the client. Use the connection's address.",
      );
    }
  });

  it('a proxy of ours calling with no X-Forwarded-For is counted as itself', async () => {
    const world = await start(FIXED, { trustedProxies: [LOAD_BALANCER, CDN] });
    // The load balancer's own health checks, and the CDN's, carry no X-Forwarded-For.
    const statuses = await sendSequence(world, 6, () => apiRequest(), LOAD_BALANCER);
    const cdn = await send(world, "the CDN's own request", apiRequest(), CDN);
    if (statuses[5] !== 429 || cdn.status !== 200) {
      fail(
        `The load balancer (${LOAD_BALANCER}) sent 6 requests of its own, with no X-Forwarded-For, and the 6th ` +
          `got ${statuses[5]}; then the CDN (${CDN}) sent one and got ${cdn.status}. With no forwarded ` +
          'address to read, the caller is the proxy itself: count it under its own address (expected 429, ' +
          'then 200), not under an empty or made-up one that every such proxy shares.',
      );
    }
  });

  it('through two trusted proxies (CDN, then load balancer), the client is the first untrusted hop', async () => {
    const world = await start(FIXED, { trustedProxies: [LOAD_BALANCER, CDN] });
    const chain = (client: string) => apiRequest({ forwardedFor: `10.9.8.7, ${client}, ${CDN}` });
    await sendSequence(world, 5, () => chain(CLIENT), LOAD_BALANCER);
    const refused = await send(
      world,
      'the 6th request through CDN and load balancer',
      chain(CLIENT),
      LOAD_BALANCER,
    );
    const other = await send(
      world,
      'another client through the same proxies',
      chain('203.0.113.40'),
      LOAD_BALANCER,
    );
    if (refused.status === 200 || other.status !== 200) {
      fail(
        `With X-Forwarded-For "10.9.8.7, <client>, ${CDN}" arriving from ${LOAD_BALANCER}, both proxies are ` +
          `ours, so the client is the address before ${CDN}; ${refused.status === 200 ? 'the 6th request of a client was let through' : 'a second client was refused'}. ` +
          'Walk the list from the right while the hop is a trusted proxy.',
      );
    }
  });
});

describe('task 4: Decide what a Redis outage means', () => {
  it('fail open: with Redis refusing connections, requests reach the API and the failure is reported', async () => {
    const world = await start(FIXED, { whenRedisFails: 'open' });
    world.redis.goDown('refusing');
    const response = await send(world, 'a request while Redis refused connections (fail open)');
    if (response.status !== 200 || world.api.calls !== 1) {
      fail(
        `With whenRedisFails: 'open' and Redis down, a request was answered ${response.status} and did not ` +
          'reach the API. Failing open means the limiter steps aside while it cannot count: the site stays ' +
          'up, unprotected for a while.',
      );
    }
    if (world.redisErrors.length === 0) {
      fail('Redis failed, the request went through, but onRedisError was never called: nobody would notice.');
    }
  });

  it('fail closed: with Redis down, requests are answered 503 and never reach the API', async () => {
    const world = await start(FIXED, { whenRedisFails: 'closed' });
    world.redis.goDown('refusing');
    const response = await send(world, 'a request while Redis refused connections (fail closed)');
    if (world.api.calls > 0) {
      fail(
        "With whenRedisFails: 'closed' a request reached the API while the limiter could not count. Failing " +
          'closed protects what must not be flooded (a login endpoint under attack): nothing passes unchecked.',
      );
    }
    if (response.status !== 503) {
      fail(
        `With whenRedisFails: 'closed' and Redis down the answer was ${response.status}. The client did ` +
          'nothing wrong, so not 429: 503 Service Unavailable says "our side, try again later".',
      );
    }
    const body = await response.text();
    if (!/^\d+$/.test(response.headers.get('Retry-After') ?? '') || body.trim() === '') {
      fail(
        `The 503 came with Retry-After: ${response.headers.get('Retry-After') ?? '(none)'} and a body of ` +
          `${JSON.stringify(body)}. Say when to try again (a few whole seconds) and why, so clients back ` +
          'off instead of retrying in a loop.',
      );
    }
  });

  simulationOnly('redis', 'needs simulated timers to hold Redis unanswered')(
    'an unresponsive Redis does not hang requests: each policy answers within the timeout',
    async () => {
      for (const whenRedisFails of ['open', 'closed'] as const) {
        const world = await start(FIXED, { whenRedisFails });
        world.redis.goDown('unresponsive');
        const [response] = await sendAll(
          world,
          [{}],
          `A request while Redis accepted connections but never answered (whenRedisFails: '${whenRedisFails}')`,
          REDIS_TIMEOUT_MS + 100,
        );
        const expected = whenRedisFails === 'open' ? 200 : 503;
        if (response?.status !== expected) {
          fail(
            `With Redis not answering and whenRedisFails: '${whenRedisFails}', the request got ` +
              `${response?.status} after the timeout; expected ${expected}.`,
          );
        }
        clock?.restore();
      }
    },
  );

  it('when Redis comes back, limiting resumes by itself', async () => {
    const world = await start(FIXED, { whenRedisFails: 'open' });
    world.redis.goDown('refusing');
    await sendSequence(world, 3);
    world.redis.comeBack();
    toNextWindow(world);
    const statuses = await sendSequence(world, 6);
    if (statuses[5] !== 429) {
      fail(
        `After an outage, Redis answered again, and a client's 6th request in a window got ${statuses[5]}: ` +
          'the limiter stayed switched off. An outage is temporary: try Redis again on every request (or ' +
          'after a short pause), and limit again as soon as it answers.',
      );
    }
  });
});

describe('task 5: Slide the window', () => {
  it('no burst at the boundary: 5 just before and 5 just after a window edge make 10 in 0.2 s', async () => {
    const world = await start(SLIDING);
    world.clock.advance(9_900);
    await sendSequence(world, 5);
    world.clock.advance(200); // 0.1 s into the next fixed window
    const after = await send(world, 'a request 0.2 s after 5 others');
    if (after.status === 200) {
      fail(
        'Five requests at 09:00:09.9 and another at 09:00:10.1 were all accepted: a fixed window resets at ' +
          '09:00:10, so a client can send twice the limit in a moment. The sliding window counts the last ' +
          '10 s at every request: keep the times of accepted requests (a sorted set, ZADD with the time as ' +
          'score, ZREMRANGEBYSCORE to drop what left the window, ZCARD to count).',
      );
    }
    expectRefused(world, after, 'A request 0.2 s after 5 others', 5);
    const said = after.headers.get('Retry-After');
    if (said !== '10') {
      fail(
        `The refusal said Retry-After: ${said}, but the oldest of the 5 requests leaves the 10 s window in ` +
          '9.8 s, so 10.',
      );
    }
  });

  it('refused requests do not count: a client that keeps trying gets in as the window slides', async () => {
    const world = await start(SLIDING);
    await sendSequence(world, 5);
    for (let second = 1; second < 10; second++) {
      world.clock.advance(1_000);
      await sendSequence(world, 2);
    }
    world.clock.advance(1_500);
    const statuses = await sendSequence(world, 6);
    const accepted = statuses.filter((status) => status === 200).length;
    if (accepted !== 5) {
      fail(
        `A client sent 5 requests, then kept retrying twice a second while refused. 10.5 s after its first ` +
          `requests, ${accepted} of 6 new ones were accepted; 5 should be. ` +
          (accepted < 5
            ? 'Recording refused requests in the log keeps a client that retries locked out for ever.'
            : 'More than the limit in one window.'),
      );
    }
  });

  it('a request made exactly one window ago no longer counts', async () => {
    const world = await start(SLIDING);
    await sendSequence(world, 4);
    world.clock.advance(5_000);
    await send(world, 'a 5th request 5 s later');
    world.clock.advance(5_000);
    const edge = await send(world, 'a request exactly 10 s after the first 4');
    if (edge.status !== 200) {
      fail(
        `Four requests at 09:00:00, one at 09:00:05, then one at 09:00:10.000: it was answered ${edge.status}, ` +
          'but the window is the last 10 s, (09:00:00, 09:00:10], and the first four are exactly 10 s ago. The ' +
          'contract counts a request exactly one window ago as gone, as the earlier Retry-After promised: ' +
          'ZREMRANGEBYSCORE key -inf (now - windowMs) removes scores up to and including now - windowMs.',
      );
    }
  });

  it('two app servers share the log: a concurrent burst gets exactly the limit through', async () => {
    await concurrentBurst(SLIDING);
  });

  it('the log expires once it no longer matters', async () => {
    const world = await start(SLIDING);
    await sendSequence(world, 3);
    await expectKeysExpire(world, 'After 3 requests', 10_000);
  });

  it('random arrival patterns: never more than 5 in any 10 s, and never a refusal within the quota', async () => {
    await followsThePolicy('task 5 scenarios', SLIDING, SCRIPTED_RUNS);
  });
});

describe('task 6: Fill a token bucket, atomically', () => {
  it('a full bucket takes a burst of 5, then one request every 2 s', async () => {
    const world = await start(BUCKET);
    const burst = await sendSequence(world, 6);
    if (burst.slice(0, 5).some((status) => status !== 200) || burst[5] !== 429) {
      fail(
        `A quiet client sent 6 requests at once and got ${burst.join(', ')}: the bucket starts full with 5 ` +
          'tokens, so 5 pass and the 6th is refused.',
      );
    }
    const said = (await send(world, 'a 7th request at once')).headers.get('Retry-After');
    if (said !== '2') {
      fail(
        `The bucket refills 5 tokens per 10 s, one every 2 s; an empty bucket's refusal said Retry-After: ${said}, not 2.`,
      );
    }
    // The client polls every 0.5 s: a token comes back after 2 s, whatever the polling.
    const polls: number[] = [];
    for (let i = 1; i <= 4; i++) {
      world.clock.advance(500);
      polls.push((await send(world, `a poll ${i * 0.5} s later`)).status);
    }
    if (polls.join() !== '429,429,429,200') {
      fail(
        `An empty bucket (5 tokens per 10 s: one every 2 s), polled every 0.5 s, answered ${polls.join(', ')}; ` +
          'expected 429, 429, 429 and then 200 at 2 s. ' +
          (polls[3] === 429
            ? 'Refill by the exact time that passed, fractions of a token included: rounding the elapsed time ' +
              'down at every request (to whole seconds, or whole tokens) means a client that polls often ' +
              'never earns a token. '
            : '') +
          'tokens = min(capacity, tokens + elapsedMs * limit / windowMs), then take one if there is one.',
      );
    }
  });

  it('refill-and-take is atomic: a concurrent burst on two servers gets exactly the bucket through', async () => {
    await concurrentBurst(BUCKET);
  });

  it('the bucket expires once it would be full again', async () => {
    const world = await start(BUCKET);
    await sendSequence(world, 3);
    await expectKeysExpire(world, 'After 3 requests', 10_000);
  });

  it('random arrival patterns: exactly what the bucket allows, with the right Retry-After', async () => {
    await followsThePolicy('task 6 scenarios', BUCKET, SCRIPTED_RUNS);
  });
});
