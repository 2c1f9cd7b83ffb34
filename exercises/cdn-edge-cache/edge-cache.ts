/**
 * Phase 2: answer at the edge.
 *
 * Customers far from the data centre wait for the speed of light on every request, and the origin serves
 * the same product pages again and again. Put a shared HTTP cache at the edge, as a CDN does: keep the
 * responses the origin marks as shareable, answer from them while they are fresh, ask the origin cheaply
 * (a conditional request) when they are not, and never hand one customer's private answer to another.
 *
 * The contract (the grader calls only this):
 *   createEdgeCache(options) -> { handle(request), purge(url), purgeTag(tag) }
 *   - handle(request): a web-platform Request in, a Response out.
 *   - options.origin(request): the origin server; it rejects when it cannot be reached.
 *   - options.now(): the clock, in ms (use it for every age); options.ignoredQueryParameters: tracking
 *     parameters the key leaves out. See EdgeCacheOptions in the harness.
 *
 * Run the grader with `npm test` in this folder; each task's failures tell you what to fix next.
 */
import type { EdgeCache, EdgeCacheOptions } from '@grader/cdn-edge-cache/harness';

export type { EdgeCache, EdgeCacheOptions, Origin } from '@grader/cdn-edge-cache/harness';

export function createEdgeCache(options: EdgeCacheOptions): EdgeCache {
  // TODO (task 1): keep what the origin answered, per URL, with when it arrived; answer from it while it is
  //   fresh (s-maxage, else max-age, else Expires minus Date), with an Age header saying how old it is.
  // TODO (task 2): store nothing marked no-store or private, nothing but 200s, and no answer to a request
  //   with Authorization unless the response says public, s-maxage or must-revalidate.
  // TODO (task 3): a stale or no-cache copy is revalidated: If-None-Match / If-Modified-Since, and a 304
  //   refreshes the stored copy.
  // TODO (task 4): one key per resource (query order, tracking parameters) and one variant per Vary.
  // TODO (task 5): concurrent misses for one key make one origin request.
  // TODO (task 6): stale-while-revalidate, stale-if-error, purge(url) and purgeTag(tag).
  return {
    handle: (request) => options.origin(request),
    purge: () => undefined,
    purgeTag: () => undefined,
  };
}
