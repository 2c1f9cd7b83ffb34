import { createProductService } from '@exercise/cache-aside/product-cache';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeClock, installFakeClock } from '../support/clock';
import { graderRandom, type Random } from '../support/seed';
import { finishInSimulatedTime, settle } from '../support/settle';
import { createHarness, type Harness, type Product, type ProductService, type RedisCommand } from './harness';
import { type Kinds, playScenarios } from './scenarios';

// ---------------------------------------------------------------------------------------------------------
// Setup: a fresh Redis, PostgreSQL and fake clock for every test.

const TTL_MS = 300_000;
/** A little random jitter below 300 s is good practice (expiries don't line up), so it is accepted. */
const MIN_TTL_MS = 270_000;
const MAX_MISS_TTL_MS = 60_000;
/** An UPDATE, on its own or inside a CTE (WITH changed AS (UPDATE ... RETURNING ...) SELECT ...). */
const UPDATE_STATEMENT = /^\s*(with\b[\s\S]*)?\bupdate\b/i;

let clock: FakeClock | undefined;
let harness: Harness | undefined;

afterEach(() => {
  harness?.db.releaseAll();
  harness = undefined;
  clock?.restore();
  clock = undefined;
});

async function start(
  label: string,
): Promise<{ h: Harness; service: ProductService; clock: FakeClock; random: Random }> {
  clock = installFakeClock();
  harness = await createHarness(graderRandom(`${label}:catalogue`));
  const h = harness;
  const service = await attempt(h, 'createProductService(deps)', async () => createProductService(h.deps));
  return { h, service, clock, random: graderRandom(`${label}:inputs`) };
}

// ---------------------------------------------------------------------------------------------------------
// Turning failures into explanations.

function fail(message: string): never {
  throw new Error(message);
}

function show(value: unknown): string {
  if (value instanceof Date) return `Date(${value.toISOString()})`;
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function duration(ms: number): string {
  if (ms >= 2 * 86_400_000) return `${(ms / 86_400_000).toFixed(1)} days`;
  if (ms >= 2 * 3_600_000) return `${Math.round(ms / 3_600_000)} hours`;
  return `${Math.round(ms / 1000)} s`;
}

/** Runs one call of the service; a thrown error becomes a message that says what it means in production. */
async function attempt<T>(h: Harness, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await driven(call);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | null)?.code;
    // pg-mem says "Failed to parse"; PostgreSQL itself says "syntax error at or near ...".
    if (/failed to parse|syntax error/i.test(message)) {
      const bad = [...h.db.statements].reverse().find((s) => s.error !== undefined);
      if (bad?.text.includes('?')) {
        fail(
          `${what} failed: PostgreSQL could not parse "${bad.text}". "?" is MySQL's placeholder; PostgreSQL ` +
            'numbers them ($1, $2, ...) and node-postgres sends the values separately, which is also what keeps ' +
            'the query safe from SQL injection. Fix the query in findProductRow first.',
        );
      }
      fail(`${what} failed: PostgreSQL could not parse "${bad?.text ?? '(unknown statement)'}".`);
    }
    if (code === 'ECONNREFUSED' || message.includes('ECONNREFUSED')) {
      fail(
        `${what} rejected with "${message}": with Redis unreachable, a cache outage became a full outage. ` +
          'The cache only makes reads faster; PostgreSQL still has every product. When a Redis command fails, ' +
          'report it and carry on: a failed GET is a miss, a failed SET or DEL must not fail the request.',
      );
    }
    if (/^OOM\b/.test(message)) {
      fail(
        `${what} rejected with "${message}": Redis is full (maxmemory with the noeviction policy) and refused a ` +
          'write, and the request failed with it. Treat every Redis error as a cache failure, not only a refused ' +
          'connection: a failed SET must not fail the request.',
      );
    }
    if (message.startsWith('TODO')) fail(`${what} is not written yet: ${message}`);
    fail(`${what} threw: ${message}`);
  }
}

/** Starts a call without awaiting it (for concurrency tests); a rejection is reported when it is awaited. */
function started<T>(call: () => Promise<T>): Promise<T> {
  const promise = new Promise<T>((resolve) => resolve(call()));
  promise.catch(() => undefined);
  return promise;
}

/** Whether a call resolved (and with what) or rejected, without letting the rejection escape. */
async function outcome<T>(call: () => Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await driven(call) };
  } catch (error) {
    return { error };
  }
}

/**
 * Waits for calls started concurrently. Code that waits on a timer (a batching window, a lock it polls)
 * runs in simulated time, up to 10 simulated seconds. `quiet`: also let work the calls left running
 * (a SET not awaited) land before the grader looks.
 */
const finish = (clock: FakeClock, calls: Promise<unknown>[], quiet = false) =>
  finishInSimulatedTime(calls, { clock, stepMs: 25, withinMs: 10_000, quiet });

/** Runs one call to its end, in simulated time (see finish). */
async function driven<T>(call: () => Promise<T>): Promise<T> {
  const promise = started(call);
  if (clock && !(await finish(clock, [promise], true))) {
    throw new Error(
      'it had still not answered after 10 s of simulated time, with nothing left for it to wait on: a promise ' +
        'that never settles (a resolve that is never called, a lock that is never released?)',
    );
  }
  return promise;
}

