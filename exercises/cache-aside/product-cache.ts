/**
 * Phase 2: add caching.
 *
 * The single server from Phase 1 reads every product from PostgreSQL, and at a few thousand users the
 * database becomes the bottleneck: most requests ask for the same popular products again and again.
 * Put Redis in front of it with the cache-aside pattern: look in Redis first, go to PostgreSQL only on
 * a miss, then leave the product in Redis for the next request.
 *
 * The contract (the grader calls only this):
 *   createProductService({ redis, db, onCacheError? }) -> { getProduct(id), updateProduct(id, changes) }
 *   - redis: an ioredis client. db: a node-postgres Pool over a `products` table
 *     (id, name, price_cents, in_stock, updated_at timestamptz).
 *   - Cache key: `product:{id}`, e.g. product:42. TTL: 300 seconds.
 *
 * Run the grader with `npm test` in this folder; each task's failures tell you what to fix next.
 */
import type {
  Product,
  ProductChanges,
  ProductRow,
  ProductService,
  ProductServiceDeps,
} from '@grader/cache-aside/harness';
import type { Pool } from 'pg';

export type {
  Product,
  ProductChanges,
  ProductService,
  ProductServiceDeps,
} from '@grader/cache-aside/harness';

/** Maps a database row (snake_case) to the Product the application uses (camelCase). */
function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    name: row.name,
    priceCents: row.price_cents,
    inStock: row.in_stock,
    updatedAt: row.updated_at,
  };
}

/**
 * Phase 1's query, as the article wrote it.
 * TODO (task 1): this fails on PostgreSQL. `?` is MySQL's placeholder; PostgreSQL numbers its
 * placeholders ($1, $2, ...) and node-postgres sends the values separately from the SQL text.
 */
async function findProductRow(db: Pool, id: number): Promise<ProductRow | undefined> {
  const result = await db.query<ProductRow>('SELECT * FROM products WHERE id = ?', [id]);
  return result.rows[0];
}

/**
 * Creates the product service of one application server.
 * Everything it needs comes in `deps`; keep any per-server state inside this function.
 */
export function createProductService(deps: ProductServiceDeps): ProductService {
  const { db } = deps;

  return {
    /**
     * The product with this id, or null when there is none.
     * Phase 1 behaviour: every call goes to PostgreSQL.
     */
    async getProduct(id: number): Promise<Product | null> {
      // TODO (task 1): look in Redis first (key product:{id}); on a miss, read PostgreSQL and store the
      //   product for 300 seconds. A hit must return the same Product as a miss, Date included.
      // TODO (task 2): a missing product returns null and must not leave "null" in the cache for long;
      //   a query that fails is not "not found": let the error reach the caller, and cache nothing.
      // TODO (task 4): if a Redis command fails, carry on with PostgreSQL (report it via deps.onCacheError).
      // TODO (task 5): concurrent misses for one id must share a single database read.
      const row = await findProductRow(db, id);
      return row ? toProduct(row) : null;
    },

    /**
     * Applies the changes (fields not given keep their value), sets updated_at to now, and returns the
     * updated product, or null when there is none. A read after this returns must see the change.
     */
    async updateProduct(id: number, changes: ProductChanges): Promise<Product | null> {
      // TODO (task 3): UPDATE the row in PostgreSQL, then make sure no reader gets the old product
      //   from Redis. Think about the order: what can a concurrent reader do between your two steps?
      //   And what if two updates race: can their cache commands reach Redis in the wrong order?
      // TODO (task 4): the update must still succeed when Redis is down.
      throw new Error(
        `TODO (task 3): updateProduct(${id}, ${JSON.stringify(changes)}) should write to PostgreSQL, then invalidate product:${id}`,
      );
    },
  };
}
