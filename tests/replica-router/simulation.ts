/**
 * The simulated cluster: each server is its own in-memory database (pg-mem).
 *
 * - Replication is asynchronous, like PostgreSQL streaming replication: a write
 *   that commits on the primary (inside BEGIN ... COMMIT: only at COMMIT) reaches
 *   each replica after that replica's lag, in simulated time (`cluster.advance`).
 * - Replicas are read-only hot standbys: a write, a SELECT ... FOR UPDATE or
 *   nextval() fails there with SQLSTATE 25006, as on a real standby.
 * - A transaction lives on one connection: BEGIN, ROLLBACK and COMMIT apply to
 *   the connection they arrive on, and a ROLLBACK takes back that connection's
 *   writes since its BEGIN.
 * - For a position-based design, the primary answers `SELECT pg_current_wal_lsn()`
 *   and each replica `SELECT pg_last_wal_replay_lsn()` with a position written
 *   like PostgreSQL's pg_lsn ('0/3000060'); `parseLsn` turns one into a number,
 *   and `pg_last_wal_replay_lsn() >= $1::pg_lsn` compares them in SQL.
 */

import type { QueryResult } from 'pg';
import { DataType, type IMemoryDb, newDb } from 'pg-mem';
import { astVisitor, parse, type Statement } from 'pgsql-ast-parser';
import { type BorrowedDatabase, databasePool } from '../support/database-pool';
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

// ---------------------------------------------------------------------------
// What a standby refuses: each statement is parsed (pgsql-ast-parser) and classified.
// ---------------------------------------------------------------------------

/** What PostgreSQL would make of a statement on a read-only standby. */
type StatementKind =
  /** plain reads: fine anywhere */
  | 'read'
  /** takes locks but changes no data: FOR UPDATE/SHARE (refused on a standby), advisory locks */
  | 'lock'
  /** changes data or schema: refused on a standby, replicated from the primary */
  | 'write'
  | 'begin'
  | 'commit'
  | 'rollback';

interface Classification {
  kind: StatementKind;
  /** The name PostgreSQL gives it in "cannot execute X in a read-only transaction". */
  label: string;
  /** The functions the statement calls, lower-cased. */
  calls: readonly string[];
}

/** Functions that change state: a standby refuses them (or they mean nothing there). */
const sideEffectFunctions = new Set(['nextval', 'setval', 'pg_notify', 'txid_current', 'pg_current_xact_id']);
const isAdvisoryLock = (name: string) => /^pg_(try_)?advisory_/.test(name);

/** Functions called anywhere, and whether any SELECT (subqueries included) takes row locks. */
function inspect(statements: Statement[]): { calls: string[]; rowLock: string | undefined } {
  const calls: string[] = [];
  let rowLock: string | undefined;
  const visitor = astVisitor((map) => ({
    call: (call) => {
      calls.push(call.function.name.toLowerCase());
      map.super().call(call);
    },
    selection: (select) => {
      if (select.for && rowLock === undefined) rowLock = `SELECT FOR ${select.for.type.toUpperCase()}`;
      map.super().selection(select);
    },
  }));
  for (const statement of statements) visitor.statement(statement);
  return { calls, rowLock };
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
    case 'values':
    case 'show':
    case 'union':
    case 'union all':
      return 'read';
    case 'with': {
      const parts = [...statement.bind.map((bound) => bound.statement), statement.in];
      return parts.map(kindOf).includes('write') ? 'write' : 'read';
    }
    default:
      return 'write';
  }
}

/** The name PostgreSQL gives a statement in "cannot execute X in a read-only transaction". */
function labelOf(statement: Statement): string {
  // A data-modifying WITH is refused under the name of the statement it ends in:
  // WITH x AS (INSERT ...) SELECT ... is "cannot execute SELECT in a read-only transaction".
  if (statement.type === 'with') return labelOf(statement.in);
  return statement.type.toUpperCase();
}

function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

const classified = new Map<string, Classification>();

/** Classifies one SQL string like the server would, or throws PostgreSQL's syntax error. */
function classify(sql: string): Classification {
  let known = classified.get(sql);
  if (!known) {
    known = classifyUncached(sql);
    classified.set(sql, known);
  }
  return known;
}

/**
 * The statement with each dollar-quoted string ($$...$$, $tag$...$tag$) written as
 * a standard string literal, for the parser, which only knows the latter.
 */
function standardStrings(sql: string): string {
  if (!sql.includes('$')) return sql;
  const token =
    /--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"|\$([A-Za-z_]\w*)?\$([\s\S]*?)\$\1\$/g;
  return sql.replace(token, (match, _tag: string | undefined, body: string | undefined) =>
    body === undefined ? match : `'${body.replace(/'/g, "''")}'`,
  );
}

/**
 * Each SQL text parsed once (its statements, or the parser's error): every server a statement reaches
 * classifies it, and the grader asks the same parser where it belongs. The parser takes about a
 * millisecond for a statement with comments, which adds up over generated ones.
 */
const parsed = new Map<string, Statement[] | Error>();

/** The statements in `sql` as pgsql-ast-parser reads them (dollar-quoted strings included); throws its error. */
export function parseStatements(sql: string): Statement[] {
  let known = parsed.get(sql);
  if (known === undefined) {
    try {
      known = parse(standardStrings(sql));
    } catch (error) {
      known = error instanceof Error ? error : new Error(String(error));
    }
    parsed.set(sql, known);
  }
  if (known instanceof Error) throw known;
  return known;
}

