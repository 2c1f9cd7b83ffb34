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
 *   like PostgreSQL's pg_lsn ('0/3000060'); `parseLsn` turns one into a number,
 *   and `pg_last_wal_replay_lsn() >= $1::pg_lsn` compares them in SQL.
 *
 * The grader judges behaviour only: where each statement ran, on which
 * connection, and what your router returned.
 *
 * Against real servers
 * --------------------
 * With DATABASE_URL (a primary) and DATABASE_REPLICA_URLS (its streaming
 * replicas; tests/real-servers/servers.sh starts both) the same tests run
 * against real PostgreSQL. What changes, and what does not:
 * - Each cluster gets a fresh schema on the primary (tables, sequence and
 *   products as above); the replicas receive it through replication.
 * - Each pool is a set of real connections (4 rather than 10: each one is a
 *   server process), still rotated for `pool.query()` and still recorded
 *   statement by statement.
 * - Lag is real. With no lag asked for, replicas stream as fast as they can (a
 *   few milliseconds behind) and `advance` waits until they have replayed every
 *   commit. With a lag, replay is paused on the standby (pg_wal_replay_pause())
 *   and resumed inside `advance` once the commits' time has come, until
 *   pg_last_wal_replay_lsn() reaches the primary's pg_current_wal_lsn() of that
 *   commit. Replay cannot stop halfway: a commit that is not due yet may arrive
 *   together with one that is.
 * - Errors are the server's own: 25006 from the standby, syntax errors with
 *   PostgreSQL's wording.
 * - Taking a server down stays simulated (refused as ECONNREFUSED before it is
 *   reached): stopping a real server for one test would take seconds.
 * - With fewer real replicas than the test wants, replicas share one: replica-1
 *   and replica-3 are both the first URL. Each still has its own name, pool and
 *   connections, and can be taken down on its own; they share replay position.
 * - Time as your router sees it (`now`) stays simulated.
 */

import type { Client, Pool, PoolClient, QueryResult } from 'pg';
import { DataType, type IMemoryDb, newDb } from 'pg-mem';
import { astVisitor, parse, type Statement } from 'pgsql-ast-parser';
import { backends } from '../support/backends';
import { manualClock } from '../support/clock';
import { type BorrowedDatabase, databasePool } from '../support/database-pool';

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

const SEED = SEED_PRODUCTS.map(
  (p) => `insert into products values (${p.id}, '${p.name}', ${p.price_cents});`,
).join('\n');

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
  /** The error's code: a SQLSTATE such as '25006', or 'ECONNREFUSED'. */
  code?: string;
}

interface Write {
  sql: string;
  params: readonly unknown[];
  /** The primary's count of executed writes once this one had run. */
  executed: number;
}

