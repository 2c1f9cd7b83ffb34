/**
 * Phase 3: protect the API at the door.
 *
 * The shop now runs on several app servers behind a load balancer, and one client can still bring it
 * down: a partner's sync job stuck in a loop, a scraper, a bot trying passwords. Put a limiter in front
 * of the API: count each client's requests in Redis (shared by every app server), let through what the
 * policy allows, and turn the rest away with 429 Too Many Requests before they cost anything.
 *
 * The contract (the grader calls only this):
 *   createRateLimiter(options) -> { handle(request, connection, next) }
 *   - request: a web-platform Request; connection.remoteAddress: who opened the TCP connection;
 *     next(request): the API behind the limiter, which answers a Response.
 *   - options: redis (an ioredis client), policy ({ algorithm, limit, windowSeconds }), now() (the
 *     clock, in ms: use it for every decision), apiKeys, trustedProxies, whenRedisFails, redisTimeoutMs,
 *     onRedisError. See RateLimiterOptions in the harness for what each one means.
 *
 * Run the grader with `npm test` in this folder; each task's failures tell you what to fix next.
 */
import type { Connection, RateLimiter, RateLimiterOptions } from '@grader/rate-limiter/harness';

export type {
  Connection,
  Handler,
  LimitPolicy,
  RateLimiter,
  RateLimiterOptions,
} from '@grader/rate-limiter/harness';

/**
 * Who is asking: the key the limit is counted under.
 * TODO (task 3): a known API key (X-API-Key, one of options.apiKeys) identifies the client; otherwise
 *   its address. connection.remoteAddress is the client only when it did not come through one of
 *   options.trustedProxies; X-Forwarded-For is a list each proxy appends to, and its left end is
 *   whatever the client wrote.
 */
function clientOf(_request: Request, connection: Connection, _options: RateLimiterOptions): string {
  return connection.remoteAddress;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  return {
    async handle(request, connection, next) {
      const _client = clientOf(request, connection, options);
      // TODO (task 1): count this client's requests in Redis, per fixed window of policy.windowSeconds
      //   (windows start at whole multiples of it: Math.floor(now / windowMs)). The count and its expiry
      //   must be set in one atomic step. Over the limit: answer 429 without calling next().
      // TODO (task 2): tell the client where it stands: Retry-After on a 429, RateLimit-Policy and
      //   RateLimit on every answer.
      // TODO (task 4): Redis may refuse, or never answer: wait at most options.redisTimeoutMs, then
      //   follow options.whenRedisFails ('open': call next; 'closed': answer 503 with a Retry-After), and report it.
      // TODO (task 5): policy.algorithm 'sliding-window': count the last windowSeconds, not the calendar.
      // TODO (task 6): policy.algorithm 'token-bucket': refill and take in one atomic step (EVAL).
      return next(request);
    },
  };
}
