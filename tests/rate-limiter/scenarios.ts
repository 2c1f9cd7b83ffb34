/**
 * Random arrival patterns for the rate-limiter grader, played against your limiter and a model of the
 * policy. The model follows your limiter's own decisions: at every step it knows how many requests of
 * each client it has accepted, and when, so it can say how many of the next burst the policy lets
 * through. Fewer accepted than that refuses a client with quota left; more lets the excess reach the
 * API. A refusal must also say, in Retry-After, exactly how many whole seconds until the client has
 * quota again. On failure the shortest pattern that still goes wrong is printed, step by step.
 */
import fc from 'fast-check';
import type { LimitPolicy } from './harness';

/** What the policy allows one client: the model of a fixed window, a sliding window or a token bucket. */
export interface Quota {
  /** How many requests may pass at `now`. */
  available(now: number): number;
  /** Records an accepted request. */
  take(now: number): void;
  /** Milliseconds until one more request may pass (0 if one may now). */
  waitMs(now: number): number;
  /** Milliseconds until `available` grows by one: the RateLimit header's t, before rounding. */
  resetMs(now: number): number;
}

function fixedWindow({ limit, windowSeconds }: LimitPolicy): Quota {
  const windowMs = windowSeconds * 1000;
  const counts = new Map<number, number>();
  const window = (now: number) => Math.floor(now / windowMs);
  return {
    available: (now) => limit - (counts.get(window(now)) ?? 0),
    take: (now) => {
      counts.set(window(now), (counts.get(window(now)) ?? 0) + 1);
    },
    waitMs: (now) => ((counts.get(window(now)) ?? 0) < limit ? 0 : (window(now) + 1) * windowMs - now),
    resetMs: (now) => (window(now) + 1) * windowMs - now,
  };
}

function slidingWindow({ limit, windowSeconds }: LimitPolicy): Quota {
  const windowMs = windowSeconds * 1000;
  const accepted: number[] = [];
  const inWindow = (now: number) => accepted.filter((at) => at > now - windowMs);
  return {
    available: (now) => limit - inWindow(now).length,
    take: (now) => {
      accepted.push(now);
    },
    waitMs: (now) => {
      const recent = inWindow(now);
      if (recent.length < limit) return 0;
      // The request that must leave the window first to make room.
      return (recent[recent.length - limit] as number) + windowMs - now;
    },
    resetMs: (now) => (inWindow(now)[0] ?? now) + windowMs - now,
  };
}

/** Floating-point slack: your arithmetic (Lua's or JavaScript's) and the model's may differ in the last bits. */
export const TOKEN_SLACK = 1e-6;

function tokenBucket({ limit, windowSeconds }: LimitPolicy): Quota {
  const perMs = limit / (windowSeconds * 1000);
  let tokens = limit;
  let at: number | undefined;
  const refill = (now: number) => {
    tokens = Math.min(limit, tokens + (now - (at ?? now)) * perMs);
    at = now;
  };
  return {
    available: (now) => {
      refill(now);
      return Math.floor(tokens + TOKEN_SLACK);
    },
    take: (now) => {
      refill(now);
      tokens -= 1;
    },
    waitMs: (now) => {
      refill(now);
      return tokens >= 1 - TOKEN_SLACK ? 0 : (1 - tokens) / perMs;
    },
    resetMs: (now) => {
      refill(now);
      return (Math.floor(tokens + TOKEN_SLACK) + 1 - tokens) / perMs;
    },
  };
}

export function quotaModel(policy: LimitPolicy): Quota {
  if (policy.algorithm === 'fixed-window') return fixedWindow(policy);
  if (policy.algorithm === 'sliding-window') return slidingWindow(policy);
  return tokenBucket(policy);
}

/** Whole seconds a header may say for `ms`: rounded up (both ways, where float slack allows). */
export function secondsAllowed(ms: number): number[] {
  const low = Math.ceil(ms / 1000 - TOKEN_SLACK);
  const high = Math.ceil(ms / 1000 + TOKEN_SLACK);
  return low === high ? [low] : [low, high];
}

// ---------------------------------------------------------------------------------------------------------
// Arrival patterns.

export interface Arrival {
  /** Simulated time since the previous arrival. */
  afterMs: number;
  /** Which client sends (0, 1, 2). */
  client: number;
  /** How many requests it sends at once. */
  burst: number;
  /** Which app server each request of the burst reaches first (they alternate from here). */
  server: number;
}

/** Arrivals on a 100 ms grid: clients that pause, clients that burst, a window boundary crossed often. */
export function arrivals(policy: LimitPolicy): fc.Arbitrary<Arrival[]> {
  const windowTenths = policy.windowSeconds * 10;
  return fc.array(
    fc.record({
      afterMs: fc.oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 10 }).map((tenths) => tenths * 100),
        fc.integer({ min: 1, max: windowTenths * 2 }).map((tenths) => tenths * 100),
      ),
      client: fc.integer({ min: 0, max: 2 }),
      burst: fc.integer({ min: 1, max: policy.limit + 1 }),
      server: fc.integer({ min: 0, max: 1 }),
    }),
    { minLength: 1, maxLength: 10 },
  );
}

export const CLIENTS = ['198.51.100.7', '198.51.100.8', '203.0.113.40'];

/** The pattern in words, one numbered line per arrival. */
export function explainArrivals(pattern: Arrival[]): string {
  let at = 0;
  return pattern
    .map((arrival, i) => {
      at += arrival.afterMs;
      const who = `client ${CLIENTS[arrival.client]}`;
      const what = arrival.burst === 1 ? 'sends 1 request' : `sends ${arrival.burst} requests at once`;
      return `  ${i + 1}. at +${(at / 1000).toFixed(1)} s, ${who} ${what}`;
    })
    .join('\n');
}