/** Checks a returned value field by field against the product PostgreSQL holds, naming the first mismatch. */
function checkProduct(actual: unknown, expected: Product, what: string): asserts actual is Product {
  if (actual === null || actual === undefined) {
    fail(`${what} returned ${actual}, but product ${expected.id} ("${expected.name}") exists.`);
  }
  if (typeof actual !== 'object') {
    fail(
      `${what} returned ${show(actual)} (a ${typeof actual}), not a Product object` +
        `${typeof actual === 'string' ? ': the string from Redis must be parsed back into a product' : ''}.`,
    );
  }
  const got = actual as Record<string, unknown>;
  if ('rows' in got)
    fail(`${what} returned a whole query result ({ rows, ... }) instead of the product in rows[0].`);
  if ('price_cents' in got || 'in_stock' in got || 'updated_at' in got) {
    fail(
      `${what} returned the raw database row (price_cents, in_stock, updated_at). Map it to a Product ` +
        '(priceCents, inStock, updatedAt) once, and cache the mapped product.',
    );
  }
  for (const field of ['id', 'name', 'priceCents', 'inStock'] as const) {
    const want = expected[field];
    if (typeof got[field] !== typeof want) {
      fail(
        `${what} returned ${field} as ${show(got[field])} (a ${typeof got[field]}), expected the ${typeof want} ${show(want)}.`,
      );
    }
    if (got[field] !== want)
      fail(`${what} returned ${field} = ${show(got[field])}, but PostgreSQL has ${show(want)}.`);
  }
  const updatedAt = got.updatedAt;
  if (typeof updatedAt === 'string') {
    fail(
      `${what} returned updatedAt as the string ${show(updatedAt)} instead of a Date. JSON.stringify turns a Date ` +
        'into an ISO string and JSON.parse leaves it a string, so a caller doing updatedAt.getTime() works on a ' +
        'cache miss and crashes on a cache hit. Revive it when you read from Redis: new Date(cached.updatedAt).',
    );
  }
  if (!(updatedAt instanceof Date)) fail(`${what} returned updatedAt = ${show(updatedAt)}, expected a Date.`);
  if (updatedAt.getTime() !== expected.updatedAt.getTime()) {
    fail(`${what} returned updatedAt = ${show(updatedAt)}, but PostgreSQL has ${show(expected.updatedAt)}.`);
  }
}

/** The command that last wrote `key`, echoed in messages so the learner sees what their code sent. */
function lastWrite(h: Harness, key: string): string {
  const writes = /^(SET|SETEX|PSETEX|SETNX|EXPIRE|PEXPIRE|EXPIREAT|PEXPIREAT|GETEX|MSET)$/;
  const command = [...h.redis.commands].reverse().find((c) => writes.test(c.name) && c.args.includes(key));
  if (!command) return '';
  return ` (your code sent: ${commandText(command)})`;
}

/** A command as the learner's code sent it, long arguments (the cached JSON) shortened. */
function commandText(command: RedisCommand): string {
  const args = command.args.map((arg) => (arg.length > 40 ? `${arg.slice(0, 37)}...` : arg));
  return `${command.name} ${args.join(' ')}`;
}

/** After a miss, product:{id} must hold the product with a TTL of 300 s. */
async function expectCachedFor300Seconds(h: Harness, id: number, what: string): Promise<void> {
  const key = `product:${id}`;
  const entry = await h.redis.peek(key);
  if (entry.value === null) {
    const refused = [...h.redis.commands]
      .reverse()
      .find((c) => c.error !== undefined && c.args.includes(key));
    if (refused) {
      const whole = /not an integer/i.test(refused.error ?? '');
      fail(
        `${what} tried to store product ${id}, but Redis refused ${commandText(refused)} with ` +
          `"${refused.error}", so nothing is cached and every request goes to PostgreSQL. ` +
          (whole
            ? 'Expiries are whole numbers (EX and SETEX count seconds, PX milliseconds): round a TTL with jitter, ' +
              'e.g. Math.floor(270 + Math.random() * 30).'
            : 'An expiry must be at least 1: 300 seconds is SET key value EX 300.'),
      );
    }
    const keys = await h.redis.keys();
    const elsewhere = keys.find((k) => new RegExp(`(^|\\D)${id}(\\D|$)`).test(k));
    if (elsewhere) {
      fail(
        `${what} stored product ${id} under "${elsewhere}", but the cache key is "${key}". Every app server ` +
          'and every invalidation uses that exact key: under another name the entry is never found by the ' +
          'others and never deleted by an update. Build the key in one place.',
      );
    }
    fail(
      `${what} read product ${id} from PostgreSQL but stored nothing in Redis under "${key}"` +
        `${keys.length > 0 ? ` (Redis holds: ${keys.join(', ')})` : ''}, so the next request goes to the ` +
        'database again. After a miss, store the product: SET product:{id} <value> EX 300.',
    );
  }
  const sent = lastWrite(h, key);
  if (entry.ttlMs === -1) {
    fail(
      `"${key}" has no TTL${sent}: it never expires, so a change made by anything that does not invalidate ` +
        'the key (a migration, an admin tool, another service) is never seen, and Redis fills with products ' +
        'nobody reads. Set it with an expiry: SET key value EX 300 (or SETEX key 300 value).',
    );
  }
  if (entry.ttlMs > TTL_MS) {
    if (entry.ttlMs >= TTL_MS * 100) {
      fail(
        `"${key}" expires in ${duration(entry.ttlMs)}${sent}: the TTL looks like milliseconds. SETEX, EXPIRE ` +
          'and SET ... EX take seconds, so 300 means five minutes; PX and PSETEX are the millisecond forms.',
      );
    }
    fail(
      `"${key}" expires in ${duration(entry.ttlMs)}${sent}, but products may be cached for at most 300 s.`,
    );
  }
  if (entry.ttlMs <= 300) {
    fail(
      `"${key}" expires in ${entry.ttlMs} ms${sent}: 300 looks like seconds given to a millisecond form ` +
        '(PX, PSETEX, PEXPIRE). Use SET key value EX 300, or PX 300000.',
    );
  }
  if (entry.ttlMs < MIN_TTL_MS) {
    fail(
      `"${key}" expires in ${duration(entry.ttlMs)}${sent}: shorter than the 300 s asked for, so more ` +
        'requests fall through to PostgreSQL than needed.',
    );
  }
}

function otherPrice(random: Random, product: Product): number {
  const price = random.int(199, 49_999);
  return price === product.priceCents ? price + 1 : price;
}

// ---------------------------------------------------------------------------------------------------------

