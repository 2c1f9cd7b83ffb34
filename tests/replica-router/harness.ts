/**
 * How this is graded
 * ------------------
 * The grader builds a small PostgreSQL cluster out of separate in-memory
 * databases (pg-mem): one primary and two or three replicas. Each server hands
 * your router a node-postgres style `Pool` (`query()`, `connect()` -> client
 * with `query()` and `release()`), and writes down every statement it receives:
 * which server, which connection, what SQL, and whether it succeeded.
 *
 * - Replication is asynchronous, like PostgreSQL streaming replication: a write
 *   that commits on the primary (inside BEGIN ... COMMIT: only at COMMIT) reaches
 *   each replica after that replica's lag, in simulated time (`cluster.advance`).
 * - Replicas are read-only hot standbys: a write, a SELECT ... FOR UPDATE or
 *   nextval() fails there with SQLSTATE 25006, as on a real standby.
 * - A server that is down refuses every connection (ECONNREFUSED).
 * - `pool.query()` borrows whichever pooled connection is free. Under load that
 *   is rarely the one your previous statement used, so the simulated pool
 *   rotates through its connections: the grader sees every bug that depends on
 *   "it happened to be the same connection".
 * - For a position-based design, the primary answers `SELECT pg_current_wal_lsn()`
 *   and each replica `SELECT pg_last_wal_replay_lsn()` with a position written
 *   like PostgreSQL's pg_lsn ('0/1A'); `parseLsn` turns one into a number.
 *
 * The grader judges behaviour only: where each statement ran, on which
 * connection, and what your router returned.
 */

import type { Pool, PoolClient, QueryResult } from 'pg';
import { DataType, newDb } from 'pg-mem';
import { astVisitor, parse, type Statement } from 'pgsql-ast-parser';
import { manualClock } from '../support/clock';

/** A row of the `products` table every server starts with. */
export interface Product {
  id: number;
  name: string;
  price_cents: number;
}

export const SEED_PRODUCTS: readonly Product[] = [
  { id: 1, name: 'espresso cup', price_cents: 1200 },
  { id: 2, name: 'pour-over kettle', price_cents: 4900 },
  { id: 3, name: 'burr grinder', price_cents: 12900 },
];

const SCHEMA = `
  create table products (id int primary key, name text not null, price_cents int not null);
  create table orders (id int primary key, product_id int not null, quantity int not null);
  create sequence order_numbers;
`;

/** What PostgreSQL would make of a statement on a read-only standby. */
export type StatementKind =
  /** plain reads: fine anywhere */
  | 'read'
  /** takes locks but changes no data: FOR UPDATE/SHARE (refused on a standby), advisory locks */
  | 'lock'
  /** changes data or schema: refused on a standby, replicated from the primary */
  | 'write'
  | 'begin'
  | 'commit'
  | 'rollback';

export interface StatementRecord {
  server: string;
  /** The connection the statement arrived on; unique across the cluster. */
  connection: number;
  sql: string;
  params: readonly unknown[];
  at: number;
  outcome: 'ok' | 'error' | 'refused';
  error?: string;
}

interface Replicated {
  sql: string;
  params: readonly unknown[];
  committedAt: number;
}

const sideEffectFunctions = new Set(['nextval', 'setval']);
const isAdvisoryLock = (name: string) => /^pg_(try_)?advisory_/.test(name);

function calledFunctions(statements: Statement[]): string[] {
  const names: string[] = [];
  const visitor = astVisitor((map) => ({
    call: (call) => {
      names.push(call.function.name.toLowerCase());
      map.super().call(call);
    },
  }));
  for (const statement of statements) visitor.statement(statement);
  return names;
}

function kindOf(statement: Statement): StatementKind {
  switch (statement.type) {
    case 'begin':
    case 'start transaction':
      return 'begin';
    case 'commit':
      return 'commit';
    case 'rollback':
      return 'rollback';
    case 'select':
      return statement.for ? 'lock' : 'read';
    case 'values':
    case 'show':
    case 'union':
    case 'union all':
      return 'read';
    case 'with': {
      const parts = [...statement.bind.map((bound) => bound.statement), statement.in];
      const kinds = parts.map(kindOf);
      if (kinds.includes('write')) return 'write';
      return kinds.includes('lock') ? 'lock' : 'read';
    }
    default:
      return 'write';
  }
}

