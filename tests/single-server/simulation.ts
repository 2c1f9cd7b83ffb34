/**
 * The simulated PostgreSQL behind the single-server harness (see harness.ts for the contract), and the
 * counting pool that real-servers.ts puts in front of a real server too.
 */
import type { Pool, PoolClient } from 'pg';
import { type IMemoryDb, newDb, replaceQueryArgs$ } from 'pg-mem';
import { onTestFinished } from 'vitest';
import { databasePool } from '../support/database-pool';
import { type Query, statementLog } from '../support/statement-log';
import {
  CREATE_TABLES,
  CUSTOMERS,
  POOL_CONNECTION_TIMEOUT_MS,
  POOL_MAX,
  type PoolUse,
  type Product,
  type SimulatedPostgres,
} from './harness';

type Callback = (error: Error | null | undefined, ...rest: unknown[]) => void;

/** A connection to the server behind the pool: runs statements, and goes back when released. */
export interface Connection {
  query: Query;
  /** Gives the connection back to whatever opened it. */
  close(): void;
}

/** node-postgres's own wording, so code that recognises these errors works on the real pool too. */
export const POOL_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';
const DOUBLE_RELEASE_MESSAGE = 'Release called on client which has already been released to the pool.';

/**
 * A node-postgres-compatible Pool of POOL_MAX connections that counts what your code does with it:
 * connect() hands out a client while fewer than `max` are out, queues the caller otherwise, and fails
 * it after connectionTimeoutMillis (a timer, so simulated time) as node-postgres does. Every statement,
 * through pool.query() or a client, goes through `record` (the statement log: holds and failures).
 */
export function countingPool(
  open: () => Promise<Connection>,
  record: (run: Query) => (...args: never[]) => unknown,
): { pool: Pool; use: PoolUse } {
  const waiting: Array<(connection: Connection | Error) => void> = [];
  const stats = { checkedOut: 0, peak: 0, waited: 0, timedOut: 0, misuse: [] as string[] };

  const checkOut = async (): Promise<Connection> => {
    if (stats.checkedOut < POOL_MAX) {
      stats.checkedOut++;
      stats.peak = Math.max(stats.peak, stats.checkedOut);
      return open();
    }
    stats.waited++;
    return new Promise<Connection>((resolve, reject) => {
      const give = (connection: Connection | Error) => {
        clearTimeout(timer);
        if (connection instanceof Error) reject(connection);
        else resolve(connection);
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(give), 1);
        stats.timedOut++;
        reject(new Error(POOL_TIMEOUT_MESSAGE));
      }, POOL_CONNECTION_TIMEOUT_MS);
      waiting.push(give);
    });
  };

  /** A released connection goes to the longest waiter, or back to the server. */
  const giveBack = (connection: Connection) => {
    const next = waiting.shift();
    if (next) {
      next(connection);
      return;
    }
    stats.checkedOut--;
    connection.close();
  };

  const client = (connection: Connection): PoolClient => {
    let released = false;
    const query = record(connection.query) as Query;
    const handle = {
      query,
      release: () => {
        if (released) {
          stats.misuse.push(DOUBLE_RELEASE_MESSAGE);
          throw new Error(DOUBLE_RELEASE_MESSAGE);
        }
        released = true;
        giveBack(connection);
      },
      on: () => handle,
      removeListener: () => handle,
    };
    return handle as unknown as PoolClient;
  };

  const connect = (callback?: Callback) => {
    const connecting = checkOut().then(client);
    if (!callback) return connecting;
    connecting.then(
      (taken) => callback(undefined, taken, () => taken.release()),
      (error: Error) => callback(error),
    );
    return undefined;
  };

  /** pool.query(): one connection for one statement, given back when it settles. */
  const query = (...args: unknown[]) => {
    const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as Callback) : undefined;
    const run = (async () => {
      const taken = await (connect() as Promise<PoolClient>);
      try {
        return await (taken.query as unknown as Query)(...args);
      } finally {
        taken.release();
      }
    })();
    if (!callback) return run;
    run.then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
    return undefined;
  };

  const pool = {
    connect,
    query,
    on: () => pool,
    removeListener: () => pool,
    end: async () => undefined,
    options: { max: POOL_MAX, connectionTimeoutMillis: POOL_CONNECTION_TIMEOUT_MS },
    get totalCount() {
      return stats.checkedOut;
    },
    get idleCount() {
      return 0;
    },
    get waitingCount() {
      return waiting.length;
    },
  };
  const use: PoolUse = {
    get checkedOut() {
      return stats.checkedOut;
    },
    get peak() {
      return stats.peak;
    },
    get waited() {
      return stats.waited;
    },
    get timedOut() {
      return stats.timedOut;
    },
    misuse: stats.misuse,
  };
  return { pool: pool as unknown as Pool, use };
}