/** The random sequences of each task: what can happen in them (see scenarios.ts). */
async function scenarios(label: string, kinds: Kinds): Promise<void> {
  const { h, clock } = await start(label);
  await playScenarios(label, kinds, {
    harness: h,
    clock,
    newService: () => createProductService(h.deps),
    finish: (calls) => finish(clock, calls),
  });
}

describe('task 1: Read through the cache', () => {
  it('a miss reads PostgreSQL once and stores product:{id} for 300 seconds', async () => {
    const { h, service, random } = await start('task 1 miss');
    const product = random.pick(h.catalogue);
    const what = `getProduct(${product.id}) on an empty cache`;
    const got = await attempt(h, what, () => service.getProduct(product.id));
    checkProduct(got, product, what);
    expect(h.db.reads(), `${what} should read PostgreSQL exactly once`).toBe(1);
    await expectCachedFor300Seconds(h, product.id, what);
  });

  it('a hit is served from Redis, with the same types, without touching PostgreSQL', async () => {
    const { h, service } = await start('task 1 hit');
    // Every product of the catalogue, twice: a miss, then a hit that must return the very same product.
    for (const product of h.catalogue) {
      await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));
      const before = h.db.statements.length;
      const what = `the second getProduct(${product.id}) (a cache hit)`;
      const again = await attempt(h, what, () => service.getProduct(product.id));
      const sent = h.db.statements.slice(before);
      if (sent.length > 0) {
        fail(
          `${what} sent ${sent.length} statement(s) to PostgreSQL ("${sent[0]?.text}") although the product ` +
            'had just been cached: a hit must not touch the database, or the cache takes no load off it.',
        );
      }
      checkProduct(again, product, what);
    }
  });

  it('after 300 s the entry expires and the next read sees the current row', async () => {
    const { h, service, clock, random } = await start('task 1 expiry');
    const product = random.pick(h.catalogue);
    await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));
    const newPrice = otherPrice(random, product);
    await h.db.setPrice(product.id, newPrice); // another service changes the row and does not touch the cache
    clock.advance(TTL_MS + 1);
    const what = `getProduct(${product.id}) 300 s after it was cached`;
    const got = await attempt(h, what, () => service.getProduct(product.id));
    if (got?.priceCents === product.priceCents) {
      const { ttlMs } = await h.redis.peek(`product:${product.id}`);
      fail(
        `${what} still served the cached price ${product.priceCents} instead of ${newPrice} (changed in ` +
          'PostgreSQL by another service): readers would see stale data ' +
          `${ttlMs === -1 ? 'forever, because the entry has no TTL' : `for another ${duration(ttlMs)}`}.`,
      );
    }
    const current = await h.db.product(product.id);
    checkProduct(got, current as Product, what);
  });

  it('a hit does not extend the life of the entry: a popular product is still refreshed every 300 s', async () => {
    const { h, service, clock, random } = await start('task 1 popular');
    const product = random.pick(h.catalogue);
    await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));
    const newPrice = otherPrice(random, product);
    await h.db.setPrice(product.id, newPrice); // another service changes the row and does not touch the cache
    // The product is popular: it is read every 50 s.
    for (let elapsed = 50_000; elapsed < TTL_MS; elapsed += 50_000) {
      clock.advance(50_000);
      await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));
    }
    clock.advance(TTL_MS - 250_000 + 1);
    const what = `getProduct(${product.id}), 300 s after it was first cached and read every 50 s since`;
    const got = await attempt(h, what, () => service.getProduct(product.id));
    if (got?.priceCents === product.priceCents) {
      const refresh = h.redis.commands.find(
        (c) =>
          /^(EXPIRE|PEXPIRE|GETEX|EXPIREAT|PEXPIREAT)$/.test(c.name) && c.args[0] === `product:${product.id}`,
      );
      fail(
        `${what} still served the price ${product.priceCents}, although another service changed it to ` +
          `${newPrice} 300 s ago: every hit gave the entry a new lease of life` +
          `${refresh ? ` (your code sent ${commandText(refresh)} on a hit)` : ''}, so a product that is read ` +
          'more often than every 300 s is never refreshed, and the TTL no longer bounds how stale it can be. ' +
          'Set the TTL when you store the product, and leave it alone on a hit.',
      );
    }
    checkProduct(got, (await h.db.product(product.id)) as Product, what);
  });

  it('random reads over time never return data older than the TTL allows', async () => {
    await scenarios('task 1 scenarios', { externalWrites: true, hits: true });
  });
});

