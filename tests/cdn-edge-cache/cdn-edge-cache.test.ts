import { createEdgeCache } from '@exercise/cdn-edge-cache/edge-cache';
import { afterEach, describe, it } from 'vitest';
import { CLOCK_START, type FakeClock, installFakeClock } from '../support/clock';
import { httpRequest, ORIGIN, type ReadResponse, readResponse, responseLine } from '../support/http';
import { checkScenarios } from '../support/property';
import { settle } from '../support/settle';
import { type EdgeCache, type Page, type TestOrigin, testOrigin } from './harness';
import {
  explainSteps,
  PATHS,
  POLICIES,
  type Policy,
  policyHeaders,
  type Step,
  type StoredCopy,
  scenarios,
  sharedLifetimeMs,
} from './scenarios';

// ---------------------------------------------------------------------------------------------------------
// Setup: a fresh origin, cache and fake clock for every test.

const TRACKING = ['utm_source', 'utm_medium', 'utm_campaign', 'fbclid', 'gclid'];
const SECOND = 1000;

let clock: FakeClock | undefined;

afterEach(() => {
  clock?.restore();
  clock = undefined;
});

interface World {
  origin: TestOrigin;
  cache: EdgeCache;
  clock: FakeClock;
}

function start(): World {
  // Always the simulated start, a whole second: HTTP dates have one-second resolution, and this grader talks to
  // no real server (under npm run grade:real the clock would otherwise start at the real, fractional now).
  clock = installFakeClock(CLOCK_START);
  const origin = testOrigin();
  const cache = attempt('createEdgeCache(options)', () =>
    createEdgeCache({ origin: origin.origin, now: () => Date.now(), ignoredQueryParameters: TRACKING }),
  );
  return { origin, cache, clock };
}