/** The first index the plan of a pg-mem SELECT reads through (its columns), if any. */
function indexColumnsInPlan(plan: unknown): string[] | undefined {
  if (plan === null || typeof plan !== 'object') return undefined;
  const node = plan as Record<string, unknown>;
  if (node._ === 'btree' && Array.isArray(node.btree)) return node.btree.map(String);
  for (const value of Object.values(node)) {
    const found = indexColumnsInPlan(value);
    if (found) return found;
  }
  return undefined;
}

/** Databases with the two tables, empty, reused from test to test (database-pool.ts). */
const databases = databasePool(() => {
  const db = newDb();
  for (const statement of CREATE_TABLES) db.public.none(statement);
  return { db, Pool: db.adapters.createPg().Pool };
});

function insertAll(db: IMemoryDb, catalogue: Product[]): void {
  const products = db.public.getTable('products');
  for (const product of catalogue) products.insert(product);
  const customers = db.public.getTable('customers');
  for (const customer of CUSTOMERS) customers.insert(customer);
}

export async function simulatedPostgres(catalogue: Product[]): Promise<SimulatedPostgres> {
  const database = databases.borrow();
  const { db, Pool: MemPool } = database.value;
  insertAll(db, catalogue);
  const finish = async () => {
    log.releaseAll();
    database.giveBack();
  };
  onTestFinished(finish);

  const log = statementLog((run, statement) => database.running(statement.text, run));
  const memPool = new MemPool();
  const memQuery = (memPool.query as Query).bind(memPool);
  const { pool, use } = countingPool(
    async () => ({ query: memQuery, close: () => undefined }),
    log.recordingQuery,
  );

  const readProducts = () => db.public.many('SELECT * FROM products ORDER BY id') as Product[];
  const indexes = () => {
    try {
      return db.public
        .getTable('products')
        .listIndices()
        .map((index) => ({ name: index.name, columns: [...index.expressions] }));
    } catch {
      return []; // the table is gone
    }
  };

  return {
    pool,
    use,
    statements: log.statements,
    hold: log.hold,
    fail: (pattern) => log.fail(pattern),
    releaseAll: log.releaseAll,
    finish,
    products: async () => {
      try {
        return readProducts();
      } catch {
        return [];
      }
    },
    customersIntact: async () => {
      try {
        return db.public.many('SELECT id FROM customers').length === CUSTOMERS.length;
      } catch {
        return false;
      }
    },
    migrate: async (statements) => {
      for (const statement of statements) {
        database.sent(statement);
        db.public.none(statement);
      }
    },
    indexes: async () => indexes(),
    indexUsedBy: async (statement) => {
      const sql =
        statement.values.length > 0 ? replaceQueryArgs$(statement.text, statement.values) : statement.text;
      const columnsInPlan = () => {
        try {
          const plan = (db.public as unknown as { explainSelect(sql: string): unknown }).explainSelect(sql);
          return indexColumnsInPlan(plan)?.join(',');
        } catch {
          return undefined;
        }
      };
      const columns = columnsInPlan();
      const used = indexes().find((index) => index.columns.join(',') === columns)?.name;
      if (used !== undefined || columns !== undefined) return used;
      // PostgreSQL uses a multicolumn B-tree for conditions on its leading column alone (the manual's
      // "Multicolumn Indexes"); pg-mem plans one only when every column is constrained. So a multicolumn
      // index counts as used when an index on its leading column would be: tried, then dropped again.
      for (const index of indexes().filter((candidate) => candidate.columns.length > 1)) {
        try {
          db.public.none(`CREATE INDEX rj_leading_column_probe ON products (${index.columns[0]})`);
        } catch {
          continue; // a leading expression pg-mem cannot index alone: judged as pg-mem plans it
        }
        try {
          if (columnsInPlan() === index.columns[0]) return index.name;
        } finally {
          db.public.none('DROP INDEX rj_leading_column_probe');
        }
      }
      return undefined;
    },
    secrets: ['postgres://', '127.0.0.1:5432', 'password='],
  };
}
