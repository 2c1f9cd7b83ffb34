/**
 * How this is graded
 * ------------------
 * Your product service gets two real-looking clients:
 *   - `redis`: an in-memory Redis (ioredis-mock) behind a thin wrapper that records every command and can
 *     "go down": while it is down, every command rejects at once with the error of a refused connection
 *     (`connect ECONNREFUSED 127.0.0.1:6379`), like a client set up to fail fast. (A default ioredis client
 *     queues commands and retries for about ten seconds, then rejects with a MaxRetriesPerRequestError:
 *     treat any Redis error as a cache failure, not one particular code.) Where ioredis-mock is more lenient
 *     than Redis, the wrapper answers as Redis does: an expiry that is not a whole number of seconds, or is
 *     not positive, is refused with Redis's own error; SET options are read in any case (`ex` as `EX`).
 *   - `db`: an in-memory PostgreSQL (pg-mem) with the node-postgres `Pool` API, seeded with a small catalogue
 *     in a `products` table. The wrapper counts every statement and can hold statements open (like a slow
 *     or locked database) so the grader can run requests concurrently and in a chosen order.
 * The grader calls only `createProductService`, `getProduct` and `updateProduct`, then checks what came
 * back, how many statements reached PostgreSQL, and what Redis holds under `product:{id}` (key and TTL are
 * part of the contract: other services read and invalidate the same keys). Time is a fake clock (only
 * `Date` is faked), so a 300 s TTL passes instantly and expires exactly. Inputs come from a seeded random
 * generator: the seed is printed with the results and can be replayed.
 *
 * Against real servers (REDIS_URL, DATABASE_URL: see tests/real-servers) the same wrappers sit in front of
 * a real ioredis client and a real node-postgres Pool, and every test gets its own corner of them: its
 * keys live under a fresh prefix (ioredis `keyPrefix`, so your code still writes `product:{id}`) and its
 * table in a fresh schema (the pool's search_path). Redis cannot be told the time, so when the fake clock
 * moves forward the harness lowers every key's remaining TTL by the same amount (PEXPIRE), deleting the
 * keys that would have expired. The outage stays simulated in front of the client: the grader cannot stop
 * a server other runs share.
 */
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import type { Pool, PoolClient } from 'pg';
import { type IMemoryTable, newDb } from 'pg-mem';
import { onTestFinished } from 'vitest';
import { backends } from '../support/backends';
import { databasePool } from '../support/database-pool';
import type { Random } from '../support/seed';
import { gate, type InFlight, inFlight, nextMacrotask, settleWaitsFor } from '../support/settle';

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
  /** Reads straight from the keyspace, bypassing the recording wrapper. */
  peek(key: string): Promise<{ value: string | null; ttlMs: number }>;
  keys(): Promise<string[]>;
}

/** The error ioredis reports (its 'error' event) when nothing listens on the Redis port; the outage rejects with it. */
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

/** How a recorded command reaches the server behind the wrapper. */
interface CommandPath {
  /** Whether a property of the client is a Redis command (recorded, and refused during an outage). */
  isCommand(client: object, prop: string | symbol): boolean;
  /** Sends one command (or a MULTI/pipeline's exec) to the server. */
  send(run: () => unknown): unknown;
  /** An error the real Redis would answer this command with, where the simulation would accept it. */
  refuses?(name: string, args: unknown[]): Error | undefined;
  /** The arguments as the server behind should get them (the simulation needs some help: see below). */
  normalise?(name: string, args: unknown[]): unknown[];
}

/** Rejects a command the way ioredis does: through the Node-style callback if there is one, and the promise. */
function rejectCommand(error: Error, args: unknown[]): Promise<never> {
  const callback = args[args.length - 1];
  if (typeof callback === 'function') {
    queueMicrotask(() => (callback as AnyFunction)(error));
    const handled = Promise.reject(error);
    handled.catch(() => undefined);
    return handled;
  }
  return Promise.reject(error);
}

