import { createProductApi, MIGRATIONS } from '@exercise/single-server/product-api';
import { afterEach, describe, it } from 'vitest';
import { isReal } from '../support/backends';
import { type FakeClock, installFakeClock } from '../support/clock';
import {
  httpRequest,
  type ReadResponse,
  type RequestSpec,
  readResponse,
  requestLine,
  responseLine,
} from '../support/http';
import { graderRandom, type Random } from '../support/seed';
import { finishInSimulatedTime, settle } from '../support/settle';
import { inlinedValue } from '../support/statement-log';
import { withinMs } from '../support/within';
import {
  CUSTOMERS,
  createHarness,
  type Harness,
  POOL_CONNECTION_TIMEOUT_MS,
  POOL_MAX,
  type Product,
  type ProductApi,
  type Statement,
} from './harness';
import { playConcurrentBatches, playRequests, type ScenarioWorld } from './scenarios';

// ---------------------------------------------------------------------------------------------------------
// Setup: a fresh database, pool and fake clock for every test.

let clock: FakeClock | undefined;
let harness: Harness | undefined;

afterEach(() => {
  harness?.db.releaseAll();
  harness = undefined;
  clock?.restore();
  clock = undefined;
});

interface World {
  h: Harness;
  api: ProductApi;
  clock: FakeClock;
  random: Random;
}

async function start(label: string): Promise<World> {
  clock = installFakeClock();
  harness = await createHarness(graderRandom(`${label}:catalogue`));
  const h = harness;
  let api: ProductApi;
  try {
    api = createProductApi(h.deps);
  } catch (error) {
    fail(`createProductApi(deps) threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { h, api, clock, random: graderRandom(`${label}:inputs`) };
}

// ---------------------------------------------------------------------------------------------------------
// Sending requests and turning what came back into explanations.

function fail(message: string): never {
  throw new Error(message);
}

/** Most of a simulated request is done in a few turns; a wait for a connection is done on the clock. */
const MAX_SIMULATED_WAIT_MS = 5_000;

/**
 * Waits for requests started together. When they are quiet and still waiting (on the pool's queue, on a
 * timer), the clock moves on in small steps, so a pool timeout fires in simulated time.
 */
const finish = (calls: Promise<unknown>[]) =>
  finishInSimulatedTime(calls, { clock, stepMs: 50, withinMs: MAX_SIMULATED_WAIT_MS });

/** The statement a parse error came from, if the last request sent one PostgreSQL could not parse. */
function unparsed(h: Harness, since: number): Statement | undefined {
  return h.db.statements
    .slice(since)
    .find((s) => /failed to parse|syntax error|invalid syntax/i.test(s.error ?? ''));
}

/** What a request that failed on SQL PostgreSQL cannot parse means, in production words. */
function parseFailure(statement: Statement, what: string): string {
  if (statement.text.includes('?')) {
    return (
      `${what} failed: PostgreSQL could not parse "${oneLine(statement.text)}". "?" is MySQL's placeholder ` +
      "(the article's snippet uses it); PostgreSQL numbers them, $1, $2, ..., and node-postgres sends the values " +
      'separately from the text, which is also what makes the query safe from SQL injection.'
    );
  }
  return (
    `${what} failed: PostgreSQL could not parse "${oneLine(statement.text)}". If that text contains a value ` +
    "from the request, the request's own characters (a quote, a semicolon) became part of your SQL: that is " +
    'how SQL injection starts. Send values with $1, $2 and a values array.'
  );
}

const oneLine = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 140 ? `${line.slice(0, 137)}...` : line;
};

/** Starts a request without waiting for it. */
function started(api: ProductApi, spec: RequestSpec): Promise<Response> {
  const call = new Promise<Response>((resolve) => resolve(api.fetch(httpRequest(spec))));
  call.catch(() => undefined);
  return call;
}

/** The answer to a request, or a message that says why there was none. */
async function answer(
  h: Harness,
  spec: RequestSpec,
  call: Promise<Response>,
  since: number,
): Promise<ReadResponse> {
  const what = requestLine(spec);
  let response: Response;
  try {
    response = await call;
  } catch (error) {
    const bad = unparsed(h, since);
    if (bad) fail(parseFailure(bad, what));
    const message = error instanceof Error ? error.message : String(error);
    fail(
      `${what}: your fetch() rejected with "${message}" instead of answering. A server must answer every ` +
        "request: a handler that throws leaves the client with a dropped connection, or with a framework's " +
        'default error page that may print the error. Catch it, log it (deps.onError) and answer a 500 JSON error.',
    );
  }
  if (!(response instanceof Response))
    fail(`${what}: your fetch() resolved with ${String(response)}, not a Response.`);
  const read = await readResponse(response);
  const bad = read.status >= 500 ? unparsed(h, since) : undefined;
  if (bad) fail(parseFailure(bad, `${what} answered ${read.status}: it`));
  return read;
}