/** The name PostgreSQL gives a statement in "cannot execute X in a read-only transaction". */
function labelOf(statement: Statement): string {
  if (statement.type === 'select' && statement.for) return `SELECT FOR ${statement.for.type.toUpperCase()}`;
  if (statement.type === 'with') {
    const inner = [...statement.bind.map((bound) => bound.statement), statement.in].find(
      (s) => kindOf(s) !== 'read',
    );
    return inner ? labelOf(inner) : 'WITH';
  }
  return statement.type.toUpperCase();
}

function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

const classified = new Map<string, { kind: StatementKind; label: string }>();

/** Classifies one SQL string like the server would, or throws PostgreSQL's syntax error. */
export function classify(sql: string): { kind: StatementKind; label: string } {
  let known = classified.get(sql);
  if (!known) {
    known = classifyUncached(sql);
    classified.set(sql, known);
  }
  return known;
}

function classifyUncached(sql: string): { kind: StatementKind; label: string } {
  let statements: Statement[];
  try {
    statements = parse(sql);
  } catch {
    if (/\?/.test(sql.replace(/'(?:[^']|'')*'/g, ''))) throw pgError('syntax error at or near "?"', '42601');
    throw pgError(`syntax error in: ${sql.trim().slice(0, 60)}`, '42601');
  }
  let kind: StatementKind = 'read';
  let label = '';
  for (const statement of statements) {
    const own = kindOf(statement);
    if (own !== 'read' && kind === 'read') {
      kind = own;
      label = labelOf(statement);
    }
  }
  const functions = calledFunctions(statements);
  const mutating = functions.find((name) => sideEffectFunctions.has(name));
  if (mutating && (kind === 'read' || kind === 'lock')) return { kind: 'write', label: `${mutating}()` };
  if (kind === 'read' && functions.some(isAdvisoryLock)) return { kind: 'lock', label: 'advisory lock' };
  return { kind, label };
}

/** '0/1A' -> 26: positions written like PostgreSQL's pg_lsn, as numbers you can compare. */
export function parseLsn(lsn: string): number {
  const [high, low] = lsn.split('/');
  return Number.parseInt(high ?? '0', 16) * 2 ** 32 + Number.parseInt(low ?? '0', 16);
}

const formatLsn = (position: number) => `0/${position.toString(16).toUpperCase()}`;

const CONNECTIONS_PER_POOL = 10;

export class SimulatedServer {
  readonly role: 'primary' | 'replica';
  readonly name: string;
  readonly address: string;
  /** The node-postgres style pool your router is given. */
  readonly pool: Pool;
  /** Replication delay of a replica, in simulated milliseconds. */
  lagMs = 0;
  private down = false;
  private paused = false;
  /** How many replicated writes this replica has applied (its replay position). */
  replayed = 0;
  private checkedOutClients = new Set<number>();
  private readonly connections: number[];
  private nextConnection = 0;
  private readonly db = newDb({ noAstCoverageCheck: true });
  private readonly engine: { query(sql: string, params?: unknown[]): Promise<QueryResult> };
  /** Per connection: a snapshot to restore on ROLLBACK and the writes to ship at COMMIT. */
  private readonly openTransactions = new Map<
    number,
    { restore: () => void; writes: Array<{ sql: string; params: readonly unknown[] }> }
  >();

  constructor(
    private readonly cluster: Cluster,
    role: 'primary' | 'replica',
    name: string,
    address: string,
    firstConnectionId: number,
  ) {
    this.role = role;
    this.name = name;
    this.address = address;
    this.connections = Array.from({ length: CONNECTIONS_PER_POOL }, (_, i) => firstConnectionId + i);
    this.db.public.none(SCHEMA);
    for (const p of SEED_PRODUCTS) {
      this.db.public.none(`insert into products values (${p.id}, '${p.name}', ${p.price_cents})`);
    }
    this.db.public.registerFunction({
      name: role === 'primary' ? 'pg_current_wal_lsn' : 'pg_last_wal_replay_lsn',
      returns: DataType.text,
      implementation: () => formatLsn(role === 'primary' ? cluster.walPosition() : this.replayed),
      impure: true,
    });
    for (const name of [
      'pg_advisory_lock',
      'pg_advisory_xact_lock',
      'pg_advisory_unlock',
      'pg_try_advisory_lock',
    ]) {
      this.db.public.registerFunction({
        name,
        args: [DataType.bigint],
        returns: DataType.bool,
        implementation: () => true,
        impure: true,
      });
    }
    const { Pool: MemPool } = this.db.adapters.createPg();
    this.engine = new MemPool();
    this.pool = this.makePool();
  }

  /** Every connection attempt and query now fails as if the host were unreachable. */
  goDown(): void {
    this.down = true;
  }

  comeBack(): void {
    this.down = false;
  }

  /** Stops replaying (like pg_wal_replay_pause()); the replica keeps serving stale reads. */
  pauseReplay(): void {
    this.paused = true;
  }

  resumeReplay(): void {
    this.paused = false;
  }

  /** Clients handed out by `pool.connect()` and not yet released. */
  get checkedOut(): number {
    return this.checkedOutClients.size;
  }

  /** Statements that reached this server (including refused attempts). */
  get statements(): StatementRecord[] {
    return this.cluster.log.filter((record) => record.server === this.name);
  }

  /** Applies the replicated writes whose time has come (replicas only). */
  catchUp(): void {
    if (this.role !== 'replica' || this.paused) return;
    const stream = this.cluster.replicationStream;
    while (this.replayed < stream.length) {
      const entry = stream[this.replayed] as Replicated;
      if (entry.committedAt + this.lagMs > this.cluster.now()) break;
      this.applyReplicated(entry);
      this.replayed++;
    }
  }

  private applyReplicated(entry: Replicated): void {
    // Replaying through the engine's synchronous API keeps the order exact.
    const sql = entry.params.reduceRight<string>(
      (text, value, index) => text.split(`$${index + 1}`).join(literal(value)),
      entry.sql,
    );
    this.db.public.none(sql);
  }

  private refuse(): Error {
    return Object.assign(new Error(`connect ECONNREFUSED ${this.address}:5432`), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: this.address,
      port: 5432,
    });
  }

  private borrowConnection(): number {
    for (let i = 0; i < this.connections.length; i++) {
      const id = this.connections[(this.nextConnection + i) % this.connections.length] as number;
      if (!this.checkedOutClients.has(id)) {
        this.nextConnection = (this.nextConnection + i + 1) % this.connections.length;
        return id;
      }
    }
    throw new Error(
      `${this.name}: all ${CONNECTIONS_PER_POOL} pooled connections are checked out and never released`,
    );
  }

  private async run(connection: number, sql: string, params: readonly unknown[] = []): Promise<QueryResult> {
    if (typeof sql !== 'string')
      throw new TypeError(`${this.name}: query() expects the SQL text as a string`);
    const record: StatementRecord = {
      server: this.name,
      connection,
      sql,
      params: [...params],
      at: this.cluster.now(),
      outcome: 'ok',
    };
    this.cluster.log.push(record);
    // A real server answers on a later turn of the event loop; so does this one.
    await Promise.resolve();
    if (this.down) {
      record.outcome = 'refused';
      record.error = 'ECONNREFUSED';
      throw this.refuse();
    }
    try {
      return await this.execute(connection, sql, params);
    } catch (error) {
      record.outcome = 'error';
      record.error = (error as Error).message;
      throw error;
    }
  }

  private async execute(connection: number, sql: string, params: readonly unknown[]): Promise<QueryResult> {
    const { kind, label } = classify(sql);
    const open = this.openTransactions.get(connection);
    const empty = (command: string): QueryResult => ({
      command,
      rowCount: null,
      rows: [],
      fields: [],
      oid: 0,
    });
    if (kind === 'begin') {
      if (!open) {
        const snapshot = this.db.backup();
        this.openTransactions.set(connection, { restore: () => snapshot.restore(), writes: [] });
      }
      return empty('BEGIN');
    }
    if (kind === 'commit' || kind === 'rollback') {
      if (open) {
        this.openTransactions.delete(connection);
        if (kind === 'rollback') open.restore();
        else for (const write of open.writes) this.cluster.replicate(write.sql, write.params);
      }
      return empty(kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
    }
    if (this.role === 'replica') {
      this.catchUp();
      if (kind === 'write' || (kind === 'lock' && label.startsWith('SELECT FOR'))) {
        throw pgError(`cannot execute ${label} in a read-only transaction`, '25006');
      }
    }
    const result = await this.engine.query(sql, [...params]);
    if (this.role === 'primary' && kind === 'write') {
      if (open) open.writes.push({ sql, params });
      else this.cluster.replicate(sql, params);
    }
    return result;
  }

  private makePool(): Pool {
    const pool = {
      query: (sql: string, params?: unknown[]) => this.run(this.borrowConnection(), sql, params),
      connect: async (): Promise<PoolClient> => {
        await Promise.resolve();
        if (this.down) {
          this.cluster.log.push({
            server: this.name,
            connection: 0,
            sql: '(connect)',
            params: [],
            at: this.cluster.now(),
            outcome: 'refused',
            error: 'ECONNREFUSED',
          });
          throw this.refuse();
        }
        const connection = this.borrowConnection();
        this.checkedOutClients.add(connection);
        let released = false;
        const client = {
          query: (sql: string, params?: unknown[]) => {
            if (released)
              return Promise.reject(new Error('Client was released to the pool and cannot be used'));
            return this.run(connection, sql, params);
          },
          release: () => {
            if (released)
              throw new Error('Release called on client which has already been released to the pool.');
            released = true;
            this.checkedOutClients.delete(connection);
          },
        };
        return client as unknown as PoolClient;
      },
      end: async () => {},
      on: () => pool,
    };
    return pool as unknown as Pool;
  }
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `'${String(value).replace(/'/g, "''")}'`;
}

export class Cluster {
  readonly primary: SimulatedServer;
  readonly replicas: SimulatedServer[];
  /** Every statement every server received, in order. */
  readonly log: StatementRecord[] = [];
  readonly replicationStream: Replicated[] = [];
  private readonly clock = manualClock();

  constructor(replicaCount: number) {
    this.primary = new SimulatedServer(this, 'primary', 'primary', '10.0.1.10', 100);
    this.replicas = Array.from(
      { length: replicaCount },
      (_, i) => new SimulatedServer(this, 'replica', `replica-${i + 1}`, `10.0.1.${11 + i}`, 100 * (i + 2)),
    );
  }

  /** Simulated time in milliseconds; hand it to your router as `now`. */
  readonly now = (): number => this.clock.now();

  /** Moves simulated time forward; replicas apply whatever has become due. */
  advance(ms: number): void {
    this.clock.advance(ms);
    for (const replica of this.replicas) replica.catchUp();
  }

  walPosition(): number {
    return this.replicationStream.length;
  }

  replicate(sql: string, params: readonly unknown[]): void {
    this.replicationStream.push({ sql, params, committedAt: this.now() });
  }

  server(name: string): SimulatedServer {
    const found = [this.primary, ...this.replicas].find((server) => server.name === name);
    if (!found) throw new Error(`no server named ${name}`);
    return found;
  }

  /** The successful or attempted runs of exactly this SQL text. */
  runsOf(sql: string): StatementRecord[] {
    return this.log.filter((record) => record.sql === sql);
  }
}

export function createCluster(options: { replicas?: number } = {}): Cluster {
  return new Cluster(options.replicas ?? 2);
}