interface Replicated extends Write {
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
    // A data-modifying WITH is refused under the name of the statement it ends in:
    // WITH x AS (INSERT ...) SELECT ... is "cannot execute SELECT in a read-only transaction".
    if (kindOf(statement) === 'write') return labelOf(statement.in);
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

export interface Classification {
  kind: StatementKind;
  label: string;
  /** The functions the statement calls, lower-cased. */
  calls: readonly string[];
}

const classified = new Map<string, Classification>();

/** Classifies one SQL string like the server would, or throws PostgreSQL's syntax error. */
export function classify(sql: string): Classification {
  let known = classified.get(sql);
  if (!known) {
    known = classifyUncached(sql);
    classified.set(sql, known);
  }
  return known;
}

function classifyUncached(sql: string): Classification {
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
  const calls = calledFunctions(statements);
  const mutating = calls.find((name) => sideEffectFunctions.has(name));
  if (mutating && (kind === 'read' || kind === 'lock'))
    return { kind: 'write', label: `${mutating}()`, calls };
  if (kind === 'read' && calls.some(isAdvisoryLock)) return { kind: 'lock', label: 'advisory lock', calls };
  return { kind, label, calls };
}

/** '0/3000060' -> 50331744: positions written like PostgreSQL's pg_lsn, as numbers you can compare. */
export function parseLsn(lsn: string): number {
  const [high, low] = lsn.split('/');
  return Number.parseInt(high ?? '0', 16) * 2 ** 32 + Number.parseInt(low ?? '0', 16);
}

/**
 * The simulated WAL position after `position` replicated writes, written like a pg_lsn
 * ('0/3000060'). Every simulated position has the same width, so they also compare
 * correctly as text.
 */
const formatLsn = (position: number) => `0/${(0x3000000 + position * 0x60).toString(16).toUpperCase()}`;

const CONNECTIONS_PER_POOL = 10;
/**
 * Real connections are expensive to open (a server process each, tens of ms on a
 * busy machine), so a real pool has fewer: still enough to rotate through.
 */
const REAL_CONNECTIONS_PER_POOL = 4;

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Errors that mean the server could not be reached, as opposed to a statement that failed. */
const unreachable = (error: unknown) =>
  ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(codeOf(error) ?? '');

interface ServerOptions {
  role: 'primary' | 'replica';
  name: string;
  address: string;
  port: number;
  firstConnectionId: number;
  /** How many connections the pool has. */
  connections: number;
  lagMs: number;
}

/**
 * One server of the cluster as your router sees it: a node-postgres style pool
 * that writes down every statement, rotates through its connections, and can be
 * taken down. The simulated and the real server differ only in how a statement
 * is executed.
 */
export abstract class DatabaseServer {
  readonly role: 'primary' | 'replica';
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Replication delay of a replica, in simulated milliseconds. */
  readonly lagMs: number;
  /** The node-postgres style pool your router is given. */
  readonly pool: Pool;
  private down = false;
  private readonly checkedOutClients = new Set<number>();
  private readonly connections: number[];
  private nextConnection = 0;

  constructor(
    private readonly log: StatementRecord[],
    private readonly clockNow: () => number,
    options: ServerOptions,
  ) {
    this.role = options.role;
    this.name = options.name;
    this.address = options.address;
    this.port = options.port;
    this.lagMs = options.lagMs;
    this.connections = Array.from({ length: options.connections }, (_, i) => options.firstConnectionId + i);
    this.pool = this.makePool();
  }

  /** Runs one statement on one connection of this server. */
  protected abstract execute(
    connection: number,
    sql: string,
    params: readonly unknown[],
  ): Promise<QueryResult>;

  /** `release(error)`: node-postgres closes that connection instead of pooling it again. */
  protected discard(_connection: number): void {}

  /** Every connection attempt and query now fails as if the host were unreachable. */
  goDown(): void {
    this.down = true;
  }

  comeBack(): void {
    this.down = false;
  }

  /** Clients handed out by `pool.connect()` and not yet released. */
  get checkedOut(): number {
    return this.checkedOutClients.size;
  }

  /** Statements that reached this server (including refused attempts). */
  get statements(): StatementRecord[] {
    return this.log.filter((record) => record.server === this.name);
  }

  private refuse(): Error {
    return Object.assign(new Error(`connect ECONNREFUSED ${this.address}:${this.port}`), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: this.address,
      port: this.port,
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
      `${this.name}: all ${this.connections.length} pooled connections are checked out and never released`,
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
      at: this.clockNow(),
      outcome: 'ok',
    };
    this.log.push(record);
    // A real server answers on a later turn of the event loop; so does this one.
    await Promise.resolve();
    if (this.down) {
      record.outcome = 'refused';
      record.error = 'ECONNREFUSED';
      record.code = 'ECONNREFUSED';
      throw this.refuse();
    }
    try {
      return await this.execute(connection, sql, params);
    } catch (error) {
      record.outcome = unreachable(error) ? 'refused' : 'error';
      record.error = (error as Error).message;
      record.code = codeOf(error);
      throw error;
    }
  }

