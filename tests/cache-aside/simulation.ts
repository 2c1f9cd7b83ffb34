/**
 * The simulated Redis and PostgreSQL behind the cache-aside harness (see harness.ts for the contract and
 * how grading works), and the recording wrappers real-servers.ts puts in front of real servers too.
 */
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import type { Pool } from 'pg';
import { type IMemoryTable, newDb, replaceQueryArgs$ } from 'pg-mem';
import { onTestFinished } from 'vitest';
import { databasePool } from '../support/database-pool';
import { interceptRedis } from '../support/redis-proxy';
import { gate, nextMacrotask } from '../support/settle';
import { type Query, type QueryConfig, statementLog } from '../support/statement-log';
import type { Hold, Product, ProductRow, RedisCommand, SimulatedPostgres, SimulatedRedis } from './harness';

export const CREATE_PRODUCTS = `CREATE TABLE products (
    id integer PRIMARY KEY,
    name text NOT NULL,
    price_cents integer NOT NULL,
    in_stock boolean NOT NULL,
    updated_at timestamptz NOT NULL
  )`;

export const rowToProduct = (row: ProductRow): Product => ({
  id: row.id,
  name: row.name,
  priceCents: row.price_cents,
  inStock: row.in_stock,
  updatedAt: row.updated_at,
});

type AnyFunction = (...args: unknown[]) => unknown;

// ---------------------------------------------------------------------------------------------------------
// Redis.

/** The error ioredis reports when nothing listens on the Redis port; the outage rejects with it. */
export function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
    code: 'ECONNREFUSED',
    errno: -111,
    syscall: 'connect',
    address: '127.0.0.1',
    port: 6379,
  });
}

/** Redis's answer to a command that would use memory once `maxmemory` is reached under `noeviction`. */
export const outOfMemory = () => new Error("OOM command not allowed when used memory > 'maxmemory'.");

const STORING = /^(SET|SETEX|PSETEX|SETNX|MSET|MSETNX|HSET|HMSET|HSETNX|APPEND|GETSET|RESTORE)$/;

/** How a recorded command reaches the server behind the wrapper. */
export interface CommandPath {
  /** Whether a property of the client is a Redis command (recorded, and refused during an outage). */
  isCommand(client: object, prop: string | symbol): boolean;
  /** Sends one command (or a MULTI/pipeline's exec) to the server. */
  send(run: () => unknown): unknown;
  /** An error the real Redis would answer this command with, where the simulation would accept it. */
  refuses?(name: string, args: unknown[]): Error | undefined;
  /** The arguments as the server behind should get them. */
  normalise?(name: string, args: unknown[]): unknown[];
}

/** Rejects a command the way ioredis does: through the Node-style callback if there is one, and the promise. */
function rejectCommand(error: Error, args: unknown[]): Promise<never> {
  const callback = args[args.length - 1];
  const rejected = Promise.reject(error);
  if (typeof callback === 'function') {
    queueMicrotask(() => (callback as AnyFunction)(error));
    rejected.catch(() => undefined);
  }
  return rejected;
}

type RedisHold = {
  matches: (command: RedisCommand) => boolean;
  caught: number;
  gate: ReturnType<typeof gate>;
};

