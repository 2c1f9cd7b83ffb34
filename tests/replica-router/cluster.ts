/**
 * The pieces every cluster shares, simulated or real: the schema and seed data,
 * the record of each statement, and the recording pool your router is given
 * (a node-postgres style `Pool` that rotates through its connections, writes
 * down every statement and can be taken down).
 */

import type { Pool, PoolClient, QueryResult } from 'pg';
import { type FakeClock, installFakeClock } from '../support/clock';

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

export const SCHEMA = `
  create table products (id int primary key, name text not null, price_cents int not null);
  create table orders (id int primary key, product_id int not null, quantity int not null);
  create sequence order_numbers;
`;

export const SEED = SEED_PRODUCTS.map(
  (p) => `insert into products values (${p.id}, '${p.name}', ${p.price_cents});`,
).join('\n');

export interface StatementRecord {
  server: string;
  /** The connection the statement arrived on; unique across the cluster. */
  connection: number;
  sql: string;
  params: readonly unknown[];
  at: number;
  /** 'refused': the server could not be reached (down, timed out, restarting...). */
  outcome: 'ok' | 'error' | 'refused';
  error?: string;
  /** The error's code: a SQLSTATE such as '25006', or a Node code such as 'ECONNREFUSED'. */
  code?: string;
}

/**
 * How a server that is down answers, with what node-postgres would reject:
 * - refused:  nothing listens on the port      -> ECONNREFUSED
 * - timeout:  the host does not answer at all   -> ETIMEDOUT
 * - reset:    the connection was cut            -> ECONNRESET
 * - shutdown: the server is stopping            -> SQLSTATE 57P01 admin_shutdown
 * - starting: the server is still starting up   -> SQLSTATE 57P03 cannot_connect_now
 * - lost:     the connection failed             -> SQLSTATE 08006 connection_failure
 */
export type ConnectionFailure = 'refused' | 'timeout' | 'reset' | 'shutdown' | 'starting' | 'lost';

export const CONNECTION_FAILURES: readonly ConnectionFailure[] = [
  'refused',
  'timeout',
  'reset',
  'shutdown',
  'starting',
  'lost',
];

function connectionError(failure: ConnectionFailure, address: string, port: number): Error {
  const at = `${address}:${port}`;
  const system = (code: string, syscall: string, errno: number, message: string) =>
    Object.assign(new Error(message), { code, errno, syscall, address, port });
  const server = (code: string, message: string) =>
    Object.assign(new Error(message), { code, severity: 'FATAL' });
  switch (failure) {
    case 'refused':
      return system('ECONNREFUSED', 'connect', -111, `connect ECONNREFUSED ${at}`);
    case 'timeout':
      return system('ETIMEDOUT', 'connect', -110, `connect ETIMEDOUT ${at}`);
    case 'reset':
      return system('ECONNRESET', 'read', -104, 'read ECONNRESET');
    case 'shutdown':
      return server('57P01', 'terminating connection due to administrator command');
    case 'starting':
      return server('57P03', 'the database system is starting up');
    case 'lost':
      return server('08006', 'server closed the connection unexpectedly');
  }
}

export const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Errors that mean the server could not be reached, as opposed to a statement that failed. */
export const unreachable = (error: unknown): boolean => {
  const code = codeOf(error) ?? '';
  return /^E[A-Z]+$/.test(code) || code.startsWith('08') || code.startsWith('57P');
};

export interface ServerOptions {
  role: 'primary' | 'replica';
  name: string;
  address: string;
  port: number;
  firstConnectionId: number;
  /** How many connections the pool has. */
  connections: number;
  lagMs: number;
}

export abstract class DatabaseServer {
  readonly role: 'primary' | 'replica';
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Replication delay of a replica, in simulated milliseconds. */
  readonly lagMs: number;
  /** The node-postgres style pool your router is given. */
  readonly pool: Pool;
  private down: ConnectionFailure | undefined;
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

  /** Every connection attempt and query now fails the way `failure` says (unreachable, by default). */
  goDown(failure: ConnectionFailure = 'refused'): void {
    this.down = failure;
  }

  comeBack(): void {
    this.down = undefined;
  }

  /** How the server fails while it is down, or undefined while it is up. */
  get failure(): ConnectionFailure | undefined {
    return this.down;
  }

  /** Clients handed out by `pool.connect()` and not yet released. */
  get checkedOut(): number {
    return this.checkedOutClients.size;
  }

  /** Statements that reached this server (including refused attempts). */
  get statements(): StatementRecord[] {
    return this.log.filter((record) => record.server === this.name);
  }

  private refuse(failure: ConnectionFailure): Error {
    return connectionError(failure, this.address, this.port);
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
      const error = this.refuse(this.down);
      record.outcome = 'refused';
      record.error = error.message;
      record.code = codeOf(error);
      throw error;
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
          const error = this.refuse(this.down);
          this.log.push({
            server: this.name,
            connection: 0,
            sql: '(connect)',
            params: [],
            at: this.clockNow(),
            outcome: 'refused',
            error: error.message,
            code: codeOf(error),
          });
          throw error;
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

export abstract class ClusterBase {
  abstract readonly primary: DatabaseServer;
  abstract readonly replicas: DatabaseServer[];
  readonly log: StatementRecord[] = [];
  protected readonly clock = testClock();
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

let installed: FakeClock | undefined;

/**
 * The test's simulated time, shared by every cluster of the test: Date and the
 * timers are faked (only Date against real servers), so a router that brings a
 * replica back with setTimeout, or reads Date.now(), runs in simulated time too.
 * Installed with the first cluster of a test, removed when its clusters close.
 */
export function testClock(): FakeClock {
  installed ??= installFakeClock();
  return installed;
}

export function restoreTestClock(): void {
  installed?.restore();
  installed = undefined;
}

export const replicaName = (i: number) => `replica-${i + 1}`;

/** '0/3000060' -> 50331744: positions written like PostgreSQL's pg_lsn, as numbers you can compare. */
export function parseLsn(lsn: string): number {
  const [high, low] = lsn.split('/');
  return Number.parseInt(high ?? '0', 16) * 2 ** 32 + Number.parseInt(low ?? '0', 16);
}