describe("task 2: Don't cache what isn't there", () => {
  it('a missing product is null, and no "null" is cached for long', async () => {
    const { h, service, random } = await start('task 2 null');
    const id = h.missingId;
    const what = `getProduct(${id})`;
    const got = await attempt(h, what, () => service.getProduct(id));
    if (got !== null)
      fail(`${what} returned ${show(got)}, but there is no product ${id}: the contract says null.`);
    const key = `product:${id}`;
    const entry = await h.redis.peek(key);
    const cachedFor = entry.ttlMs === -1 ? 'with no TTL' : `for ${duration(entry.ttlMs)}`;
    if (entry.value === '' && (entry.ttlMs === -1 || entry.ttlMs > MAX_MISS_TTL_MS)) {
      fail(
        `${what} cached the miss as an empty string ${cachedFor}: JSON.stringify(undefined) returns ` +
          'undefined, which the Redis client sends as "". That key now holds garbage that JSON.parse cannot ' +
          'read. Cache only products you found, or cache an explicit "missing" marker for at most 60 s.',
      );
    }
    if (entry.value !== null && (entry.ttlMs === -1 || entry.ttlMs > MAX_MISS_TTL_MS)) {
      fail(
        `${what} cached the miss: Redis now holds ${key} = ${show(entry.value)} ${cachedFor}. When ` +
          `product ${id} is created, every reader keeps getting "not found" until that expires. (The ` +
          "article's snippet caches whatever the query returned, found or not.) Cache only products you " +
          'found, or cache an explicit "missing" marker for at most 60 s.',
      );
    }
    const again = await attempt(h, `a second ${what}`, () => service.getProduct(id));
    if (again !== null) fail(`a second ${what} returned ${show(again)}; there is still no product ${id}.`);

    const existing = random.pick(h.catalogue);
    await attempt(h, `getProduct(${existing.id})`, () => service.getProduct(existing.id));
    const before = h.db.statements.length;
    await attempt(h, `getProduct(${existing.id})`, () => service.getProduct(existing.id));
    if (h.db.statements.length > before) {
      fail(
        `Task 2 builds on task 1: misses are handled, but the second getProduct(${existing.id}) of an ` +
          'existing product still went to PostgreSQL. Found products must still be cached.',
      );
    }
  });

  it('a product created after a miss is found within 60 s', async () => {
    const { h, service, clock, random } = await start('task 2 created');
    const id = h.missingId;
    const first = await attempt(h, `getProduct(${id})`, () => service.getProduct(id));
    if (first !== null) fail(`getProduct(${id}) returned ${show(first)}, but there is no product ${id} yet.`);
    const created: Product = {
      id,
      name: 'Pour-Over Kettle',
      priceCents: random.int(999, 9_999),
      inStock: true,
      updatedAt: new Date(clock.now()),
    };
    await h.db.insertProduct(created);
    clock.advance(MAX_MISS_TTL_MS + 1);
    const what = `getProduct(${id}) 60 s after product ${id} was created`;
    const got = await attempt(h, what, () => service.getProduct(id));
    if (got === null) {
      fail(
        `${what} still returned null: the earlier miss was cached for too long, so a new product stays ` +
          'invisible. Do not cache misses, or keep the marker for at most 60 s.',
      );
    }
    checkProduct(got, created, what);
  });

  it('a database that cannot answer is not "not found": the error reaches the caller and is not cached', async () => {
    const { h, service, random } = await start('task 2 database down');
    const product = random.pick(h.catalogue);
    const down = h.db.fail(/./); // the connection to PostgreSQL drops: every statement fails
    const what = `getProduct(${product.id}) while PostgreSQL was unreachable (cold cache)`;
    const result = await outcome(() => service.getProduct(product.id));
    down.stop();
    if ('value' in result) {
      fail(
        `${what} resolved with ${show(result.value)} instead of rejecting. ${
          result.value === null
            ? 'Returning null tells the caller "this product does not exist": the shop answers 404, carts ' +
              'drop the item and crawlers unlist the page, when the truth is "try again in a moment". '
            : ''
        }Let the database error propagate (reject), so the caller can answer 503 or retry.`,
      );
    }
    const entry = await h.redis.peek(`product:${product.id}`);
    if (entry.value !== null) {
      fail(
        `${what} rejected, as it should, but left product:${product.id} = ${show(entry.value)} in Redis` +
          `${lastWrite(h, `product:${product.id}`)}: a failure was remembered as an answer. Store only ` +
          'what PostgreSQL actually returned.',
      );
    }
    const after = `getProduct(${product.id}) once PostgreSQL answered again`;
    const retried = await outcome(() => service.getProduct(product.id));
    if ('error' in retried) {
      fail(
        `${after} rejected again (${retried.error instanceof Error ? retried.error.message : String(retried.error)}): ` +
          'the failure was remembered, so one dropped connection keeps failing this product. Do not keep a ' +
          'failed load (or its error) for later callers.',
      );
    }
    const got = retried.value;
    if (got === null) {
      fail(
        `${after} returned null: the failed read was remembered as "not found". A failure is not an ` +
          'answer: cache only rows PostgreSQL returned.',
      );
    }
    checkProduct(got, product, after);
  });

  it('random reads, products created and deleted, and database failures', async () => {
    await scenarios('task 2 scenarios', { externalWrites: true, createDelete: true, databaseFailures: true });
  });
});

