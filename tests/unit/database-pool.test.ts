import { newDb } from 'pg-mem';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { databasePool } from '../support/database-pool';

const SCHEMA = 'CREATE TABLE items (id integer PRIMARY KEY, label text NOT NULL)';

function pool() {
  return databasePool(() => {
    const db = newDb();
    db.public.none(SCHEMA);
    db.public.none(`INSERT INTO items VALUES (1, 'first')`);
    return { db };
  });
}

/** pg-mem's planner: every schema's prepare() comes from this prototype. */
const planner = Object.getPrototypeOf(newDb().public) as { prepare(sql: string): unknown };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a pooled pg-mem database', () => {
  it('plans a statement once, however often it is sent', () => {
    const plans = vi.spyOn(planner, 'prepare');
    const { db } = pool().borrow().value;
    plans.mockClear();
    for (let i = 0; i < 3; i++) db.public.many('SELECT label FROM items WHERE id = 1');
    expect(plans).toHaveBeenCalledTimes(1);
  });

  it('runs a remembered plan on the data and the clock as they are now', () => {
    const borrowed = pool().borrow();
    const { db } = borrowed.value;
    const read = 'SELECT label, now() AS at FROM items WHERE id = 1';
    expect(db.public.many(read)).toMatchObject([{ label: 'first' }]);
    db.public.none(`UPDATE items SET label = 'second' WHERE id = 1`);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2030, 0, 1) });
    try {
      expect(db.public.many(read)).toEqual([{ label: 'second', at: new Date(Date.UTC(2030, 0, 1)) }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('still lets an interceptor see, and fail, a statement it has planned before', () => {
    const { db } = pool().borrow().value;
    const read = 'SELECT label FROM items WHERE id = 1';
    db.public.many(read);
    const interception = db.public.interceptQueries(() => {
      throw new Error('Connection terminated unexpectedly');
    });
    expect(() => db.public.many(read)).toThrowError('Connection terminated unexpectedly');
    interception.unsubscribe();
    expect(db.public.many(read)).toEqual([{ label: 'first' }]);
  });

  it('lets an interceptor answer a statement it has planned before', () => {
    const { db } = pool().borrow().value;
    const read = 'SELECT label FROM items WHERE id = 1';
    db.public.many(read);
    db.public.interceptQueries((sql) => (sql.startsWith('SELECT label') ? [{ label: 'intercepted' }] : null));
    expect(db.public.many(read)).toEqual([{ label: 'intercepted' }]);
  });

  it('plans again after the schema changes', () => {
    const { db } = pool().borrow().value;
    const read = 'SELECT * FROM items WHERE id = 1';
    expect(db.public.many(read)).toEqual([{ id: 1, label: 'first' }]);
    db.public.none('ALTER TABLE items ADD COLUMN colour text');
    db.public.none(`UPDATE items SET colour = 'red'`);
    expect(db.public.many(read)).toEqual([{ id: 1, label: 'first', colour: 'red' }]);
  });

  it('runs a remembered plan on the restored data when it is borrowed again', async () => {
    const databases = pool();
    const first = databases.borrow();
    const read = 'SELECT label FROM items ORDER BY id';
    await first.running(read, async () => first.value.db.public.many(read));
    first.value.db.public.none(`INSERT INTO items VALUES (2, 'added')`);
    first.giveBack();
    const second = databases.borrow();
    expect(second.value).toBe(first.value);
    expect(second.value.db.public.many(read)).toEqual([{ label: 'first' }]);
  });
});
