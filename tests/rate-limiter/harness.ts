/**
 * How this is graded
 * ------------------
 * Your limiter gets a Redis client (ioredis-mock; a real Redis with RJ_REDIS_URL) behind a thin wrapper
 * the grader controls: it records every command, and can take Redis away (every command refused at once,
 * or, worse, no answer at all, as an ioredis client that queues commands while it reconnects), or drop
 * the connection after a given number of commands, as a server that crashes half-way through a request.
 * The grader sends web-platform `Request`s through `handle(request, connection, next)`; `next` is the
 * API behind the limiter, which counts the requests that reach it and answers 200.
 *
 * Time is simulated: `options.now()`, `Date` and the timers follow the grader's clock, and so do key
 * expiries in ioredis-mock. Several limiters (several app servers) can share one Redis, and requests
 * are sent concurrently, so Redis sees their commands interleaved. Besides scripted cases, the grader
 * plays seeded random arrival patterns against a model of the policy and prints the shortest one that
 * goes wrong. Every run can be replayed from its seed.
 *
 * The simulation is in simulation.ts, the random patterns and the model in scenarios.ts, the adapter
 * for a real Redis in real-servers.ts.
 */
import type { Redis } from 'ioredis';
import { backends } from '../support/backends';
import { httpRequest } from '../support/http';
import { simulatedRedis } from './simulation';

// ---------------------------------------------------------------------------------------------------------
// The contract shared by your code and the grader.

export interface LimitPolicy {
  algorithm: 'fixed-window' | 'sliding-window' | 'token-bucket';
  /**
   * Requests a client may make per window. Fixed window: per window of `windowSeconds`, windows starting
   * at whole multiples of it since the epoch (12:00:00, 12:01:00, ... for 60 s). Sliding window: in any
   * `windowSeconds` up to now (a request exactly `windowSeconds` ago no longer counts). Token bucket:
   * the bucket holds `limit` tokens, starts full and refills at limit / windowSeconds tokens per second.
   */
  limit: number;
  windowSeconds: number;
}

export interface RateLimiterOptions {
  redis: Redis;
  policy: LimitPolicy;
  /** The clock, in milliseconds since the epoch. Use it for every decision (the grader moves it). */
  now: () => number;
  /** API keys the company issued: a request with one of these in `X-API-Key` is limited per key. */
  apiKeys: ReadonlySet<string>;
  /** Addresses of our own proxies (the load balancer); each appends the address it saw to X-Forwarded-For. */
  trustedProxies: readonly string[];
  /** When Redis cannot answer: 'open' lets the request through, 'closed' answers 503 with a Retry-After. */
  whenRedisFails: 'open' | 'closed';
  /** How long a request may wait for Redis before Redis counts as failed. */
  redisTimeoutMs: number;
  /** Called with every Redis failure the limiter handled. */
  onRedisError?: (error: unknown) => void;
}

/** The TCP peer of the request: the client itself, or the last proxy on the way. */
export interface Connection {
  remoteAddress: string;
}

/** The API behind the limiter. */
export type Handler = (request: Request) => Promise<Response>;

export interface RateLimiter {
  /**
   * Passes the request to `next` and returns its response with the quota headers added, or answers
   * 429 Too Many Requests itself (with Retry-After) without calling `next`. The quota headers follow
   * the IETF RateLimit draft: `RateLimit-Policy: "default";q=<limit>;w=<windowSeconds>` and
   * `RateLimit: "default";r=<requests the client may still make now>;t=<seconds until r grows by one>`,
   * whole seconds rounded up; on a 429, r=0 and t is the Retry-After.
   */
  handle(request: Request, connection: Connection, next: Handler): Promise<Response>;
}

// ---------------------------------------------------------------------------------------------------------
// What the grader can do with Redis (simulation.ts; real-servers.ts against a real Redis).

export interface SimulatedRedis {
  /** The client to hand to your limiter. */
  client: Redis;
  /** Upper-case names of every command your limiter sent, in order (MULTI ... EXEC as EXEC). */
  commands: string[];
  /** From now on every command fails: refused at once, or never answered until the client gives up. */
  goDown(how: 'refusing' | 'unresponsive'): void;
  /** Redis answers again (its data survived). */
  comeBack(): void;
  /** The next `count` commands reach Redis; then the connection drops until comeBack(). */
  dropAfter(count: number): void;
  /** Every key with its remaining time to live in ms (-1: none), bypassing the wrapper. */
  keys(): Promise<Array<{ key: string; ttlMs: number }>>;
}

// ---------------------------------------------------------------------------------------------------------
// One fresh world per test.

export interface Upstream {
  handler: Handler;
  /** How many requests reached the API. */
  readonly calls: number;
}

/** The API behind the limiter: answers 200 with a small JSON body and counts what reaches it. */
export function upstream(): Upstream {
  let calls = 0;
  return {
    handler: async () => {
      calls++;
      return Response.json({ ok: true });
    },
    get calls() {
      return calls;
    },
  };
}

/** A request as it reaches the app server, from a client or through our load balancer. */
export function apiRequest(headers: { apiKey?: string; forwardedFor?: string } = {}): Request {
  const sent: Record<string, string> = {};
  if (headers.apiKey !== undefined) sent['X-API-Key'] = headers.apiKey;
  if (headers.forwardedFor !== undefined) sent['X-Forwarded-For'] = headers.forwardedFor;
  return httpRequest({ path: '/products/42', headers: sent });
}

export async function createRedis(): Promise<SimulatedRedis> {
  const { redisUrl } = backends();
  if (redisUrl === undefined) return simulatedRedis();
  const real = await import('./real-servers');
  return real.realRedis(redisUrl);
}