  private makePool(): Pool {
    const pool = {
      query: (sql: string, params?: unknown[]) => this.run(this.borrowConnection(), sql, params),
      connect: async (): Promise<PoolClient> => {
        await Promise.resolve();
        if (this.down) {
          this.log.push({
            server: this.name,
            connection: 0,
            sql: '(connect)',
            params: [],
            at: this.clockNow(),
            outcome: 'refused',
            error: 'ECONNREFUSED',
            code: 'ECONNREFUSED',
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
          release: (error?: Error | boolean) => {
            if (released)
              throw new Error('Release called on client which has already been released to the pool.');
            released = true;
            this.checkedOutClients.delete(connection);
            if (error) this.discard(connection);
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

/**
 * A pg-mem database with the cluster's schema, its seed and the PostgreSQL
 * functions a server needs (the pg_lsn type, WAL positions, advisory locks).
 * A cluster needs three, so they come from a pool (database-pool.ts).
 */
interface SimulatedDatabase {
  db: IMemoryDb;
  engine: { query(sql: string, params?: unknown[]): Promise<QueryResult> };
  /** The server it plays for now: the functions registered in it ask that server. */
  server?: SimulatedServer;
}

const databases = databasePool((): SimulatedDatabase => {
  const db = newDb({ noAstCoverageCheck: true });
  const database: SimulatedDatabase = { db, engine: new (db.adapters.createPg().Pool)() };
  const server = () => {
    if (!database.server) throw new Error('this simulated database serves no server');
    return database.server;
  };
  db.public.none(SCHEMA);
  db.public.none(SEED);
  // pg_lsn: positions compare as WAL positions, also in SQL ($1::pg_lsn).
  const lsn = db.public.registerEquivalentType({
    name: 'pg_lsn',
    equivalentTo: DataType.text,
    isValid: (value: unknown) => typeof value === 'string' && /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i.test(value),
  });
  const comparisons = {
    '=': (a: number, b: number) => a === b,
    '<': (a: number, b: number) => a < b,
    '<=': (a: number, b: number) => a <= b,
    '>': (a: number, b: number) => a > b,
    '>=': (a: number, b: number) => a >= b,
  } as const;
  for (const [operator, compare] of Object.entries(comparisons)) {
    db.public.registerOperator({
      operator: operator as keyof typeof comparisons,
      left: lsn,
      right: lsn,
      returns: DataType.bool,
      implementation: (a: string, b: string) => compare(parseLsn(a), parseLsn(b)),
    });
  }
  // As on PostgreSQL: the primary's replay position is NULL; pg_current_wal_lsn()
  // fails on a standby (see execute).
  db.public.registerFunction({
    name: 'pg_current_wal_lsn',
    returns: lsn,
    implementation: () => server().currentWalLsn(),
    impure: true,
  });
  db.public.registerFunction({
    name: 'pg_last_wal_replay_lsn',
    returns: lsn,
    implementation: () => server().lastReplayLsn(),
    impure: true,
  });
  for (const name of [
    'pg_advisory_lock',
    'pg_advisory_xact_lock',
    'pg_advisory_unlock',
    'pg_try_advisory_lock',
  ]) {
    db.public.registerFunction({
      name,
      args: [DataType.bigint],
      returns: DataType.bool,
      implementation: () => true,
      impure: true,
    });
  }
  return database;
});

/** One in-memory database (pg-mem) playing a primary or a hot standby. */
export class SimulatedServer extends DatabaseServer {
  private paused = false;
  /** How many replicated writes this replica has applied (its replay position). */
  replayed = 0;
  private readonly database: BorrowedDatabase<SimulatedDatabase>;
  /** Set once its cluster is closed: the database is going back to the pool. */
  private shutDown = false;
  /** Writes the engine has executed (primary). */
  private executed = 0;
  /**
   * Per connection: a snapshot to restore on ROLLBACK, the writes to ship at COMMIT,
   * and where the server stood at BEGIN.
   */
  private readonly openTransactions = new Map<
    number,
    { restore: () => void; writes: Write[]; since: number }
  >();

  constructor(
    private readonly cluster: SimulatedCluster,
    options: ServerOptions,
  ) {
    super(cluster.log, cluster.now, options);
    this.database = databases.borrow();
    this.database.value.server = this;
  }

  private get db(): IMemoryDb {
    return this.database.value.db;
  }

  currentWalLsn(): string {
    return formatLsn(this.cluster.walPosition());
  }

  lastReplayLsn(): string | null {
    return this.role === 'replica' ? formatLsn(this.replayed) : null;
  }

  /** The cluster is closed: its database goes back to the pool, and anything still sent here fails. */
  close(): void {
    if (this.shutDown) return;
    this.shutDown = true;
    this.database.giveBack();
  }

  /** Stops replaying (like pg_wal_replay_pause()); the replica keeps serving stale reads. */
  pauseReplay(): void {
    this.paused = true;
  }

  resumeReplay(): void {
    this.paused = false;
  }

  /** Applies the replicated writes whose time has come (replicas only). */
  catchUp(): void {
    if (this.role !== 'replica' || this.paused || this.shutDown) return;
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
    this.database.sent(sql);
    this.db.public.none(sql);
  }

  protected async execute(connection: number, sql: string, params: readonly unknown[]): Promise<QueryResult> {
    if (this.shutDown) throw new Error('Connection terminated: the test that created this cluster has ended');
    const { kind, label, calls } = classify(sql);
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
        this.openTransactions.set(connection, {
          restore: () => snapshot.restore(),
          writes: [],
          since: this.role === 'primary' ? this.executed : this.replayed,
        });
      }
      return empty('BEGIN');
    }
    if (kind === 'commit' || kind === 'rollback') {
      if (open) {
        this.openTransactions.delete(connection);
        if (kind === 'rollback') this.rollBack(open.restore, open.since);
        else for (const write of open.writes) this.cluster.replicate(write);
      }
      return empty(kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
    }
    if (this.role === 'replica') {
      this.catchUp();
      if (kind === 'write' || (kind === 'lock' && label.startsWith('SELECT FOR'))) {
        throw pgError(`cannot execute ${label} in a read-only transaction`, '25006');
      }
      if (calls.includes('pg_current_wal_lsn')) throw pgError('recovery is in progress', '55000');
    }
    const { engine } = this.database.value;
    const result = await this.database.running(sql, () => engine.query(sql, [...params]));
    if (this.role === 'primary' && kind === 'write') {
      const write = { sql, params, executed: ++this.executed };
      if (open) open.writes.push(write);
      else this.cluster.replicate(write);
    }
    return result;
  }

  /**
   * pg-mem rolls back by restoring a snapshot of the whole database, which would
   * also take back what other connections committed since BEGIN. PostgreSQL keeps
   * those, so they are applied again. (Uncommitted writes of other connections are
   * not isolated in this simulation.)
   */
  private rollBack(restore: () => void, since: number): void {
    restore();
    const stream = this.cluster.replicationStream;
    if (this.role === 'replica') {
      for (const entry of stream.slice(since, this.replayed)) this.applyReplicated(entry);
    } else {
      for (const entry of stream) if (entry.executed > since) this.applyReplicated(entry);
    }
  }
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `'${String(value).replace(/'/g, "''")}'`;
}

/** A primary and its replicas, as your router meets them. */
export interface Cluster {
  readonly primary: DatabaseServer;
  readonly replicas: DatabaseServer[];
  /** Every statement every server received, in order. */
  readonly log: StatementRecord[];
  /** Simulated time in milliseconds; hand it to your router as `now`. */
  readonly now: () => number;
  /** Moves simulated time forward; replicas apply whatever has become due. */
  advance(ms: number): Promise<void>;
  server(name: string): DatabaseServer;
  /** The successful or attempted runs of exactly this SQL text. */
  runsOf(sql: string): StatementRecord[];
  /** Frees what the cluster holds (real connections, its schema); the simulation holds nothing. */
  close(): Promise<void>;
}

abstract class ClusterBase {
  abstract readonly primary: DatabaseServer;
  abstract readonly replicas: DatabaseServer[];
  readonly log: StatementRecord[] = [];
  protected readonly clock = manualClock();
  readonly now = (): number => this.clock.now();

  server(name: string): DatabaseServer {
    const found = [this.primary, ...this.replicas].find((server) => server.name === name);
    if (!found) throw new Error(`no server named ${name}`);
    return found;
  }

  runsOf(sql: string): StatementRecord[] {
    return this.log.filter((record) => record.sql === sql);
  }
}

const replicaName = (i: number) => `replica-${i + 1}`;

export class SimulatedCluster extends ClusterBase implements Cluster {
  readonly primary: SimulatedServer;
  readonly replicas: SimulatedServer[];
  readonly replicationStream: Replicated[] = [];

  constructor(replicaCount: number, lagMs: number) {
    super();
    const server = (role: 'primary' | 'replica', name: string, host: number, firstConnectionId: number) =>
      new SimulatedServer(this, {
        role,
        name,
        address: `10.0.1.${host}`,
        port: 5432,
        firstConnectionId,
        connections: CONNECTIONS_PER_POOL,
        lagMs: role === 'replica' ? lagMs : 0,
      });
    this.primary = server('primary', 'primary', 10, 100);
    this.replicas = Array.from({ length: replicaCount }, (_, i) =>
      server('replica', replicaName(i), 11 + i, 100 * (i + 2)),
    );
  }

  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    for (const replica of this.replicas) replica.catchUp();
  }

  walPosition(): number {
    return this.replicationStream.length;
  }

  replicate(write: Write): void {
    this.replicationStream.push({ ...write, committedAt: this.now() });
  }

  async close(): Promise<void> {
    for (const server of [this.primary, ...this.replicas]) server.close();
  }
}

// ---------------------------------------------------------------------------
// Real servers. Only reached when the run names them (DATABASE_URL and
// DATABASE_REPLICA_URLS); `pg` is loaded then, never in a browser.
// ---------------------------------------------------------------------------

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
      `cannot connect to the ${role} at ${url}: ${(error as Error).message}. Start the servers (tests/real-servers/servers.sh start) or unset DATABASE_URL and DATABASE_REPLICA_URLS to use the simulation.`,
    );
  }
  const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
  if (rows[0]?.standby !== (role === 'replica')) {
    await client.end();
    throw new Error(
      role === 'replica'
        ? `${url} (in DATABASE_REPLICA_URLS) is not a standby: pg_is_in_recovery() is false`
        : `${url} (DATABASE_URL) is a standby, not a primary`,
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
  return rows[0]?.lsn ?? '0/0';
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

  protected async execute(connection: number, sql: string, params: readonly unknown[]): Promise<QueryResult> {
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
    const deadline = Date.now() + REPLAY_TIMEOUT_MS;
    for (;;) {
      const { rows } = await standby.admin.query<{ done: boolean; at: string | null }>(
        'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done, pg_last_wal_replay_lsn()::text AS at',
        [target],
      );
      if (rows[0]?.done) break;
      if (Date.now() > deadline) {
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

const openClusters = new Set<Cluster>();

/**
 * A primary and `replicas` replicas (2 unless told), each replica `lagMs`
 * simulated milliseconds behind the primary (0 unless told). Simulated, unless
 * the run names real servers.
 */
export async function createCluster(options: { replicas?: number; lagMs?: number } = {}): Promise<Cluster> {
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
      'DATABASE_URL names a real primary but DATABASE_REPLICA_URLS names no replica: the replica router needs at least one streaming replica (tests/real-servers/servers.sh starts one). Unset DATABASE_URL to use the simulation.',
    );
  }
  const cluster = new RealCluster(databaseUrl, replicaUrls, replicaCount, lagMs);
  openClusters.add(cluster);
  await cluster.start();
  return cluster;
}

/** Closes every cluster created so far (after each test). */
export async function closeClusters(): Promise<void> {
  const clusters = [...openClusters];
  openClusters.clear();
  const results = await Promise.allSettled(clusters.map((cluster) => cluster.close()));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Closes the real connections kept between tests (after the last test). */
export async function disconnect(): Promise<void> {
  await closeClusters();
  const clients = [
    ...[...idleConnections.values()].flat(),
    ...(await Promise.all([...adminConnections.values()].map((admin) => admin.catch(() => undefined)))),
  ];
  idleConnections.clear();
  adminConnections.clear();
  await Promise.all(clients.map((client) => client?.end().catch(() => {})));
}
