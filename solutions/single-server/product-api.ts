/**
 * Phase 1: the product API of a single server, over one PostgreSQL. Reference solution.
 */
import type { Product, ProductApi, ProductApiDeps } from '@grader/single-server/harness';

export type { Product, ProductApi, ProductApiDeps } from '@grader/single-server/harness';

/**
 * Run once on the database before the API serves traffic. The search filters products by category;
 * without an index on it PostgreSQL reads the whole table for every search (a Seq Scan in EXPLAIN).
 * The lookup by id needs nothing: the primary key is already an index.
 */
export const MIGRATIONS: readonly string[] = ['CREATE INDEX products_category_idx ON products (category)'];

const COLUMNS = 'id, name, category, price_cents, stock';
/** PostgreSQL's `integer` ends here: a larger id is not a malformed request for the database to reject. */
const MAX_INTEGER = 2_147_483_647;
/** node-postgres rejects pool.connect() (and pool.query()) with this when no connection frees up in time. */
const POOL_TIMEOUT = 'timeout exceeded when trying to connect';

type Changes = Partial<Pick<Product, 'price_cents' | 'stock'>>;

function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return Response.json(body, { status, headers });
}

/** Every error answer has the same shape, so clients can show `error` whatever went wrong. */
function problem(status: number, message: string, headers?: Record<string, string>): Response {
  return json({ error: message }, status, headers);
}

/** The id in the path, or undefined unless it is a whole number PostgreSQL's integer can hold. */
function parseId(raw: string): number | undefined {
  if (!/^\d{1,10}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id >= 1 && id <= MAX_INTEGER ? id : undefined;
}

/** The changes a PATCH body asks for, or why it is not acceptable. */
async function readChanges(request: Request): Promise<Changes | string> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return 'the body must be JSON, e.g. {"price_cents": 1299}';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'the body must be a JSON object';
  const changes: Changes = {};
  for (const [field, value] of Object.entries(body)) {
    if (field !== 'price_cents' && field !== 'stock') {
      return `"${field}" cannot be changed: send price_cents, stock or both`;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_INTEGER) {
      return `${field} must be a whole number from 0 to ${MAX_INTEGER}`;
    }
    changes[field] = value;
  }
  if (Object.keys(changes).length === 0) return 'nothing to change: send price_cents, stock or both';
  return changes;
}

const PRODUCT_PATH = /^\/products\/([^/]+)$/;

export function createProductApi(deps: ProductApiDeps): ProductApi {
  const { pool } = deps;
  const report = deps.onError ?? ((error: unknown) => console.error('product api:', error));

  async function findProduct(id: number): Promise<Product | undefined> {
    // $1 sends the id apart from the SQL text: it can never be read as SQL. (`?` is MySQL's placeholder.)
    const { rows } = await pool.query<Product>(`SELECT ${COLUMNS} FROM products WHERE id = $1`, [id]);
    return rows[0];
  }

  async function updateProduct(id: number, changes: Changes): Promise<Product | undefined> {
    const { rows } = await pool.query<Product>(
      `UPDATE products
          SET price_cents = COALESCE($2, price_cents),
              stock = COALESCE($3, stock)
        WHERE id = $1
        RETURNING ${COLUMNS}`,
      [id, changes.price_cents ?? null, changes.stock ?? null],
    );
    return rows[0];
  }

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/products') {
      if (request.method !== 'GET')
        return problem(405, `${request.method} is not allowed here`, { Allow: 'GET' });
      const category = url.searchParams.get('category');
      if (!category) return problem(400, 'the category query parameter is required, e.g. ?category=coffee');
      const { rows } = await pool.query<Product>(
        `SELECT ${COLUMNS} FROM products WHERE category = $1 ORDER BY id`,
        [category],
      );
      return json(rows);
    }
    const match = PRODUCT_PATH.exec(url.pathname);
    if (!match) return problem(404, `no route for ${url.pathname}`);
    if (request.method !== 'GET' && request.method !== 'PATCH') {
      return problem(405, `${request.method} is not allowed here`, { Allow: 'GET, PATCH' });
    }
    const id = parseId(match[1] ?? '');
    if (id === undefined)
      return problem(400, `the product id must be a whole number from 1 to ${MAX_INTEGER}`);
    if (request.method === 'PATCH') {
      const changes = await readChanges(request);
      if (typeof changes === 'string') return problem(400, changes);
      const updated = await updateProduct(id, changes);
      return updated ? json(updated) : problem(404, `product ${id} does not exist`);
    }
    const product = await findProduct(id);
    return product ? json(product) : problem(404, `product ${id} does not exist`);
  }

  return {
    async fetch(request) {
      try {
        return await route(request);
      } catch (error) {
        // The details (SQL, stack, connection) go to the log, never to the client.
        report(error);
        if (error instanceof Error && error.message === POOL_TIMEOUT) {
          return problem(503, 'the server is busy, try again shortly', { 'Retry-After': '1' });
        }
        return problem(500, 'something went wrong on our side');
      }
    },
  };
}