function classifyUncached(sql: string): Classification {
  let statements: Statement[];
  try {
    statements = parseStatements(sql);
  } catch {
    if (/\?/.test(sql.replace(/'(?:[^']|'')*'/g, ''))) throw pgError('syntax error at or near "?"', '42601');
    throw pgError(`syntax error in: ${sql.trim().slice(0, 60)}`, '42601');
  }
  const { calls, rowLock } = inspect(statements);
  let kind: StatementKind = 'read';
  let label = '';
  for (const statement of statements) {
    const own = kindOf(statement);
    if (own !== 'read' && kind === 'read') {
      kind = own;
      label = labelOf(statement);
    }
  }
  const mutating = calls.find((name) => sideEffectFunctions.has(name));
  if (mutating && kind === 'read') return { kind: 'write', label: `${mutating}()`, calls };
  if (kind === 'read' && rowLock) return { kind: 'lock', label: rowLock, calls };
  if (kind === 'read' && calls.some(isAdvisoryLock)) return { kind: 'lock', label: 'advisory lock', calls };
  return { kind, label, calls };
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

/**
 * The simulated WAL position after `position` replicated writes, written like a pg_lsn
 * ('0/3000060'). Every simulated position has the same width, so they also compare
 * correctly as text.
 */
const formatLsn = (position: number) => `0/${(0x3000000 + position * 0x60).toString(16).toUpperCase()}`;

const CONNECTIONS_PER_POOL = 10;

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
  /** The database as the cluster started: where a ROLLBACK on the primary starts again from. */
  private readonly initialState: { restore(): void };
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
    this.initialState = this.db.backup();
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

  private applyReplicated(entry: Write): void {
    // Replaying through the engine's synchronous API keeps the order exact.
    const sql = entry.params.reduceRight<string>(
      (text, value, index) => text.split(`$${index + 1}`).join(literal(value)),
      entry.sql,
    );
    this.database.sent(sql);
    this.db.public.none(standardStrings(sql));
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
    // pg-mem's parser knows no dollar-quoted strings: hand it standard ones.
    const text = standardStrings(sql);
    const result = await this.database
      .running(sql, () => engine.query(text, [...params]))
      .catch((error: unknown) => {
        throw withSqlState(error);
      });
    if (this.role === 'primary' && kind === 'write') {
      const write = { sql, params, executed: ++this.executed };
      if (open) open.writes.push(write);
      else this.cluster.replicate(write);
    }
    return result;
  }

  /**
   * pg-mem rolls back by restoring a snapshot of the whole database, which would
   * also take back what other connections wrote since BEGIN (and bring back what
   * they rolled back since). PostgreSQL keeps the others' work, so the primary
   * starts again from its first state and applies, in the order they ran, every
   * write still alive: those committed, and those of transactions still open.
   * The simulation does not hide one open transaction's writes from other connections.
   */
  private rollBack(restore: () => void, since: number): void {
    const stream = this.cluster.replicationStream;
    if (this.role === 'replica') {
      restore();
      for (const entry of stream.slice(since, this.replayed)) this.applyReplicated(entry);
      return;
    }
    this.initialState.restore();
    const open = [...this.openTransactions.values()].flatMap((transaction) => transaction.writes);
    const alive = [...stream, ...open].sort((a, b) => a.executed - b.executed);
    for (const write of alive) this.applyReplicated(write);
  }
}

/** pg-mem's errors carry no SQLSTATE; PostgreSQL's always do. Give them the one PostgreSQL would. */
const sqlStates: Array<[RegExp, string]> = [
  [/column .* does not exist/, '42703'],
  [/relation .* does not exist/, '42P01'],
  [/function .* does not exist/, '42883'],
  [/duplicate key/, '23505'],
  [/invalid input syntax/, '22P02'],
  [/division by zero/, '22012'],
  [/syntax error/i, '42601'],
];

function withSqlState(error: unknown): unknown {
  if (!(error instanceof Error) || typeof (error as { code?: unknown }).code === 'string') return error;
  const message = error.message.split('\n')[0] ?? error.message;
  const code = sqlStates.find(([pattern]) => pattern.test(message))?.[1] ?? 'XX000';
  return Object.assign(error, { code, severity: 'ERROR' });
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `'${String(value).replace(/'/g, "''")}'`;
}

/** A primary and its replicas, as your router meets them. */

export class SimulatedCluster extends ClusterBase implements Cluster {
  readonly primary: SimulatedServer;
  readonly replicas: SimulatedServer[];
  readonly replicationStream: Replicated[] = [];

  /** `lagMs`: one lag for every replica, or one per replica. */
  constructor(replicaCount: number, lagMs: number | readonly number[]) {
    super();
    const server = (role: 'primary' | 'replica', name: string, host: number, firstConnectionId: number) =>
      new SimulatedServer(this, {
        role,
        name,
        address: `10.0.1.${host}`,
        port: 5432,
        firstConnectionId,
        connections: CONNECTIONS_PER_POOL,
        lagMs: role !== 'replica' ? 0 : typeof lagMs === 'number' ? lagMs : (lagMs[host - 11] ?? 0),
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