describe('task 3: Never read stale data after an update', () => {
  it('a read right after updateProduct sees the change', async () => {
    const { h, service, clock, random } = await start('task 3 update');
    const product = random.pick(h.catalogue);
    await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));
    clock.advance(5_000);

    const newPrice = otherPrice(random, product);
    const update = `updateProduct(${product.id}, { priceCents: ${newPrice} })`;
    const dbTimeBefore = (await h.db.now()).getTime();
    const updated = await attempt(h, update, () =>
      service.updateProduct(product.id, { priceCents: newPrice }),
    );
    const dbTimeAfter = (await h.db.now()).getTime();
    const row = (await h.db.product(product.id)) as Product;
    if (row.priceCents !== newPrice)
      fail(`${update} did not change price_cents in PostgreSQL (it is ${row.priceCents}).`);
    if (row.name !== product.name)
      fail(`${update} also changed the name to ${show(row.name)}: fields not given must keep their value.`);
    // "Now" is the application's clock (the fake one) or the database's: the same with the simulation,
    // not with a real PostgreSQL, whose now() is its own clock.
    const setTo = row.updatedAt.getTime();
    if (setTo !== clock.now() && (setTo < dbTimeBefore || setTo > dbTimeAfter)) {
      fail(`${update} left updated_at at ${show(row.updatedAt)}; set it to now() in the same UPDATE.`);
    }
    checkProduct(updated, row, `${update}'s return value`);

    const what = `getProduct(${product.id}) right after ${update}`;
    const read = await attempt(h, what, () => service.getProduct(product.id));
    if (read?.priceCents === product.priceCents) {
      fail(
        `${what} served the old price ${product.priceCents} from Redis instead of ${newPrice}: the cache ` +
          'still held the product from before the update, and would keep serving it for up to 300 s. After ' +
          `the UPDATE commits, delete product:${product.id}.`,
      );
    }
    checkProduct(read, row, what);

    const name = `Refurbished ${product.name}`;
    const rename = `updateProduct(${product.id}, { name: ${show(name)} })`;
    const renamedReturn = await attempt(h, rename, () => service.updateProduct(product.id, { name }));
    const renamed = (await h.db.product(product.id)) as Product;
    if (renamed.name !== name) {
      fail(
        `${rename} left the name ${show(renamed.name)} in PostgreSQL: the new name never reached the UPDATE ` +
          '(check how the changes become query parameters: `changes.name ?? null`, not `&&`).',
      );
    }
    if (renamed.priceCents !== newPrice)
      fail(`${rename} also changed the price: fields not given must keep their value.`);
    checkProduct(renamedReturn, renamed, `${rename}'s return value`);
    const after = await attempt(h, `getProduct(${product.id}) after ${rename}`, () =>
      service.getProduct(product.id),
    );
    checkProduct(after, renamed, `getProduct(${product.id}) after ${rename}`);
  });

  it('a price of 0 is a price, and an update of nothing changes only updated_at', async () => {
    const { h, service, clock, random } = await start('task 3 zero');
    const product = random.pick(h.catalogue);
    await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));
    const update = `updateProduct(${product.id}, { priceCents: 0 })`;
    const updated = await attempt(h, update, () => service.updateProduct(product.id, { priceCents: 0 }));
    const row = (await h.db.product(product.id)) as Product;
    if (row.priceCents !== 0) {
      fail(
        `${update} left the price at ${row.priceCents}: a giveaway's price is 0, and 0 is a value, not ` +
          '"not given". `changes.priceCents || null` turns 0 into null; use `?? null` or check for undefined.',
      );
    }
    checkProduct(updated, row, `${update}'s return value`);
    checkProduct(
      await attempt(h, `getProduct(${product.id}) after ${update}`, () => service.getProduct(product.id)),
      row,
      `getProduct(${product.id}) after ${update}`,
    );
    clock.advance(1_000);
    const touch = `updateProduct(${product.id}, {})`;
    const touched = await attempt(h, touch, () => service.updateProduct(product.id, {}));
    const now = (await h.db.product(product.id)) as Product;
    if (now.priceCents !== 0 || now.name !== product.name)
      fail(`${touch} changed the product (${show(now)}): fields not given must keep their value.`);
    checkProduct(touched, now, `${touch}'s return value`);
    checkProduct(
      await attempt(h, `getProduct(${product.id}) after ${touch}`, () => service.getProduct(product.id)),
      now,
      `getProduct(${product.id}) after ${touch}`,
    );
  });

  it('updateProduct of a missing product returns null', async () => {
    const { h, service } = await start('task 3 missing');
    const id = h.missingId;
    const what = `updateProduct(${id}, { priceCents: 100 })`;
    const got = await attempt(h, what, () => service.updateProduct(id, { priceCents: 100 }));
    if (got !== null)
      fail(`${what} returned ${show(got)}, but there is no product ${id}: the contract says null.`);
    const read = await attempt(h, `getProduct(${id})`, () => service.getProduct(id));
    if (read !== null)
      fail(`getProduct(${id}) returned ${show(read)} after updating a product that does not exist.`);
  });

  it('an UPDATE that fails changes nothing: the caller gets the error and the cache keeps no value PostgreSQL never had', async () => {
    const { h, service, random } = await start('task 3 failed update');
    const product = random.pick(h.catalogue);
    const key = `product:${product.id}`;
    await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));
    const newPrice = otherPrice(random, product);
    const update = `updateProduct(${product.id}, { priceCents: ${newPrice} })`;
    // The UPDATE reaches PostgreSQL, which gives up on it (a lock timeout), so nothing is committed.
    const failing = h.db.fail(UPDATE_STATEMENT, () =>
      Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }),
    );
    const result = await outcome(() => service.updateProduct(product.id, { priceCents: newPrice }));
    failing.stop();
    const entry = await h.redis.peek(key);
    if (entry.value?.includes(String(newPrice))) {
      fail(
        `${update} failed in PostgreSQL (canceling statement due to lock timeout), yet Redis holds the new ` +
          `price under ${key}${lastWrite(h, key)}: the cache was written before the UPDATE committed, so ` +
          `readers get a price that was never committed, for up to 300 s. Write PostgreSQL first; only once ` +
          'it has committed, delete the cached entry.',
      );
    }
    if ('value' in result) {
      fail(
        `${update} resolved with ${show(result.value)} although PostgreSQL refused the UPDATE (lock timeout): ` +
          'the caller believes the price changed. Let the error propagate.',
      );
    }
    const what = `getProduct(${product.id}) after the failed ${update}`;
    checkProduct(await attempt(h, what, () => service.getProduct(product.id)), product, what);
  });

  it('a read racing the UPDATE cannot put the old row back into the cache', async () => {
    const { h, service, random } = await start('task 3 race');
    const product = random.pick(h.catalogue);
    const key = `product:${product.id}`;
    await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));

    // The UPDATE is slow (a lock, a busy disk): it is held open while another request reads the product.
    const write = h.db.hold(UPDATE_STATEMENT);
    const newPrice = otherPrice(random, product);
    const update = `updateProduct(${product.id}, { priceCents: ${newPrice} })`;
    const updating = started(() => service.updateProduct(product.id, { priceCents: newPrice }));
    await settle();
    if (write.waiting === 0) {
      write.release();
      await attempt(h, update, () => updating);
      fail(
        `${update} sent no UPDATE statement, so the grader could not hold the write open to race a read ` +
          `against it (statements sent: ${h.db.statements.map((s) => s.text.split('\n')[0]).join(' | ')}).`,
      );
    }
    const entry = await h.redis.peek(key);
    const deletedBeforeWrite = entry.value === null;
    if (entry.value?.includes(String(newPrice))) {
      write.release();
      await outcome(() => updating);
      fail(
        `While the UPDATE of ${update} was still running, Redis already held the new price under ${key}` +
          `${lastWrite(h, key)}: readers were served a change PostgreSQL had not committed (and if the ` +
          'UPDATE fails or rolls back, a price that never existed, for 300 s). Write PostgreSQL first, then ' +
          'delete the cached entry.',
      );
    }
    const racing = started(() => service.getProduct(product.id));
    await settle();
    write.release();
    await attempt(h, update, () => updating);
    const during = await attempt(h, `the getProduct(${product.id}) that ran during the UPDATE`, () => racing);
    if (during !== null && during.priceCents === newPrice) {
      fail(
        `getProduct(${product.id}), sent while the UPDATE was still running, returned the new price ${newPrice}, ` +
          'which PostgreSQL had not committed yet: the service served a write before it was durable.',
      );
    }

    const what = `getProduct(${product.id}) after ${update} finished`;
    const after = await attempt(h, what, () => service.getProduct(product.id));
    if (after?.priceCents === product.priceCents) {
      fail(
        deletedBeforeWrite
          ? `${what} returned the old price ${product.priceCents}. updateProduct deleted ${key} before its UPDATE ` +
              `committed: while the UPDATE was still running, a concurrent getProduct(${product.id}) missed, read ` +
              'the old row and cached it again for 300 s, so once the update finished every reader got the old ' +
              'price. Delete the key after the write commits, never before.'
          : `${what} returned the old price ${product.priceCents}: a read that ran while the UPDATE was in ` +
              'flight left the old product in the cache. Invalidate after the write commits.',
      );
    }
    checkProduct(after, (await h.db.product(product.id)) as Product, what);
  });

  it('two updates whose cache commands arrive in the opposite order leave no stale product', async () => {
    const { h, service, clock, random } = await start('task 3 reorder');
    const product = random.pick(h.catalogue);
    const key = `product:${product.id}`;
    await attempt(h, `getProduct(${product.id})`, () => service.getProduct(product.id));
    const firstPrice = otherPrice(random, product);
    let secondPrice = otherPrice(random, product);
    if (secondPrice === firstPrice) secondPrice = firstPrice + 1;
    const first = `updateProduct(${product.id}, { priceCents: ${firstPrice} })`;
    const second = `updateProduct(${product.id}, { priceCents: ${secondPrice} })`;

    // The first update commits, but its next command to Redis about this key is slow on the network.
    const slow = h.redis.holdNext(
      (c) => c.args[0] === key && !/^(GET|TTL|PTTL|EXISTS|TYPE|HGETALL|HGET|MGET)$/.test(c.name),
    );
    const updating = started(() => service.updateProduct(product.id, { priceCents: firstPrice }));
    await settle();
    // A second later a second update commits and reaches Redis first. (A second apart, so that a
    // version check on updatedAt, the safe way to overwrite, can tell the two apart.)
    clock.advance(1_000);
    const overtaking = started(() => service.updateProduct(product.id, { priceCents: secondPrice }));
    let overtook = false;
    overtaking.then(
      () => {
        overtook = true;
      },
      () => undefined,
    );
    await settle();
    slow.release();
    await attempt(h, first, () => updating);
    await attempt(h, second, () => overtaking);
    const row = (await h.db.product(product.id)) as Product;
    const what = `getProduct(${product.id}), once both updates had returned,`;
    const got = await attempt(h, what, () => service.getProduct(product.id));
    if (got !== null && got.priceCents !== row.priceCents) {
      fail(
        `${what} returned the price ${got.priceCents}, but PostgreSQL holds ${row.priceCents}. ${first} ` +
          `committed first and ${second} second, but the first one's cache write reached Redis last` +
          `${overtook ? '' : ' (the grader delayed it on the network)'}${lastWrite(h, key)}, so Redis kept ` +
          'the older product for up to 300 s. Writing the new value into the cache on every update has this ' +
          'race; a DEL cannot be applied in the wrong order. Delete the key after the commit (or, if you ' +
          'overwrite, refuse to replace a newer updatedAt with an older one, checking and writing in one atomic ' +
          'step: a Lua script or WATCH/MULTI, or the other write slips in between).',
      );
    }
    checkProduct(got, row, what);
  });

  it('random reads, updates and expiries never serve a product older than the last committed update', async () => {
    await scenarios('task 3 scenarios', { externalWrites: true, updates: true, databaseFailures: true });
  });
});

