import type { IBackup, IMemoryDb } from 'pg-mem';

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

export function databasePool<T extends { db: IMemoryDb }>(build: () => T) {
  const idle: Array<{ value: T; pristine: IBackup }> = [];
  const fresh = () => {
    const value = build();
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
