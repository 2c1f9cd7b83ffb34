/**
 * Random request sequences for the single-server grader: seeded GETs, searches and PATCHes, well-formed
 * and not, played against your API and against a model of it (the products as PostgreSQL holds them,
 * and the contract's rules). On failure the shortest sequence that still goes wrong is printed.
 */
import fc from 'fast-check';
import { type ReadResponse, type RequestSpec, requestLine, responseLine } from '../support/http';
import { checkScenarios } from '../support/property';
import { CATEGORIES, type Harness, type Product } from './harness';

const RUNS = 15;
const MISSING_ID = 404;

const id = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 4 },
  { arbitrary: fc.constant(MISSING_ID), weight: 1 },
);
const amount = fc.oneof(
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 99_999 }), weight: 3 },
);

const requests: fc.Arbitrary<RequestSpec> = fc.oneof(
  { arbitrary: id.map((i) => ({ path: `/products/${i}` })), weight: 4 },
  {
    arbitrary: fc
      .constantFrom('abc', '2.5', '-1', '0', '7x', '1e2', '2147483648', '%27%20OR%201=1')
      .map((raw) => ({ path: `/products/${raw}` })),
    weight: 2,
  },
  {
    arbitrary: fc
      .constantFrom(...CATEGORIES, "kids' toys", "coffee' OR '1'='1")
      .map((category) => ({ path: `/products?category=${encodeURIComponent(category)}` })),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(id, fc.record({ price_cents: amount, stock: amount }, { requiredKeys: [] }))
      .filter(([, body]) => Object.keys(body).length > 0)
      .map(([i, body]) => ({ method: 'PATCH', path: `/products/${i}`, body })),
    weight: 4,
  },
  {
    arbitrary: fc
      .tuple(
        id,
        fc.constantFrom<unknown>(
          {},
          { stock: -1 },
          { price_cents: 9.99 },
          { stock: '3' },
          { name: 'x' },
          'stock=3',
        ),
      )
      .map(([i, body]) => ({ method: 'PATCH', path: `/products/${i}`, body })),
    weight: 2,
  },
);

/** The answer the contract asks for, given the products PostgreSQL holds; PATCHes apply to `products`. */
function expected(spec: RequestSpec, products: Map<number, Product>): { status: number; body?: unknown } {
  const url = new URL(spec.path, 'http://shop.test');
  if (url.pathname === '/products') {
    const category = url.searchParams.get('category') ?? '';
    return {
      status: 200,
      body: [...products.values()].filter((p) => p.category === category).sort((a, b) => a.id - b.id),
    };
  }
  const raw = url.pathname.split('/')[2] ?? '';
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
  if (id < 1 || id > 2_147_483_647) return { status: 400 };
  const product = products.get(id);
  if (spec.method !== 'PATCH') return product ? { status: 200, body: product } : { status: 404 };
  const body = spec.body;
  const valid =
    body !== null &&
    typeof body === 'object' &&
    !Array.isArray(body) &&
    Object.keys(body).length > 0 &&
    Object.entries(body).every(
      ([field, value]) =>
        (field === 'price_cents' || field === 'stock') && Number.isInteger(value) && (value as number) >= 0,
    );
  if (!valid) return { status: 400 };
  if (!product) return { status: 404 };
  const updated = { ...product, ...(body as Partial<Product>) };
  products.set(id, updated);
  return { status: 200, body: updated };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A product (or list) with its keys in column order, so the comparison ignores key order. */
function normalised(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalised);
  if (value === null || typeof value !== 'object') return value;
  const row = value as Record<string, unknown>;
  return Object.fromEntries(['id', 'name', 'category', 'price_cents', 'stock'].map((key) => [key, row[key]]));
}

/** A fresh database, pool and API for one scenario, so that nothing one scenario did reaches the next. */
export interface ScenarioWorld {
  h: Harness;
  /** Sends one request and waits for its answer. */
  send: (spec: RequestSpec) => Promise<ReadResponse>;
  /** Sends the requests at once and waits for every answer. */
  sendAll: (specs: RequestSpec[]) => Promise<ReadResponse[]>;
}

/** Plays one scenario in a world of its own, and lets the world go when it ends (its database is reused). */
async function inNewWorld(newWorld: () => Promise<ScenarioWorld>, play: (w: ScenarioWorld) => Promise<void>) {
  const world = await newWorld();
  try {
    await play(world);
  } finally {
    await world.h.db.finish();
  }
}

export async function playRequests(label: string, newWorld: () => Promise<ScenarioWorld>): Promise<void> {
  await checkScenarios(
    label,
    fc.array(requests, { minLength: 1, maxLength: 6 }),
    (sequence) =>
      inNewWorld(newWorld, async ({ h, send }) => {
        const products = new Map((await h.db.products()).map((p) => [p.id, p]));
        for (const [index, spec] of sequence.entries()) {
          const want = expected(spec, products);
          const read = await send(spec);
          const wrongBody =
            want.body === undefined
              ? !(read.json as { error?: unknown } | undefined)?.error
              : !same(normalised(read.json), normalised(want.body));
          if (read.status !== want.status || wrongBody) {
            throw new Error(
              `Request ${index + 1}, ${requestLine(spec)}, answered ${responseLine(read)}; expected ${want.status} ` +
                `${want.body === undefined ? 'with a JSON error' : `with ${JSON.stringify(want.body)}`}.`,
            );
          }
        }
      }),
    {
      runs: RUNS,
      explain: (sequence) => sequence.map((spec, i) => `  ${i + 1}. ${requestLine(spec)}`).join('\n'),
    },
  );
}

/**
 * Random batches of concurrent requests, some while the database drops every statement. However the
 * requests interleave and fail, no batch may leave a connection checked out or released twice, and a
 * pool of five that gets its connections back never makes a request wait out its timeout.
 */
export async function playConcurrentBatches(
  label: string,
  newWorld: () => Promise<ScenarioWorld>,
): Promise<void> {
  const batch = fc.record({
    failing: fc.boolean(),
    requests: fc.array(requests, { minLength: 1, maxLength: 12 }),
  });
  await checkScenarios(
    label,
    fc.array(batch, { minLength: 1, maxLength: 3 }),
    (batches) =>
      inNewWorld(newWorld, async ({ h, sendAll }) => {
        for (const [index, { failing, requests: specs }] of batches.entries()) {
          const failure = failing ? h.db.fail(/./) : undefined;
          const reads = await sendAll(specs);
          failure?.stop();
          const { checkedOut, misuse, timedOut } = h.db.use;
          const busy = reads.findIndex((read) => read.status === 503);
          const where = `After batch ${index + 1}`;
          if (misuse.length > 0)
            throw new Error(`${where}, node-postgres threw "${misuse[0]}" (a client released twice).`);
          if (checkedOut > 0) {
            throw new Error(
              `${where}, ${checkedOut} connection(s) were still checked out, although every request had been answered.`,
            );
          }
          if (busy >= 0 || timedOut > 0) {
            throw new Error(
              `${where}, ${requestLine(specs[busy] ?? (specs[0] as RequestSpec))} waited out the pool's timeout although ` +
                'no request was slow: connections were held while waiting for another, or never given back.',
            );
          }
        }
      }),
    {
      runs: 15,
      explain: (batches) =>
        batches
          .map(
            ({ failing, requests: specs }, i) =>
              `  batch ${i + 1}${failing ? ', while PostgreSQL drops every statement' : ''}, all at once:\n` +
              specs.map((spec) => `     ${requestLine(spec)}`).join('\n'),
          )
          .join('\n'),
    },
  );
}