describe('task 4: Survive a Redis outage', () => {
  it('with Redis down, getProduct and updateProduct still answer from PostgreSQL', async () => {
    const { h, service, clock, random } = await start('task 4 down');
    const product = random.pick(h.catalogue);
    h.redis.goDown();
    const startedAt = clock.now();

    const read = `getProduct(${product.id}) while Redis was down`;
    checkProduct(await attempt(h, read, () => service.getProduct(product.id)), product, read);
    const missing = `getProduct(${h.missingId}) while Redis was down`;
    const none = await attempt(h, missing, () => service.getProduct(h.missingId));
    if (none !== null) fail(`${missing} returned ${show(none)}; there is no product ${h.missingId}.`);

    const newPrice = otherPrice(random, product);
    const update = `updateProduct(${product.id}, { priceCents: ${newPrice} }) while Redis was down`;
    const updated = await attempt(h, update, () =>
      service.updateProduct(product.id, { priceCents: newPrice }),
    );
    const row = (await h.db.product(product.id)) as Product;
    checkProduct(updated, row, update);
    const reread = `getProduct(${product.id}) after that update, Redis still down`;
    checkProduct(await attempt(h, reread, () => service.getProduct(product.id)), row, reread);
    const waited = clock.now() - startedAt;
    if (waited > 1_000) {
      fail(
        `The four calls made while Redis was down took ${(waited / 1000).toFixed(1)} s of simulated time: your ` +
          'code waited (a retry delay, a sleep) before falling back to PostgreSQL, and every request pays that ' +
          'for as long as the outage lasts. Redis refused at once; fail fast and go to the database.',
      );
    }
    if (h.cacheErrors.length === 0) {
      fail(
        'Every Redis command failed during the outage and the service carried on, as it should, but it ' +
          'reported none of the failures: deps.onCacheError was never called. An outage nobody hears about ' +
          'shows up only as a mysteriously slow database. Report each failed Redis command there.',
      );
    }
  });

  it('once Redis is back, caching resumes', async () => {
    const { h, service, clock, random } = await start('task 4 recovery');
    const product = random.pick(h.catalogue);
    h.redis.goDown();
    await attempt(h, `getProduct(${product.id}) while Redis was down`, () => service.getProduct(product.id));
    h.redis.comeBack();
    clock.advance(30_000);
    const reportedDuringOutage = h.cacheErrors.length;

    const what = `getProduct(${product.id})`;
    await attempt(h, `${what} after Redis came back`, () => service.getProduct(product.id));
    await attempt(h, `${what} after Redis came back`, () => service.getProduct(product.id));
    const before = h.db.statements.length;
    const last = await attempt(h, `${what} after Redis came back`, () => service.getProduct(product.id));
    if (h.db.statements.length > before) {
      fail(
        `Redis has been back for 30 s, yet ${what} still goes to PostgreSQL on every call: caching never ` +
          'resumed after the outage, so the database carries the full read load until the app restarts. ' +
          'Handle each Redis failure on its own (or, with a circuit breaker, try Redis again after a short ' +
          'cool-down).',
      );
    }
    checkProduct(last, product, `${what} after Redis came back`);
    const falseAlarms = h.cacheErrors.slice(reportedDuringOutage);
    if (falseAlarms.length > 0) {
      const first = falseAlarms[0];
      fail(
        `With Redis healthy again, a miss and two hits of ${what} called onCacheError ${falseAlarms.length} ` +
          `time(s) (first: ${show(first instanceof Error ? first.message : first)}). A miss (GET answering nil) ` +
          'is not a failure: report only commands that failed, or the alerts cry wolf and the real outage ' +
          'goes unnoticed.',
      );
    }
  });

  it('a full Redis that refuses writes (OOM) does not fail reads or updates', async () => {
    const { h, service, random } = await start('task 4 full');
    const product = random.pick(h.catalogue);
    h.redis.refuseWrites(true);
    const read = `getProduct(${product.id}) while Redis refused writes (OOM, maxmemory reached)`;
    checkProduct(await attempt(h, read, () => service.getProduct(product.id)), product, read);
    const newPrice = otherPrice(random, product);
    const update = `updateProduct(${product.id}, { priceCents: ${newPrice} }) while Redis refused writes`;
    const updated = await attempt(h, update, () =>
      service.updateProduct(product.id, { priceCents: newPrice }),
    );
    const row = (await h.db.product(product.id)) as Product;
    checkProduct(updated, row, update);
    const reread = `getProduct(${product.id}) after that update`;
    checkProduct(await attempt(h, reread, () => service.getProduct(product.id)), row, reread);
    h.redis.refuseWrites(false);
    const again = `getProduct(${product.id}) once Redis accepted writes again`;
    await attempt(h, again, () => service.getProduct(product.id));
    const before = h.db.statements.length;
    checkProduct(await attempt(h, again, () => service.getProduct(product.id)), row, again);
    if (h.db.statements.length > before) {
      fail(
        `Redis accepts writes again, yet the second ${again} still went to PostgreSQL: caching never ` +
          'resumed after Redis refused writes. Handle each failed command on its own.',
      );
    }
  });

  it('random reads, updates and Redis outages: slower, never wrong', async () => {
    await scenarios('task 4 scenarios', {
      externalWrites: true,
      updates: true,
      createDelete: true,
      redisOutages: true,
    });
  });
});

