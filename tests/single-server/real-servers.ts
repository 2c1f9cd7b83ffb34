/**
 * The single-server harness against a real PostgreSQL (RJ_DATABASE_URL: see tests/real-servers). Nothing
 * here runs with the simulation, nor in a browser.
 *
 * Each test gets its own schema (the pool's search_path) with the two tables. The same counting pool as
 * in simulation.ts stands in front of a real node-postgres Pool of as many connections, so the grader
 * counts what your code takes and gives back; statements still go through the same log (holds, dropped
 * connections). The pool's timeout runs on a real timer here: the grader cannot fake the clocks of a
 * real client, so the pool test waits one real second. The index checks read pg_indexes and EXPLAIN.
 */
import type { PoolClient } from 'pg';
import { onTestFinished } from 'vitest';
import { inFlight, settleWaitsFor } from '../support/settle';
import { type Query, statementLog } from '../support/statement-log';
import { withinMs } from '../support/within';
import {
  CREATE_TABLES,
  CUSTOMERS,
  POOL_MAX,
  type Product,
  type SimulatedPostgres,
  type Statement,
} from './harness';
import { countingPool } from './simulation';

/** The columns of `CREATE INDEX ... USING btree (category, id)`, as pg_indexes shows it. */
function indexColumns(definition: string): string[] {
  const inside = /\((.*)\)\s*$/.exec(definition)?.[1] ?? '';
  const columns: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of inside) {
    if (char === ',' && depth === 0) {
      columns.push(current.trim());
      current = '';
      continue;
    }
    if (char === '(') depth++;
    if (char === ')') depth--;
    current += char;
  }
  if (current.trim()) columns.push(current.trim());
  return columns;
}

/** The first index a plan reads with an index condition (a lookup, not a scan of the whole index). */
function indexWithCondition(plan: unknown): string | undefined {
  if (plan === null || typeof plan !== 'object') return undefined;
  const node = plan as Record<string, unknown>;
  if (typeof node['Index Name'] === 'string' && node['Index Cond'] !== undefined) return node['Index Name'];
  for (const value of Object.values(node)) {
    const found = indexWithCondition(value);
    if (found) return found;
  }
  return undefined;
}

export async function realPostgres(url: string, catalogue: Product[]): Promise<SimulatedPostgres> {
  const { default: pg } = await import('pg');
  const schema = `rj_single_server_${globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
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
  const inSchema = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await admin.connect();
    try {
      await client.query(`SET search_path = ${schema}`);
      return await work(client);
    } finally {
      await client.query('RESET ALL').catch(() => undefined);
      client.release();
    }
  };
  await inSchema(async (client) => {
    for (const statement of CREATE_TABLES) await client.query(statement);
    for (const p of catalogue) {
      await client.query(
        'INSERT INTO products (id, name, category, price_cents, stock) VALUES ($1, $2, $3, $4, $5)',
        [p.id, p.name, p.category, p.price_cents, p.stock],
      );
    }
    for (const c of CUSTOMERS) {
      await client.query('INSERT INTO customers (id, email, password_hash) VALUES ($1, $2, $3)', [
        c.id,
        c.email,
        c.password_hash,
      ]);
    }
  });

  const requests = inFlight();
  const stopWaiting = settleWaitsFor(requests);
  const log = statementLog((run) => requests.track(run()));
  const server = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: POOL_MAX });
  server.on('error', () => undefined);
  const { pool, use } = countingPool(async () => {
    const client = await requests.track(server.connect());
    return { query: (client.query as Query).bind(client), close: () => client.release() };
  }, log.recordingQuery);

  let finished: Promise<void> | undefined;
  const finish = () => {
    finished ??= (async () => {
      log.releaseAll();
      await withinMs(2_000, requests.idle());
      stopWaiting();
      // A client your code never released keeps the pool open: do not wait for it for ever.
      await withinMs(1_000, server.end());
      await withinMs(2_000, admin.query(`DROP SCHEMA ${schema} CASCADE`));
      await withinMs(1_000, admin.end());
    })();
    return finished;
  };
  onTestFinished(finish);

  const indexes = () =>
    inSchema(async (client) => {
      const { rows } = await client.query<{ indexname: string; indexdef: string }>(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'products' ORDER BY indexname",
        [schema],
      );
      return rows.map((row) => ({ name: row.indexname, columns: indexColumns(row.indexdef) }));
    });

  return {
    pool,
    use,
    statements: log.statements,
    hold: log.hold,
    fail: (pattern) => log.fail(pattern),
    releaseAll: log.releaseAll,
    finish,
    products: () =>
      inSchema(async (client) => {
        try {
          return (await client.query<Product>('SELECT * FROM products ORDER BY id')).rows;
        } catch {
          return [];
        }
      }),
    customersIntact: () =>
      inSchema(async (client) => {
        try {
          return (await client.query('SELECT id FROM customers')).rows.length === CUSTOMERS.length;
        } catch {
          return false;
        }
      }),
    migrate: (statements) =>
      inSchema(async (client) => {
        for (const statement of statements) await client.query(statement);
        await client.query('ANALYZE products');
      }),
    indexes,
    // With sequential scans switched off the planner uses any index that can serve the WHERE: on eight
    // rows it would rightly read the table, which says nothing about a million.
    indexUsedBy: (statement: Statement) =>
      inSchema(async (client) => {
        await client.query('SET enable_seqscan = off');
        try {
          const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
            `EXPLAIN (FORMAT JSON) ${statement.text}`,
            statement.values,
          );
          return indexWithCondition(rows[0]?.['QUERY PLAN']);
        } catch {
          return undefined;
        }
      }),
    secrets: ['postgres://', new URL(url).host, 'password='],
  };
}
