import type { Product } from '@grader/replica-router/harness';
import type { Pool, QueryResult, QueryResultRow } from 'pg';

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

/**
 * Comments, string literals, quoted identifiers and dollar-quoted strings, in one
 * pass from left to right: whichever starts first wins, so a '--' inside a string
 * does not start a comment, and a quote inside a comment does not start a string.
 */
const noise = /--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"|\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$/g;

/** The statement with its noise blanked out, so only SQL keywords and names remain. */
function stripNoise(sql: string): string {
  return sql.replace(noise, ' ').toLowerCase();
}

const readOnlyStarts = new Set(['select', 'with']);
// FOR UPDATE and FOR NO KEY UPDATE are caught below by "update"; FOR SHARE and FOR KEY SHARE here.
const sharedRowLock = /\bfor\s+(key\s+)?share\b/;
// Writes anywhere in the text: a data-modifying CTE (WITH x AS (DELETE ...)), a second
// statement, SELECT ... FOR UPDATE, or SELECT ... INTO, which creates a table.
const modifies = /\b(insert|update|delete|merge|into)\b/;
// Functions that change state, or take locks that only mean something on the primary.
const sideEffects =
  /\b(nextval|setval|pg_(try_)?advisory_\w+|pg_notify|txid_current|pg_current_xact_id)\s*\(/;

/**
 * True only for statements we are sure a replica can answer. Anything we do
 * not recognise goes to the primary: a read sent there is merely slower, a
 * write sent to a replica fails.
 */
export function isReadOnly(sql: string): boolean {
  const text = stripNoise(sql);
  const firstWord = /^\s*([a-z]+)/.exec(text)?.[1];
  if (!firstWord || !readOnlyStarts.has(firstWord)) return false;
  return !sharedRowLock.test(text) && !modifies.test(text) && !sideEffects.test(text);
}

/**
 * Errors that mean "could not reach this server", as opposed to "your SQL failed":
 * Node's socket errors (ECONNREFUSED, ETIMEDOUT, ECONNRESET, EHOSTUNREACH...),
 * SQLSTATE class 08 (connection exception) and 57P01-57P05 (the server is shutting
 * down, crashed or is still starting up). No SQLSTATE class starts with E.
 */
function isConnectionError(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code);
  return code.startsWith('E') || code.startsWith('08') || code.startsWith('57P');
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
    nextReplica = (nextReplica + 1) % replicas.length;
    const ordered = replicas.map((_, i) => replicas[(start + i) % replicas.length] as Pool);
    return ordered.filter((replica) => (downUntil.get(replica) ?? 0) <= now());
  }

  async function read<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    for (const replica of replicasToTry()) {
      try {
        return await replica.query<R>(sql, params);
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
    const lastWriteAt = session?.lastWriteAt ?? Number.NEGATIVE_INFINITY;
    return now() - lastWriteAt < windowMs;
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
        // If the connection is gone, ROLLBACK fails too (and the server has rolled
        // back already): the caller's error is still the one worth reporting.
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
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
