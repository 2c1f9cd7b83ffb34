import type { Product } from '@grader/replica-router/harness';
import type { Pool, QueryResult, QueryResultRow } from 'pg';

// WRONG ON PURPOSE (uppercase-select-regex.ts): reads are detected with /^SELECT/.

/**
 * A read/write-splitting router over one PostgreSQL primary and its streaming
 * replicas. Reads spread over the replicas, everything else goes to the
 * primary, a session reads its own writes, and dead replicas are skipped.
 */

export interface RouterOptions {
  primary: Pool;
  replicas: Pool[];
  /** Current time in milliseconds (simulated in the grader). */
  now: () => number;
  /**
   * How long after a write a session keeps reading from the primary. Must
   * exceed the replicas' usual lag (watch `replay_lag` in pg_stat_replication).
   */
  consistencyWindowMs?: number;
}

/** Per-user (or per-request) state that makes read-your-writes possible. */
export interface Session {
  /** When this session last wrote, or undefined if it never has. */
  lastWriteAt: number | undefined;
}

/** The statements of one transaction, all on the same primary connection. */
export interface Transaction {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

export interface ReplicaRouter {
  query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params?: unknown[],
    session?: Session,
  ): Promise<QueryResult<R>>;
  transaction<T>(work: (tx: Transaction) => Promise<T>, session?: Session): Promise<T>;
  session(): Session;
}

const DEFAULT_CONSISTENCY_WINDOW_MS = 1_000;
/** How long a replica that refused a connection is left alone before it is tried again. */
const RETRY_DOWN_REPLICA_AFTER_MS = 10_000;

/** A read is a statement that starts with SELECT. */
export function isReadOnly(sql: string): boolean {
  return /^SELECT/.test(sql);
}

/** Errors that mean "could not reach this server", as opposed to "your SQL failed". */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin_shutdown
    code === '57P03' // cannot_connect_now (still starting up)
  );
}

export function createReplicaRouter(options: RouterOptions): ReplicaRouter {
  const { primary, replicas, now } = options;
  const windowMs = options.consistencyWindowMs ?? DEFAULT_CONSISTENCY_WINDOW_MS;
  /** Replica -> time until which it is considered down. */
  const downUntil = new Map<Pool, number>();
  let nextReplica = 0;

  function markWrite(session: Session | undefined): void {
    if (session) session.lastWriteAt = now();
  }

  /** Healthy replicas in round-robin order, starting after the one used last. */
  function replicasToTry(): Pool[] {
    const start = nextReplica;
    nextReplica = (nextReplica + 1) % Math.max(replicas.length, 1);
    const ordered = replicas.map((_, i) => replicas[(start + i) % replicas.length] as Pool);
    return ordered.filter((replica) => (downUntil.get(replica) ?? 0) <= now());
  }

  async function read<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    for (const replica of replicasToTry()) {
      try {
        const result = await replica.query<R>(sql, params);
        downUntil.delete(replica);
        return result;
      } catch (error) {
        // A SQL error would fail on every server: report it. Only an unreachable replica is skipped.
        if (!isConnectionError(error)) throw error;
        downUntil.set(replica, now() + RETRY_DOWN_REPLICA_AFTER_MS);
      }
    }
    // No replica could answer: the primary has the freshest data anyway.
    return primary.query<R>(sql, params);
  }

  function mustReadPrimary(session: Session | undefined): boolean {
    return session?.lastWriteAt !== undefined && now() - session.lastWriteAt < windowMs;
  }

  return {
    session: () => ({ lastWriteAt: undefined }),

    async query<R extends QueryResultRow = QueryResultRow>(
      sql: string,
      params?: unknown[],
      session?: Session,
    ) {
      if (isReadOnly(sql)) {
        return mustReadPrimary(session) ? primary.query<R>(sql, params) : read<R>(sql, params);
      }
      const result = await primary.query<R>(sql, params);
      markWrite(session);
      return result;
    },

    async transaction<T>(work: (tx: Transaction) => Promise<T>, session?: Session): Promise<T> {
      // One client for the whole transaction: pool.query() may pick a different
      // connection for every statement, and BEGIN only affects its own connection.
      const client = await primary.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const tx: Transaction = {
          query: <R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]) =>
            client.query<R>(sql, params),
        };
        const result = await work(tx);
        await client.query('COMMIT');
        markWrite(session);
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is broken: release(err) tells the pool to discard it.
          // The caller's error is still the one worth reporting.
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}

/** The article's product handler, done right: $1 placeholder, one row or null. */
export async function getProduct(router: ReplicaRouter, id: number): Promise<Product | null> {
  const result = await router.query<Product>('SELECT id, name, price_cents FROM products WHERE id = $1', [
    id,
  ]);
  return result.rows[0] ?? null;
}
