import type { IBackup, IMemoryDb, IPreparedQuery, QueryInterceptor } from 'pg-mem';

/**
 * In-memory PostgreSQL databases (pg-mem), reused from test to test. Building
 * one (pg-mem's catalog, the schema, the seed) costs more than most tests'
 * statements, so a harness borrows a database built once and gives it back
 * when its test ends; it is then restored to how it was built.
 *
 * A database goes back only once no statement is running on it (one finishing
 * after the restore would write its old state back), and never after DDL:
 * pg-mem's restore() refuses some schema changes but not all (after a CREATE
 * INDEX it restores the rows and keeps the index, which then breaks updates).
 *
 * A database also remembers its statements' plans. pg-mem plans a statement
 * (checks it against the schema and builds the closures that run it) every time
 * it runs one, and planning costs more than running; its node-postgres adapter
 * writes the values into the text, so the texts a harness sends repeat (a lookup
 * of the same few ids). A plan holds no rows (each run reads the data as it is
 * then, and impure functions such as now() are called then), so it stays good
 * after a restore; it is forgotten when the schema changes.
 */

export interface BorrowedDatabase<T> {
  /** What `build` made: the database, and whatever the harness built with it. */
  readonly value: T;
  /** Notes a statement the harness runs synchronously (`db.public.none`). */
  sent(sql: string): void;
  /** Runs a statement that settles later (a pool query); refused once the database is given back. */
  running<R>(sql: string, run: () => Promise<R>): Promise<R>;
  /** The test is over: the database goes back to the pool as soon as it can. */
  giveBack(): void;
}

const mayChangeSchema = (sql: string) => /\b(create|alter|drop|comment)\b/i.test(sql);

/** Makes `db` plan each statement text once, while its schema stays as it is. */
function reusePlans(db: IMemoryDb): void {
  const schema = db.public;
  const plan = schema.prepare.bind(schema);
  const intercept = schema.interceptQueries.bind(schema);
  const plans = new Map<string, IPreparedQuery>();
  const interceptors = new Set<QueryInterceptor>();
  db.on('schema-change', () => plans.clear());
  // pg-mem shows every statement text to the interceptors before it plans it; a remembered plan must not
  // skip them (a harness fails statements there), and a statement one of them answers is pg-mem's to run.
  schema.interceptQueries = (interceptor) => {
    interceptors.add(interceptor);
    const subscription = intercept(interceptor);
    return {
      unsubscribe: () => {
        interceptors.delete(interceptor);
        subscription.unsubscribe();
      },
    };
  };
  schema.prepare = (query) => {
    if (typeof query !== 'string' || mayChangeSchema(query)) return plan(query);
    for (const interceptor of interceptors) if (interceptor(query)) return plan(query);
    let known = plans.get(query);
    if (!known) {
      known = plan(query);
      plans.set(query, known);
    }
    return known;
  };
}

export function databasePool<T extends { db: IMemoryDb }>(build: () => T) {
  const idle: Array<{ value: T; pristine: IBackup }> = [];
  const fresh = () => {
    const value = build();
    reusePlans(value.db);
    return { value, pristine: value.db.backup() };
  };

  return {
    borrow(): BorrowedDatabase<T> {
      const entry = idle.pop() ?? fresh();
      let schemaChanged = false;
      let statements = 0;
      let givenBack = false;
      let returned = false;
      const returnIfIdle = () => {
        if (!givenBack || returned || statements > 0 || schemaChanged) return;
        returned = true;
        entry.pristine.restore();
        idle.push(entry);
      };
      const sent = (sql: string) => {
        if (mayChangeSchema(sql)) schemaChanged = true;
      };
      return {
        value: entry.value,
        sent,
        async running(sql, run) {
          // Code that outlives its test (a timer, an unawaited call) must not reach the next test's data.
          if (givenBack)
            throw new Error('Connection terminated: the test that opened this connection has ended');
          sent(sql);
          statements++;
          try {
            return await run();
          } finally {
            statements--;
            returnIfIdle();
          }
        },
        giveBack() {
          givenBack = true;
          returnIfIdle();
        },
      };
    },
  };
}