/** Against a real PostgreSQL the pool's timeout is a real timer: give it real time to fire. */
async function settledInRealTime(call: Promise<unknown>): Promise<boolean> {
  if (!isReal('database')) return false;
  let settled = false;
  const done = () => {
    settled = true;
  };
  await withinMs(POOL_CONNECTION_TIMEOUT_MS * 3, call.then(done, done));
  return settled;
}

/** Sends one request and waits for its answer, in simulated time. */
async function send(w: World, spec: RequestSpec): Promise<ReadResponse> {
  const since = w.h.db.statements.length;
  const call = started(w.api, spec);
  if (!(await finish([call])) && !(await settledInRealTime(call))) {
    fail(
      `${requestLine(spec)} had still not been answered after ${MAX_SIMULATED_WAIT_MS / 1000} s of simulated ` +
        'time, with nothing left for it to wait on: a promise that never settles?',
    );
  }
  return answer(w.h, spec, call, since);
}

/** A fresh world for one random scenario (the clock stays the test's own). */
async function scenarioWorld(label: string): Promise<ScenarioWorld> {
  clock ??= installFakeClock();
  const h = await createHarness(graderRandom(`${label}:catalogue`));
  const w: World = { h, api: createProductApi(h.deps), clock, random: graderRandom(label) };
  return {
    h,
    send: (spec) => send(w, spec),
    sendAll: async (specs) => {
      const since = h.db.statements.length;
      const calls = specs.map((spec) => started(w.api, spec));
      await finish(calls);
      return Promise.all(calls.map((call, i) => answer(h, specs[i] as RequestSpec, call, since)));
    },
  };
}

/** The products a search for this category should return, in id order. */
const inCategory = (products: Product[], category: string) =>
  products.filter((p) => p.category === category).sort((a, b) => a.id - b.id);

const FIELDS = ['id', 'name', 'category', 'price_cents', 'stock'] as const;

/** Whether a JSON value is this product: the five columns with the same values. */
function sameProduct(value: unknown, product: Product): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const got = value as Record<string, unknown>;
  return FIELDS.every((field) => got[field] === product[field]);
}

/** The first field where a JSON value differs from the product, named for the learner. */
function productDifference(value: unknown, product: Product): string {
  const got = value as Record<string, unknown>;
  if ('priceCents' in got || 'inStock' in got) {
    return 'it uses camelCase names; this API answers with the columns as they are (price_cents, stock)';
  }
  const field = FIELDS.find((f) => got[f] !== product[f]);
  return field === undefined
    ? ''
    : `${field} is ${JSON.stringify(got[field])}, PostgreSQL has ${JSON.stringify(product[field])}`;
}

/** A 200 with this product as a JSON object (task 1 also takes it wrapped in the rows array). */
function expectProduct(
  read: ReadResponse,
  product: Product,
  what: string,
  options: { rowsArray?: boolean } = {},
) {
  if (read.status !== 200)
    fail(`${what} answered ${responseLine(read)}, but product ${product.id} exists: expected 200 with it.`);
  if (!read.isJson) fail(`${what} answered ${responseLine(read)}: the body is not JSON.`);
  const body = read.json;
  if (Array.isArray(body)) {
    if (options.rowsArray && body.length === 1 && sameProduct(body[0], product)) return;
    fail(
      `${what} answered the rows array ${oneLine(read.text)} instead of the product itself. A query result's ` +
        "rows is a list even when the WHERE matches one row; the article's handler sends res.json(rows), so every " +
        'client has to unwrap [0], and a missing product comes back as [] with a 200. Answer rows[0] (and a 404 ' +
        'when there is none).',
    );
  }
  if (!sameProduct(body, product)) {
    fail(
      `${what} answered ${oneLine(read.text)}, not product ${product.id}: ${productDifference(body, product)}.`,
    );
  }
}

