/**
 * Against real servers
 * --------------------
 * With RJ_DATABASE_URL (a primary) and RJ_DATABASE_REPLICA_URLS (its streaming
 * replicas; tests/real-servers/servers.sh starts both) the same tests run
 * against real PostgreSQL. Only reached when the run names them; `pg` is loaded
 * then, never in a browser. What changes, and what does not:
 * - Each cluster gets a fresh schema on the primary (tables, sequence and
 *   products as in the simulation); the replicas receive it through replication.
 * - Each pool is a set of real connections (4 rather than 10: each one is a
 *   server process), still rotated for `pool.query()` and still recorded
 *   statement by statement.
 * - Lag is real. With no lag asked for, replicas stream as fast as they can (a
 *   few milliseconds behind) and `advance` waits until they have replayed every
 *   commit. With a lag, replay is paused on the standby (pg_wal_replay_pause())
 *   and resumed inside `advance` once the commits' time has come, until
 *   pg_last_wal_replay_lsn() reaches the primary's pg_current_wal_lsn() of that
 *   commit. Replay cannot stop halfway: a commit that is not due yet may arrive
 *   together with one that is. Replicas of one standby share its lag (the largest asked for).
 * - Errors are the server's own: 25006 from the standby, syntax errors with
 *   PostgreSQL's wording.
 * - Taking a server down stays simulated (refused before it is reached, with
 *   the error asked for): stopping a real server for one test would take seconds.
 * - With fewer real replicas than the test wants, replicas share one: replica-1
 *   and replica-3 are both the first URL. Each still has its own name, pool and
 *   connections, and can be taken down on its own; they share replay position.
 * - Time as your router sees it (`now`) stays simulated.
 */

import type { Client, QueryResult } from 'pg';
import { inFlight, settleWaitsFor } from '../support/settle';
import {
  type Cluster,
  ClusterBase,
  DatabaseServer,
  parseLsn,
  replicaName,
  SCHEMA,
  SEED,
  type ServerOptions,
} from './cluster';

/**
 * Real connections are expensive to open (a server process each, tens of ms on a
 * busy machine), so a real pool has fewer: still enough to rotate through.
 */
const REAL_CONNECTIONS_PER_POOL = 4;

/** Statements sent to real servers and not answered yet: settle() waits for them. */
const requests = inFlight();
settleWaitsFor(requests);

/** How long a real replica may take to replay what the primary has committed. */
const REPLAY_TIMEOUT_MS = 3_000;
/** One grading run at a time may pause a standby's replay: they take turns on this lock. */
const TURN_LOCK = 4_242_001;
const TURN_WAIT = '4s';

/** Connections stay open between the tests of a file: opening one costs a server process. */
const idleConnections = new Map<string, Client[]>();
/** One connection per server for the harness itself (schema, WAL positions, replay control). */
const adminConnections = new Map<string, Promise<Client>>();

async function connectTo(url: string): Promise<Client> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  // A connection that drops fails its next query, instead of crashing the run.
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function startAdmin(url: string, role: 'primary' | 'replica'): Promise<Client> {
  let client: Client;
  try {
    client = await connectTo(url);
  } catch (error) {
    throw new Error(
      `cannot connect to the ${role} at ${url}: ${(error as Error).message}. Start the servers (tests/real-servers/servers.sh start) or unset RJ_DATABASE_URL and RJ_DATABASE_REPLICA_URLS to use the simulation.`,
    );
  }
  const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
  if (rows[0]?.standby !== (role === 'replica')) {
    await client.end();
    throw new Error(
      role === 'replica'
        ? `${url} (in RJ_DATABASE_REPLICA_URLS) is not a standby: pg_is_in_recovery() is false`
        : `${url} (RJ_DATABASE_URL) is a standby, not a primary`,
    );
  }
  if (role === 'primary') await client.query(`SET lock_timeout = '${TURN_WAIT}'`);
  return client;
}

function adminFor(url: string, role: 'primary' | 'replica'): Promise<Client> {
  const key = `${role} ${url}`;
  let admin = adminConnections.get(key);
  if (!admin) {
    admin = startAdmin(url, role);
    adminConnections.set(key, admin);
    admin.catch(() => adminConnections.delete(key));
  }
  return admin;
}

// The insert position, not pg_current_wal_lsn() (the write position): with synchronous_commit = off a
// COMMIT returns before its record is written, and waiting for the write position would miss it.
async function currentLsn(admin: Client): Promise<string> {
  const { rows } = await admin.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  return lastRecordEnd(rows[0]?.lsn ?? '0/0');
}

const WAL_PAGE = 8192;
const WAL_SEGMENT = 16 * 1024 * 1024;