/** A product page the origin serves with these caching headers. */
function page(headers: Record<string, string>, body = 'Espresso machine, 249 EUR'): Page {
  return { headers, body };
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

/** An answer from the cache, with how many requests reached the origin while it was made. */
interface Answer extends ReadResponse {
  originRequests: number;
}

/** Starts handle(); `answered()` lets the cache run until it is quiet, and fails if it has not answered. */
function begin(world: World, path: string, headers: Record<string, string> = {}) {
  const before = world.origin.requests.length;
  let done = false;
  const call = new Promise<Response>((resolve) =>
    resolve(
      world.cache.handle(
        path.startsWith('http') ? new Request(path, { headers }) : httpRequest({ path, headers }),
      ),
    ),
  );
  call.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return {
    get done() {
      return done;
    },
    async answered(what = `GET ${path}`): Promise<Answer> {
      await settle();
      if (!done) {
        fail(
          `${what}: the cache had still not answered with nothing left to wait for (the origin had answered ` +
            'every request it got). A request that never gets an answer holds the customer until their browser gives up.',
        );
      }
      let response: Response;
      try {
        response = await call;
      } catch (error) {
        fail(`${what}: handle() rejected with "${error instanceof Error ? error.message : String(error)}".`);
      }
      if (!(response instanceof Response))
        fail(`${what}: handle() resolved with ${String(response)}, not a Response.`);
      const read = await readResponse(response);
      return { ...read, originRequests: world.origin.requests.length - before };
    },
  };
}

async function get(world: World, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return begin(world, path, headers).answered();
}

/** The time since the first request in a test, for messages. */
function elapsed(world: World, since: number): string {
  return `${(world.clock.now() - since) / SECOND} s`;
}

function expectFromStorage(answer: Answer, what: string, why: string): void {
  if (answer.originRequests > 0) {
    fail(
      `${what} went to the origin (${answer.originRequests} request(s)), but ${why} Every request the edge ` +
        'answers itself is one the origin never sees and one the customer gets without the long trip to the data centre.',
    );
  }
}

function expectFromOrigin(answer: Answer, what: string, why: string): void {
  if (answer.originRequests === 0) {
    fail(`${what} was answered from storage without asking the origin, but ${why}`);
  }
}

function expectBody(answer: Answer, body: string, what: string): void {
  if (answer.text !== body) {
    fail(`${what} answered ${responseLine(answer)}; the customer should have got "${body}".`);
  }
}

function expectAge(answer: Answer, seconds: number, what: string, why: string): void {
  const age = answer.headers.get('age');
  if (age === null) {
    fail(
      `${what} came from storage without an Age header. RFC 9111 (5.1) says a cache sends Age on what it ` +
        `serves from storage: browsers and caches further down subtract it from the lifetime, so they do not keep ` +
        `a copy that is already ${seconds} s old for the full max-age again. Here it should say Age: ${seconds}.`,
    );
  }
  if (age !== String(seconds))
    fail(`${what} said Age: ${age}; it should say Age: ${seconds}, because ${why}`);
}

// ---------------------------------------------------------------------------------------------------------

describe('task 1: Keep fresh copies, and say how old they are', () => {
  it('answers from storage while max-age lasts, with Age', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60' }));
    const first = await get(world, '/products/7');
    expectFromOrigin(first, 'The first request for /products/7', 'the cache was empty.');
    expectBody(first, 'Espresso machine, 249 EUR', 'The first request');
    world.clock.advance(30 * SECOND);
    const second = await get(world, '/products/7');
    expectFromStorage(
      second,
      'A request 30 s later',
      'the origin said Cache-Control: max-age=60, so the copy was fresh for 60 s.',
    );
    expectBody(second, 'Espresso machine, 249 EUR', 'The request 30 s later');
    expectAge(second, 30, 'The answer 30 s later', 'the copy arrived 30 s earlier.');
  });

  it('reads directive names in any case, with spaces around commas', async () => {
    const world = start();
    world.origin.serve('/products/9', page({ 'Cache-Control': 'MAX-AGE=60 , Public' }));
    await get(world, '/products/9');
    world.clock.advance(30 * SECOND);
    expectFromStorage(
      await get(world, '/products/9'),
      'A request 30 s later for a page with Cache-Control: MAX-AGE=60 , Public',
      'Cache-Control directive names are case-insensitive (RFC 9111 5.2) and the list may have spaces ' +
        'around its commas: MAX-AGE=60 is max-age=60.',
    );
  });

  it('stops at the end of the lifetime: fresh while age < max-age', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60' }));
    await get(world, '/products/7');
    world.clock.advance(60 * SECOND - 1);
    const last = await get(world, '/products/7');
    expectFromStorage(
      last,
      'A request 59.999 s later',
      'a copy with max-age=60 is fresh until its age reaches 60 s.',
    );
    expectAge(last, 59, 'The answer 59.999 s later', 'Age is whole seconds, rounded down.');
    world.clock.advance(1);
    const stale = await get(world, '/products/7');
    expectFromOrigin(
      stale,
      'A request exactly 60 s later',
      'with max-age=60 a copy is fresh only while its age is below 60 s (RFC 9111 4.2: fresh when the ' +
        'freshness lifetime is greater than the current age). At 60 s it is stale and must be checked with the origin.',
    );
  });

  it('lets s-maxage win over max-age, longer or shorter', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=10, s-maxage=120' }));
    world.origin.serve('/products/8', page({ 'Cache-Control': 'max-age=120, s-maxage=10' }));
    await get(world, '/products/7');
    await get(world, '/products/8');
    world.clock.advance(60 * SECOND);
    expectFromStorage(
      await get(world, '/products/7'),
      'A request for /products/7 60 s later (Cache-Control: max-age=10, s-maxage=120)',
      's-maxage is the lifetime for shared caches like a CDN and overrides max-age there (RFC 9111 5.2.2.10): ' +
        'this copy is fresh for 120 s at the edge, 10 s in browsers. Origins use it to let the edge keep pages ' +
        'longer than browsers, because the edge can be purged and browsers cannot.',
    );
    expectFromOrigin(
      await get(world, '/products/8'),
      'A request for /products/8 60 s later (Cache-Control: max-age=120, s-maxage=10)',
      "s-maxage=10 is the shared cache's lifetime and it wins even when it is shorter than max-age: at the " +
        'edge the copy went stale after 10 s. Taking the longer of the two serves old prices for 110 s longer than the origin allowed.',
    );
  });

  it('uses Expires minus Date when there is no max-age, and max-age when there is', async () => {
    const world = start();
    const now = world.clock.now();
    const date = new Date(now).toUTCString();
    world.origin.serve(
      '/products/7',
      page({ Date: date, Expires: new Date(now + 120 * SECOND).toUTCString() }),
    );
    world.origin.serve(
      '/products/8',
      page({
        Date: date,
        Expires: new Date(now + 600 * SECOND).toUTCString(),
        'Cache-Control': 'max-age=60',
      }),
    );
    await get(world, '/products/7');
    await get(world, '/products/8');
    world.clock.advance(90 * SECOND);
    const expires = await get(world, '/products/7');
    expectFromStorage(
      expires,
      'A request for /products/7 90 s later (Expires 120 s after its Date, no max-age)',
      'without max-age the lifetime is Expires minus Date (RFC 9111 4.2.1): 120 s.',
    );
    expectAge(expires, 90, 'The answer for /products/7', 'it arrived 90 s earlier.');
    expectFromOrigin(
      await get(world, '/products/8'),
      'A request for /products/8 90 s later (Cache-Control: max-age=60, and Expires 600 s after its Date)',
      'max-age overrides Expires (RFC 9111 5.3): the copy went stale after 60 s.',
    );
    world.clock.advance(30 * SECOND);
    expectFromOrigin(
      await get(world, '/products/7'),
      'A request for /products/7 120 s after the first',
      'its Expires time had come: Expires minus Date is 120 s.',
    );
  });

  it('counts the age a response arrived with', async () => {
    const world = start();
    const now = world.clock.now();
    // Another cache held /products/7 for 50 s; the origin of /products/8 dated it 20 s ago.
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60', Age: '50' }));
    world.origin.serve(
      '/products/8',
      page({ 'Cache-Control': 'max-age=60', Date: new Date(now - 20 * SECOND).toUTCString() }),
    );
    await get(world, '/products/7');
    await get(world, '/products/8');
    world.clock.advance(5 * SECOND);
    expectAge(
      await get(world, '/products/7'),
      55,
      'A request for /products/7 5 s later (it arrived with Age: 50)',
      'it was already 50 s old when it arrived (an upstream cache had kept it) and spent 5 s here (RFC 9111 4.2.3).',
    );
    expectAge(
      await get(world, '/products/8'),
      25,
      'A request for /products/8 5 s later (its Date was 20 s before it arrived)',
      'its Date says it was made 20 s before it arrived, and it spent 5 s here (RFC 9111 4.2.3, apparent age).',
    );
    world.clock.advance(5 * SECOND);
    expectFromOrigin(
      await get(world, '/products/7'),
      'A request for /products/7 10 s after it arrived with Age: 50',
      'with max-age=60 it was stale at 60 s of age: 50 s before it arrived plus 10 s here. Ignoring the Age ' +
        'it came with keeps it fresh 50 s longer than the origin allowed.',
    );
  });

  it('counts the time the origin took to answer', async () => {
    const world = start();
    world.origin.serve('/products/6', page({ 'Cache-Control': 'max-age=60', Age: '50' }));
    const hold = world.origin.hold();
    const slow = begin(world, '/products/6');
    await settle();
    world.clock.advance(2 * SECOND);
    hold.release();
    await slow.answered();
    world.clock.advance(5 * SECOND);
    expectAge(
      await get(world, '/products/6'),
      57,
      'A request for /products/6 5 s after it arrived (it arrived with Age: 50, 2 s after it was requested)',
      'RFC 9111 4.2.3 adds the time the request took (response_delay) to the Age it came with: 50 + 2 s, ' +
        'then 5 s here. The response aged while it travelled.',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('task 2: Never share what is not yours to share', () => {
  it('stores nothing marked no-store or private', async () => {
    const world = start();
    world.origin.serve('/prices/live', page({ 'Cache-Control': 'no-store' }));
    world.origin.serve('/account', (request) =>
      page(
        { 'Cache-Control': 'private, max-age=60' },
        `Account of ${request.headers.get('x-session') ?? 'nobody'}`,
      ),
    );
    await get(world, '/prices/live');
    expectFromOrigin(
      await get(world, '/prices/live'),
      'A second request for /prices/live (Cache-Control: no-store)',
      'no-store forbids any cache to keep the response at all (RFC 9111 5.2.2.5).',
    );
    // The session travels in X-Session, not Cookie: browsers drop Cookie (and Accept-Encoding) from Requests a
    // script builds, and this grader runs in the browser too.
    await get(world, '/account', { 'X-Session': 'alice' });
    const bob = await get(world, '/account', { 'X-Session': 'bob' });
    expectFromOrigin(
      bob,
      "Bob's request for /account, a second after Alice's (Cache-Control: private, max-age=60)",
      "Bob got Alice's account page. private means only the user's own browser may keep it, never a shared " +
        "cache (RFC 9111 5.2.2.7). This is the CDN incident that makes the news: one customer sees another's " +
        'name, address and orders.',
    );
  });

  it('does not share answers to requests with Authorization, unless the response says so', async () => {
    const world = start();
    world.origin.serve('/orders', (request) =>
      page({ 'Cache-Control': 'max-age=60' }, `Orders of ${request.headers.get('authorization')}`),
    );
    await get(world, '/orders', { Authorization: 'Bearer alice' });
    expectFromOrigin(
      await get(world, '/orders', { Authorization: 'Bearer bob' }),
      "Bob's request for /orders after Alice's (she sent Authorization; the answer said only max-age=60)",
      "Bob got Alice's orders. A shared cache must not store the answer to a request with Authorization " +
        'unless the response explicitly allows it with public, s-maxage or must-revalidate (RFC 9111 3.5): ' +
        'max-age alone is not enough, because origins routinely forget that the page is per user.',
    );
    for (const cacheControl of ['public, max-age=60', 's-maxage=60', 'must-revalidate, max-age=60']) {
      const path = `/catalog/${cacheControl.split(/[,=]/)[0]}`;
      world.origin.serve(path, page({ 'Cache-Control': cacheControl }, 'The same catalog for every partner'));
      await get(world, path, { Authorization: 'Bearer partner-1' });
      expectFromStorage(
        await get(world, path, { Authorization: 'Bearer partner-2' }),
        `A second request for ${path} (Cache-Control: ${cacheControl}, requested with Authorization)`,
        `${cacheControl.split(',')[0]} tells a shared cache it may store and share this answer although the ` +
          'request carried Authorization (RFC 9111 3.5).',
      );
    }
  });

  it('stores neither errors nor responses without freshness information', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60' }));
    world.origin.fail(503);
    const down = await get(world, '/products/7');
    if (down.status !== 503)
      fail(
        `While the origin answered 503 the cache answered ${responseLine(down)}; it should pass the 503 on.`,
      );
    world.origin.recover();
    const after = await get(world, '/products/7');
    expectFromOrigin(
      after,
      'The first request after the origin recovered',
      'the cache kept the 503 (which said nothing about caching) and served it again: one failure at the ' +
        'origin became an outage at the edge. Store 200s only.',
    );
    expectBody(after, 'Espresso machine, 249 EUR', 'The first request after the origin recovered');
    world.origin.serve('/video', {
      status: 206,
      headers: { 'Cache-Control': 'max-age=600', 'Content-Range': 'bytes 0-99/5000' },
      body: 'the first 100 bytes',
    });
    await get(world, '/video');
    world.origin.serve('/video', page({ 'Cache-Control': 'max-age=600' }, 'the whole video'));
    expectFromOrigin(
      await get(world, '/video'),
      'A request for /video after the origin answered 206 Partial Content (max-age=600)',
      'the cache stored a partial answer and served it as the whole resource. This cache stores 200s only: ' +
        'other successful statuses (206, 204, ...) say something else than "here is the resource", so ' +
        'response.ok is not the test.',
    );
    world.origin.serve('/basket', page({ ETag: '"b1"' }, 'Your basket: 2 items'));
    await get(world, '/basket');
    expectFromOrigin(
      await get(world, '/basket'),
      'A second request for /basket (no Cache-Control, no Expires)',
      'the origin gave no freshness information, and this cache does no heuristic freshness (RFC 9111 4.2.2 ' +
        'allows guessing; the contract here is not to): without a lifetime a copy is never fresh.',
    );
  });

  it("does not keep the 304 that answered a browser's own conditional request", async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60', ETag: '"v1"' }));
    const browser = await get(world, '/products/7', { 'If-None-Match': '"v1"' });
    if (browser.status !== 304) {
      fail(
        `A browser that already held version "v1" asked with If-None-Match: "v1" and got ${responseLine(browser)}; ` +
          "with nothing stored, pass its question to the origin and the origin's 304 back to it.",
      );
    }
    const next = await get(world, '/products/7');
    expectBody(
      next,
      'Espresso machine, 249 EUR',
      "A request without If-None-Match after a browser's conditional one (a 304 has no body: it answers only " +
        'the request that asked, and must not be stored as the page)',
    );
  });

  it('stores answers to GET only', async () => {
    const world = start();
    world.origin.serve('/basket', page({ 'Cache-Control': 'max-age=60' }, 'Basket updated'));
    const post = (body: string) =>
      world.cache.handle(new Request(`${ORIGIN}/basket`, { method: 'POST', body }));
    await post('{"add":7}');
    const before = world.origin.requests.length;
    await post('{"add":8}');
    if (world.origin.requests.length === before) {
      fail(
        'A second POST /basket was answered from storage and never reached the origin: the item was never ' +
          'added. A cache stores answers to GET (and serves them to GET); a POST changes something and always goes through.',
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('task 3: Revalidate instead of downloading again', () => {
  it('asks with If-None-Match when a copy with an ETag is stale, and a 304 refreshes it', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60', ETag: '"v1"' }));
    await get(world, '/products/7');
    world.clock.advance(70 * SECOND);
    const revalidated = await get(world, '/products/7');
    expectFromOrigin(revalidated, 'A request 70 s later (max-age=60)', 'the copy was stale.');
    const asked = world.origin.requests.at(-1)?.headers.get('if-none-match');
    if (asked !== '"v1"') {
      fail(
        `A request 70 s later reached the origin with If-None-Match: ${asked ?? '(none)'}. The stored copy had ` +
          'ETag: "v1": ask "has it changed since v1?" with If-None-Match: "v1" (RFC 9111 4.3.1), and an ' +
          'unchanged page costs the origin a 304 with no body instead of the whole page again.',
      );
    }
    const since = world.origin.requests.at(-1)?.headers.get('if-modified-since');
    if (since !== null && since !== undefined) {
      fail(
        `The revalidation sent If-Modified-Since: ${since}, but the stored copy had no Last-Modified. Send a ` +
          'validator only when the stored copy has one: an origin may take the made-up date at its word.',
      );
    }
    if (revalidated.status !== 200) {
      fail(
        `After the origin answered 304 Not Modified the customer got ${responseLine(revalidated)}. The 304 was ` +
          "the cache's question, not the customer's: answer the stored page with 200.",
      );
    }
    expectBody(revalidated, 'Espresso machine, 249 EUR', 'After the 304');
    world.clock.advance(10 * SECOND);
    const refreshed = await get(world, '/products/7');
    expectFromStorage(
      refreshed,
      'A request 10 s after the 304',
      'a 304 makes the stored copy fresh again (RFC 9111 4.3.4): max-age=60 counts from the 304.',
    );
    expectAge(refreshed, 10, 'The answer 10 s after the 304', 'the copy was revalidated 10 s earlier.');
  });

  it('asks with If-Modified-Since when the copy has only Last-Modified', async () => {
    const world = start();
    const lastModified = new Date(world.clock.now() - 3600 * SECOND).toUTCString();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60', 'Last-Modified': lastModified }));
    await get(world, '/products/7');
    world.clock.advance(70 * SECOND);
    await get(world, '/products/7');
    const asked = world.origin.requests.at(-1)?.headers.get('if-modified-since');
    if (asked !== lastModified) {
      fail(
        `A stale copy with Last-Modified: ${lastModified} was checked with If-Modified-Since: ${asked ?? '(none)'}. ` +
          'Without an ETag, the date is the validator: send it back unchanged in If-Modified-Since (RFC 9111 4.3.1).',
      );
    }
    const match = world.origin.requests.at(-1)?.headers.get('if-none-match');
    if (match !== null && match !== undefined) {
      fail(
        `The revalidation sent If-None-Match: ${match}, but the stored copy had no ETag. An origin compares ` +
          'that value with its ETag and answers the whole page: send a validator only when you have one.',
      );
    }
  });

  it('takes the headers of a 304, and replaces the copy when the page changed', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60', ETag: '"v1"' }));
    await get(world, '/products/7');
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=300', ETag: '"v1"' }));
    world.clock.advance(70 * SECOND);
    await get(world, '/products/7');
    world.clock.advance(200 * SECOND);
    expectFromStorage(
      await get(world, '/products/7'),
      'A request 200 s after a 304 that said Cache-Control: max-age=300',
      "the 304's headers replace the stored ones (RFC 9111 4.3.4): the origin extended the lifetime to 300 s.",
    );
    world.origin.serve(
      '/products/7',
      page({ 'Cache-Control': 'max-age=60', ETag: '"v2"' }, 'Espresso machine, 199 EUR'),
    );
    world.clock.advance(200 * SECOND);
    const changed = await get(world, '/products/7');
    expectBody(changed, 'Espresso machine, 199 EUR', 'The request after the price changed');
    world.clock.advance(10 * SECOND);
    const next = await get(world, '/products/7');
    expectFromStorage(
      next,
      'A request 10 s after the new price arrived',
      'the new version (max-age=60) replaces the old copy.',
    );
    expectBody(next, 'Espresso machine, 199 EUR', 'A request 10 s after the new price arrived');
  });

  it('checks a no-cache copy with the origin every time', async () => {
    const world = start();
    world.origin.serve(
      '/stock/7',
      page({ 'Cache-Control': 'max-age=600, no-cache', ETag: '"s1"' }, '3 in stock'),
    );
    await get(world, '/stock/7');
    world.clock.advance(SECOND);
    const second = await get(world, '/stock/7');
    expectFromOrigin(
      second,
      'A second request for /stock/7 (Cache-Control: max-age=600, no-cache), 1 s later',
      'no-cache does not mean "do not store": it means "store, but check with me before every use" (RFC ' +
        '9111 5.2.2.4), whatever max-age says.',
    );
    if (world.origin.requests.at(-1)?.headers.get('if-none-match') !== '"s1"') {
      fail(
        'A no-cache copy with ETag: "s1" was checked without If-None-Match: "s1". Store it and ask conditionally: ' +
          'the answer is a small 304 while the stock has not changed.',
      );
    }
    expectBody(second, '3 in stock', 'The revalidated no-cache answer');
  });

  it('serves what a model of RFC 9111 freshness says, over random sequences', async () => {
    await checkScenarios(
      'cdn-edge-cache freshness',
      scenarios(),
      async ({ start: policies, sequence }) => {
        try {
          await playFreshness(policies, sequence);
        } finally {
          clock?.restore();
          clock = undefined;
        }
      },
      { explain: ({ start: policies, sequence }) => explainSteps(policies, sequence), runs: 60 },
    );
  });
});

/** Plays one sequence against the cache and the model; fails at the first step where they differ. */
async function playFreshness(policies: number[], sequence: Step[]): Promise<void> {
  const world = start();
  const began = world.clock.now();
  const published = PATHS.map((_, i) => ({ version: 1, policy: POLICIES[policies[i] ?? 0] as Policy }));
  const stored: Array<StoredCopy | undefined> = PATHS.map(() => undefined);
  const publish = (i: number) => {
    const current = published[i] as { version: number; policy: Policy };
    world.origin.serve(PATHS[i] as string, () => ({
      headers: { ...policyHeaders(current.policy, Date.now()), ETag: `"${i}-v${current.version}"` },
      body: `${PATHS[i]} version ${current.version}`,
    }));
  };
  for (const i of PATHS.keys()) publish(i);
  let hits = 0;
  let modelHits = 0;
  let requests = 0;
  for (const [n, step] of sequence.entries()) {
    if (step.kind === 'wait') world.clock.advance(step.seconds * SECOND);
    if (step.kind === 'publish') {
      const current = published[step.path] as { version: number; policy: Policy };
      current.version++;
      current.policy = POLICIES[step.policy] as Policy;
      publish(step.path);
    }
    if (step.kind !== 'request') continue;
    requests++;
    const path = PATHS[step.path] as string;
    const current = published[step.path] as { version: number; policy: Policy };
    const copy = stored[step.path];
    const now = world.clock.now();
    const fresh = copy !== undefined && now - copy.validatedAt < copy.lifetimeMs;
    const answer = await get(world, path);
    if (answer.originRequests === 0) hits++;
    if (fresh) modelHits++;
    const at = `At step ${n + 1} (+${elapsed(world, began)})`;
    if (fresh && answer.originRequests > 0) {
      fail(
        `${at} your cache asked the origin for ${path}, but it held a fresh copy: stored ` +
          `${(now - copy.validatedAt) / SECOND} s earlier with a shared lifetime of ${copy.lifetimeMs / SECOND} s. ` +
          `So far your cache answered ${hits} of ${requests} requests from storage; one that follows RFC 9111 ` +
          `answers ${modelHits}. Every needless trip is origin capacity and customer latency spent for nothing.`,
      );
    }
    if (!fresh && answer.originRequests === 0) {
      const why =
        copy === undefined
          ? 'no copy of it may be stored (the last answer was not storable by a shared cache, or none was fetched yet)'
          : `the stored copy was ${(now - copy.validatedAt) / SECOND} s old with a shared lifetime of ${copy.lifetimeMs / SECOND} s`;
      fail(`${at} your cache answered ${path} from storage, but ${why}: it had to ask the origin.`);
    }
    const version = fresh ? copy.version : current.version;
    expectBody(answer, `${path} version ${version}`, `${at} the request for ${path}`);
    if (fresh) {
      expectAge(
        answer,
        Math.floor((now - copy.validatedAt) / SECOND),
        `${at} the answer for ${path}`,
        'that is how long ago it was stored or revalidated.',
      );
    } else {
      const lifetimeMs = sharedLifetimeMs(current.policy);
      stored[step.path] =
        lifetimeMs === undefined ? undefined : { version: current.version, validatedAt: now, lifetimeMs };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

describe('task 4: One key per resource, one variant per Vary', () => {
  it('puts query parameters in one order, keeping repeated names in theirs', async () => {
    const world = start();
    world.origin.serve('/products', (request) =>
      page({ 'Cache-Control': 'max-age=60' }, `Products for ${new URL(request.url).search}`),
    );
    await get(world, '/products?color=red&size=m');
    const reordered = await get(world, '/products?size=m&color=red');
    expectFromStorage(
      reordered,
      'A request for /products?size=m&color=red after /products?color=red&size=m',
      'it is the same resource: parameter order is an accident of how the link was built. Without a canonical ' +
        'order (URLSearchParams.sort()) every permutation is a miss and a copy of its own.',
    );
    await get(world, '/products?tag=new&tag=sale');
    expectFromOrigin(
      await get(world, '/products?tag=sale&tag=new'),
      'A request for /products?tag=sale&tag=new after /products?tag=new&tag=sale',
      'the order of repeated parameters can change the answer (a list, a priority), so only names are sorted; ' +
        'values of one name keep their order (URLSearchParams.sort() is a stable sort by name).',
    );
  });

  it('leaves tracking parameters out of the key', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60' }));
    await get(world, '/products/7?utm_source=newsletter&utm_campaign=spring');
    expectFromStorage(
      await get(world, '/products/7?fbclid=IwAR2x'),
      'A request for /products/7?fbclid=IwAR2x after /products/7?utm_source=newsletter&utm_campaign=spring',
      `${TRACKING.join(', ')} are in options.ignoredQueryParameters: they identify the campaign, not the ` +
        'page. A key that keeps them turns every click of a campaign into an origin request.',
    );
    expectFromStorage(
      await get(world, '/products/7'),
      'A request for /products/7 after the same page with tracking parameters',
      'with the tracking parameters left out it is the same key.',
    );
    expectFromOrigin(
      await get(world, '/products/7?currency=CHF'),
      'A request for /products/7?currency=CHF',
      'currency is not a tracking parameter: it may change the answer, so it is a different key.',
    );
  });

  it('keeps the host and the case of the path in the key', async () => {
    const world = start();
    world.origin.serve('/about', (request) =>
      page({ 'Cache-Control': 'max-age=60' }, `About ${new URL(request.url).host}`),
    );
    world.origin.serve('/Guide', page({ 'Cache-Control': 'max-age=60' }, 'Guide, capital G'));
    world.origin.serve('/guide', page({ 'Cache-Control': 'max-age=60' }, 'guide, small g'));
    await get(world, 'http://shop.test/about');
    const blog = await get(world, 'http://blog.test/about');
    expectFromOrigin(
      blog,
      'A request for http://blog.test/about after http://shop.test/about',
      "they are two sites: an edge serves many hostnames, and a key without the host shows one site's page on another.",
    );
    expectFromStorage(
      await get(world, 'http://SHOP.test/about'),
      'A request for http://SHOP.test/about after http://shop.test/about',
      'host names are case-insensitive; new URL() lowercases them.',
    );
    await get(world, '/Guide');
    expectBody(
      await get(world, '/guide'),
      'guide, small g',
      'GET /guide after GET /Guide (paths are case-sensitive: they are two resources)',
    );
  });

  it('stores one variant per value of the headers Vary names', async () => {
    const world = start();
    world.origin.serve('/catalogue', (request) => {
      const language = request.headers.get('accept-language') ?? 'en';
      return page({ 'Cache-Control': 'max-age=600', Vary: 'Accept-Language' }, `Catalogue in ${language}`);
    });
    await get(world, '/catalogue', { 'Accept-Language': 'en' });
    const german = await get(world, '/catalogue', { 'Accept-Language': 'de' });
    expectFromOrigin(
      german,
      'A request with Accept-Language: de after one with en (Vary: Accept-Language)',
      'the German customer got the English catalogue. Vary: Accept-Language says the answer depends on that ' +
        'header (RFC 9111 4.1): a stored response matches only a request with the same value.',
    );
    for (const language of ['en', 'de']) {
      const again = await get(world, '/catalogue', { 'Accept-Language': language });
      expectFromStorage(
        again,
        `Another request with Accept-Language: ${language}`,
        'its variant was stored; a second variant must not replace the first.',
      );
      expectBody(again, `Catalogue in ${language}`, `Another request with Accept-Language: ${language}`);
    }
  });

  it('compares every header Vary names, and a missing header only with a missing one', async () => {
    const world = start();
    world.origin.serve('/catalogue', (request) => {
      const language = request.headers.get('accept-language') ?? 'no language';
      const currency = request.headers.get('x-currency') ?? 'no currency';
      return page(
        { 'Cache-Control': 'max-age=600', Vary: 'Accept-Language, X-Currency' },
        `Catalogue: ${language}, ${currency}`,
      );
    });
    await get(world, '/catalogue', { 'Accept-Language': 'de', 'X-Currency': 'EUR' });
    const swiss = await get(world, '/catalogue', { 'Accept-Language': 'de', 'X-Currency': 'CHF' });
    expectFromOrigin(
      swiss,
      'A request with Accept-Language: de and X-Currency: CHF after one with de and EUR ' +
        '(Vary: Accept-Language, X-Currency)',
      'the Swiss customer got prices in euros. When Vary names several headers, a stored response matches ' +
        'only a request with the same value in every one of them (RFC 9111 4.1), not just the first.',
    );
    const bare = await get(world, '/catalogue');
    expectFromOrigin(
      bare,
      'A request with neither Accept-Language nor X-Currency, after requests that sent both',
      "this customer got a page chosen for someone else's language and currency. A header Vary names that " +
        'the request leaves out matches only a stored response whose request left it out too (RFC 9111 4.1).',
    );
    expectBody(bare, 'Catalogue: no language, no currency', 'The request with neither header');
  });

  it('never matches Vary: *', async () => {
    const world = start();
    world.origin.serve(
      '/recommendations',
      page({ 'Cache-Control': 'max-age=60', Vary: '*' }, 'Picked for you'),
    );
    await get(world, '/recommendations');
    expectFromOrigin(
      await get(world, '/recommendations'),
      'A second request for /recommendations (Vary: *)',
      'Vary: * says the answer depends on things no header shows: it never matches a later request (RFC 9111 4.1).',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------

/** Sends `count` requests for `path` at the same moment while the origin is held; returns them unanswered. */
async function concurrently(
  world: World,
  path: string,
  count: number,
  headers: (i: number) => Record<string, string> = () => ({}),
) {
  const hold = world.origin.hold();
  const before = world.origin.requests.length;
  const calls = Array.from({ length: count }, (_, i) => begin(world, path, headers(i)));
  await settle();
  const reached = world.origin.requests.length - before;
  hold.release();
  const answers: Answer[] = [];
  for (const [i, call] of calls.entries())
    answers.push(await call.answered(`Concurrent request ${i + 1} of ${count}`));
  return { reached, answers, total: world.origin.requests.length - before };
}

describe('task 5: Coalesce concurrent misses', () => {
  it('sends one origin request for ten concurrent misses', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60' }));
    const { total, answers } = await concurrently(world, '/products/7', 10);
    if (total > 1) {
      fail(
        `10 requests for /products/7 arrived at the same moment with nothing stored, and ${total} reached the ` +
          'origin. While one request is on its way to the origin, the others for the same key should wait for ' +
          'it (request coalescing): when a popular page expires, the origin otherwise gets a stampede of ' +
          'identical requests exactly when it is busiest.',
      );
    }
    for (const answer of answers) expectBody(answer, 'Espresso machine, 249 EUR', 'A coalesced request');
  });

  it('checks a stale copy once for concurrent requests', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60', ETag: '"v1"' }));
    await get(world, '/products/7');
    world.clock.advance(70 * SECOND);
    const { total } = await concurrently(world, '/products/7', 10);
    if (total > 1) {
      fail(
        `10 requests for a stale /products/7 arrived at the same moment and ${total} revalidations reached the ` +
          'origin. One conditional request answers for all of them: coalesce revalidations like misses.',
      );
    }
  });

  it('shares an error with the waiting requests, and does not keep it', async () => {
    const world = start();
    world.origin.serve('/products/7', page({ 'Cache-Control': 'max-age=60' }));
    for (const [how, status] of [
      [503, 503],
      ['unreachable', 502],
    ] as const) {
      world.origin.fail(how);
      const { total, answers } = await concurrently(world, '/products/7', 5);
      const what = how === 503 ? 'the origin answered 503' : 'the origin could not be reached';
      if (total > 1) {
        fail(
          `5 concurrent requests for /products/7 while ${what}: ${total} reached the origin. The waiting ` +
            'requests should get the same error: sending each of them to a failing origin makes its recovery harder.',
        );
      }
      for (const answer of answers) {
        if (answer.status !== status) {
          fail(
            `While ${what}, a coalesced request got ${responseLine(answer)}; every one of them should get ${status}` +
              (status === 502
                ? ' Bad Gateway (the edge could not get an answer from upstream).'
                : ", the origin's answer."),
          );
        }
      }
      world.origin.recover();
      expectFromOrigin(
        await get(world, '/products/7'),
        `The first request after the origin recovered (${what} before)`,
        'an error is shared with the requests that waited for it, never stored.',
      );
      world.clock.advance(70 * SECOND);
    }
  });

  it('gives each waiting request the variant its own headers select', async () => {
    const world = start();
    world.origin.serve('/catalogue', (request) =>
      page(
        { 'Cache-Control': 'max-age=600', Vary: 'Accept-Language' },
        `Catalogue in ${request.headers.get('accept-language')}`,
      ),
    );
    const languages = ['en', 'de', 'en', 'fr'];
    const { answers } = await concurrently(world, '/catalogue', languages.length, (i) => ({
      'Accept-Language': languages[i] as string,
    }));
    for (const [i, answer] of answers.entries()) {
      if (answer.text !== `Catalogue in ${languages[i]}`) {
        fail(
          `Four customers opened /catalogue at the same moment (Accept-Language: ${languages.join(', ')}) and ` +
            `the one who asked for ${languages[i]} got "${answer.text}". The answer says Vary: Accept-Language, ` +
            'so a request that waited for it may use it only if its own Accept-Language matches (RFC 9111 4.1); ' +
            'the others need their own variant, from storage or from the origin.',
        );
      }
    }
  });

  it('does not hand a response that may not be shared to the waiting requests', async () => {
    const world = start();
    world.origin.serve('/account', (request) =>
      page({ 'Cache-Control': 'private, max-age=60' }, `Account of ${request.headers.get('x-session')}`),
    );
    const users = ['alice', 'bob', 'carol'];
    const { answers } = await concurrently(world, '/account', 3, (i) => ({
      'X-Session': users[i] as string,
    }));
    for (const [i, answer] of answers.entries()) {
      if (answer.text !== `Account of ${users[i]}`) {
        fail(
          `Three customers opened /account at the same moment and ${users[i]} got "${answer.text}". The first ` +
            "request's answer was private: it can only be handed to the request it was made for. Requests " +
            'that waited for it must go to the origin themselves.',
        );
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('task 6: Serve stale on purpose, and purge', () => {
  const SWR = { 'Cache-Control': 'max-age=60, stale-while-revalidate=30', ETag: '"v1"' };

  it('serves a stale copy at once while one background request refreshes it', async () => {
    const world = start();
    world.origin.serve('/home', page(SWR, 'Home, v1'));
    await get(world, '/home');
    world.origin.serve('/home', page({ ...SWR, ETag: '"v2"' }, 'Home, v2'));
    world.clock.advance(75 * SECOND);
    const hold = world.origin.hold();
    const before = world.origin.requests.length;
    const first = begin(world, '/home');
    await settle();
    if (!first.done) {
      hold.release();
      fail(
        'A request 75 s after /home was stored (max-age=60, stale-while-revalidate=30) waited for the slow ' +
          'origin. Within stale-while-revalidate the stale copy is answered at once and refreshed in the ' +
          'background (RFC 5861 3): no customer waits for the origin.',
      );
    }
    const stale = await first.answered();
    expectBody(stale, 'Home, v1', 'The request 75 s later');
    expectAge(stale, 75, 'The stale answer', 'a stale copy says how old it is too.');
    const second = await get(world, '/home');
    expectBody(second, 'Home, v1', 'Another request while the refresh was under way');
    const refreshes = world.origin.requests.length - before;
    hold.release();
    await settle();
    if (refreshes !== 1) {
      fail(
        `Within stale-while-revalidate, ${refreshes} request(s) reached the origin for two customer requests. ` +
          'Exactly one background refresh should start: none leaves the copy stale for ever, more than one is ' +
          'a stampede on a slow origin.',
      );
    }
    const refreshed = await get(world, '/home');
    expectFromStorage(
      refreshed,
      'A request after the background refresh',
      'the refresh stored the new version.',
    );
    expectBody(refreshed, 'Home, v2', 'A request after the background refresh');
  });

  it('waits for the origin once the copy is staler than stale-while-revalidate allows', async () => {
    const world = start();
    world.origin.serve('/home', page(SWR, 'Home, v1'));
    await get(world, '/home');
    world.origin.serve('/home', page({ ...SWR, ETag: '"v2"' }, 'Home, v2'));
    world.clock.advance(90 * SECOND);
    expectBody(
      await get(world, '/home'),
      'Home, v1',
      'A request exactly 30 s after the copy went stale (stale-while-revalidate=30 allows serving it up to 30 s ' +
        'stale, 30 included, while it is refreshed in the background)',
    );
    await settle();
    world.clock.advance(100 * SECOND);
    world.origin.serve('/home', page({ ...SWR, ETag: '"v3"' }, 'Home, v3'));
    const late = await get(world, '/home');
    expectFromOrigin(
      late,
      'A request 100 s after the copy was refreshed',
      'it was 40 s stale, beyond stale-while-revalidate=30.',
    );
    expectBody(
      late,
      'Home, v3',
      'A request 40 s beyond stale-while-revalidate (the stale copy may not be served any more: wait for the origin)',
    );
  });

  it('serves a stale copy when the origin fails, within stale-if-error', async () => {
    const world = start();
    const SIE = { 'Cache-Control': 'max-age=60, stale-if-error=300', ETag: '"v1"' };
    world.origin.serve('/products/7', page(SIE));
    world.origin.serve('/stock/7', page({ 'Cache-Control': 'no-cache, stale-if-error=300' }, '3 in stock'));
    await get(world, '/products/7');
    await get(world, '/stock/7');
    world.clock.advance(100 * SECOND);
    for (const how of [503, 'unreachable'] as const) {
      world.origin.fail(how);
      const stock = await get(world, '/stock/7');
      if (stock.status === 200) {
        fail(
          'A copy of /stock/7 (Cache-Control: no-cache, stale-if-error=300) was served while the origin failed. ' +
            'no-cache forbids using the copy without a successful check with the origin (RFC 9111 4.2.4): ' +
            'stale-if-error cannot override it.',
        );
      }
      const answer = await get(world, '/products/7');
      if (answer.status !== 200) {
        fail(
          `With the origin ${how === 503 ? 'answering 503' : 'unreachable'} and a copy 40 s stale (stale-if-error=300), ` +
            `the customer got ${responseLine(answer)}. stale-if-error lets the edge answer with the stale copy ` +
            'when the origin fails (RFC 5861 4): a slightly old product page beats an error page.',
        );
      }
      expectAge(answer, 100, 'The stale-if-error answer', 'it was stored 100 s earlier.');
    }
    world.clock.advance(260 * SECOND);
    const edge = await get(world, '/products/7');
    if (edge.status !== 200) {
      fail(
        `With the origin unreachable and a copy exactly 300 s stale (stale-if-error=300) the customer got ` +
          `${responseLine(edge)}: stale-if-error=300 allows up to 300 s stale, 300 included.`,
      );
    }
    world.origin.recover();
    world.origin.serve('/products/7', { status: 404, body: 'no such product' });
    const gone = await get(world, '/products/7');
    if (gone.status !== 404) {
      fail(
        `The origin answered 404 (the product was removed) and the customer got ${responseLine(gone)}. ` +
          'stale-if-error covers errors (500, 502, 503, 504, or no answer), not answers the customer should see.',
      );
    }
    world.origin.serve('/products/7', page(SIE));
    world.origin.fail(503);
    world.clock.advance(SECOND);
    const tooOld = await get(world, '/products/7');
    if (tooOld.status !== 503) {
      fail(
        `A copy 301 s stale (stale-if-error=300) was served while the origin failed: ${responseLine(tooOld)}. ` +
          "Beyond stale-if-error the origin's error is the answer.",
      );
    }
  });

  it('never serves stale a copy whose lifetime came from s-maxage', async () => {
    const world = start();
    world.origin.serve(
      '/offers',
      page({ 'Cache-Control': 's-maxage=60, stale-while-revalidate=30' }, 'Offers, v1'),
    );
    world.origin.serve('/products/7', page({ 'Cache-Control': 's-maxage=60, stale-if-error=300' }));
    await get(world, '/offers');
    await get(world, '/products/7');
    world.origin.serve(
      '/offers',
      page({ 'Cache-Control': 's-maxage=60, stale-while-revalidate=30' }, 'Offers, v2'),
    );
    world.clock.advance(75 * SECOND);
    const offers = await get(world, '/offers');
    if (offers.text !== 'Offers, v2') {
      fail(
        `A request 75 s after /offers was stored (Cache-Control: s-maxage=60, stale-while-revalidate=30) got ` +
          `"${offers.text}" instead of the origin's new version. For a shared cache s-maxage also means ` +
          'proxy-revalidate (RFC 9111 5.2.2.10): once the copy is stale it may not be used without checking with ' +
          'the origin (4.2.4), whatever stale-while-revalidate says. So a lifetime given with s-maxage never ' +
          'combines with the stale directives; an origin that wants them gives the edge max-age in CDN-Cache-Control instead.',
      );
    }
    world.origin.fail(503);
    const product = await get(world, '/products/7');
    if (product.status === 200) {
      fail(
        'With the origin answering 503, a copy of /products/7 15 s stale (Cache-Control: s-maxage=60, ' +
          'stale-if-error=300) was served. s-maxage forbids a shared cache to serve its copy stale (RFC 9111 ' +
          '5.2.2.10 and 4.2.4), stale-if-error included: the error is the answer.',
      );
    }
  });

  it('passes a new version on, not the stale copy, when the origin answers', async () => {
    const world = start();
    world.origin.serve(
      '/products/7',
      page({ 'Cache-Control': 'max-age=60, stale-if-error=300', ETag: '"v1"' }),
    );
    await get(world, '/products/7');
    world.origin.serve(
      '/products/7',
      page({ 'Cache-Control': 'max-age=60', ETag: '"v2"' }, 'Espresso machine, 199 EUR'),
    );
    world.clock.advance(70 * SECOND);
    expectBody(
      await get(world, '/products/7'),
      'Espresso machine, 199 EUR',
      'A request after the origin published a new price (the old copy had stale-if-error=300)',
    );
  });

  it('purges every variant of a URL', async () => {
    const world = start();
    world.origin.serve('/catalogue', (request) =>
      page(
        { 'Cache-Control': 'max-age=600', Vary: 'Accept-Language' },
        `Catalogue in ${request.headers.get('accept-language')}`,
      ),
    );
    for (const language of ['en', 'de']) await get(world, '/catalogue', { 'Accept-Language': language });
    expectFromStorage(
      await get(world, '/catalogue', { 'Accept-Language': 'de' }),
      'A second request for /catalogue with Accept-Language: de (max-age=600)',
      'it was stored a moment ago.',
    );
    attempt('purge(url)', () => world.cache.purge(`${ORIGIN}/catalogue?utm_source=price-update`));
    for (const language of ['en', 'de']) {
      expectFromOrigin(
        await get(world, '/catalogue', { 'Accept-Language': language }),
        `A request with Accept-Language: ${language} after purge('${ORIGIN}/catalogue?utm_source=price-update')`,
        "a purge removes every variant of the URL (its key normalised like a request's): after a price " +
          'change, a language left behind shows the old prices to every customer who reads it.',
      );
    }
  });

  it('purges every response tagged with a surrogate key, and only those', async () => {
    const world = start();
    const tagged = (tags: string) => (request: Request) =>
      page(
        { 'Cache-Control': 'max-age=600', Vary: 'Accept-Language, X-Currency', 'Surrogate-Key': tags },
        `${request.url} ${request.headers.get('accept-language')}`,
      );
    world.origin.serve('/products/1', tagged('product-1 catalog'));
    world.origin.serve('/products/10', tagged('product-10 catalog'));
    world.origin.serve('/about', tagged('pages'));
    const paths = ['/products/1', '/products/10', '/about'];
    for (const path of paths)
      for (const language of ['en', 'de']) await get(world, path, { 'Accept-Language': language });
    attempt('purgeTag(tag)', () => world.cache.purgeTag('product-1'));
    for (const language of ['en', 'de']) {
      expectFromOrigin(
        await get(world, '/products/1', { 'Accept-Language': language }),
        `A request for /products/1 (Accept-Language: ${language}) after purgeTag('product-1')`,
        'every stored response whose Surrogate-Key names product-1 is purged, each variant included: the ' +
          'price changed, and a language left behind shows the old price.',
      );
    }
    expectFromStorage(
      await get(world, '/products/10', { 'Accept-Language': 'en' }),
      "A request for /products/10 after purgeTag('product-1')",
      'its Surrogate-Key is "product-10 catalog": keys are whole space-separated words, and product-1 is not product-10.',
    );
    attempt('purgeTag(tag)', () => world.cache.purgeTag('catalog'));
    expectFromOrigin(
      await get(world, '/products/10', { 'Accept-Language': 'de' }),
      "A request for /products/10 after purgeTag('catalog')",
      'one key can tag many URLs: purging "catalog" removes every product page at once.',
    );
    expectFromStorage(
      await get(world, '/about', { 'Accept-Language': 'en' }),
      "A request for /about after purgeTag('catalog')",
      'it was tagged "pages" only.',
    );
  });
});
