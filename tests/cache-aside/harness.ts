/**
 * How this is graded
 * ------------------
 * Your product service gets two real-looking clients:
 *   - `redis`: an in-memory Redis (ioredis-mock) behind a thin wrapper that records every command and can
 *     "go down": while it is down, every command rejects the way ioredis does when the connection is refused
 *     (`connect ECONNREFUSED 127.0.0.1:6379`).
 *   - `db`: an in-memory PostgreSQL (pg-mem) with the node-postgres `Pool` API, seeded with a small catalogue
 *     in a `products` table. The wrapper counts every statement and can hold statements open (like a slow
 *     or locked database) so the grader can run requests concurrently and in a chosen order.
 * The grader calls only `createProductService`, `getProduct` and `updateProduct`, then checks what came
 * back, how many statements reached PostgreSQL, and what Redis holds under `product:{id}` (key and TTL are
 * part of the contract: other services read and invalidate the same keys). Time is a fake clock (only
 * `Date` is faked), so a 300 s TTL passes instantly and expires exactly. Inputs come from a seeded random
 * generator: the seed is printed with the results and can be replayed.
 */
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import type { Pool } from 'pg';
import { type IMemoryTable, newDb } from 'pg-mem';
import type { Random } from '../support/seed';
import { gate } from '../support/settle';

// ---------------------------------------------------------------------------------------------------------
// The contract shared by your code and the grader.

/** A product as the application uses it (camelCase, real types), mapped from one `products` row. */
export interface Product {
  id: number;
  name: string;
  priceCents: number;
  inStock: boolean;
  /** `updated_at timestamptz`: node-postgres returns it as a Date, and so must a cache hit. */
  updatedAt: Date;
}

/** The fields `updateProduct` may change; a missing field keeps its current value. */
export interface ProductChanges {
  name?: string;
  priceCents?: number;
}

export interface ProductService {
  /** The product with this id, or null when there is none. */
  getProduct(id: number): Promise<Product | null>;
  /** Applies the changes (and sets updated_at to now); returns the updated product, or null when there is none. */
  updateProduct(id: number, changes: ProductChanges): Promise<Product | null>;
}

export interface ProductServiceDeps {
  redis: Redis;
  db: Pool;
  /** Called when a Redis command fails and the service carries on without the cache (optional). */
  onCacheError?: (error: unknown) => void;
}

/**
 * The table, as created here:
 *   CREATE TABLE products (
 *     id          integer PRIMARY KEY,
 *     name        text NOT NULL,
 *     price_cents integer NOT NULL,
 *     in_stock    boolean NOT NULL,
 *     updated_at  timestamptz NOT NULL
 *   )
 */
export interface ProductRow {
  id: number;
  name: string;
  price_cents: number;
  in_stock: boolean;
  updated_at: Date;
}

// ---------------------------------------------------------------------------------------------------------
// Simulated Redis.

export interface RedisCommand {
  /** Upper-case command name, e.g. SETEX. */
  name: string;
  args: string[];
  /** True when the command was sent while Redis was down (it was rejected). */
  rejected: boolean;
}

export interface SimulatedRedis {
  /** The client to hand to your service. */
  client: Redis;
  /** Every command your service sent, in order. */
  commands: RedisCommand[];
  /** From now on every command rejects like a refused connection. */
  goDown(): void;
  /** Redis is reachable again (its data survived, as with a restarted process that kept its RDB file). */
  comeBack(): void;
  /** Reads straight from the keyspace, bypassing the recording wrapper. */
  peek(key: string): Promise<{ value: string | null; ttlMs: number }>;
  keys(): Promise<string[]>;
}

/** What ioredis rejects with when nothing listens on the Redis port. */
export function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address: '127.0.0.1',
    port: 6379,
  });
}

type AnyFunction = (...args: unknown[]) => unknown;

// ioredis-mock instances on the same host:port share one keyspace; each harness gets its own port so
// that work left running by one test can never leak into the next. The keyspace lives as long as the
// ioredis-mock module, which outlives one grading run (a warm browser Worker grades many times), so
// createHarness also empties it.
let nextPort = 17000;

