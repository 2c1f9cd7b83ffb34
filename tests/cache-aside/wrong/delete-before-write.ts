/**
 * WRONG (deliberately): the cached product is deleted before the UPDATE runs. A read that lands while
 * the UPDATE is in flight misses, loads the old row and caches it again for 300 s.
 */
import type { Product, ProductRow, ProductService, ProductServiceDeps } from '@grader/cache-aside/harness';
import type { Redis } from 'ioredis';

export type {
  Product,
  ProductChanges,
  ProductService,
  ProductServiceDeps,
} from '@grader/cache-aside/harness';

/** How long a cached product may be served without asking PostgreSQL: the upper bound on staleness. */
const PRODUCT_TTL_SECONDS = 300;

/** One place builds the key: every app server and every invalidation must agree on it. */
const productKey = (id: number): string => `product:${id}`;

const COLUMNS = 'id, name, price_cents, in_stock, updated_at';

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
 * Redis stores strings, and JSON has no Date type: JSON.stringify writes updatedAt as an ISO string and
 * JSON.parse leaves it a string. Revive it here so a hit returns exactly what a miss returns.
 */
function serialize(product: Product): string {
  return JSON.stringify(product);
}

function deserialize(cached: string): Product {
  const parsed = JSON.parse(cached) as Omit<Product, 'updatedAt'> & { updatedAt: string };
  return { ...parsed, updatedAt: new Date(parsed.updatedAt) };
}

/**
 * Every Redis call goes through here. The cache is an optimisation: if Redis is down or slow to answer,
 * the request carries on against PostgreSQL (slower, still correct) and the failure is reported.
 * Each call tries Redis again, so caching resumes by itself when Redis comes back.
 */
function cacheClient(redis: Redis, onError: (error: unknown) => void) {
  const attempt = async <T>(command: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await command();
    } catch (error) {
      onError(error);
      return undefined;
    }
  };
  return {
    async get(id: number): Promise<Product | undefined> {
      const cached = await attempt(() => redis.get(productKey(id)));
      if (cached === undefined || cached === null) return undefined;
      try {
        return deserialize(cached);
      } catch (error) {
        // An entry we cannot read (written by an older release, say) is just a miss.
        onError(error);
        return undefined;
      }
    },
    async set(product: Product): Promise<void> {
      await attempt(() => redis.set(productKey(product.id), serialize(product), 'EX', PRODUCT_TTL_SECONDS));
    },
    async invalidate(id: number): Promise<void> {
      await attempt(() => redis.del(productKey(id)));
    },
  };
}

export function createProductService(deps: ProductServiceDeps): ProductService {
  const { db } = deps;
  const cache = cacheClient(
    deps.redis,
    deps.onCacheError ?? ((error) => console.warn('product cache:', error)),
  );

  /** Loads that are running now, by product id: concurrent misses wait for the same one (single-flight). */
  const inFlight = new Map<number, Promise<Product | null>>();

  async function loadAndCache(id: number): Promise<Product | null> {
    const { rows } = await db.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = $1`, [id]);
    const row = rows[0];
    // A missing product is not cached: a cached "not found" would hide the product once it is created.
    if (!row) return null;
    const product = toProduct(row);
    await cache.set(product);
    return product;
  }

  function loadOnce(id: number): Promise<Product | null> {
    const running = inFlight.get(id);
    if (running) return running;
    // Only shared while it runs: once it settles, the next miss must read PostgreSQL again, or this map
    // becomes a second cache that never expires and that no update clears.
    const load = loadAndCache(id).finally(() => inFlight.delete(id));
    inFlight.set(id, load);
    return load;
  }

  return {
    async getProduct(id) {
      return (await cache.get(id)) ?? loadOnce(id);
    },

    async updateProduct(id, changes) {
      await cache.invalidate(id); // clear the cache first, then write
      const { rows } = await db.query<ProductRow>(
        `UPDATE products
            SET name = COALESCE($2, name),
                price_cents = COALESCE($3, price_cents),
                updated_at = now()
          WHERE id = $1
          RETURNING ${COLUMNS}`,
        [id, changes.name ?? null, changes.priceCents ?? null],
      );
      const row = rows[0];
      if (!row) return null;
      return toProduct(row);
    },
  };
}
