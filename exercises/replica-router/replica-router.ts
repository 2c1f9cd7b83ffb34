import type { Product } from '@grader/replica-router/harness';
import type { Pool, QueryResult, QueryResultRow } from 'pg';

/**
 * A read/write-splitting router over one PostgreSQL primary and its streaming
 * replicas. The grader hands you one node-postgres `Pool` per server:
 *   pool.query(sql, params)        runs one statement on any free connection
 *   pool.connect() -> client       one connection for you alone:
 *     client.query(sql, params), then client.release() when you are done
 * PostgreSQL parameters are written $1, $2, ... and passed as an array.
 */

export interface RouterOptions {
  primary: Pool;
  /** Two or more replicas, each a read-only copy a little behind the primary. */
  replicas: Pool[];
  /** Current time in milliseconds. Use it instead of Date.now(): the grader simulates time. */
  now: () => number;
  /**
   * How long after a write a session keeps reading from the primary (if your
   * design uses a time window). Pick a default larger than the usual replica lag.
   */
  consistencyWindowMs?: number;
}

/**
 * Per-user (or per-request) state that makes read-your-writes possible. The
 * router creates it and reads it; shape it as your design needs (a write time,
 * a WAL position...). The grader only passes it back to you.
 */
export interface Session {
  lastWriteAt: number | undefined;
}

/** The statements of one transaction, all on the same primary connection. */
export interface Transaction {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

export interface ReplicaRouter {
  /** Runs one statement: reads on a replica, anything else on the primary. */
  query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params?: unknown[],
    session?: Session,
  ): Promise<QueryResult<R>>;
  /**
   * Runs `work` inside BEGIN ... COMMIT on the primary and resolves with what it
   * returns. If `work` throws: ROLLBACK, then reject with that same error.
   */
  transaction<T>(work: (tx: Transaction) => Promise<T>, session?: Session): Promise<T>;
  /** A new session, to pass to query() and transaction() for one user. */
  session(): Session;
}

export function createReplicaRouter(options: RouterOptions): ReplicaRouter {
  const { primary, replicas, now } = options;
  void primary;
  void replicas;
  void now;

  return {
    session: () => ({ lastWriteAt: undefined }),

    async query<R extends QueryResultRow = QueryResultRow>(
      sql: string,
      params?: unknown[],
      session?: Session,
    ): Promise<QueryResult<R>> {
      void sql;
      void params;
      void session;
      // TODO (task 1): send reads to a replica, spread over all of them; everything else to the primary.
      // TODO (task 2): decide what is a read the way PostgreSQL would: case, whitespace, comments,
      //   string literals and names like updated_at do not make a read a write; FOR UPDATE / FOR SHARE,
      //   WITH ... INSERT, a second statement that writes and nextval() are not reads;
      //   when you are not sure, use the primary.
      // TODO (task 4): after a session writes, its reads must see the write (but not forever).
      // TODO (task 5): if a replica cannot be reached (refused, timed out, reset, shutting down...),
      //   skip it for a while and try another replica; with none left, read from the primary.
      //   A failed statement (a missing column) is the caller's error, not a dead replica.
      throw new Error('TODO (task 1): route this statement to a replica or to the primary');
    },

    async transaction<T>(work: (tx: Transaction) => Promise<T>, session?: Session): Promise<T> {
      void work;
      void session;
      // TODO (task 3): one client from primary.connect() for this call alone (two users' transactions
      //   may overlap); BEGIN, the work, COMMIT on that client; ROLLBACK and rethrow the work's error
      //   if it throws (even if the ROLLBACK fails too); release the client in every case.
      // TODO (task 4): a committed transaction is a write of the session too.
      throw new Error('TODO (task 3): run the work in a transaction on one primary connection');
    },
  };
}

/**
 * The article's product handler, through the router: the product with this id,
 * or null if there is none.
 */
export async function getProduct(router: ReplicaRouter, id: number): Promise<Product | null> {
  void router;
  void id;
  // TODO (task 1): SELECT id, name, price_cents FROM products WHERE id = ... (PostgreSQL placeholders are $1, $2...)
  throw new Error('TODO (task 1): read one product through the router');
}
