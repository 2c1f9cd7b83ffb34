import { describe, expect, it } from 'vitest';
import { seedCatalogue } from '../single-server/harness';
import { simulatedPostgres } from '../single-server/simulation';
import { seededRandom } from '../support/seed';

/**
 * The single-server grader asks its pg-mem simulation which index a search uses. PostgreSQL uses a
 * multicolumn B-tree for a condition on its leading column alone; pg-mem plans one only when every
 * column is constrained, so a learner's correct (category, id) index read as "reads every row".
 */

const search = { text: 'SELECT * FROM products WHERE category = $1 ORDER BY id', values: ['coffee'] };

async function indexUsedWith(migration: string): Promise<string | undefined> {
  const db = await simulatedPostgres(seedCatalogue(seededRandom(1)));
  await db.migrate([migration]);
  return db.indexUsedBy(search);
}

describe('which index the simulated database uses for a search by category', () => {
  it('a multicolumn index that starts with category', async () => {
    expect(await indexUsedWith('CREATE INDEX by_category_id ON products (category, id)')).toBe(
      'by_category_id',
    );
  });

  it('an index on category alone', async () => {
    expect(await indexUsedWith('CREATE INDEX by_category ON products (category)')).toBe('by_category');
  });

  it('none, for a multicolumn index that does not start with category', async () => {
    expect(await indexUsedWith('CREATE INDEX by_name_category ON products (name, category)')).toBeUndefined();
  });

  it('leaves the database as the learner made it: the probe index is gone afterwards', async () => {
    const db = await simulatedPostgres(seedCatalogue(seededRandom(1)));
    await db.migrate(['CREATE INDEX by_category_id ON products (category, id)']);
    const before = await db.indexes();
    await db.indexUsedBy(search);
    expect(await db.indexes()).toEqual(before);
    expect(before.map((index) => index.name)).not.toContain('rj_leading_column_probe');
  });
});
