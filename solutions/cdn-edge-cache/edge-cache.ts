/**
 * Phase 2: a shared HTTP cache at the edge, in front of the origin (RFC 9111, RFC 5861). Reference solution.
 */
import type { EdgeCache, EdgeCacheOptions } from '@grader/cdn-edge-cache/harness';

/** One stored response: one variant of one cache key. */
interface Entry {
  status: number;
  headers: Headers;
  body: ArrayBuffer;
  /** The request header values this variant was stored for (the names its Vary lists, lower case). */
  varies: Map<string, string | null>;
  /** When the request that produced it was sent, and when the response arrived (RFC 9111 4.2.3). */
  requestTime: number;
  responseTime: number;
}

/** What concurrent requests waiting for the same origin fetch get: a response to share, or nothing. */
type Shared = Response | undefined;

/** The Cache-Control directives: names in lower case (they are case-insensitive), each with its value if any. */
function directives(headers: Headers): Map<string, string | undefined> {
  const parsed = new Map<string, string | undefined>();
  for (const part of (headers.get('cache-control') ?? '').split(',')) {
    const [name, value] = part.split('=');
    // Number() ignores the spaces around a value (max-age=60 , public), so only the name is trimmed.
    parsed.set(String(name).trim().toLowerCase(), value);
  }
  return parsed;
}

/**
 * A delta-seconds directive in milliseconds, or undefined when absent. A malformed value gives NaN, which
 * no age is below: the response counts as stale, as RFC 9111 4.2.1 encourages.
 */
function secondsOf(cacheControl: Map<string, string | undefined>, name: string): number | undefined {
  return cacheControl.has(name) ? Number(cacheControl.get(name)) * 1000 : undefined;
}

/** The Date header, or when the response arrived if the origin sent none. */
function dateOf(entry: Entry): number {
  const date = Date.parse(entry.headers.get('date') ?? '');
  return Number.isNaN(date) ? entry.responseTime : date;
}

/**
 * RFC 9111 4.2.1: s-maxage for a shared cache, then max-age, then Expires minus Date; no heuristics, so a
 * response without any is stored with lifetime 0 (asked about every time). no-cache: never fresh.
 */
function freshnessLifetime(entry: Entry): number {
  const cacheControl = directives(entry.headers);
  if (cacheControl.has('no-cache')) return 0;
  const explicit = secondsOf(cacheControl, 's-maxage') ?? secondsOf(cacheControl, 'max-age');
  if (explicit !== undefined) return explicit;
  const expires = Date.parse(entry.headers.get('expires') ?? '');
  // An Expires that does not parse (often "0") means already expired.
  return Number.isNaN(expires) ? 0 : Math.max(0, expires - dateOf(entry));
}

/** RFC 9111 4.2.3, in milliseconds. */
function currentAge(entry: Entry, now: number): number {
  const apparentAge = Math.max(0, entry.responseTime - dateOf(entry));
  const ageValue = Number(entry.headers.get('age') ?? 0) * 1000 || 0;
  const correctedAgeValue = ageValue + (entry.responseTime - entry.requestTime);
  return Math.max(apparentAge, correctedAgeValue) + (now - entry.responseTime);
}

/**
 * How long past its freshness lifetime a stale-* directive lets the entry be used (RFC 5861); never for no-cache
 * or s-maxage (which means proxy-revalidate too, 5.2.2.10): both forbid serving stale (RFC 9111 4.2.4).
 */
function staleAllowance(entry: Entry, directive: 'stale-while-revalidate' | 'stale-if-error'): number {
  const cacheControl = directives(entry.headers);
  if (cacheControl.has('no-cache') || cacheControl.has('s-maxage')) return Number.NEGATIVE_INFINITY;
  return secondsOf(cacheControl, directive) ?? Number.NEGATIVE_INFINITY;
}