/** A JSON object with a string `error`: the one error shape every client of this API can rely on. */
function expectError(read: ReadResponse, status: number | number[], what: string, why: string) {
  const allowed = Array.isArray(status) ? status : [status];
  if (!allowed.includes(read.status)) {
    fail(`${what} answered ${responseLine(read)}; expected ${allowed.join(' or ')}: ${why}`);
  }
  const body = read.json as { error?: unknown } | undefined;
  if (
    !read.isJson ||
    body === null ||
    typeof body !== 'object' ||
    typeof body.error !== 'string' ||
    body.error.trim() === ''
  ) {
    fail(
      `${what} answered ${responseLine(read)}: the status is right, but an error must be a JSON object whose ` +
        '"error" says what went wrong ({"error": "product 9 does not exist"}), so a client can show it.',
    );
  }
  if (read.mediaType !== 'application/json') {
    fail(
      `${what} answered with Content-Type ${read.mediaType || '(none)'}: JSON must be sent as ` +
        'application/json, or clients and proxies treat it as text. Response.json(body, { status }) sets it.',
    );
  }
}

/** A 405 must say which methods the route has (RFC 9110: the Allow header is required on a 405). */
function expectAllow(read: ReadResponse, methods: string[], what: string) {
  if (read.status !== 405) return;
  const allow = (read.headers.get('allow') ?? '').split(',').map((m) => m.trim().toUpperCase());
  const missing = methods.filter((m) => !allow.includes(m));
  if (missing.length > 0) {
    fail(
      `${what} answered 405 with Allow: ${read.headers.get('allow') ?? '(none)'}. A 405 must list the methods the ` +
        `route has (RFC 9110 requires the Allow header): here ${methods.join(', ')}.`,
    );
  }
}

/** Every statement a request sent must carry the request's values as parameters, not inside its text. */
function expectParameters(h: Harness, since: number, inputs: string[], what: string) {
  for (const statement of h.db.statements.slice(since)) {
    const text = statement.text;
    const inlined = inlinedValue(text, inputs);
    if (inlined !== undefined) {
      fail(
        `${what} sent "${oneLine(text)}": the value ${JSON.stringify(inlined)} from the request is part of the ` +
          'SQL text. Built that way, a request can end your string and write its own SQL (SQL injection). Send ' +
          `it as a parameter: WHERE ... = $1 with [value] (values sent: ${JSON.stringify(statement.values)}).`,
      );
    }
  }
}

