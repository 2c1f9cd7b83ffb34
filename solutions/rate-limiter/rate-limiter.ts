/**
 * Phase 3: a rate limiter in front of the API. Every app server runs one; the counters live in Redis so
 * that the limit holds for the whole fleet, not per server. Reference solution.
 */
import type { Connection, LimitPolicy, RateLimiter, RateLimiterOptions } from '@grader/rate-limiter/harness';

export type {
  Connection,
  Handler,
  LimitPolicy,
  RateLimiter,
  RateLimiterOptions,
} from '@grader/rate-limiter/harness';

/** What one check against Redis decided. */
interface Decision {
  allowed: boolean;
  /** Requests the client may still make now. */
  remaining: number;
  /** Milliseconds until `remaining` grows by one (on a refusal: until the next request would pass). */
  resetMs: number;
}

/**
 * Fixed window: one counter per client per window, windows aligned to multiples of the window length.
 * INCR and PEXPIRE go in one MULTI: sent as two commands, a crash in between leaves a counter with no
 * expiry, and a key that never expires is memory that is never given back.
 */
async function fixedWindow(options: RateLimiterOptions, client: string, now: number): Promise<Decision> {
  const windowMs = options.policy.windowSeconds * 1000;
  const window = Math.floor(now / windowMs);
  const key = `ratelimit:fixed:${client}:${window}`;
  const replies = await options.redis.multi().incr(key).pexpire(key, windowMs).exec();
  const count = Number(replies?.[0]?.[1]);
  const resetMs = (window + 1) * windowMs - now;
  const allowed = count <= options.policy.limit;
  return { allowed, remaining: Math.max(0, options.policy.limit - count), resetMs };
}

/**
 * Sliding log: a sorted set of the accepted requests' times. One script drops what left the window,
 * counts, and records the request only if it is accepted, so refused requests cost the client nothing
 * and two servers cannot both take the last place.
 */
const SLIDING_LOG = `
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], window)
-- The log is never empty here: the oldest entry is the next to leave and give a place back.
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {allowed, limit - count, tonumber(oldest[2]) + window - now}`;

async function slidingWindow(options: RateLimiterOptions, client: string, now: number): Promise<Decision> {
  const { limit, windowSeconds } = options.policy;
  // Two requests in the same millisecond are two members: the member is unique, the score is the time.
  const member = `${now}-${Math.random()}`;
  const reply = (await options.redis.eval(
    SLIDING_LOG,
    1,
    `ratelimit:sliding:${client}`,
    now,
    windowSeconds * 1000,
    limit,
    member,
  )) as [number, number, number];
  return { allowed: reply[0] === 1, remaining: reply[1], resetMs: reply[2] };
}

/**
 * Token bucket: refill by the time that passed, then take a token, in one script. Read-then-write from
 * the app would let two servers read the same count and both spend the last token. Redis truncates a
 * Lua number to an integer in its reply, so the fractional token count goes back as a string.
 */
const TOKEN_BUCKET = `
local capacity, perMs, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 1)
return {allowed, tostring(tokens)}`;

async function tokenBucket(options: RateLimiterOptions, client: string, now: number): Promise<Decision> {
  const { limit, windowSeconds } = options.policy;
  const perMs = limit / (windowSeconds * 1000);
  const reply = (await options.redis.eval(
    TOKEN_BUCKET,
    1,
    `ratelimit:bucket:${client}`,
    limit,
    perMs,
    now,
  )) as [number, string];
  const tokens = Number(reply[1]);
  return {
    allowed: reply[0] === 1,
    remaining: Math.floor(tokens),
    // Until the next whole token. After a decision the bucket is never full (a request took a token,
    // or found less than one), so this is always ahead.
    resetMs: (Math.floor(tokens) + 1 - tokens) / perMs,
  };
}

const ALGORITHMS = {
  'fixed-window': fixedWindow,
  'sliding-window': slidingWindow,
  'token-bucket': tokenBucket,
} satisfies Record<LimitPolicy['algorithm'], unknown>;

/**
 * Who is asking. A known API key is the client; without one, the address the request came from. Only a
 * proxy we run may tell us that address: X-Forwarded-For is read from the right (each proxy appends the
 * address it saw), skipping our own proxies, and the first address we did not add is the client's.
 * Everything to the left of it was written by the client and proves nothing.
 */
function clientOf(request: Request, connection: Connection, options: RateLimiterOptions): string {
  const apiKey = request.headers.get('x-api-key');
  if (apiKey !== null && options.apiKeys.has(apiKey)) return `key:${apiKey}`;
  const trusted = new Set(options.trustedProxies);
  let address = connection.remoteAddress;
  const forwarded = (request.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  while (trusted.has(address) && forwarded.length > 0) address = forwarded.pop() as string;
  return `ip:${address}`;
}

/** Rejects if Redis has not answered in time: an unreachable Redis must not hold requests open. */
function withinMs<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The IETF draft's fields: the policy (quota per window) and what is left of it, in whole seconds. */
function quotaHeaders(policy: LimitPolicy, remaining: number, seconds: number): Record<string, string> {
  return {
    'RateLimit-Policy': `"default";q=${policy.limit};w=${policy.windowSeconds}`,
    RateLimit: `"default";r=${remaining};t=${seconds}`,
  };
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const decide = ALGORITHMS[options.policy.algorithm];
  const report = options.onRedisError ?? ((error) => console.warn('rate limiter:', error));

  return {
    async handle(request, connection, next) {
      const client = clientOf(request, connection, options);
      let decision: Decision;
      try {
        decision = await withinMs(options.redisTimeoutMs, decide(options, client, options.now()));
      } catch (error) {
        report(error);
        if (options.whenRedisFails === 'open') return next(request);
        return new Response('Rate limiting is unavailable; try again shortly.\n', {
          status: 503,
          headers: { 'Retry-After': '1' },
        });
      }
      // Whole seconds, rounded up: a client told to come back earlier would be refused again.
      const seconds = Math.ceil(decision.resetMs / 1000);
      const headers = quotaHeaders(options.policy, decision.remaining, seconds);
      if (!decision.allowed) {
        return new Response('Too many requests: slow down.\n', {
          status: 429,
          headers: { ...headers, 'Retry-After': String(seconds) },
        });
      }
      const response = await next(request);
      // A Response from fetch() has immutable headers: copy it to add ours.
      const answered = new Response(response.body, response);
      for (const [name, value] of Object.entries(headers)) answered.headers.set(name, value);
      return answered;
    },
  };
}