describe('task 5: One database read per stampede', () => {
  it('N concurrent misses on one product cause one database read', async () => {
    const { h, service, clock, random } = await start('task 5 stampede');
    const product = random.pick(h.catalogue);
    const n = random.int(8, 32);
    const what = `${n} concurrent getProduct(${product.id}) on a cold cache`;

    const slowSelect = h.db.hold(/^\s*(\(\s*)?(select|with)\b/i); // the first read is slow, so the others pile up
    const calls = Array.from({ length: n }, () => started(() => service.getProduct(product.id)));
    await settle();
    const concurrentReads = h.db.reads();
    slowSelect.release();
    await finish(clock, calls);
    const results = await attempt(h, what, () => Promise.all(calls));
    if (concurrentReads !== 1) {
      fail(
        `${what} sent ${concurrentReads} SELECTs to PostgreSQL at the same time: a cache stampede. When a hot ` +
          'key expires, every request in flight misses together and the database takes the full load at ' +
          'once. Share one load per key: the first miss starts it, later misses await the same promise.',
      );
    }
    results.forEach((result, i) => {
      checkProduct(result, product, `call ${i + 1} of ${what}`);
    });
    expect(h.db.reads(), `${what}: database reads in total`).toBe(1);
  });

  it('the shared load ends when it finishes: a later miss reads fresh data', async () => {
    const { h, service, clock, random } = await start('task 5 fresh');
    const product = random.pick(h.catalogue);
    const n = random.int(4, 16);
    const first = Array.from({ length: n }, () => started(() => service.getProduct(product.id)));
    await finish(clock, first);
    await attempt(h, `${n} concurrent getProduct(${product.id})`, () => Promise.all(first));

    const newPrice = otherPrice(random, product);
    await h.db.setPrice(product.id, newPrice);
    clock.advance(TTL_MS + 1);
    const readsBefore = h.db.reads();
    const slowSelect = h.db.hold(/^\s*(\(\s*)?(select|with)\b/i);
    const what = `${n} concurrent getProduct(${product.id}) after the cached entry expired`;
    const second = Array.from({ length: n }, () => started(() => service.getProduct(product.id)));
    await settle();
    const concurrentReads = h.db.reads() - readsBefore;
    slowSelect.release();
    await finish(clock, second);
    const results = await attempt(h, what, () => Promise.all(second));
    if (concurrentReads === 0 && results[0]?.priceCents === product.priceCents) {
      const { value, ttlMs } = await h.redis.peek(`product:${product.id}`);
      if (value !== null) {
        fail(
          `${what} returned the old price ${product.priceCents} (PostgreSQL has ${newPrice}): the entry did ` +
            `not expire after 300 s (it still has ${ttlMs === -1 ? 'no TTL' : duration(ttlMs)} to live). Task 1 first.`,
        );
      }
      fail(
        `${what} sent no SELECT and returned the old price ${product.priceCents} (PostgreSQL has ${newPrice}): ` +
          'the shared in-flight load was never removed after it finished, so it became a second cache with ' +
          'no TTL and no invalidation. Remove the entry as soon as the load settles (in a finally).',
      );
    }
    if (concurrentReads !== 1) {
      fail(
        `${what} sent ${concurrentReads} SELECTs to PostgreSQL at the same time; one is enough (a stampede).`,
      );
    }
    const current = (await h.db.product(product.id)) as Product;
    results.forEach((result, i) => {
      checkProduct(result, current, `call ${i + 1} of ${what}`);
    });
  });

  it('concurrent lookups of a missing product share one read too', async () => {
    const { h, service, clock, random } = await start('task 5 missing');
    const n = random.int(8, 32);
    const what = `${n} concurrent getProduct(${h.missingId}) for a product that does not exist`;
    const slowSelect = h.db.hold(/^\s*(\(\s*)?(select|with)\b/i);
    const calls = Array.from({ length: n }, () => started(() => service.getProduct(h.missingId)));
    await settle();
    const concurrentReads = h.db.reads();
    slowSelect.release();
    await finish(clock, calls);
    const results = await attempt(h, what, () => Promise.all(calls));
    if (concurrentReads !== 1) {
      fail(
        `${what} sent ${concurrentReads} SELECTs at the same time: a stampede. Share the in-flight load for ` +
          'misses as well (a "not found" answer is shared just like a product).',
      );
    }
    const wrong = results.findIndex((result) => result !== null);
    if (wrong !== -1) fail(`call ${wrong + 1} of ${what} returned ${show(results[wrong])} instead of null.`);
  });

  it('concurrent misses on different products each get their own product', async () => {
    const { h, service, clock, random } = await start('task 5 several');
    const ids = random.shuffle(h.catalogue.map((p) => p.id)).slice(0, 3);
    ids.push(h.missingId);
    const order = random.shuffle([...ids, ...ids, ...ids]);
    const what = `${order.length} concurrent reads of ${ids.map((id) => `getProduct(${id})`).join(', ')} (3 each, interleaved) on a cold cache`;
    const slowSelect = h.db.hold(/^\s*(\(\s*)?(select|with)\b/i);
    const calls = order.map((id) => started(() => service.getProduct(id)));
    await settle();
    slowSelect.release();
    await finish(clock, calls);
    const results = await attempt(h, what, () => Promise.all(calls));
    for (const [i, id] of order.entries()) {
      const expected = h.catalogue.find((p) => p.id === id);
      const call = `call ${i + 1} of ${what}, getProduct(${id}),`;
      if (!expected) {
        if (results[i] !== null) {
          fail(
            `${call} returned ${show(results[i])}, but there is no product ${id}: concurrent loads of ` +
              'different products were mixed up. Key the shared load by product id.',
          );
        }
        continue;
      }
      if (results[i] !== null && (results[i] as Product).id !== id) {
        fail(
          `${call} returned product ${(results[i] as Product).id} ("${(results[i] as Product).name}"): ` +
            'concurrent loads of different products were shared as if they were one. Key the shared load by ' +
            'product id.',
        );
      }
      checkProduct(results[i], expected, call);
    }
    const reads = h.db.reads();
    if (reads > ids.length) {
      fail(
        `${what} sent ${reads} SELECTs; one per product (${ids.length}) is enough: misses on one product ` +
          'should share its load.',
      );
    }
  });

  it('a failed load is not shared with later callers: the next miss tries PostgreSQL again', async () => {
    const { h, service, clock, random } = await start('task 5 failed load');
    const product = random.pick(h.catalogue);
    const n = random.int(4, 12);
    const slowSelect = h.db.hold(/^\s*(\(\s*)?(select|with)\b/i);
    const broken = h.db.fail(/^\s*(\(\s*)?(select|with)\b/i);
    const calls = Array.from({ length: n }, () => started(() => service.getProduct(product.id)));
    await settle();
    slowSelect.release();
    await finish(clock, calls);
    broken.stop();
    const outcomes = await Promise.all(calls.map((call) => outcome(() => call)));
    const resolved = outcomes.findIndex((o) => 'value' in o);
    if (resolved !== -1) {
      fail(
        `call ${resolved + 1} of ${n} concurrent getProduct(${product.id}) resolved with ` +
          `${show((outcomes[resolved] as { value: unknown }).value)} although the SELECT they shared failed ` +
          '(connection terminated): the error must reach every caller that waited for that load.',
      );
    }
    clock.advance(1_000);
    const what = `getProduct(${product.id}) a second after the shared load failed (PostgreSQL is fine again)`;
    const readsBefore = h.db.reads();
    const again = await outcome(() => service.getProduct(product.id));
    if ('error' in again || h.db.reads() === readsBefore) {
      fail(
        `${what} ${'error' in again ? `rejected again (${again.error instanceof Error ? again.error.message : String(again.error)})` : 'did not reach PostgreSQL'}: the failed load was kept and handed to the next caller, ` +
          'so one dropped connection keeps failing this product. Remove the shared load when it settles, ' +
          'whether it succeeded or failed (a finally, not a then).',
      );
    }
    checkProduct(again.value, product, what);
  });

  it('random bursts of concurrent reads, changes and expiries', async () => {
    await scenarios('task 5 scenarios', { externalWrites: true, bursts: true });
  });
});