/** Wraps an ioredis client (ioredis-mock or real): records every command, simulates outages and delays. */
export function recordingRedis(target: Redis, path: CommandPath) {
  const commands: RedisCommand[] = [];
  const holds: RedisHold[] = [];
  let down = false;
  let writesRefused = false;

  const record = (name: string, args: unknown[]): RedisCommand => {
    const command = { name: name.toUpperCase(), args: args.map(String), rejected: down };
    commands.push(command);
    return command;
  };
  /** The hold (if any) that catches one of these commands; each hold catches only once. */
  const holdFor = (sent: RedisCommand[]) => {
    const hold = holds.find((h) => h.caught === 0 && sent.some(h.matches));
    if (hold) hold.caught++;
    return hold;
  };
  const later = (hold: RedisHold | undefined, run: () => unknown) =>
    hold ? hold.gate.wait.then(() => run()) : run();

  const holdsOpen = () => {
    for (const hold of holds) {
      hold.caught = Math.max(hold.caught, 1);
      hold.gate.open();
    }
  };

  const client = interceptRedis(target, {
    // ioredis reports its connection state here; some code checks it before using the cache.
    status: () => (down ? 'reconnecting' : 'ready'),
    isCommand: path.isCommand,
    command: (name, args, send) => {
      const command = record(name, args);
      if (down) return rejectCommand(connectionRefused(), args);
      const refusal =
        writesRefused && STORING.test(command.name) ? outOfMemory() : path.refuses?.(command.name, args);
      const sent = path.normalise?.(command.name, args) ?? args;
      const reply = refusal
        ? rejectCommand(refusal, args)
        : later(holdFor([command]), () => path.send(() => send(sent)));
      if (reply instanceof Promise) {
        reply.then(undefined, (error: unknown) => {
          command.error = error instanceof Error ? error.message : String(error);
        });
      }
      return reply;
    },
    // A MULTI/pipeline queues commands and sends them on exec(): record them, and fail exec() when down.
    transaction: () => {
      const queued: RedisCommand[] = [];
      return {
        queue: (name, args) => {
          queued.push(record(name, args));
        },
        exec: (args, send) => {
          if (down) return rejectCommand(connectionRefused(), args);
          if (writesRefused && queued.some((c) => STORING.test(c.name)))
            return rejectCommand(outOfMemory(), args);
          return later(holdFor(queued), () => path.send(send));
        },
      };
    },
  });

  return {
    client,
    commands,
    goDown: () => {
      down = true;
    },
    comeBack: () => {
      down = false;
    },
    /** Back to a reachable Redis with no record and no holds (the keyspace is the caller's business). */
    forget: () => {
      down = false;
      writesRefused = false;
      commands.length = 0;
      holdsOpen();
    },
    refuseWrites: (on: boolean) => {
      writesRefused = on;
    },
    holdNext: (matches: (command: RedisCommand) => boolean): Hold => {
      const hold: RedisHold = { matches, caught: 0, gate: gate() };
      holds.push(hold);
      let released = false;
      return {
        get waiting() {
          return released ? 0 : hold.caught;
        },
        release: () => {
          released = true;
          hold.caught = Math.max(hold.caught, 1); // catches nothing more
          hold.gate.open();
        },
      };
    },
  };
}

/**
 * What real Redis refuses and ioredis-mock accepts: an expiry that is not a whole number (a TTL with
 * jitter that was never rounded: SET ... EX 287.5), or one that is zero or negative.
 */