function varyNames(headers: Headers): string[] {
  return (headers.get('vary') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** RFC 9111 3 and 3.5: what a shared cache may store. */
function storable(request: Request, response: Response): boolean {
  const cacheControl = directives(response.headers);
  if (response.status !== 200 || cacheControl.has('no-store') || cacheControl.has('private')) return false;
  if (varyNames(response.headers).includes('*')) return false;
  const explicitlyShared = ['public', 's-maxage', 'must-revalidate'].some((name) => cacheControl.has(name));
  return !request.headers.has('authorization') || explicitlyShared;
}

function isServerError(status: number): boolean {
  return [500, 502, 503, 504].includes(status);
}

export function createEdgeCache(options: EdgeCacheOptions): EdgeCache {
  const store = new Map<string, Entry[]>();
  const inFlight = new Map<string, Promise<Shared>>();

  /** The URL with its query parameters sorted by name (repeated names keep their order), tracking ones left out. */
  function cacheKey(url: string): string {
    const parsed = new URL(url);
    for (const name of options.ignoredQueryParameters) parsed.searchParams.delete(name);
    parsed.searchParams.sort();
    return parsed.href;
  }

  function lookup(key: string, request: Request): Entry | undefined {
    return store
      .get(key)
      ?.find((entry) => [...entry.varies].every(([name, value]) => request.headers.get(name) === value));
  }

  function save(key: string, request: Request, entry: Omit<Entry, 'varies'>): void {
    const varies = new Map(varyNames(entry.headers).map((name) => [name, request.headers.get(name)]));
    const replaced = lookup(key, request);
    const others = (store.get(key) ?? []).filter((stored) => stored !== replaced);
    store.set(key, [...others, { ...entry, varies }]);
  }

  function fromStorage(entry: Entry): Response {
    const headers = new Headers(entry.headers);
    headers.set('age', String(Math.floor(currentAge(entry, options.now()) / 1000)));
    return new Response(entry.body, { status: entry.status, headers });
  }

  /** Asks the origin (conditionally when there is a stored entry) and stores what may be stored. */
  async function fetchFromOrigin(key: string, request: Request, stale: Entry | undefined) {
    const headers = new Headers(request.headers);
    const etag = stale?.headers.get('etag');
    const lastModified = stale?.headers.get('last-modified');
    if (etag) headers.set('if-none-match', etag);
    if (lastModified) headers.set('if-modified-since', lastModified);
    const requestTime = options.now();
    // The origin rejects when it cannot be reached: that is an error like a 5xx, not a crash of the edge.
    const response = await options.origin(new Request(request, { headers })).catch(() => undefined);
    const responseTime = options.now();
    if (stale && response?.status === 304) {
      // RFC 9111 4.3.4: the 304's headers replace the stored ones; the body stays.
      for (const [name, value] of response.headers) stale.headers.set(name, value);
      stale.requestTime = requestTime;
      stale.responseTime = responseTime;
      return { answer: fromStorage(stale), shared: undefined };
    }
    if (response === undefined || isServerError(response.status)) {
      if (
        stale &&
        currentAge(stale, responseTime) - freshnessLifetime(stale) <= staleAllowance(stale, 'stale-if-error')
      ) {
        return { answer: fromStorage(stale), shared: fromStorage(stale) };
      }
      const error = response ?? new Response('Bad Gateway: the origin could not be reached', { status: 502 });
      const body = await error.arrayBuffer();
      const copy = () => new Response(body, { status: error.status, headers: error.headers });
      return { answer: copy(), shared: copy() };
    }
    if (!storable(request, response)) return { answer: response, shared: undefined };
    const body = await response.arrayBuffer();
    save(key, request, {
      status: response.status,
      headers: new Headers(response.headers),
      body,
      requestTime,
      responseTime,
    });
    return { answer: new Response(body, response), shared: undefined };
  }

  /** One origin fetch per key at a time: the first request fetches, the others wait for it. */
  function fetchOnce(key: string, request: Request, stale: Entry | undefined): Promise<Response> {
    const fetched = fetchFromOrigin(key, request, stale);
    const shared = fetched.then(
      ({ shared }) => shared,
      () => undefined,
    );
    inFlight.set(key, shared);
    shared.then(() => inFlight.delete(key));
    return fetched.then(({ answer }) => answer);
  }

  /** Fresh (no-cache never is): may be answered without asking the origin. */
  function usable(entry: Entry): boolean {
    return currentAge(entry, options.now()) < freshnessLifetime(entry);
  }

  return {
    async handle(request) {
      if (request.method !== 'GET') return options.origin(request);
      const key = cacheKey(request.url);
      const entry = lookup(key, request);
      if (entry && usable(entry)) return fromStorage(entry);
      const pending = inFlight.get(key);
      if (entry) {
        const staleFor = currentAge(entry, options.now()) - freshnessLifetime(entry);
        if (staleFor <= staleAllowance(entry, 'stale-while-revalidate')) {
          // Serve the stale copy now and refresh it in the background, once.
          if (pending === undefined) fetchOnce(key, request, entry).catch(() => undefined);
          return fromStorage(entry);
        }
      }
      if (pending === undefined) return fetchOnce(key, request, entry);
      const shared = await pending;
      if (shared) return shared.clone();
      const now = lookup(key, request);
      if (now && usable(now)) return fromStorage(now);
      return (await fetchFromOrigin(key, request, now)).answer;
    },
    purge(url) {
      store.delete(cacheKey(url));
    },
    purgeTag(tag) {
      for (const [key, entries] of store) {
        store.set(
          key,
          entries.filter((entry) => !(entry.headers.get('surrogate-key') ?? '').split(' ').includes(tag)),
        );
      }
    },
  };
}
