/**
 * How this is graded
 * ------------------
 * Your service gets two clients, each behind a thin wrapper the grader controls:
 *   - `redis`: an in-memory Redis (ioredis-mock). The wrapper records every command, and can make Redis
 *     go down (every command rejects at once with `connect ECONNREFUSED 127.0.0.1:6379`, like a client set
 *     up to fail fast), refuse writes like a full Redis (`OOM command not allowed ...`), or hold one
 *     command back for a while (a slow network round trip). Where ioredis-mock is more lenient than Redis,
 *     the wrapper answers as Redis does: an expiry that is not a whole positive number is refused.
 *   - `db`: an in-memory PostgreSQL (pg-mem) with the node-postgres `Pool` API and a `products` table.
 *     The database itself counts every statement that reaches it (whatever path it took), and the pool
 *     can hold statements open (a slow query, a row lock) or fail them (a dropped connection).
 * The grader calls only `createProductService`, `getProduct` and `updateProduct`, and checks what came
 * back, how many statements reached PostgreSQL and what Redis holds under `product:{id}` (the key and
 * its TTL are a contract: other services read and invalidate the same keys). Time is simulated: `Date`
 * and the timers are fake, so a 300 s TTL passes instantly, and code that waits on a timer (batching,
 * polling) runs when the grader moves the clock. Besides scripted cases, the grader plays seeded random
 * sequences of reads, updates, expiries and outages against a model of what PostgreSQL holds, and prints
 * the shortest sequence that goes wrong. The seed is printed with the results and can be replayed.
 *
 * The simulations and the wrappers are in simulation.ts, the random sequences and their model in
 * scenarios.ts. Against real servers (RJ_REDIS_URL, RJ_DATABASE_URL) the same wrappers sit in front of
 * real clients: see real-servers.ts.
 */
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { backends } from '../support/backends';
import type { Random } from '../support/seed';
import { simulatedPostgres, simulatedRedis } from './simulation';

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
  /** The product with this id, or null when there is none. Rejects when PostgreSQL cannot answer. */
  getProduct(id: number): Promise<Product | null>;
  /** Applies the changes (and sets updated_at to now); returns the updated product, or null when there is none. */
  updateProduct(id: number, changes: ProductChanges): Promise<Product | null>;
}

export interface ProductServiceDeps {
  redis: Redis;
  db: Pool;
  /** Called when a Redis command fails and the service carries on without the cache. */
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

/** Something the grader holds open until it releases it. */
export interface Hold {
  /** How many statements or commands are being held right now. */
  readonly waiting: number;
  /** Lets every held one (and any later one) run. */
  release(): void;
}

// ---------------------------------------------------------------------------------------------------------
// What the grader can do with Redis and PostgreSQL (simulation.ts; real-servers.ts against real servers).

export interface RedisCommand {
  /** Upper-case command name, e.g. SETEX. */
  name: string;
  args: string[];
  /** True when the command was sent while Redis was down (it was rejected). */
  rejected: boolean;
  /** The error Redis answered with, if it refused the command (e.g. a TTL that is not a whole number). */
  error?: string;
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
  /** While on, commands that store data are refused as by a Redis at its maxmemory with `noeviction`. */
  refuseWrites(on: boolean): void;
  /** Holds back the next command that matches until `release()`: a slow round trip for that one command. */
  holdNext(matches: (command: RedisCommand) => boolean): Hold;
  /** Reads a key straight from the keyspace, bypassing the wrapper (a hash is shown as JSON). */
  peek(key: string): Promise<{ value: string | null; ttlMs: number }>;
  keys(): Promise<string[]>;
  /** Empties the keyspace and forgets the commands, outage and holds: a fresh Redis for the next scenario. */
  reset(): Promise<void>;
}

export interface Statement {
  text: string;
  values: unknown[];
  /** The error PostgreSQL answered with, if any. */
  error?: string;
  /** Reached the database without going through the pool the service was given (still counted). */
  unrecordedPath?: boolean;
}

export interface SimulatedPostgres {
  /** The pool to hand to your service. */
  pool: Pool;
  /** Every statement your service sent, in order. */
  statements: Statement[];
  /** How many SELECT statements your service sent. */
  reads(): number;
  /** Holds every statement whose text matches until `release()`: a slow query, a row lock, a long commit. */
  hold(pattern: RegExp): Hold;
  /** Until `stop()`, every statement whose text matches fails (by default as a dropped connection). */
  fail(pattern: RegExp, error?: () => Error): { stop(): void };
  /** Releases every hold, so nothing is left hanging after a test. */
  releaseAll(): void;
  /** Another service writes to the table (not counted as your statements). */
  insertProduct(product: Product): Promise<void>;
  setPrice(id: number, priceCents: number): Promise<void>;
  deleteProduct(id: number): Promise<void>;
  /** The row as the database has it now, as a Product. */
  product(id: number): Promise<Product | null>;
  /** The database's own clock (what now() would give a statement that starts at this moment). */
  now(): Promise<Date>;
  /** Puts these products back as the only rows, and forgets statements, holds and failures. */
  reset(catalogue: Product[]): Promise<void>;
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

const NAMES = [
  'Espresso Machine',
  'Desk Lamp',
  'Trail Shoes',
  'Wool Scarf',
  'Café "Noir" Beans',
  'Headphones',
];

export function seedCatalogue(random: Random): Product[] {
  return NAMES.map((name, index) => ({
    id: index + 1,
    name,
    priceCents: random.int(199, 49_999),
    inStock: index !== 1 && random.next() < 0.7,
    // Millisecond precision on purpose: a cache that drops it returns a different product.
    updatedAt: new Date(
      Date.UTC(2025, random.int(0, 11), random.int(1, 28), random.int(0, 23), 0, 0) +
        random.int(1, 3_599_999),
    ),
  }));
}

export async function createHarness(random: Random): Promise<Harness> {
  const catalogue = seedCatalogue(random);
  const { redisUrl, databaseUrl } = backends();
  let redis: SimulatedRedis;
  let db: SimulatedPostgres;
  if (redisUrl === undefined && databaseUrl === undefined) {
    redis = await simulatedRedis();
    db = await simulatedPostgres(catalogue);
  } else {
    const real = await import('./real-servers');
    ({ redis, db } = await real.realServers(catalogue, simulatedRedis, simulatedPostgres));
  }
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
