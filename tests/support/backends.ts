import { inject, it, type TestContext } from 'vitest';

/**
 * Real servers for graders. By default every grader runs against the embedded
 * simulations (ioredis-mock, pg-mem): nothing to install, and the same in a
 * browser. When the offline grader is started with RJ_REDIS_URL, RJ_DATABASE_URL or
 * RJ_DATABASE_REPLICA_URLS set, it provides them here and a harness connects to
 * those servers instead (see tests/real-servers/servers.sh).
 *
 * Harnesses must load a real client only when a URL is present, with a dynamic
 * `await import('ioredis')` / `await import('pg')`: the browser Worker has
 * neither package, and provides no backends.
 */

export interface Backends {
  /** A real Redis, e.g. redis://127.0.0.1:6390 (RJ_REDIS_URL). */
  redisUrl?: string;
  /** A real PostgreSQL primary, e.g. postgres://postgres@127.0.0.1:5433/postgres (RJ_DATABASE_URL). */
  databaseUrl?: string;
  /** Streaming replicas of that primary (RJ_DATABASE_REPLICA_URLS, comma-separated). */
  replicaUrls?: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    backends: Backends;
  }
}

/** The real servers of this run; empty when the graders use the simulations (always, in a browser). */
export function backends(): Backends {
  return (inject('backends') as Backends | undefined) ?? {};
}

/** What a test can need simulated: time on Redis, the database, or replication between servers. */
export type SimulatedBackend = 'redis' | 'database' | 'replicas';

/** True when this run uses a real server in place of that simulation. */
export function isReal(backend: SimulatedBackend): boolean {
  const configured = backends();
  if (backend === 'redis') return configured.redisUrl !== undefined;
  if (backend === 'database') return configured.databaseUrl !== undefined;
  return (configured.replicaUrls?.length ?? 0) > 0;
}

/** The note a skipped simulation-only test carries; the grading summary lists these. */
export const SIMULATION_ONLY = 'needs the simulation';

type TestBody = (context: TestContext) => unknown;

/**
 * Declares a test that only the simulation can run: it needs something a real
 * server cannot give on demand (simulated time, replication held at a chosen
 * point). With the simulation it is an ordinary `it`; against a real server it
 * is reported as skipped, with the reason, and the summary lists it - never
 * silently dropped. Prefer adapting the harness so the test still runs.
 *
 *   simulationOnly('replicas', 'stops replication for one replica only')('a lagging replica ...', async () => { ... });
 */
export function simulationOnly(
  needs: SimulatedBackend | readonly SimulatedBackend[],
  reason: string,
): (name: string, body: TestBody) => void {
  const real = (typeof needs === 'string' ? [needs] : needs).filter(isReal);
  if (real.length === 0) return (name, body) => it(name, body);
  const note = `${SIMULATION_ONLY} (real ${real.join(', ')} configured): ${reason}`;
  return (name) =>
    it(name, (context) => {
      context.skip(note);
    });
}
