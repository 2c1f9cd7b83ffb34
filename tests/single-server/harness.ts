/**
 * How this is graded
 * ------------------
 * Your handler gets a node-postgres `Pool` over an in-memory PostgreSQL (pg-mem) holding a `products`
 * table, and a `customers` table it must never show. The pool is the grader's: `max` 5 connections and
 * `connectionTimeoutMillis` 1000, like `new Pool({ max: 5, connectionTimeoutMillis: 1000 })`. It counts
 * every connection your code checks out and gives back, records every statement, and can fail
 * statements (a dropped connection) or hold them open (a slow query) so that requests pile up.
 * The grader sends real `Request` objects to `api.fetch(request)` and reads the `Response`: status,
 * Content-Type and JSON body; after the requests, what the tables hold and whether every connection
 * came back. Time is simulated: waiting for a connection runs on the grader's clock, so a pool timeout
 * takes no real second. The index task runs your MIGRATIONS on a fresh database and reads the catalog
 * (the indexes that exist, and whether the search uses one). Besides scripted cases, seeded random
 * request sequences are compared with a model of the API, and the shortest failing one is printed.
 *
 * The simulation is in simulation.ts, the random sequences in scenarios.ts; against a real PostgreSQL
 * (RJ_DATABASE_URL) the same counting pool wraps a real one: see real-servers.ts.
 */
import type { Pool } from 'pg';
import { backends } from '../support/backends';
import type { Random } from '../support/seed';
import type { Hold, Statement } from '../support/statement-log';
import { simulatedPostgres } from './simulation';

// ---------------------------------------------------------------------------------------------------------
// The contract shared by your code and the grader.

/** A `products` row, and the JSON object the API answers with (the columns as they are). */
export interface Product {
  id: number;
  name: string;
  category: string;
  price_cents: number;
  stock: number;
}

export interface ProductApiDeps {
  /** The node-postgres pool: `pool.query(text, values)`, or `pool.connect()` and `client.release()`. */
  pool: Pool;
  /** Your server log: called with every error that made a request fail (500 or 503). */
  onError?: (error: unknown) => void;
}

/** A handler in the web platform's shape: Hono's app.fetch, Deno.serve, Bun.serve, a Worker's fetch. */
export interface ProductApi {
  fetch(request: Request): Promise<Response>;
}

/** The pool the grader hands you has this many connections, and waits this long for a free one. */
export const POOL_MAX = 5;
export const POOL_CONNECTION_TIMEOUT_MS = 1_000;

/**
 * The tables, as created here:
 *   CREATE TABLE products (
 *     id          integer PRIMARY KEY,
 *     name        text NOT NULL,
 *     category    text NOT NULL,
 *     price_cents integer NOT NULL,
 *     stock       integer NOT NULL
 *   );
 *   CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL);
 */
export const CREATE_TABLES = [
  `CREATE TABLE products (
    id integer PRIMARY KEY,
    name text NOT NULL,
    category text NOT NULL,
    price_cents integer NOT NULL,
    stock integer NOT NULL
  )`,
  'CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL)',
];

// ---------------------------------------------------------------------------------------------------------
// What the grader can do with PostgreSQL (simulation.ts; real-servers.ts against a real server).

export type { Hold, Statement } from '../support/statement-log';

/** What the pool saw: connections checked out by your code and given back. */
export interface PoolUse {
  /** Checked out now (taken with connect(), or by pool.query() for one statement) and not released. */
  readonly checkedOut: number;
  /** The most that were checked out at the same moment. */
  readonly peak: number;
  /** Requests for a connection that waited because all were taken. */
  readonly waited: number;
  /** Requests for a connection that gave up after connectionTimeoutMillis. */
  readonly timedOut: number;
  /** Errors the pool raised at your code: a client released twice, a query on a released client. */
  readonly misuse: string[];
}

export interface SimulatedPostgres {
  /** The pool to hand to your code. */
  pool: Pool;
  use: PoolUse;
  /** Every statement your code sent, in order. */
  statements: Statement[];
  /** Holds every statement whose text matches until `release()`: a slow query, a row lock. */
  hold(pattern: RegExp): Hold;
  /** Until `stop()`, every statement whose text matches fails as a dropped connection. */
  fail(pattern: RegExp): { stop(): void };
  releaseAll(): void;
  /** A scenario is over: held statements are released and the database is let go, as when a test ends. */
  finish(): Promise<void>;
  /** The rows as the database has them now (the grader's own read, not counted). */
  products(): Promise<Product[]>;
  /** Whether the customers table is still there with all its rows. */
  customersIntact(): Promise<boolean>;
  /** Runs your MIGRATIONS (the index task; a fresh database). */
  migrate(statements: readonly string[]): Promise<void>;
  /** The indexes on `products`: name and the columns (or expressions) they cover, in order. */
  indexes(): Promise<Array<{ name: string; columns: string[] }>>;
  /** The index the database uses for this statement, or undefined when it reads the whole table. */
  indexUsedBy(statement: Statement): Promise<string | undefined>;
  /** The connection details a leaked error would show (host, port, user), to look for in bodies. */
  secrets: string[];
}

// ---------------------------------------------------------------------------------------------------------
// One fresh world per test.

export interface Harness {
  db: SimulatedPostgres;
  deps: ProductApiDeps;
  catalogue: Product[];
  categories: string[];
  /** Errors your code reported through onError. */
  logged: unknown[];
  /** An id with no product. */
  missingId: number;
}

export const CATEGORIES = ['coffee', 'kitchen', 'outdoor', 'audio', 'books'];
const NAMES = [
  'Espresso Machine',
  'Burr Grinder',
  "Chef's Knife",
  'Cast Iron Pan',
  'Trail Shoes',
  'Rain Jacket',
  'Headphones',
  'Café "Noir" Beans',
];

export const CUSTOMERS = [
  { id: 1, email: 'ada@example.com', password_hash: '$2b$12$Qm9vbGVhbkRhdGFiYXNlSGFzaA' },
  { id: 2, email: 'linus@example.com', password_hash: '$2b$12$U2VjcmV0UGFzc3dvcmRIYXNo' },
];

export function seedCatalogue(random: Random): Product[] {
  return NAMES.map((name, index) => ({
    id: index + 1,
    name,
    // Every category but the last has products; 'books' is a category with none.
    category: CATEGORIES[index % (CATEGORIES.length - 1)] as string,
    price_cents: random.int(199, 49_999),
    stock: random.int(0, 40),
  }));
}

export async function createHarness(random: Random): Promise<Harness> {
  const catalogue = seedCatalogue(random);
  const { databaseUrl } = backends();
  const db =
    databaseUrl === undefined
      ? await simulatedPostgres(catalogue)
      : await (await import('./real-servers')).realPostgres(databaseUrl, catalogue);
  const logged: unknown[] = [];
  return {
    db,
    deps: { pool: db.pool, onError: (error) => logged.push(error) },
    catalogue,
    categories: CATEGORIES,
    logged,
    missingId: random.int(100, 999),
  };
}