/**
 * When the last record filled a WAL page, the insert position already points past
 * the next page's header (24 bytes, 40 at the start of a segment), which no standby
 * replays until another record is written: wait for the end of the last record instead.
 */
function lastRecordEnd(lsn: string): string {
  const position = parseLsn(lsn);
  const header = position % WAL_SEGMENT === 40 ? 40 : position % WAL_PAGE === 24 ? 24 : 0;
  const end = position - header;
  const high = Math.floor(end / 2 ** 32);
  return `${high.toString(16).toUpperCase()}/${(end - high * 2 ** 32).toString(16).toUpperCase()}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A real server behind the recording pool: each logical connection is one real connection. */
class RealServer extends DatabaseServer {
  private readonly opened = new Map<number, Promise<Client>>();
  private readonly inFlight = new Map<number, number>();

  constructor(
    private readonly cluster: RealCluster,
    readonly url: string,
    options: Omit<ServerOptions, 'address' | 'port' | 'connections'>,
  ) {
    const { hostname, port } = new URL(url);
    super(cluster.log, cluster.now, {
      ...options,
      address: hostname,
      port: Number(port || 5432),
      connections: REAL_CONNECTIONS_PER_POOL,
    });
  }

  private connection(connection: number): Promise<Client> {
    let client = this.opened.get(connection);
    if (!client) {
      client = (async () => {
        const reused = idleConnections.get(this.url)?.pop();
        const real = reused ?? (await connectTo(this.url));
        await real.query(`SET search_path TO ${this.cluster.schema}`);
        return real;
      })();
      this.opened.set(connection, client);
      client.catch(() => this.opened.delete(connection));
    }
    return client;
  }

  protected execute(connection: number, sql: string, params: readonly unknown[]): Promise<QueryResult> {
    // settle() waits for statements still on their way to a real server, as it waits for simulated ones.
    return requests.track(this.executeOnServer(connection, sql, params));
  }

  private async executeOnServer(
    connection: number,
    sql: string,
    params: readonly unknown[],
  ): Promise<QueryResult> {
    this.inFlight.set(connection, (this.inFlight.get(connection) ?? 0) + 1);
    try {
      const client = await this.connection(connection);
      const result = await client.query(sql, [...params]);
      if (this.role === 'primary') await this.cluster.committed();
      return result as unknown as QueryResult;
    } finally {
      this.inFlight.set(connection, (this.inFlight.get(connection) ?? 1) - 1);
    }
  }

  protected override discard(connection: number): void {
    const client = this.opened.get(connection);
    this.opened.delete(connection);
    client?.then((real) => real.end()).catch(() => {});
  }

  /** Ends open transactions, forgets session state, and keeps the connections for the next test. */
  async reset(): Promise<void> {
    const opened = [...this.opened];
    this.opened.clear();
    await Promise.all(
      opened.map(async ([connection, pending]) => {
        const client = await pending.catch(() => undefined);
        if (!client) return;
        try {
          if ((this.inFlight.get(connection) ?? 0) > 0) throw new Error('still busy');
          await client.query('ROLLBACK');
          await client.query('DISCARD ALL');
          const idle = idleConnections.get(this.url) ?? [];
          idle.push(client);
          idleConnections.set(this.url, idle);
        } catch {
          await client.end().catch(() => {});
        }
      }),
    );
  }
}

/** A real standby: the replicas that share its URL share its replay. */
interface Standby {
  url: string;
  admin: Client;
  /** The WAL position it is known to have replayed. */
  replayed: string;
  paused: boolean;
}

export class RealCluster extends ClusterBase implements Cluster {
  readonly primary: RealServer;
  readonly replicas: RealServer[];
  /** The schema of this cluster, quoted: every connection's search_path. */
  readonly schema: string;
  private readonly lagMs: number;
  private readonly standbys: Standby[] = [];
  /** When each write reached the primary, and the primary's WAL position just after it. */
  private readonly commits: Array<{ at: number; lsn: string }> = [];
  private primaryAdmin: Client | undefined;
  private holdsTurn = false;
  private createdSchema = false;
  private closed = false;

  constructor(
    private readonly primaryUrl: string,
    private readonly replicaUrls: readonly string[],
    replicaCount: number,
    lagMs: number,
  ) {
    super();
    this.lagMs = lagMs;
    this.schema = `"rr_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}"`;
    this.primary = new RealServer(this, primaryUrl, {
      role: 'primary',
      name: 'primary',
      firstConnectionId: 100,
      lagMs: 0,
    });
    this.replicas = Array.from(
      { length: replicaCount },
      (_, i) =>
        new RealServer(this, replicaUrls[i % replicaUrls.length] as string, {
          role: 'replica',
          name: replicaName(i),
          firstConnectionId: 100 * (i + 2),
          lagMs,
        }),
    );
  }

  /** Creates the schema on the primary and waits until every standby has it. */
  async start(): Promise<void> {
    const admin = await adminFor(this.primaryUrl, 'primary');
    this.primaryAdmin = admin;
    try {
      await admin.query('SELECT pg_advisory_lock($1)', [TURN_LOCK]);
    } catch (error) {
      throw new Error(
        `another grading run kept the replicas of ${this.primaryUrl} for over ${TURN_WAIT} (${(error as Error).message}): the replica router's real-server tests pause replay on the standbys, so they must run one at a time`,
      );
    }
    this.holdsTurn = true;
    this.createdSchema = true;
    await admin.query(
      `BEGIN; CREATE SCHEMA ${this.schema}; SET LOCAL search_path TO ${this.schema}; ${SCHEMA} ${SEED} COMMIT;`,
    );
    const target = await currentLsn(admin);
    const used = this.replicaUrls.slice(0, Math.max(this.replicas.length, 1));
    for (const url of used) {
      const standby: Standby = { url, admin: await adminFor(url, 'replica'), replayed: '0/0', paused: true };
      this.standbys.push(standby);
      // Resume in case an earlier run stopped before it could.
      await this.replayTo(standby, target, false);
      const { rows } = await standby.admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
        this.schema.slice(1, -1),
      ]);
      if (rows.length === 0) {
        throw new Error(
          `${url} replayed up to the primary's WAL position but has no schema ${this.schema}: it is not a streaming replica of ${this.primaryUrl}`,
        );
      }
      if (this.lagMs > 0) await this.pause(standby);
    }
  }

  /** Called after every statement the primary ran: remembers when it committed and where. */
  async committed(): Promise<void> {
    if (this.lagMs === 0 || !this.primaryAdmin) return;
    this.commits.push({ at: this.now(), lsn: await currentLsn(this.primaryAdmin) });
  }

  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    let target: string | undefined;
    if (this.lagMs === 0) {
      if (this.primaryAdmin) target = await currentLsn(this.primaryAdmin);
    } else {
      target = this.commits.filter((commit) => commit.at + this.lagMs <= this.now()).at(-1)?.lsn;
    }
    if (target === undefined) return;
    for (const standby of this.standbys) await this.replayTo(standby, target, this.lagMs > 0);
  }

  private async pause(standby: Standby): Promise<void> {
    await standby.admin.query('SELECT pg_wal_replay_pause()');
    standby.paused = true;
  }

  /** Lets the standby replay until it has reached `target`, then (with a lag) pauses it again. */
  private async replayTo(standby: Standby, target: string, pauseAfter: boolean): Promise<void> {
    if (parseLsn(target) <= parseLsn(standby.replayed)) return;
    if (standby.paused) {
      await standby.admin.query(
        'SELECT pg_wal_replay_resume() FROM (SELECT pg_is_wal_replay_paused() AS p) s WHERE p',
      );
      standby.paused = false;
    }
    const deadline = performance.now() + REPLAY_TIMEOUT_MS; // Date is faked: measure real time
    for (;;) {
      const { rows } = await standby.admin.query<{ done: boolean; at: string | null }>(
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done, pg_last_wal_replay_lsn()::text AS at',
        [target],
      );
      if (rows[0]?.done) break;
      if (performance.now() > deadline) {
        throw new Error(
          `${standby.url} has replayed up to ${rows[0]?.at ?? 'nothing'} and the primary is at ${target}: it did not catch up within ${REPLAY_TIMEOUT_MS} ms. Is it streaming from ${this.primaryUrl} (SELECT * FROM pg_stat_replication on the primary)?`,
        );
      }
      await sleep(2);
    }
    standby.replayed = target;
    if (pauseAfter) await this.pause(standby);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const problems: unknown[] = [];
    const attempt = async (step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        problems.push(error);
      }
    };
    await Promise.all([this.primary, ...this.replicas].map((server) => server.reset()));
    for (const standby of this.standbys) {
      if (standby.paused) await attempt(() => standby.admin.query('SELECT pg_wal_replay_resume()'));
    }
    const admin = this.primaryAdmin;
    if (admin && this.createdSchema)
      await attempt(() => admin.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`));
    if (admin && this.holdsTurn)
      await attempt(() => admin.query('SELECT pg_advisory_unlock($1)', [TURN_LOCK]));
    if (problems.length > 0) throw problems[0];
  }
}

/** Closes the real connections kept between tests (after the last test, once every cluster is closed). */
export async function closeRealConnections(): Promise<void> {
  const clients = [
    ...[...idleConnections.values()].flat(),
    ...(await Promise.all([...adminConnections.values()].map((admin) => admin.catch(() => undefined)))),
  ];
  idleConnections.clear();
  adminConnections.clear();
  await Promise.all(clients.map((client) => client?.end().catch(() => {})));
}