/** Wraps an ioredis client (ioredis-mock or real): records every command and can simulate an outage. */
function recordingRedis(target: Redis, path: CommandPath) {
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
            down ? Promise.reject(connectionRefused()) : path.send(() => method.apply(target, args));
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

  const client = new Proxy(target, {
    get(target, prop) {
      // ioredis reports its connection state here; some code checks it before using the cache.
      if (prop === 'status') return down ? 'reconnecting' : 'ready';
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as AnyFunction;
      if (prop === 'multi' || prop === 'pipeline') {
        return (...args: unknown[]) => wrapPipeline(method.apply(target, args) as object);
      }
      if (!path.isCommand(target, prop)) return method.bind(target);
      return (...args: unknown[]) => {
        record(prop as string, args);
        if (down) return rejectCommand(connectionRefused(), args);
        const command = commands[commands.length - 1] as RedisCommand;
        const refusal = path.refuses?.(command.name, args);
        const sent = path.normalise?.(command.name, args) ?? args;
        const reply = refusal ? rejectCommand(refusal, args) : path.send(() => method.apply(target, sent));
        if (reply instanceof Promise) {
          reply.then(undefined, (error: unknown) => {
            command.error = error instanceof Error ? error.message : String(error);
          });
        }
        return reply;
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
  };
}

// ioredis-mock instances on the same host:port share one keyspace; each harness gets its own port so
// that work left running by one test can never leak into the next. The keyspace lives as long as the
// ioredis-mock module, which outlives one grading run (a warm browser Worker grades many times), so
// createHarness also empties it.
let nextPort = 17000;

/**
 * What real Redis refuses and ioredis-mock accepts: an expiry that is not a whole number (a TTL with
 * jitter that was never rounded: SET ... EX 287.5), or one that is zero or negative. ioredis-mock would
 * store the first with a fractional TTL and silently drop the second; Redis answers with an error.
 */
function expiryRedisRefuses(name: string, args: unknown[]): Error | undefined {
  const given = args.filter((arg) => typeof arg !== 'function');
  let expiries: unknown[] = [];
  if (name === 'SETEX' || name === 'PSETEX') expiries = [given[1]];
  if (name === 'SET' || name === 'GETEX') {
    expiries = given.flatMap((arg, i) =>
      typeof arg === 'string' && /^(ex|px|exat|pxat)$/i.test(arg) ? [given[i + 1]] : [],
    );
  }
  for (const expiry of expiries) {
    const text = String(expiry);
    if (!/^-?\d+$/.test(text)) return new Error('ERR value is not an integer or out of range');
    if (Number(text) <= 0) return new Error(`ERR invalid expire time in '${name.toLowerCase()}' command`);
  }
  return undefined;
}

/** Redis reads SET and GETEX options in any case (`ex`, `Ex`); ioredis-mock only knows them in capitals. */
function optionsInCapitals(name: string, args: unknown[]): unknown[] {
  const firstOption = name === 'SET' ? 2 : name === 'GETEX' ? 1 : args.length;
  return args.map((arg, i) =>
    i >= firstOption && typeof arg === 'string' && /^(ex|px|exat|pxat|nx|xx|keepttl|get|persist)$/i.test(arg)
      ? arg.toUpperCase()
      : arg,
  );
}

async function simulatedRedis(): Promise<SimulatedRedis> {
  const mock = new RedisMock({ port: nextPort++ });
  await mock.flushall();
  const wrapped = recordingRedis(mock, {
    // Redis commands are the mock's own properties; EventEmitter methods and the like live on its prototype.
    isCommand: (target, prop) => typeof prop === 'string' && (Object.hasOwn(target, prop) || prop === 'exec'),
    send: (run) => run(),
    refuses: expiryRedisRefuses,
    normalise: optionsInCapitals,
  });
  return {
    ...wrapped,
    peek: async (key) => ({ value: await mock.get(key), ttlMs: await mock.pttl(key) }),
    keys: async () => (await mock.keys('*')).sort(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Real Redis (REDIS_URL).

/**
 * Moves time forward for the keys under one prefix: each key with a TTL keeps its value and loses
 * `elapsed` ms of its remaining life; a key with no life left is deleted, as it would have expired.
 */
const AGE_KEYS = `
local elapsed = tonumber(ARGV[2])
for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
  local left = redis.call('PTTL', key)
  if left > 0 then
    if left <= elapsed then redis.call('DEL', key) else redis.call('PEXPIRE', key, left - elapsed) end
  end
end
return 0`;

/** A name no other test (or grading run) uses at the same time. */
const uniqueName = () => globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 16);

async function connectRedis(url: string, keyPrefix: string): Promise<Redis> {
  const { Redis: RealRedis } = await import('ioredis');
  const client = new RealRedis(url, { keyPrefix, lazyConnect: true, maxRetriesPerRequest: 1 });
  // Connection errors arrive as events (commands that fail report their own): keep the last one.
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(
      `could not connect to Redis at REDIS_URL=${url} (${(lastError ?? (error as Error)).message}). Is it running? ` +
        'tests/real-servers/servers.sh start starts one; unset REDIS_URL to use the simulation.',
    );
  }
  return client;
}

async function realRedis(url: string, requests: InFlight): Promise<SimulatedRedis & Closable> {
  const prefix = `rj:cache-aside:${uniqueName()}:`;
  const real = await connectRedis(url, prefix);
  // The grader's own connection, without the prefix: it reads, ages and finally deletes this test's keys.
  const admin = await connectRedis(url, '');
  const builtin = new Set(real.getBuiltinCommands());

  // The fake clock only moves Date. Before anything reaches Redis, age the keys by the time that passed.
  let agedUntil = Date.now();
  let aging: Promise<unknown> = Promise.resolve();
  const catchUp = (): Promise<unknown> => {
    const elapsed = Date.now() - agedUntil;
    if (elapsed > 0) {
      agedUntil += elapsed;
      aging = aging.then(() => admin.eval(AGE_KEYS, 0, `${prefix}*`, elapsed));
    }
    return aging;
  };

  const wrapped = recordingRedis(real, {
    isCommand: (_target, prop) =>
      typeof prop === 'string' && (builtin.has(prop) || builtin.has(prop.replace(/Buffer$/, ''))),
    send: (run) => requests.track(catchUp().then(run)),
  });
  return {
    ...wrapped,
    peek: async (key) => {
      await catchUp();
      const [value, ttlMs] = await Promise.all([admin.get(prefix + key), admin.pttl(prefix + key)]);
      return { value, ttlMs };
    },
    keys: async () => {
      await catchUp();
      return (await admin.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort();
    },
    close: async () => {
      real.disconnect();
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    },
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
  /** The database's own clock (what now() would give a statement that starts at this moment). */
  now(): Promise<Date>;
}

type QueryConfig = { text: string; values?: unknown[] };
type QueryCallback = (error: Error | null, result?: unknown) => void;
type Query = (...args: unknown[]) => Promise<unknown>;

const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  name: row.name,
  priceCents: row.price_cents,
  inStock: row.in_stock,
  updatedAt: row.updated_at,
});

const CREATE_PRODUCTS = `CREATE TABLE products (
    id integer PRIMARY KEY,
    name text NOT NULL,
    price_cents integer NOT NULL,
    in_stock boolean NOT NULL,
    updated_at timestamptz NOT NULL
  )`;

type HoldEntry = { pattern: RegExp; waiting: number; gate: ReturnType<typeof gate>; released: boolean };

/**
 * What every connection your service uses shares: the statements it sent (in order) and the holds the
 * grader placed. `send` passes a statement on to the server (pg-mem, or a real one over the network).
 */
function statementLog(send: (run: () => Promise<unknown>, text: string) => Promise<unknown>) {
  const statements: Statement[] = [];
  const holds: HoldEntry[] = [];
  const release = (entry: HoldEntry) => {
    entry.released = true;
    entry.gate.open();
  };

  /** A `query` that records each statement and waits while a hold matches it, then runs `run`. */
  const recordingQuery =
    (run: Query) =>
    (config: string | QueryConfig, valuesOrCallback?: unknown, maybeCallback?: QueryCallback) => {
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
          return await send(
            () => (Array.isArray(valuesOrCallback) ? run(config, valuesOrCallback) : run(config)),
            text,
          );
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
    statements,
    recordingQuery,
    reads: () => statements.filter((s) => /^\s*(select|with)\b/i.test(s.text)).length,
    hold: (pattern: RegExp): Hold => {
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
  };
}

/**
 * pg-mem takes about 5 ms to word a parse error (its parser lists every token it
 * would have accepted), and code with a bad query sends the same text in every
 * test, often many times at once. Parsing does not depend on the data, so a
 * repeat gets the first error back, one event-loop turn later as pg-mem answers.
 */
const parseFailures = new Map<string, unknown>();

async function rememberingParseFailures(run: () => Promise<unknown>, text: string): Promise<unknown> {
  if (parseFailures.has(text)) {
    await nextMacrotask();
    throw parseFailures.get(text);
  }
  try {
    return await run();
  } catch (error) {
    if (error instanceof Error && /failed to parse/i.test(error.message)) parseFailures.set(text, error);
    throw error;
  }
}

/** Databases with an empty products table, reused from test to test (database-pool.ts). */
const databases = databasePool(() => {
  const db = newDb();
  db.public.none(CREATE_PRODUCTS);
  return { db, Pool: db.adapters.createPg().Pool };
});

async function simulatedPostgres(catalogue: Product[]): Promise<SimulatedPostgres> {
  const database = databases.borrow();
  onTestFinished(() => database.giveBack());
  const { db, Pool: MemPool } = database.value;
  const table = db.public.getTable('products') as IMemoryTable<ProductRow>;
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
  // The grader's own connection: its statements are not counted and never held.
  const admin = new MemPool() as Pool;

  const { recordingQuery, ...log } = statementLog((run, text) =>
    database.running(text, () => rememberingParseFailures(run, text)),
  );
  // pg-mem's Pool.connect() hands back the pool itself, so replacing `query` covers pooled clients too.
  const pool = new MemPool();
  pool.query = recordingQuery((pool.query as Query).bind(pool));

  return {
    pool: pool as Pool,
    ...log,
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
    // pg-mem's now() reads Date, which the fake clock moves.
    now: async () => new Date(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Real PostgreSQL (DATABASE_URL).

async function realPostgres(
  url: string,
  catalogue: Product[],
  requests: InFlight,
): Promise<SimulatedPostgres & Closable> {
  const { default: pg } = await import('pg');
  // This test's own schema: the table your service sees as `products` (through its search_path).
  const schema = `rj_cache_aside_${uniqueName()}`;
  // The grader's own connection: its statements are not counted and never held.
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  admin.on('error', () => undefined);
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (error) {
    await admin.end();
    throw new Error(
      `could not use PostgreSQL at DATABASE_URL=${url} (${(error as Error).message}). Is it running? ` +
        'tests/real-servers/servers.sh start starts one; unset DATABASE_URL to use the simulation.',
    );
  }
  await admin.query(CREATE_PRODUCTS.replace('products', `${schema}.products`));
  const insertProduct = async (p: Product): Promise<void> => {
    await admin.query(
      `INSERT INTO ${schema}.products (id, name, price_cents, in_stock, updated_at) VALUES ($1, $2, $3, $4, $5)`,
      [p.id, p.name, p.priceCents, p.inStock, p.updatedAt],
    );
  };
  for (const product of catalogue) await insertProduct(product);

  const { recordingQuery, ...log } = statementLog((run) => requests.track(run()));
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 10 });
  pool.on('error', () => undefined);
  // pool.query() checks a client out with this.connect() and runs the statement on it: that statement is
  // already recorded, so the client it uses internally is handed over unwrapped.
  const checkOut = pool.connect.bind(pool) as (callback?: unknown) => Promise<PoolClient> | undefined;
  const runOnPool = pool.query.bind(pool) as Query;
  let insidePoolQuery = false;
  pool.query = recordingQuery((...args) => {
    insidePoolQuery = true;
    try {
      return runOnPool(...args);
    } finally {
      insidePoolQuery = false;
    }
  }) as Pool['query'];
  // A client your code checks out with connect() records its statements too (through a proxy: the pool
  // reuses client objects, so they are never modified).
  const recordingClient = (client: PoolClient): PoolClient => {
    const query = recordingQuery((client.query as Query).bind(client));
    return new Proxy(client, {
      get(target, prop) {
        if (prop === 'query') return query;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as AnyFunction).bind(target) : value;
      },
    });
  };
  type ConnectCallback = (error: Error | undefined, client?: PoolClient, done?: () => void) => void;
  pool.connect = ((callback?: ConnectCallback) => {
    if (insidePoolQuery) return checkOut(callback);
    const connecting = requests.track(checkOut() as Promise<PoolClient>);
    if (!callback) return connecting.then(recordingClient);
    connecting.then(
      (client) => callback(undefined, recordingClient(client), () => client.release()),
      (error: Error) => callback(error),
    );
    return undefined;
  }) as Pool['connect'];

  return {
    pool,
    ...log,
    insertProduct,
    setPrice: async (id, priceCents) => {
      await admin.query(`UPDATE ${schema}.products SET price_cents = $2, updated_at = now() WHERE id = $1`, [
        id,
        priceCents,
      ]);
    },
    product: async (id) => {
      const { rows } = await admin.query<ProductRow>(`SELECT * FROM ${schema}.products WHERE id = $1`, [id]);
      return rows[0] ? toProduct(rows[0]) : null;
    },
    now: async () => {
      const { rows } = await admin.query<{ now: Date }>('SELECT clock_timestamp() AS now');
      return (rows[0] as { now: Date }).now;
    },
    close: async () => {
      // A client your code never released keeps the pool open: do not wait for it for ever.
      await withinMs(1_000, pool.end());
      await withinMs(2_000, admin.query(`DROP SCHEMA ${schema} CASCADE`));
      await withinMs(1_000, admin.end());
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// One fresh world per test.

interface Closable {
  /** Ends this test's connections and removes its keys and schema from the real server. */
  close(): Promise<void>;
}

/** Waits for `work`, but no longer than `ms` (real time): cleaning up must not hang the grader. */
async function withinMs(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

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
  const { redisUrl, databaseUrl } = backends();
  let redis: SimulatedRedis;
  let db: SimulatedPostgres;
  if (redisUrl === undefined && databaseUrl === undefined) {
    redis = await simulatedRedis();
    db = await simulatedPostgres(catalogue);
  } else {
    // Real servers answer over the network: settle() waits for them, and the test cleans up after itself.
    const requests = inFlight();
    const stopWaiting = settleWaitsFor(requests);
    const opened: Array<SimulatedRedis | SimulatedPostgres> = [];
    const close = async () => {
      db?.releaseAll();
      await withinMs(2_000, requests.idle());
      stopWaiting();
      for (const server of opened) if ('close' in server) await (server as Closable).close();
    };
    onTestFinished(close);
    redis = redisUrl === undefined ? await simulatedRedis() : await realRedis(redisUrl, requests);
    opened.push(redis);
    db =
      databaseUrl === undefined
        ? await simulatedPostgres(catalogue)
        : await realPostgres(databaseUrl, catalogue, requests);
    opened.push(db);
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
