/**
 * A token bucket per key (a learner's token): `burst` requests at once, refilled at `perMinute`.
 * A browser that runs the tests a few times in a row gets through; a loop that floods does not.
 */
export interface RateLimit {
  /** Takes one request's worth; returns 0 if allowed, else the seconds until the next is. */
  take(key: string): number;
}

export function tokenBuckets(
  { perMinute, burst }: { perMinute: number; burst: number },
  now: () => number = Date.now,
): RateLimit {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refillPerMs = perMinute / 60_000;
  return {
    take(key) {
      const time = now();
      const bucket = buckets.get(key) ?? { tokens: burst, at: time };
      bucket.tokens = Math.min(burst, bucket.tokens + (time - bucket.at) * refillPerMs);
      bucket.at = time;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / refillPerMs / 1000);
    },
  };
}