/** The tables must still be there, and their rows unchanged. */
async function expectTablesIntact(h: Harness, products: Product[], what: string) {
  if (!(await h.db.customersIntact())) {
    fail(
      `After ${what}, the customers table is gone or has lost rows: the request's text ran as SQL. ` +
        'This is what SQL injection does; parameters ($1) make the input data, never SQL.',
    );
  }
  const now = await h.db.products();
  if (now.length !== products.length || products.some((p, i) => !sameProduct(now[i], p))) {
    fail(
      `After ${what}, the products table is not what it was (${now.length} rows, was ${products.length}).`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------

describe('task 1: Parameterised queries', () => {
  it('GET /products/:id finds the product, with the id sent as a parameter', async () => {
    const w = await start('task 1 get');
    for (const product of w.random.shuffle(w.h.catalogue).slice(0, 3)) {
      const spec = { path: `/products/${product.id}` };
      const since = w.h.db.statements.length;
      const read = await send(w, spec);
      expectProduct(read, product, requestLine(spec), { rowsArray: true });
      expectParameters(w.h, since, [String(product.id)], requestLine(spec));
    }
  });

  it("the category search answers that category's products, in id order, and only those", async () => {
    const w = await start('task 1 search');
    // Another request has just changed one product of each category. An UPDATE writes a new row version
    // elsewhere in the table, so without ORDER BY that product may now come back last.
    for (const category of w.h.categories) {
      const [first] = inCategory(w.h.catalogue, category);
      if (first) await w.h.db.pool.query('UPDATE products SET stock = stock WHERE id = $1', [first.id]);
    }
    for (const category of w.h.categories) {
      const spec = { path: `/products?category=${category}` };
      const since = w.h.db.statements.length;
      const read = await send(w, spec);
      const want = inCategory(w.h.catalogue, category);
      const body = read.json;
      if (read.status !== 200 || !Array.isArray(body)) {
        fail(
          `${requestLine(spec)} answered ${responseLine(read)}; expected 200 with a JSON array of ${want.length} products.`,
        );
      }
      const ids = body.map((p) => (p as { id?: unknown }).id);
      if (ids.join() !== want.map((p) => p.id).join()) {
        fail(
          `${requestLine(spec)} answered products ${JSON.stringify(ids)}; the ${category} products are ` +
            `${JSON.stringify(want.map((p) => p.id))}, in id order (ORDER BY id: without it, row order is not defined).`,
        );
      }
      want.forEach((product, i) => {
        if (!sameProduct(body[i], product))
          fail(`${requestLine(spec)}: ${productDifference(body[i], product)}.`);
      });
      expectParameters(w.h, since, [category], requestLine(spec));
    }
  });

  it('a category with a quote in it is just a category', async () => {
    const w = await start('task 1 quote');
    const spec = { path: `/products?category=${encodeURIComponent("kids' toys")}` };
    const read = await send(w, spec);
    if (read.status !== 200 || !Array.isArray(read.json) || read.json.length !== 0) {
      fail(
        `${requestLine(spec)} (category "kids' toys") answered ${responseLine(read)}; expected 200 with [] (no ` +
          'product has that category). A quote in the input must not change the query: send it as $1.',
      );
    }
  });

  it('SQL injection through the search leaks nothing and drops nothing', async () => {
    const w = await start('task 1 injection');
    const products = await w.h.db.products();
    const attacks = [
      { input: "' OR '1'='1", goal: 'every product, whatever its category' },
      {
        input: "x' UNION SELECT id, email, password_hash, email, id FROM customers --",
        goal: 'the customers',
      },
      { input: "x'; DROP TABLE customers; --", goal: 'to drop the customers table' },
    ];
    for (const attack of attacks) {
      const spec = { path: `/products?category=${encodeURIComponent(attack.input)}` };
      const what = `${requestLine(spec)} (category ${JSON.stringify(attack.input)}, which asks for ${attack.goal})`;
      const since = w.h.db.statements.length;
      const read = await send(w, spec);
      const leaked = CUSTOMERS.find(
        (c) => read.text.includes(c.email) || read.text.includes(c.password_hash),
      );
      if (leaked) {
        fail(
          `${what} answered customer ${leaked.email} and a password hash: SQL injection. Send the category as $1.`,
        );
      }
      const rows = Array.isArray(read.json) ? read.json.length : 0;
      if (rows > 0) {
        fail(
          `${what} answered ${rows} products: the input closed your quote and added OR '1'='1', so the WHERE ` +
            'matched every row. That is SQL injection; with $1 the whole input is one category name, and none matches.',
        );
      }
      await expectTablesIntact(w.h, products, what);
      expectParameters(w.h, since, [attack.input], what);
      if (read.status !== 200 && read.status !== 400) {
        fail(`${what} answered ${responseLine(read)}; expected 200 with [] (no such category), or a 400.`);
      }
    }
  });

  it('SQL injection through the path is refused and runs nothing', async () => {
    const w = await start('task 1 path');
    const products = await w.h.db.products();
    for (const raw of ['1 OR 1=1', '1;DROP TABLE customers']) {
      const spec = { path: `/products/${raw}` };
      const since = w.h.db.statements.length;
      const read = await send(w, spec);
      const what = `${requestLine(spec)} (the id ${JSON.stringify(raw)})`;
      await expectTablesIntact(w.h, products, what);
      expectParameters(w.h, since, [raw, encodeURI(raw), decodeURIComponent(encodeURI(raw))], what);
      if (read.status === 200) {
        fail(
          `${what} answered ${responseLine(read)}: that is not the id of any product; expected 400 (or 404). ` +
            'parseInt reads the digits in front and ignores the rest, so "1 OR 1=1" became product 1: check the whole id.',
        );
      }
    }
  });
});

describe('task 2: Answer like an HTTP API', () => {
  it('a product is one JSON object, sent as application/json', async () => {
    const w = await start('task 2 object');
    for (const product of w.h.catalogue) {
      const spec = { path: `/products/${product.id}` };
      const read = await send(w, spec);
      expectProduct(read, product, requestLine(spec));
      if (read.mediaType !== 'application/json') {
        fail(
          `${requestLine(spec)} answered with Content-Type ${read.mediaType || '(none)'}: new Response(JSON.stringify(x)) ` +
            'is sent as text/plain, so clients and caches treat it as text. Use Response.json(x), which sends ' +
            "application/json (Express's res.json does the same).",
        );
      }
    }
  });

  it('a missing product is a 404 with a JSON error', async () => {
    const w = await start('task 2 missing');
    // 2147483647 is the largest id PostgreSQL's integer holds: well formed, and missing.
    for (const id of [w.h.missingId, 2_147_483_647]) {
      const spec = { path: `/products/${id}` };
      expectError(
        await send(w, spec),
        404,
        requestLine(spec),
        `there is no product ${id}. A 200 with [] or null tells clients and caches that the request ` +
          'succeeded, and a search engine indexes an empty page.',
      );
    }
  });

  it('a search without a category is a 400 with a JSON error', async () => {
    const w = await start('task 2 search');
    for (const path of ['/products', '/products?category=']) {
      expectError(
        await send(w, { path }),
        400,
        `GET ${path}`,
        'the search needs a category. Without the check, the query compares category = NULL (or with an empty ' +
          "string), matches nothing and answers 200 [], which hides the client's mistake.",
      );
    }
  });

  it('a malformed id is a 400 with a JSON error', async () => {
    const w = await start('task 2 malformed');
    for (const raw of ['abc', '1.5', '-3', '0', '12abc', '1e3', '0x1A', '2147483648', '99999999999']) {
      const spec = { path: `/products/${raw}` };
      const read = await send(w, spec);
      const why =
        raw.length >= 10
          ? "PostgreSQL's integer ends at 2147483647. The real server answers this id with an error (value out of " +
            'range for type integer), a 500 in disguise; check the range before the query.'
          : `"${raw}" is not a product id (ids are whole numbers from 1 to 2147483647). Number("${raw}") and ` +
            'parseInt are not a check: parseInt("12abc") is 12. The client sent a bad request: say so with a 400.';
      expectError(read, 400, requestLine(spec), why);
    }
  });

  it('PATCH changes only the fields it was sent and answers the updated product', async () => {
    const w = await start('task 2 patch');
    const [first, second] = w.random.shuffle(w.h.catalogue) as [Product, Product];
    const changes: Array<{ product: Product; body: Partial<Product> }> = [
      { product: first, body: { price_cents: first.price_cents + 100 } },
      { product: first, body: { stock: 0 } },
      { product: second, body: { price_cents: 0, stock: second.stock + 7 } },
      // The largest number PostgreSQL's integer holds is a valid stock.
      { product: second, body: { stock: 2_147_483_647 } },
    ];
    for (const { product, body } of changes) {
      const before = (await w.h.db.products()).find((p) => p.id === product.id) as Product;
      const spec = { method: 'PATCH', path: `/products/${product.id}`, body };
      const read = await send(w, spec);
      const want = { ...before, ...body };
      const now = (await w.h.db.products()).find((p) => p.id === product.id) as Product;
      if (!sameProduct(now, want)) {
        const zero = Object.entries(body).find(([, value]) => value === 0);
        fail(
          `After ${requestLine(spec)}, PostgreSQL has ${JSON.stringify(now)}; expected ${JSON.stringify(want)}` +
            (zero
              ? `. ${zero[0]} = 0 was not applied: 0 is a value, but \`changes.${zero[0]} || null\` turns it into null ` +
                '(and COALESCE keeps the old one). Use ?? null, which only replaces undefined.'
              : '. Fields the body does not name keep their value.'),
        );
      }
      expectProduct(read, want, requestLine(spec));
    }
  });

  it('PATCH refuses a malformed body with a 400 and changes nothing', async () => {
    const w = await start('task 2 patch bad');
    const product = w.random.pick(w.h.catalogue);
    const products = await w.h.db.products();
    const bodies: Array<{ body: unknown; why: string }> = [
      { body: 'price_cents=1299', why: 'the body is not JSON' },
      { body: [], why: 'a JSON array is not an object of changes' },
      { body: 'null', why: 'null is not an object of changes' },
      { body: { stock: 1, id: 99 }, why: 'only price_cents and stock can be changed: not the id' },
      { body: {}, why: 'there is nothing to change' },
      { body: { price_cents: -500 }, why: 'a price cannot be negative' },
      { body: { price_cents: 12.5 }, why: 'price_cents is a whole number of cents' },
      { body: { price_cents: '1299' }, why: 'price_cents must be a JSON number, not a string' },
      { body: { stock: 99_999_999_999 }, why: "that does not fit PostgreSQL's integer (at most 2147483647)" },
      { body: { name: 'Free Espresso Machine' }, why: 'only price_cents and stock can be changed here' },
    ];
    for (const { body, why } of bodies) {
      const spec = { method: 'PATCH', path: `/products/${product.id}`, body };
      const read = await send(w, spec);
      expectError(read, 400, requestLine(spec), `${why}. Validate the body before it reaches the database.`);
      await expectTablesIntact(w.h, products, requestLine(spec));
    }
    const spec = { method: 'PATCH', path: `/products/${w.h.missingId}`, body: { stock: 1 } };
    expectError(
      await send(w, spec),
      404,
      requestLine(spec),
      `there is no product ${w.h.missingId} to change.`,
    );
  });

  it('an unknown route is a 404, a method the route does not have a 404 or 405, both as JSON', async () => {
    const w = await start('task 2 routes');
    const products = await w.h.db.products();
    const product = w.random.pick(w.h.catalogue);
    const cases: Array<{ spec: RequestSpec; status: number[]; why: string }> = [
      { spec: { path: '/orders/1' }, status: [404], why: 'this API has no /orders route' },
      {
        spec: { path: `/api/products/${product.id}` },
        status: [404],
        why: 'the route is /products/:id, from the root of the path',
      },
      { spec: { path: `/products/${product.id}/reviews` }, status: [404], why: 'there is no such route' },
      {
        spec: { method: 'DELETE', path: `/products/${product.id}` },
        status: [404, 405],
        why: 'the API does not delete products (405 Method Not Allowed, with an Allow header, says so best)',
      },
      {
        spec: { method: 'POST', path: '/products', body: { name: 'x' } },
        status: [404, 405],
        why: 'the API creates no products',
      },
    ];
    for (const { spec, status, why } of cases) {
      const read = await send(w, spec);
      expectError(read, status, requestLine(spec), why);
      expectAllow(read, spec.path.startsWith('/products/') ? ['GET', 'PATCH'] : ['GET'], requestLine(spec));
    }
    await expectTablesIntact(w.h, products, 'those requests');
  });

  it('random requests answer as the API should', async () => {
    await playRequests('task 2 scenarios', () => scenarioWorld('task 2 scenarios'));
  });
});

/** What an error body must not contain: how the server is built. */
function leaks(h: Harness, read: ReadResponse, error: unknown): string | undefined {
  const text = read.text;
  const message = error instanceof Error ? error.message : '';
  if (message && text.includes(message)) return `the error message ("${message}")`;
  if (/\bselect\b[\s\S]*\bfrom\b|\bupdate\s+products\b|\bwhere\b/i.test(text)) return 'the SQL';
  if (/\bat\s+\S+\s+\(|\bat async\b|\.ts:\d+/.test(text)) return 'a stack trace';
  const secret = h.db.secrets.find((s) => text.includes(s));
  if (secret) return `connection details (${secret})`;
  return undefined;
}

describe('task 3: Fail without leaking', () => {
  it('a database failure is a 500 with a JSON error, and the error goes to the log', async () => {
    const w = await start('task 3 failure');
    const product = w.random.pick(w.h.catalogue);
    const failing = w.h.db.fail(/./);
    const requests: RequestSpec[] = [
      { path: `/products/${product.id}` },
      { path: `/products?category=${product.category}` },
      { method: 'PATCH', path: `/products/${product.id}`, body: { stock: 3 } },
    ];
    for (const spec of requests) {
      const logged = w.h.logged.length;
      const read = await send(w, spec);
      expectError(
        read,
        500,
        requestLine(spec),
        'PostgreSQL dropped the connection (Connection terminated unexpectedly): the server failed, not the client. ' +
          '500 says so; a 4xx would blame the client, a 200 would hide the failure from every monitor.',
      );
      const error = w.h.logged[logged];
      if (error === undefined) {
        fail(
          `${requestLine(spec)} answered 500 but reported nothing through deps.onError: your log is where the real ` +
            'error (the SQL, the stack) must go, or the 500s on the dashboard have no explanation.',
        );
      }
      const leak = leaks(w.h, read, error);
      if (leak)
        fail(
          `${requestLine(spec)} answered ${responseLine(read)}: the body leaks ${leak}. Log it; tell the client only that something went wrong.`,
        );
    }
    failing.stop();
  });

  it('the error body gives nothing away, whatever the error says', async () => {
    const w = await start('task 3 leak');
    const product = w.random.pick(w.h.catalogue);
    const failing = w.h.db.fail(/./);
    const spec = { path: `/products/${product.id}` };
    const read = await send(w, spec);
    failing.stop();
    const leak = leaks(w.h, read, w.h.logged[0]);
    if (leak) {
      fail(
        `${requestLine(spec)} answered ${responseLine(read)}: the body leaks ${leak}. Error messages name tables, ` +
          'columns, hosts and users; they help an attacker map your system. Send them to the log only.',
      );
    }
    expectError(read, 500, requestLine(spec), 'the database failed.');
  });

  it('when no connection frees up in time, the answer is a 503', async () => {
    const w = await start('task 3 busy');
    const slow = w.h.db.hold(/./);
    const product = w.random.pick(w.h.catalogue);
    const spec = { path: `/products/${product.id}` };
    // Slow queries take every connection of the pool; one more request must wait, then give up.
    const busy = Array.from({ length: POOL_MAX }, () => started(w.api, spec));
    await settle();
    const since = w.h.db.statements.length;
    const logged = w.h.logged.length;
    const extra = started(w.api, spec);
    await finish([extra]);
    const read = await answer(w.h, spec, extra, since);
    slow.release();
    await finish(busy);
    expectError(
      read,
      503,
      `${requestLine(spec)}, sent while slow queries held all ${POOL_MAX} connections for more than the pool's ` +
        `${POOL_CONNECTION_TIMEOUT_MS} ms connectionTimeoutMillis,`,
      "node-postgres gave up waiting for a connection ('timeout exceeded when trying to connect'). That is " +
        'overload, not a bug: 503 Service Unavailable (with Retry-After) tells clients and load balancers to try ' +
        'again later; a 500 pages someone for a bug that is not there.',
    );
    const retryAfter = read.headers.get('retry-after') ?? '';
    if (!/^\d+$/.test(retryAfter) && Number.isNaN(Date.parse(retryAfter))) {
      fail(
        `The 503 came with Retry-After: ${retryAfter || '(none)'}. Say when to come back (Retry-After: 1, in ` +
          'seconds, or an HTTP date): without it clients and proxies retry at once and add to the overload.',
      );
    }
    if (w.h.logged.length === logged) {
      fail(
        `The 503 was not reported through deps.onError: a pool that runs dry is exactly what your log must show.`,
      );
    }
    const leak = leaks(w.h, read, w.h.logged[logged]);
    if (leak) fail(`${requestLine(spec)} answered ${responseLine(read)}: the body leaks ${leak}.`);
  });
});

/** node-postgres refuses a client released twice: it may already be another request's connection. */
function expectNoMisuse(w: World, what: string) {
  const [misuse] = w.h.db.use.misuse;
  if (misuse !== undefined) {
    fail(
      `${what}: node-postgres threw "${misuse}" Your code released a client twice; by the second call it may ` +
        'already belong to another request, which then loses it mid-query. Release once, in finally.',
    );
  }
}

describe('task 4: Give every connection back', () => {
  it('a connection goes back to the pool when its query throws', async () => {
    const w = await start('task 4 throw');
    const product = w.random.pick(w.h.catalogue);
    const failing = w.h.db.fail(/./);
    const failures = POOL_MAX + 1;
    for (let i = 0; i < failures; i++) await send(w, { path: `/products/${product.id}` });
    failing.stop();
    const leaked = w.h.db.use.checkedOut;
    const spec = { path: `/products/${product.id}` };
    const read = await send(w, spec);
    expectNoMisuse(w, requestLine(spec));
    if (leaked > 0 || read.status !== 200) {
      fail(
        `After ${failures} requests whose query failed, ${leaked} of the pool's ${POOL_MAX} connections were never ` +
          `released, and the next ${requestLine(spec)} answered ${responseLine(read)}. A client.release() after ` +
          'the query never runs when the query throws: release in finally (or use pool.query(), which always ' +
          'gives its connection back). In production the pool drains one failure at a time until every request waits.',
      );
    }
    expectProduct(read, product, requestLine(spec));
  });

  it('every kind of request gives its connection back, exactly once', async () => {
    const w = await start('task 4 kinds');
    const product = w.random.pick(w.h.catalogue);
    const requests: RequestSpec[] = [
      { path: `/products/${product.id}` },
      { path: `/products/${w.h.missingId}` },
      { path: '/products/abc' },
      { path: `/products?category=${product.category}` },
      { method: 'PATCH', path: `/products/${product.id}`, body: { stock: 2 } },
      { method: 'PATCH', path: `/products/${product.id}`, body: { stock: -2 } },
      { method: 'PATCH', path: `/products/${w.h.missingId}`, body: { stock: 2 } },
    ];
    for (const spec of requests) {
      await send(w, spec);
      expectNoMisuse(w, requestLine(spec));
      const { checkedOut } = w.h.db.use;
      if (checkedOut > 0) {
        fail(
          `After ${requestLine(spec)} was answered, ${checkedOut} connection(s) were still checked out: every path ` +
            "(the 404, the 400, the early return) must release the client, or the pool's " +
            `${POOL_MAX} connections are gone after a few such requests.`,
        );
      }
    }
  });

  it('50 concurrent requests are all answered, never with more than 5 connections at once', async () => {
    const w = await start('task 4 fifty');
    const slow = w.h.db.hold(/./);
    const specs: RequestSpec[] = Array.from({ length: 50 }, (_, i) => {
      const product = w.random.pick(w.h.catalogue);
      if (i % 5 === 0) return { method: 'PATCH', path: `/products/${product.id}`, body: { stock: i } };
      if (i % 5 === 1) return { path: `/products?category=${product.category}` };
      return { path: `/products/${product.id}` };
    });
    const since = w.h.db.statements.length;
    const calls = specs.map((spec) => started(w.api, spec));
    await settle();
    slow.release();
    await finish(calls);
    const reads = await Promise.all(
      calls.map((call, i) => answer(w.h, specs[i] as RequestSpec, call, since)),
    );
    const { peak, checkedOut, timedOut } = w.h.db.use;
    if (peak > POOL_MAX) fail(`The database saw ${peak} connections at once; the pool allows ${POOL_MAX}.`);
    const refused = reads.filter((read) => read.status >= 500).length;
    if (refused > 0 || timedOut > 0) {
      fail(
        `Of 50 concurrent requests, ${refused} failed (${timedOut} gave up waiting for a connection), although ` +
          `each needs one short query and ${POOL_MAX} connections are plenty when they are given back. A request ` +
          'that holds a client and then asks the pool for a second connection (pool.connect() or pool.query() ' +
          `inside a client's work) deadlocks under load: ${POOL_MAX} requests each hold one and wait for another ` +
          'that never frees up. Use one connection per request, and release it before anything else waits.',
      );
    }
    if (checkedOut > 0)
      fail(`After 50 concurrent requests, ${checkedOut} connection(s) were never released.`);
  });
  it('random batches of concurrent requests, some while the database fails, give every connection back', async () => {
    await playConcurrentBatches('task 4 scenarios', () => scenarioWorld('task 4 scenarios'));
  });
});

describe('task 5: An index for the search', () => {
  async function migrated(label: string): Promise<World> {
    const w = await start(label);
    try {
      await w.h.db.migrate(MIGRATIONS);
    } catch (error) {
      fail(`Running MIGRATIONS failed: ${error instanceof Error ? error.message : String(error)}.`);
    }
    return w;
  }

  it('MIGRATIONS create an index whose first column is category', async () => {
    const w = await migrated('task 5 catalog');
    const indexes = (await w.h.db.indexes()).filter(
      (index) => index.columns.join() !== 'id' || index.name !== 'products_pkey',
    );
    const own = indexes.filter((index) => !/_pkey$/.test(index.name));
    if (own.some((index) => index.columns[0] === 'category')) return;
    const onId = own.find((index) => index.columns[0] === 'id');
    if (onId) {
      fail(
        `MIGRATIONS create ${onId.name} on (${onId.columns.join(', ')}), but the primary key already is an index on ` +
          'id: a second one costs every write and helps no read. The query that reads the whole table is the ' +
          'search: WHERE category = $1.',
      );
    }
    const other = own.find((index) => index.columns.some((c) => /category/.test(c)));
    if (other) {
      fail(
        `MIGRATIONS create ${other.name} on (${other.columns.join(', ')}), which does not start with category. A ` +
          'B-tree is sorted by its first column, then the next: like a phone book sorted by surname, it cannot find ' +
          'everyone called Ada. The search needs an index that starts with category.',
      );
    }
    fail(
      `MIGRATIONS create no index for the search (indexes on products: ${indexes.map((i) => `${i.name} (${i.columns.join(', ')})`).join(', ') || 'none'}). ` +
        'WHERE category = $1 then reads every row of products (a Seq Scan in EXPLAIN): fine for eight products, ' +
        'a full table read per search at a million. Add CREATE INDEX ... ON products (category).',
    );
  });

  it('the search uses that index, and still answers the same products', async () => {
    const w = await migrated('task 5 plan');
    const category = w.random.pick(w.h.categories.slice(0, -1));
    const spec = { path: `/products?category=${category}` };
    const since = w.h.db.statements.length;
    const read = await send(w, spec);
    const want = inCategory(w.h.catalogue, category);
    const ids = Array.isArray(read.json) ? read.json.map((p) => (p as { id?: unknown }).id) : [];
    if (read.status !== 200 || ids.join() !== want.map((p) => p.id).join()) {
      fail(
        `${requestLine(spec)} answered ${responseLine(read)} after the migrations; expected products ${JSON.stringify(want.map((p) => p.id))}.`,
      );
    }
    const search = w.h.db.statements
      .slice(since)
      .find((s) => /\bselect\b/i.test(s.text) && s.values.includes(category));
    if (!search) fail(`${requestLine(spec)} sent no SELECT with the category as a parameter.`);
    if ((await w.h.db.indexUsedBy(search)) === undefined) {
      fail(
        `The search "${oneLine(search.text)}" reads every row although an index exists: the database cannot use an ` +
          "index on category for this WHERE. lower(category) = ..., category LIKE '%...' or a cast of the column " +
          'compare something the index does not hold. Compare the column itself: WHERE category = $1.',
      );
    }
  });
});