async function simulatedRedis(): Promise<SimulatedRedis> {
  const mock = new RedisMock({ port: nextPort++ });
  await mock.flushall();
  const commands: RedisCommand[] = [];
  let down = false;

  const record = (name: string, args: unknown[]) => {
    commands.push({ name: name.toUpperCase(), args: args.map(String), rejected: down });
  };

  // A MULTI/pipeline queues commands and sends them on exec(): record them, and fail exec() when down.
  const wrapPipeline = (pipeline: object): object => {
    const proxy: object = new Proxy(pipeline, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as AnyFunction;
        if (prop === 'exec') {
          return (...args: unknown[]) =>
            down ? Promise.reject(connectionRefused()) : method.apply(target, args);
        }
        return (...args: unknown[]) => {
          if (typeof prop === 'string') record(prop, args);
          const result = method.apply(target, args);
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };

  const client = new Proxy(mock, {
    get(target, prop) {
      // ioredis reports its connection state here; some code checks it before using the cache.
      if (prop === 'status') return down ? 'reconnecting' : 'ready';
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as AnyFunction;
      if (prop === 'multi' || prop === 'pipeline') {
        return (...args: unknown[]) => wrapPipeline(method.apply(target, args) as object);
      }
      // Redis commands are the mock's own properties; EventEmitter methods and the like live on its prototype.
      const isCommand = typeof prop === 'string' && (Object.hasOwn(target, prop) || prop === 'exec');
      if (!isCommand) return method.bind(target);
      return (...args: unknown[]) => {
        record(prop, args);
        if (!down) return method.apply(target, args);
        const refused = connectionRefused();
        const callback = args[args.length - 1];
        if (typeof callback === 'function') {
          // Node-style callers get the error through their callback, as ioredis does.
          queueMicrotask(() => (callback as AnyFunction)(refused));
          const handled = Promise.reject(refused);
          handled.catch(() => undefined);
          return handled;
        }
        return Promise.reject(refused);
      };
    },
  }) as unknown as Redis;

  return {
    client,
    commands,
    goDown: () => {
      down = true;
    },
    comeBack: () => {
      down = false;
    },
    peek: async (key) => ({ value: await mock.get(key), ttlMs: await mock.pttl(key) }),
    keys: async () => (await mock.keys('*')).sort(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Simulated PostgreSQL.

export interface Statement {
  text: string;
  values: unknown[];
  /** The error PostgreSQL answered with, if any. */
  error?: string;
}

export interface Hold {
  /** How many statements matching the pattern are being held right now. */
  readonly waiting: number;
  /** Lets every held statement (and any later one) run. */
  release(): void;
}

export interface SimulatedPostgres {
  /** The pool to hand to your service. */
  pool: Pool;
  /** Every statement your service sent, in order. */
  statements: Statement[];
  /** How many SELECT statements reached the database. */
  reads(): number;
  /** Holds every statement whose text matches until `release()`: a slow query, a row lock, a long commit. */
  hold(pattern: RegExp): Hold;
  /** Releases every hold, so nothing is left hanging after a test. */
  releaseAll(): void;
  /** Another service writes to the table (not counted as your statements). */
  insertProduct(product: Product): Promise<void>;
  setPrice(id: number, priceCents: number): Promise<void>;
  /** The row as the database has it now, as a Product. */
  product(id: number): Promise<Product | null>;
}

type QueryConfig = { text: string; values?: unknown[] };
type QueryCallback = (error: Error | null, result?: unknown) => void;

const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  name: row.name,
  priceCents: row.price_cents,
  inStock: row.in_stock,
  updatedAt: row.updated_at,
});

async function simulatedPostgres(catalogue: Product[]): Promise<SimulatedPostgres> {
  const mem = newDb();
  mem.public.none(`CREATE TABLE products (
    id integer PRIMARY KEY,
    name text NOT NULL,
    price_cents integer NOT NULL,
    in_stock boolean NOT NULL,
    updated_at timestamptz NOT NULL
  )`);
  const table = mem.public.getTable('products') as IMemoryTable<ProductRow>;
  const insertProduct = async (p: Product): Promise<void> => {
    table.insert({
      id: p.id,
      name: p.name,
      price_cents: p.priceCents,
      in_stock: p.inStock,
      updated_at: p.updatedAt,
    });
  };
  for (const product of catalogue) await insertProduct(product);
  const { Pool: MemPool } = mem.adapters.createPg();
  // The grader's own connection: its statements are not counted and never held.
  const admin = new MemPool() as Pool;

  const statements: Statement[] = [];
  const holds: Array<{ pattern: RegExp; waiting: number; gate: ReturnType<typeof gate>; released: boolean }> =
    [];
  const release = (entry: (typeof holds)[number]) => {
    entry.released = true;
    entry.gate.open();
  };

  // pg-mem's Pool.connect() hands back the pool itself, so replacing `query` covers pooled clients too.
  const pool = new MemPool();
  const run = (pool.query as (...args: unknown[]) => Promise<unknown>).bind(pool);
  pool.query = (config: string | QueryConfig, valuesOrCallback?: unknown, maybeCallback?: QueryCallback) => {
    const text = typeof config === 'string' ? config : config.text;
    const values = Array.isArray(valuesOrCallback)
      ? valuesOrCallback
      : typeof config === 'string'
        ? []
        : (config.values ?? []);
    const callback =
      typeof valuesOrCallback === 'function' ? (valuesOrCallback as QueryCallback) : maybeCallback;
    const statement: Statement = { text, values };
    statements.push(statement);

    const execute = async () => {
      const hold = holds.find((h) => !h.released && h.pattern.test(text));
      if (hold) {
        hold.waiting++;
        await hold.gate.wait;
        hold.waiting--;
      }
      try {
        return await (Array.isArray(valuesOrCallback) ? run(config, valuesOrCallback) : run(config));
      } catch (error) {
        statement.error = error instanceof Error ? error.message : String(error);
        throw error;
      }
    };
    if (!callback) return execute();
    execute().then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
    return undefined;
  };

  return {
    pool: pool as Pool,
    statements,
    reads: () => statements.filter((s) => /^\s*(select|with)\b/i.test(s.text)).length,
    hold: (pattern) => {
      const entry = { pattern, waiting: 0, gate: gate(), released: false };
      holds.push(entry);
      return {
        get waiting() {
          return entry.waiting;
        },
        release: () => release(entry),
      };
    },
    releaseAll: () => {
      for (const entry of holds) release(entry);
    },
    insertProduct,
    setPrice: async (id, priceCents) => {
      await admin.query('UPDATE products SET price_cents = $2, updated_at = now() WHERE id = $1', [
        id,
        priceCents,
      ]);
    },
    product: async (id) => {
      const [row] = table.find({ id });
      return row ? toProduct(row) : null;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// One fresh world per test.

export interface Harness {
  redis: SimulatedRedis;
  db: SimulatedPostgres;
  /** What `createProductService` receives. */
  deps: ProductServiceDeps;
  /** The seeded catalogue (ids 1..n). */
  catalogue: Product[];
  /** Errors your service reported through `onCacheError`. */
  cacheErrors: unknown[];
  /** An id with no product. */
  missingId: number;
}

const NAMES = ['Espresso Machine', 'Desk Lamp', 'Trail Shoes', 'Wool Scarf', 'Cast-Iron Pan', 'Headphones'];

export async function createHarness(random: Random): Promise<Harness> {
  const catalogue: Product[] = NAMES.map((name, index) => ({
    id: index + 1,
    name,
    priceCents: random.int(199, 49_999),
    inStock: random.next() < 0.7,
    // Millisecond precision on purpose: a cache that drops it returns a different product.
    updatedAt: new Date(
      Date.UTC(2025, random.int(0, 11), random.int(1, 28), random.int(0, 23), 0, 0) +
        random.int(1, 3_599_999),
    ),
  }));
  const redis = await simulatedRedis();
  const db = await simulatedPostgres(catalogue);
  const cacheErrors: unknown[] = [];
  return {
    redis,
    db,
    deps: { redis: redis.client, db: db.pool, onCacheError: (error) => cacheErrors.push(error) },
    catalogue,
    cacheErrors,
    missingId: random.int(100, 999),
  };
}
