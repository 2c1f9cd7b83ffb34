/**
 * How this is graded
 * ------------------
 * Your cache sits at the edge in front of an origin server the grader plays. The grader sends web-platform
 * `Request`s through `handle(request)` and reads the `Response`s you answer; the origin counts every
 * request that reaches it, answers with the Cache-Control, Expires, ETag, Vary and Surrogate-Key headers a
 * test gives it, answers 304 Not Modified to a conditional request whose validator still matches, and can
 * be made slow (held until the grader releases it) or failing (5xx, or no answer at all).
 *
 * Time is simulated: `options.now()` and `Date` follow the grader's clock, which it moves to make copies
 * stale. Besides scripted cases, the grader plays seeded random sequences of requests, clock moves and
 * origin changes against a model of RFC 9111 freshness, and prints the shortest sequence where your cache
 * served a copy it should not have, or went to the origin when a fresh copy was stored. Every run can be
 * replayed from its seed.
 *
 * The random sequences and the model are in scenarios.ts.
 */

// ---------------------------------------------------------------------------------------------------------
// The contract shared by your code and the grader.

/** The origin server behind the edge. It rejects when it cannot be reached at all. */
export type Origin = (request: Request) => Promise<Response>;

export interface EdgeCacheOptions {
  origin: Origin;
  /** The clock, in milliseconds since the epoch. Use it for every age and freshness decision. */
  now: () => number;
  /**
   * Query parameters that never change the response (utm_source, fbclid, ...): left out of the cache key,
   * so a campaign link does not make a copy of its own.
   */
  ignoredQueryParameters: readonly string[];
}

export interface EdgeCache {
  /** Answers from storage when RFC 9111 allows it, otherwise asks the origin (storing what may be shared). */
  handle(request: Request): Promise<Response>;
  /** Removes every stored response for this URL (all its variants); the URL is normalised like a request's. */
  purge(url: string): void;
  /** Removes every stored response whose `Surrogate-Key` header (space-separated keys) names `tag`. */
  purgeTag(tag: string): void;
}

// ---------------------------------------------------------------------------------------------------------
// The origin the grader plays.

/** What the origin answers for a path: status 200 with this body and these headers unless told otherwise. */
export interface Page {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface TestOrigin {
  /** Hand this to your cache. */
  origin: Origin;
  /** What the origin answers for `path` (its query is ignored) from now on; a function answers per request. */
  serve(path: string, page: Page | ((request: Request) => Page)): void;
  /** Every request that reached the origin, in order. */
  readonly requests: Request[];
  /** Requests that reach the origin from now on wait until `release()`. */
  hold(): { release(): void };
  /** From now on the origin answers every request with this status, or (`'unreachable'`) not at all. */
  fail(how: number | 'unreachable'): void;
  /** The origin answers normally again. */
  recover(): void;
}

/**
 * An origin that answers like a real one: a `Date` header on every response, and 304 Not Modified (with the
 * page's headers, no body) when If-None-Match names the page's ETag or, without If-None-Match, when
 * If-Modified-Since is not before its Last-Modified.
 */
export function testOrigin(): TestOrigin {
  const pages = new Map<string, Page | ((request: Request) => Page)>();
  const requests: Request[] = [];
  let held: Promise<void> | undefined;
  let failing: number | 'unreachable' | undefined;
  const notModified = (request: Request, headers: Headers): boolean => {
    const etag = headers.get('etag');
    const ifNoneMatch = request.headers.get('if-none-match');
    if (ifNoneMatch !== null)
      return etag !== null && ifNoneMatch.split(',').some((tag) => tag.trim() === etag);
    const lastModified = Date.parse(headers.get('last-modified') ?? '');
    const ifModifiedSince = Date.parse(request.headers.get('if-modified-since') ?? '');
    return !Number.isNaN(lastModified) && !Number.isNaN(ifModifiedSince) && lastModified <= ifModifiedSince;
  };
  return {
    origin: async (request) => {
      requests.push(request);
      if (held) await held;
      if (failing === 'unreachable') throw new TypeError('fetch failed: connect ECONNREFUSED origin');
      if (failing !== undefined) return new Response('origin error', { status: failing });
      const served = pages.get(new URL(request.url).pathname) ?? { status: 404, body: 'not found' };
      const page = typeof served === 'function' ? served(request) : served;
      const headers = new Headers(page.headers);
      if (!headers.has('date')) headers.set('date', new Date(Date.now()).toUTCString());
      const status = page.status ?? 200;
      if (status === 200 && notModified(request, headers))
        return new Response(null, { status: 304, headers });
      return new Response(page.body ?? '', { status, headers });
    },
    serve: (path, page) => {
      pages.set(path, page);
    },
    requests,
    hold: () => {
      let release!: () => void;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return {
        release: () => {
          held = undefined;
          release();
        },
      };
    },
    fail: (how) => {
      failing = how;
    },
    recover: () => {
      failing = undefined;
    },
  };
}
