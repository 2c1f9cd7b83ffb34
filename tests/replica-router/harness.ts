/**
 * How this is graded
 * ------------------
 * The grader builds a small PostgreSQL cluster: one primary and two or three
 * replicas, each a separate in-memory database (pg-mem, see simulation.ts).
 * Each server hands your router a node-postgres style `Pool` (`query()`,
 * `connect()` -> client with `query()` and `release()`), and writes down every
 * statement it receives: which server, which connection, what SQL, and whether
 * it succeeded (cluster.ts).
 *
 * - Replication is asynchronous: a committed write reaches each replica after
 *   that replica's lag, in simulated time. Your router gets `now()`; Date and
 *   the timers (setTimeout, setInterval) follow simulated time as well, so a
 *   timer that brings a replica back fires when the grader moves the clock,
 *   and a zero-delay timer (setTimeout(fn, 0)) fires once the event loop has
 *   nothing else to run: the grader waits for each call to finish that way,
 *   never for a fixed number of turns.
 * - Replicas refuse writes and row locks with SQLSTATE 25006, like a hot standby.
 * - A server can be taken down: it then fails every connection the way a dead,
 *   unreachable, restarting or stopping PostgreSQL does (see ConnectionFailure).
 * - `pool.query()` borrows whichever pooled connection is free. Under load that
 *   is rarely the one your previous statement used, so the simulated pool
 *   rotates through its connections: the grader sees every bug that depends on
 *   "it happened to be the same connection".
 * - Some tests generate scenarios (statements written many ways, histories of
 *   sessions writing, reading and replicas failing) and compare what your router
 *   did with what PostgreSQL and a correct router would do. A failure shows the
 *   smallest scenario that goes wrong, and the seed replays it.
 *
 * The grader judges behaviour only: where each statement ran, on which
 * connection, and what your router returned. The same tests also run against
 * real PostgreSQL servers (real-servers.ts).
 */

import { backends } from '../support/backends';
import { type Cluster, restoreTestClock } from './cluster';
import { closeRealConnections, RealCluster } from './real-servers';
import { SimulatedCluster } from './simulation';

export {
  type Cluster,
  CONNECTION_FAILURES,
  type ConnectionFailure,
  type DatabaseServer,
  type Product,
  parseLsn,
  SEED_PRODUCTS,
  type StatementRecord,
} from './cluster';

const openClusters = new Set<Cluster>();

/**
 * A primary and `replicas` replicas (2 unless told), each replica `lagMs`
 * simulated milliseconds behind the primary (0 unless told; a list gives each
 * replica its own lag). Simulated, unless the run names real servers.
 */
export async function createCluster(
  options: { replicas?: number; lagMs?: number | readonly number[] } = {},
): Promise<Cluster> {
  const replicaCount = options.replicas ?? 2;
  const lagMs = options.lagMs ?? 0;
  const { databaseUrl, replicaUrls = [] } = backends();
  if (databaseUrl === undefined) {
    const cluster = new SimulatedCluster(replicaCount, lagMs);
    openClusters.add(cluster);
    return cluster;
  }
  if (replicaUrls.length === 0) {
    throw new Error(
      'RJ_DATABASE_URL names a real primary but RJ_DATABASE_REPLICA_URLS names no replica: the replica router needs at least one streaming replica (tests/real-servers/servers.sh starts one). Unset RJ_DATABASE_URL to use the simulation.',
    );
  }
  const realLag = typeof lagMs === 'number' ? lagMs : Math.max(0, ...lagMs);
  const cluster = new RealCluster(databaseUrl, replicaUrls, replicaCount, realLag);
  openClusters.add(cluster);
  await cluster.start();
  return cluster;
}

/** Closes every cluster created so far (after each test). */
export async function closeClusters(): Promise<void> {
  const clusters = [...openClusters];
  openClusters.clear();
  const results = await Promise.allSettled(clusters.map((cluster) => cluster.close()));
  restoreTestClock();
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Closes the real connections kept between tests (after the last test). */
export async function disconnect(): Promise<void> {
  await closeClusters();
  await closeRealConnections();
}
