/**
 * The cache-aside harness against real servers (RJ_REDIS_URL, RJ_DATABASE_URL: see tests/real-servers).
 * Nothing here runs with the simulations, nor in a browser.
 *
 * The same recording wrappers as in harness.ts sit in front of a real ioredis client and a real
 * node-postgres Pool, and every test gets its own corner of the servers: its keys live under a fresh
 * prefix (ioredis `keyPrefix`, so your code still writes `product:{id}`) and its table in a fresh schema
 * (the pool's search_path). Redis cannot be told the time, so when the fake clock moves forward the
 * harness lowers every key's remaining TTL by the same amount (PEXPIRE), deleting the keys that would
 * have expired. Outages, refused writes, holds and failed statements stay simulated in front of the
 * clients: the grader cannot stop a server other runs share.
 */
import type { Redis } from 'ioredis';
import type { Pool, PoolClient } from 'pg';
import { onTestFinished } from 'vitest';
import { backends } from '../support/backends';
import { type InFlight, inFlight, settleWaitsFor } from '../support/settle';
import { withinMs } from '../support/within';
import type { Product, ProductRow, SimulatedPostgres, SimulatedRedis } from './harness';
import {
  CREATE_PRODUCTS,
  type Query,
  readKey,
  recordingRedis,
  rowToProduct,
  statementLog,
} from './simulation';

type AnyFunction = (...args: unknown[]) => unknown;

interface Closable {
  /** Ends this test's connections and removes its keys and schema from the real server. */
  close(): Promise<void>;
}

/** A name no other test (or grading run) uses at the same time. */
const uniqueName = () => globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 16);

// ---------------------------------------------------------------------------------------------------------
// Real Redis (RJ_REDIS_URL).

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
      `could not connect to Redis at RJ_REDIS_URL=${url} (${(lastError ?? (error as Error)).message}). Is it running? ` +
        'tests/real-servers/servers.sh start starts one; unset RJ_REDIS_URL to use the simulation.',
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
      return readKey(admin, prefix + key);
    },
    keys: async () => {
      await catchUp();
      return (await admin.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort();
    },
    reset: async () => {
      wrapped.forget();
      await catchUp();
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
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
// Real PostgreSQL (RJ_DATABASE_URL).

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
      `could not use PostgreSQL at RJ_DATABASE_URL=${url} (${(error as Error).message}). Is it running? ` +
        'tests/real-servers/servers.sh start starts one; unset RJ_DATABASE_URL to use the simulation.',
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
    reset: async (products) => {
      log.forget();
      await admin.query(`DELETE FROM ${schema}.products`);
      for (const product of products) await insertProduct(product);
    },
    insertProduct,
    setPrice: async (id, priceCents) => {
      await admin.query(`UPDATE ${schema}.products SET price_cents = $2, updated_at = now() WHERE id = $1`, [
        id,
        priceCents,
      ]);
    },
    deleteProduct: async (id) => {
      await admin.query(`DELETE FROM ${schema}.products WHERE id = $1`, [id]);
    },
    product: async (id) => {
      const { rows } = await admin.query<ProductRow>(`SELECT * FROM ${schema}.products WHERE id = $1`, [id]);
      return rows[0] ? rowToProduct(rows[0]) : null;
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

/**
 * Redis and PostgreSQL for one test, real where a URL is configured (the other one simulated). Real
 * servers answer over the network: settle() waits for them, and the test cleans up after itself.
 */
export async function realServers(
  catalogue: Product[],
  simulatedRedis: () => Promise<SimulatedRedis>,
  simulatedPostgres: (catalogue: Product[]) => Promise<SimulatedPostgres>,
): Promise<{ redis: SimulatedRedis; db: SimulatedPostgres }> {
  const { redisUrl, databaseUrl } = backends();
  const requests = inFlight();
  const stopWaiting = settleWaitsFor(requests);
  const opened: Array<SimulatedRedis | SimulatedPostgres> = [];
  let db: SimulatedPostgres | undefined;
  onTestFinished(async () => {
    db?.releaseAll();
    await withinMs(2_000, requests.idle());
    stopWaiting();
    for (const server of opened) if ('close' in server) await (server as Closable).close();
  });
  const redis = redisUrl === undefined ? await simulatedRedis() : await realRedis(redisUrl, requests);
  opened.push(redis);
  db =
    databaseUrl === undefined
      ? await simulatedPostgres(catalogue)
      : await realPostgres(databaseUrl, catalogue, requests);
  opened.push(db);
  return { redis, db };
}