function expiryRedisRefuses(name: string, args: unknown[]): Error | undefined {
  const given = args.filter((arg) => typeof arg !== 'function');
  let expiries: unknown[] = [];
  if (name === 'SETEX' || name === 'PSETEX') expiries = [given[1]];
  if (name === 'EXPIRE' || name === 'PEXPIRE') expiries = [given[1]];
  if (name === 'SET' || name === 'GETEX') {
    expiries = given.flatMap((arg, i) =>
      typeof arg === 'string' && /^(ex|px|exat|pxat)$/i.test(arg) ? [given[i + 1]] : [],
    );
  }
  for (const expiry of expiries) {
    const text = String(expiry);
    if (!/^-?\d+$/.test(text)) return new Error('ERR value is not an integer or out of range');
    if (Number(text) <= 0 && !/EXPIRE$/.test(name))
      return new Error(`ERR invalid expire time in '${name.toLowerCase()}' command`);
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

/** A key's value as the grader shows it: a string as is, a hash as JSON, nothing as null. */
export async function readKey(redis: Redis, key: string): Promise<{ value: string | null; ttlMs: number }> {
  const type = await redis.type(key);
  const ttlMs = await redis.pttl(key);
  if (type === 'none') return { value: null, ttlMs };
  if (type === 'string') return { value: await redis.get(key), ttlMs };
  if (type === 'hash') return { value: JSON.stringify(await redis.hgetall(key)), ttlMs };
  return { value: `(a Redis ${type})`, ttlMs };
}

// ioredis-mock instances on the same host:port share one keyspace; each harness gets its own port, and
// empties it (the module outlives one grading run in a warm browser Worker).
let nextPort = 17000;

export async function simulatedRedis(): Promise<SimulatedRedis> {
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
    peek: (key) => readKey(mock, key),
    keys: async () => (await mock.keys('*')).sort(),
    reset: async () => {
      wrapped.forget();
      await mock.flushall();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL.

export { connectionTerminated, type Query, statementLog } from '../support/statement-log';

/**
 * pg-mem answers `id = ANY($1::int[])` (valid PostgreSQL, and what a batching loader sends) with no
 * rows at all. The simulation sends pg-mem the equivalent `id IN (...)` instead; your statement is
 * recorded as you wrote it.
 */
export function anyAsIn(text: string, values: unknown[]): { text: string; values: unknown[] } {
  if (!/\bany\s*\(/i.test(text)) return { text, values };
  const literal = values.length > 0 ? replaceQueryArgs$(text, values) : text;
  const rewritten = literal
    .replace(
      /=\s*any\s*\(\s*array\s*\[([^\]]*)\](?:\s*::\s*[a-z0-9_ ]+\[\])?\s*\)/gi,
      (_, items: string) => `IN (${items.trim() || 'NULL'})`,
    )
    .replace(
      /=\s*any\s*\(\s*'\{([^}']*)\}'(?:\s*::\s*[a-z0-9_ ]+\[\])?\s*\)/gi,
      (_, items: string) =>
        `IN (${
          items
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean)
            .map((item) => `'${item.replace(/^"|"$/g, '').replaceAll("'", "''")}'`)
            .join(', ') || 'NULL'
        })`,
    );
  return rewritten === literal ? { text, values } : { text: rewritten, values: [] };
}

/**
 * pg-mem takes about 5 ms to word a parse error, and code with a bad query sends the same text in every
 * test, often many times at once. Parsing does not depend on the data, so a repeat gets the first error
 * back, one event-loop turn later as pg-mem answers.
 */
const parseFailures = new Map<string, unknown>();

/** Databases with an empty products table, reused from test to test (database-pool.ts). */
const databases = databasePool(() => {
  const db = newDb();
  db.public.none(CREATE_PRODUCTS);
  return { db, Pool: db.adapters.createPg().Pool };
});

export async function simulatedPostgres(catalogue: Product[]): Promise<SimulatedPostgres> {
  const database = databases.borrow();
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

  // pg-mem runs a statement synchronously when it is called: `passing` marks the statements that came
  // through the recording pool (or from the grader itself); any other statement the database runs took
  // another path, and is counted all the same.
  let passing = false;
  const log = statementLog((run, statement) => {
    const key = statement.text;
    if (parseFailures.has(key)) {
      return nextMacrotask().then(() => {
        throw parseFailures.get(key);
      });
    }
    return database.running(key, async () => {
      passing = true;
      let reply: Promise<unknown>;
      try {
        reply = run();
      } finally {
        passing = false;
      }
      try {
        return await reply;
      } catch (error) {
        if (error instanceof Error && /failed to parse/i.test(error.message)) parseFailures.set(key, error);
        throw error;
      }
    });
  });
  const subscription = db.on('query', (text: string) => {
    if (!passing) log.statements.push({ text, values: [], unrecordedPath: true });
  });
  // A failure the grader placed (PostgreSQL unreachable) reaches those other paths too.
  const interception = db.public.interceptQueries((text) => {
    const failure = passing ? undefined : log.failureFor(text);
    if (failure) throw failure();
    return null;
  });
  onTestFinished(() => {
    subscription.unsubscribe();
    interception.unsubscribe();
    database.giveBack();
  });

  const pool = new MemPool();
  const memQuery = (pool.query as Query).bind(pool);
  // pg-mem's Pool.connect() hands back the pool itself, so replacing `query` covers checked-out clients.
  pool.query = log.recordingQuery((config, ...rest) => {
    const text = typeof config === 'string' ? config : (config as QueryConfig).text;
    const values = Array.isArray(rest[0]) ? rest[0] : ((config as QueryConfig).values ?? []);
    const sent = anyAsIn(text, values);
    if (sent.text === text) return memQuery(config, ...rest);
    return memQuery(sent.text);
  });
  // The grader's own statements are neither counted nor held. They run as pg-mem's pool runs a statement
  // (at once, answering a turn of the event loop later), but with the value bound to a parameter: the pool
  // would write it into the text, and pg-mem would plan every new price anew.
  const admin = async (text: string, values: unknown[] = []) => {
    passing = true;
    try {
      db.public.prepare(text).bind(values).executeAll();
      await nextMacrotask();
    } finally {
      passing = false;
    }
  };
  // pg-mem cannot plan a parameter compared with an indexed column (`WHERE id = $1`): the id goes in the text.
  const whereId = (id: number) => {
    if (!Number.isSafeInteger(id))
      throw new Error(`the grader used a product id that is not an integer: ${id}`);
    return `WHERE id = ${id}`;
  };

  return {
    pool: pool as Pool,
    reset: async (products) => {
      log.forget();
      await admin('DELETE FROM products');
      for (const product of products) await insertProduct(product);
    },
    statements: log.statements,
    reads: log.reads,
    hold: log.hold,
    fail: log.fail,
    releaseAll: log.releaseAll,
    insertProduct,
    setPrice: async (id, priceCents) => {
      await admin(`UPDATE products SET price_cents = $1, updated_at = now() ${whereId(id)}`, [priceCents]);
    },
    deleteProduct: async (id) => {
      await admin(`DELETE FROM products ${whereId(id)}`);
    },
    product: async (id) => {
      const [row] = table.find({ id });
      return row ? rowToProduct(row) : null;
    },
    // pg-mem's now() reads Date, which the fake clock moves.
    now: async () => new Date(),
  };
}
