import { createReplicaRouter, getProduct } from '@exercise/replica-router/replica-router';
import fc from 'fast-check';
import { astVisitor, type Statement } from 'pgsql-ast-parser';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backends } from '../support/backends';
import { checkScenarios } from '../support/property';
import { gate, nextMacrotask, settle } from '../support/settle';
import {
  type Cluster,
  CONNECTION_FAILURES,
  type ConnectionFailure,
  closeClusters,
  createCluster,
  disconnect,
  SEED_PRODUCTS,
  type StatementRecord,
} from './harness';
import { parseStatements } from './simulation';
import { type GeneratedStatement, generatedStatements } from './statements';

// Against real servers a cluster holds connections and a schema: free them after each test.
afterEach(closeClusters);
afterAll(disconnect);

const WINDOW_MS = 2_000;
/**
 * Real servers need a schema, connections and replication for every cluster: the
 * generated scenarios run fewer times there (the simulations still run them all).
 */
const runsOf = (simulated: number) =>
  backends().databaseUrl !== undefined ? Math.min(simulated, 5) : simulated;
const LAG_MS = 1_000;

function routerFor(cluster: Cluster) {
  return createReplicaRouter({
    primary: cluster.primary.pool,
    replicas: cluster.replicas.map((replica) => replica.pool),
    now: cluster.now,
    consistencyWindowMs: WINDOW_MS,
  });
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error & { code?: string } };

/** How many times the grader lets the event loop go quiet while waiting for one call of the router. */
const QUIET_WAITS = 20;

/**
 * Runs one call of the router to its end. The simulated servers answer on later
 * turns of the event loop; a router may also wait on a zero-delay timer (fake
 * timers fire those when the loop goes quiet, see settle()). A call still pending
 * once nothing more can run is waiting for something that never comes.
 */
async function attempt<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  const running: Promise<Outcome<T>> = (async () => work())().then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error: error as Error & { code?: string } }),
  );
  let done = false;
  running.then(() => {
    done = true;
  });
  // Most calls finish within a few turns: look again after each before waiting for the loop to go quiet.
  for (let turn = 0; turn < 12 && !done; turn++) await Promise.race([running, nextMacrotask()]);
  for (let wait = 0; wait < QUIET_WAITS && !done; wait++) await Promise.race([running, settle()]);
  if (!done) {
    return {
      ok: false,
      error: new Error(
        'the call never finished: it is waiting for something that never happens (a timer longer than zero that only simulated time could fire, a lock, a client that was never released?). Simulated time moves only when the grader moves it.',
      ),
    };
  }
  return running;
}

/**
 * Turns an error from the router into a sentence about what went wrong in the system.
 * With the cluster, a syntax error is traced back to the statement that caused it.
 */
function explain(error: Error & { code?: string }, cluster?: Cluster): string {
  if (error.message.startsWith('TODO')) return `it is not implemented yet (${error.message})`;
  if (error.code === '42601') {
    // PostgreSQL's wording depends on where the parser gives up ("at end of input",
    // 'at or near "AND"'), so look for the ? in the statement itself.
    const failed = cluster?.log.filter((run) => run.outcome === 'error').at(-1)?.sql ?? '';
    const placeholder = /\?/.test(failed.replace(/'(?:[^']|'')*'/g, ''));
    if (placeholder || error.message.includes('?')) {
      const statement = placeholder ? ` to ${JSON.stringify(failed)}` : '';
      return `PostgreSQL answered "${error.message}"${statement}: a MySQL-style ? placeholder does not exist in PostgreSQL, parameters are numbered $1, $2, ...`;
    }
  }
  if (error.code === '25006')
    return `a replica refused it ("${error.message}"): a write was sent to a read-only replica`;
  if (/^(E[A-Z]|08|57P)/.test(error.code ?? ''))
    return `it failed with ${error.code} ("${error.message}"): a server that cannot be reached was not routed around`;
  return `it failed: ${error.message}`;
}

const describeRuns = (runs: StatementRecord[]) =>
  runs.map((run) => `${run.server} (connection #${run.connection})`).join(', ') || 'nowhere';

const onReplica = (run: StatementRecord) => run.server !== 'primary';

describe('task 1: Route reads to the replicas and writes to the primary', () => {
  it('getProduct returns one product read from a replica, or null', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const from = cluster.log.length;
    const found = await attempt(() => getProduct(router, 2));
    if (!found.ok) expect.fail(`getProduct(router, 2) threw: ${explain(found.error, cluster)}`);
    if (Array.isArray(found.value)) {
      expect.fail(
        `getProduct(router, 2) returned the row array ${JSON.stringify(found.value)} instead of the product: the handler would send [{...}] where clients expect {...}, and a missing product would look like [] instead of null. Return rows[0] ?? null.`,
      );
    }
    expect(found.value, 'getProduct(router, 2) should return the row of product 2').toEqual(SEED_PRODUCTS[1]);
    const runs = cluster.log.slice(from).filter((run) => run.outcome === 'ok');
    expect(
      runs.every(onReplica),
      `getProduct's SELECT ran on ${describeRuns(runs)}: reads belong on the replicas, so the primary keeps its capacity for writes`,
    ).toBe(true);
    const missing = await attempt(() => getProduct(router, 999));
    if (!missing.ok) expect.fail(`getProduct(router, 999) threw: ${explain(missing.error, cluster)}`);
    expect(
      missing.value,
      `getProduct(router, 999) returned ${JSON.stringify(missing.value)} for a product that does not exist: return null, so the handler can answer 404`,
    ).toBeNull();
  });

  it('sends writes to the primary and returns their result', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const insert = 'INSERT INTO products (id, name, price_cents) VALUES ($1, $2, $3) RETURNING id, name';
    const inserted = await attempt(() => router.query(insert, [10, 'milk jug', 1500]));
    if (!inserted.ok) expect.fail(`router.query("${insert}") threw: ${explain(inserted.error)}`);
    expect(
      cluster
        .runsOf(insert)
        .filter((run) => run.outcome === 'ok')
        .map((run) => run.server),
      'the INSERT should have run once, on the primary: replicas are read-only copies',
    ).toEqual(['primary']);
    expect(inserted.value.rows, 'router.query should return the rows of the INSERT ... RETURNING').toEqual([
      { id: 10, name: 'milk jug' },
    ]);
    const update = 'UPDATE products SET price_cents = $1 WHERE id = $2';
    const updated = await attempt(() => router.query(update, [1300, 1]));
    if (!updated.ok) expect.fail(`router.query("${update}") threw: ${explain(updated.error)}`);
    expect(
      cluster.runsOf(update).map((run) => run.server),
      'the UPDATE should have run once, on the primary: replicas are read-only copies',
    ).toEqual(['primary']);
    await cluster.advance(1);
    const read = await attempt(() => router.query('SELECT name FROM products WHERE id = $1', [10]));
    if (!read.ok) expect.fail(`a read after the INSERT threw: ${explain(read.error)}`);
    expect(read.value.rows, 'once replicated, a read through the router should find the new product').toEqual(
      [{ name: 'milk jug' }],
    );
  });

  it('spreads reads over every replica', async () => {
    const cluster = await createCluster({ replicas: 3 });
    const router = routerFor(cluster);
    const sql = 'SELECT count(*) AS n FROM products';
    for (let i = 0; i < 60; i++) {
      const read = await attempt(() => router.query(sql));
      if (!read.ok) expect.fail(`read #${i + 1} threw: ${explain(read.error)}`);
    }
    const servers = [cluster.primary, ...cluster.replicas];
    const counts = servers.map((server) => server.statements.filter((run) => run.sql === sql).length);
    const summary = servers.map((server, i) => `${server.name} ${counts[i]}`).join(', ');
    const busyReplicas = counts.slice(1).filter((count) => count > 0).length;
    if (busyReplicas === 1) {
      expect.fail(
        `reads per server out of 60: ${summary}. The router uses only one replica, like the article's DatabaseRouter with its single self.replica: adding replicas adds no read capacity. Spread reads over all of them (round-robin or random).`,
      );
    }
    expect(
      counts.slice(1).every((count) => count >= 6) && counts[0] === 0,
      `reads per server out of 60: ${summary}. Every replica should take a fair share (here at least 6) and the primary none`,
    ).toBe(true);
  });
});

/** Runs `sql` through the router and fails with `why` if any replica received it. */
async function expectOnPrimary(cluster: Cluster, sql: string, params: unknown[], why: string) {
  const router = routerFor(cluster);
  const result = await attempt(() => router.query(sql, params));
  const runs = cluster.runsOf(sql);
  const shown = JSON.stringify(sql);
  if (runs.some(onReplica)) {
    const refusal = runs.find((run) => onReplica(run) && run.error)?.error;
    expect.fail(
      `${shown} was sent to ${describeRuns(runs.filter(onReplica))}${refusal ? ` (which answered "${refusal}")` : ''}: ${why}`,
    );
  }
  if (!result.ok) expect.fail(`${shown} threw: ${explain(result.error)}`);
  expect(
    runs.map((run) => run.server),
    `${shown} should have run once, on the primary`,
  ).toEqual(['primary']);
}

describe('task 2: Classify statements the way PostgreSQL does', () => {
  it('sends plain reads to a replica however they are written', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const reads = [
      'select id, name from products where id = $1',
      '  \n\tSELECT id FROM products WHERE id = $1',
      '/* product page */ SELECT name FROM products WHERE id = $1',
      '-- product page\nSELECT price_cents FROM products WHERE id = $1',
      'SeLeCt id FROM products WHERE id = $1',
    ];
    for (const sql of reads) {
      const read = await attempt(() => router.query(sql, [1]));
      if (!read.ok) expect.fail(`${JSON.stringify(sql)} threw: ${explain(read.error)}`);
      expect(read.value.rows.length, `${JSON.stringify(sql)} should return product 1`).toBe(1);
      const runs = cluster.runsOf(sql);
      expect(
        runs.every(onReplica),
        `${JSON.stringify(sql)} is a plain read but ran on ${describeRuns(runs)}. A test like /^SELECT/ only matches uppercase SELECT at position 0: lowercase, leading whitespace and comments all slip past it. Skip whitespace and comments, and compare keywords case-insensitively.`,
      ).toBe(true);
    }
  });

  it('sends locking reads (FOR UPDATE, FOR SHARE) to the primary', async () => {
    const cluster = await createCluster();
    const why =
      'SELECT ... FOR UPDATE was sent to a replica. FOR UPDATE and FOR SHARE take row locks, and only locks on the primary stop other writers; a standby refuses them.';
    await expectOnPrimary(cluster, 'SELECT id, price_cents FROM products WHERE id = $1 FOR UPDATE', [1], why);
    await expectOnPrimary(cluster, 'select id from products\nwhere id = $1\nfor share', [2], why);
  });

  it('sends data-modifying CTEs and side-effect functions to the primary', async () => {
    const cluster = await createCluster();
    await expectOnPrimary(
      cluster,
      'WITH created AS (INSERT INTO orders (id, product_id, quantity) VALUES ($1, 1, 2) RETURNING id) SELECT id FROM created',
      [501],
      'a WITH ... INSERT is a write even though the statement ends in SELECT: look inside the CTE, not only at the last keyword.',
    );
    await expectOnPrimary(
      cluster,
      "SELECT nextval('order_numbers') AS order_number",
      [],
      'nextval() advances a sequence, which is a write; a standby refuses it.',
    );
    await expectOnPrimary(
      cluster,
      'SELECT pg_advisory_lock(42)',
      [],
      'an advisory lock taken on a replica is invisible to everyone using the primary, so it protects nothing.',
    );
  });

  it('sends writes, and statements it is not sure about, to the primary', async () => {
    const cluster = await createCluster();
    const why =
      'when the router is not sure a statement is a read, it must send it to the primary: a read on the primary is only slower, a write on a replica fails. List what is safe for replicas, not what is a write.';
    await expectOnPrimary(
      cluster,
      '/* admin */ insert into orders (id, product_id, quantity) values ($1, 2, 1)',
      [601],
      why,
    );
    await expectOnPrimary(
      cluster,
      '  update products set price_cents = price_cents + 100 where id = $1',
      [3],
      why,
    );
    await expectOnPrimary(cluster, 'CREATE INDEX products_by_name ON products (name)', [], why);
    await expectOnPrimary(cluster, 'TRUNCATE orders', [], why);
  });
  it('classifies a catalogue of tricky statements like PostgreSQL does', async () => {
    const cluster = await createCluster();
    for (const entry of CATALOGUE) {
      const router = routerFor(cluster);
      await expectRoute(cluster, router, entry.sql, entry.params ?? [1], entry.route, entry.why);
    }
  });

  it('classifies generated statements like a real SQL parser does', async () => {
    const cluster = await createCluster();
    await checkScenarios(
      'replica-router: statements',
      generatedStatements,
      async (statement: GeneratedStatement) => {
        const router = routerFor(cluster);
        const route = statement.route ?? expectedRoute(statement.sql);
        await expectRoute(cluster, router, statement.sql, statement.params, route, statement.why);
      },
      {
        runs: runsOf(30),
        explain: (statement) =>
          `  router.query(${JSON.stringify(statement.sql)}${statement.params.length > 0 ? `, ${JSON.stringify(statement.params)}` : ''})\n  must go to ${
            (statement.route ?? expectedRoute(statement.sql)) === 'replica' ? 'a replica' : 'the primary'
          }: ${statement.why}.`,
      },
    );
  });
});

// ---------------------------------------------------------------------------
// The reference verdict for task 2, decided by a real SQL parser (pgsql-ast-parser).
// ---------------------------------------------------------------------------

/** Where a correct router must send a statement it is given through query(). */
type Route = 'replica' | 'primary' | 'either';

/** Functions that change state, or take locks only the primary can hold: a standby refuses them. */
const SIDE_EFFECTS = /^(nextval|setval|pg_notify|txid_current|pg_current_xact_id|pg_(try_)?advisory_\w+)$/;
/** Functions known to only compute a value: a SELECT calling only these is a plain read. */
const PURE = new Set(['count', 'sum', 'min', 'max', 'avg', 'lower', 'upper', 'coalesce', 'now']);

const onlyReads = (statement: Statement): boolean =>
  statement.type === 'select' ||
  statement.type === 'union' ||
  statement.type === 'union all' ||
  (statement.type === 'with' &&
    [...statement.bind.map((bound) => bound.statement), statement.in].every(onlyReads));

/**
 * A single SELECT (UNION, read-only WITH) that takes no row lock and calls only
 * functions known to compute a value must go to a replica; a statement that
 * writes, locks rows or calls a function with side effects must go to the
 * primary; anything else (SHOW, VALUES, several reads, unknown functions) may go
 * either way. Statements the parser cannot read are not asked about.
 */
function expectedRoute(sql: string): Route {
  const statements = parseStatements(sql);
  const calls: string[] = [];
  let locks = false;
  const visitor = astVisitor((map) => ({
    call: (call) => {
      calls.push(call.function.name.toLowerCase());
      map.super().call(call);
    },
    selection: (select) => {
      if (select.for) locks = true;
      map.super().selection(select);
    },
  }));
  for (const statement of statements) visitor.statement(statement);
  const reads = statements.every((s) => onlyReads(s) || s.type === 'values' || s.type === 'show');
  if (!reads || locks || calls.some((name) => SIDE_EFFECTS.test(name))) return 'primary';
  return statements.length === 1 &&
    onlyReads(statements[0] as Statement) &&
    calls.every((name) => PURE.has(name))
    ? 'replica'
    : 'either';
}

interface CatalogueEntry {
  sql: string;
  params?: unknown[];
  route: Route;
  why: string;
}

/** Statements that fool the usual shortcuts, each with the reason it goes where it goes. */
const CATALOGUE: CatalogueEntry[] = [
  {
    sql: 'SELECT/**/id FROM products WHERE id = $1',
    route: 'replica',
    why: 'a comment separates words like a space does',
  },
  {
    sql: "SELECT id FROM products WHERE name <> 'update me' AND id = $1",
    route: 'replica',
    why: "'update me' is a string literal, not a command",
  },
  {
    sql: 'SELECT name AS "update" FROM products WHERE id = $1',
    route: 'replica',
    why: '"update" is a quoted name, not a command',
  },
  {
    sql: 'SELECT price_cents AS updated_at, id AS deleted, id AS insert_count FROM products WHERE id = $1',
    route: 'replica',
    why: 'updated_at, deleted and insert_count are names, not the keywords UPDATE, DELETE and INSERT',
  },
  {
    sql: 'SELECT id FROM products WHERE id = $1 -- delete later',
    route: 'replica',
    why: 'the DELETE is inside a -- comment',
  },
  {
    sql: '/* insert\n   into */ SELECT id FROM products WHERE id = $1',
    route: 'replica',
    why: 'the INSERT INTO is inside a /* */ comment',
  },
  {
    sql: 'SELECT id FROM products WHERE name <> $$ for update $$ AND id = $1',
    route: 'replica',
    why: 'FOR UPDATE is inside a dollar-quoted string ($$ ... $$)',
  },
  {
    sql: 'SELECT id FROM products WHERE name <> $body$ delete me $body$ AND id = $1',
    route: 'replica',
    why: 'the DELETE is inside a dollar-quoted string with a tag ($body$ ... $body$)',
  },
  {
    sql: 'SELECT id FROM products WHERE name <> $$\nupdate\n$$ AND id = $1',
    route: 'replica',
    why: 'the UPDATE is inside a dollar-quoted string that spans lines',
  },
  {
    sql: '  \n  with p as (select id from products where id = $1) select id from p',
    route: 'replica',
    why: 'a WITH whose parts only read is a read',
  },
  {
    sql: "SELECT 'x' AS a, id FROM products WHERE id = $1 AND name <> 'update me'",
    route: 'replica',
    why: 'both string literals are only strings',
  },
  {
    sql: '/* product page */ SELECT id FROM products WHERE id = $1 /* cached */',
    route: 'replica',
    why: 'each comment ends at its own */: what sits between two comments is SQL, here a plain SELECT',
  },
  {
    sql: 'SELECT $$x$$ AS a, id FROM products WHERE id = $1 FOR UPDATE -- $$',
    route: 'primary',
    why: 'FOR UPDATE sits between two dollar-quoted strings, not inside one: a dollar-quoted string ends at the first matching $$',
  },
  {
    sql: '/* a */ SELECT id FROM products WHERE id = $1 FOR UPDATE /* b */',
    route: 'primary',
    why: 'FOR UPDATE sits between two comments, not inside one: each comment ends at its own */',
  },
  {
    sql: "SELECT '--' AS dashes, id FROM products WHERE id = $1 FOR UPDATE",
    route: 'primary',
    why: 'the -- is inside a string literal, so it does not start a comment and FOR UPDATE is real',
  },
  {
    sql: "SELECT '/*' AS opener, id FROM products WHERE id = $1 FOR SHARE -- */",
    route: 'primary',
    why: 'the /* is inside a string literal, so it does not start a comment and FOR SHARE is real',
  },
  {
    sql: 'SELECT id FROM products WHERE id = $1 FOR  SHARE',
    route: 'primary',
    why: 'FOR SHARE takes row locks (two spaces change nothing)',
  },
  {
    sql: 'select id from products where id = $1 for\n\tkey   share',
    route: 'primary',
    why: 'FOR KEY SHARE takes row locks',
  },
  {
    sql: 'SELECT id FROM products WHERE id = $1 FOR NO KEY UPDATE',
    route: 'primary',
    why: 'FOR NO KEY UPDATE takes row locks',
  },
  {
    sql: "SELECT nextval ('order_numbers')",
    params: [],
    route: 'primary',
    why: 'nextval() advances a sequence, even with a space before the parenthesis',
  },
  {
    sql: "SELECT setval('order_numbers', 10)",
    params: [],
    route: 'primary',
    why: 'setval() changes a sequence',
  },
  {
    sql: 'SELECT pg_try_advisory_lock($1)',
    route: 'primary',
    why: 'an advisory lock taken on a replica protects nothing on the primary',
  },
  {
    sql: "SELECT pg_notify('orders', 'placed')",
    params: [],
    route: 'primary',
    why: 'pg_notify() sends a notification, which a standby cannot do',
  },
  {
    sql: 'SELECT txid_current()',
    params: [],
    route: 'primary',
    why: 'txid_current() assigns a transaction id, which a standby cannot do',
  },
  {
    sql: 'SELECT id, name INTO products_copy FROM products',
    params: [],
    route: 'primary',
    why: 'SELECT ... INTO creates a table',
  },
  {
    sql: 'SELECT 1; DELETE FROM orders WHERE id = 0',
    params: [],
    route: 'primary',
    why: 'the second statement is a DELETE',
  },
  {
    sql: 'EXPLAIN ANALYZE DELETE FROM orders WHERE id = $1',
    route: 'primary',
    why: 'EXPLAIN ANALYZE runs the DELETE it explains',
  },
  {
    sql: 'WITH gone AS (DELETE FROM orders WHERE id = $1 RETURNING id) SELECT count(*) AS n FROM gone',
    route: 'primary',
    why: 'a WITH ... DELETE changes data although the statement ends in a SELECT',
  },
  { sql: '(SELECT id FROM products WHERE id = $1)', route: 'either', why: 'either server may answer it' },
  { sql: 'VALUES (1)', params: [], route: 'either', why: 'either server may answer it' },
];

/**
 * Sends `sql` through a fresh router and checks where it went: a read must run on
 * a replica only, anything else on the primary only; either way, what the router
 * returns (or throws) must be what the server answered.
 */
async function expectRoute(
  cluster: Cluster,
  router: ReturnType<typeof routerFor>,
  sql: string,
  params: unknown[],
  route: Route,
  why: string,
) {
  const from = cluster.log.length;
  const result = await attempt(() => router.query(sql, params));
  const runs = cluster.log.slice(from).filter((run) => run.sql === sql);
  const shown = JSON.stringify(sql);
  if (runs.length === 0) {
    const reason = result.ok
      ? 'returned without running it anywhere'
      : `threw "${result.error.message}" before sending it anywhere`;
    expect.fail(`router.query(${shown}) ${reason}: a router must hand every statement to a server (${why})`);
  }
  const failed = runs.find((run) => run.outcome === 'error');
  if (failed && runs.indexOf(failed) < runs.length - 1) {
    expect.fail(
      `${shown} failed on ${failed.server} with a SQL error ("${failed.error}", ${failed.code}) and the router ran it again on ${describeRuns(runs.slice(runs.indexOf(failed) + 1))}: a failed statement fails on every server. Only connection errors mean a server is gone.`,
    );
  }
  if (!result.ok && !runs.some((run) => run.error === result.error.message)) {
    expect.fail(
      `router.query(${shown}) threw "${result.error.message}", which no server answered: the router's own code failed on it`,
    );
  }
  if (route === 'replica' && !runs.every(onReplica)) {
    expect.fail(
      `${shown} only reads, but it ran on ${describeRuns(runs)}: ${why}. Reads sent to the primary take the capacity the replicas are there to add. Look past comments, string literals and quoted names before you decide, and match whole words (updated_at is not UPDATE).`,
    );
  }
  if (route === 'primary' && runs.some(onReplica)) {
    const refusal = runs.find((run) => onReplica(run) && run.error)?.error;
    expect.fail(
      `${shown} was sent to ${describeRuns(runs.filter(onReplica))}${refusal ? ` (which answered "${refusal}")` : ''}, but it must run on the primary: ${why}. When the router is not sure a statement only reads, the primary is the safe answer.`,
    );
  }
}

const isBegin = (sql: string) => /^\s*(begin|start\s+transaction)\b/i.test(sql);
const isCommit = (sql: string) => /^\s*(commit|end)\b/i.test(sql);
const isRollback = (sql: string) => /^\s*(rollback|abort)\b/i.test(sql);

describe('task 3: Run a transaction on one primary connection', () => {
  it('runs BEGIN, every statement and COMMIT on the same primary connection', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const from = cluster.log.length;
    const work = [
      'SELECT price_cents FROM products WHERE id = $1 FOR UPDATE',
      'UPDATE products SET price_cents = $1 WHERE id = $2',
      'SELECT price_cents FROM products WHERE id = $1',
    ] as const;
    const done = await attempt(() =>
      router.transaction(async (tx) => {
        await tx.query(work[0], [1]);
        await tx.query(work[1], [1500, 1]);
        const check = await tx.query<{ price_cents: number }>(work[2], [1]);
        return check.rows[0]?.price_cents;
      }),
    );
    if (!done.ok) expect.fail(`router.transaction(...) threw: ${explain(done.error)}`);
    const runs = cluster.log.slice(from);
    const ours = runs.filter((run) => (work as readonly string[]).includes(run.sql));
    const stray = ours.find(onReplica);
    if (stray) {
      expect.fail(
        `"${stray.sql}" ran on ${stray.server} inside a transaction: every statement of a transaction, reads included, belongs on the primary connection that holds the transaction (a replica cannot see its uncommitted writes).`,
      );
    }
    // The transaction as the primary saw it: the last BEGIN before the work, the first COMMIT after it.
    const first = runs.indexOf(ours[0] as StatementRecord);
    const last = runs.indexOf(ours[ours.length - 1] as StatementRecord);
    const begin = runs
      .slice(0, first)
      .reverse()
      .find((run) => isBegin(run.sql));
    const commit = runs.slice(last + 1).find((run) => isCommit(run.sql));
    const shown = runs.map((run) => `${run.sql.split(' ')[0]} on #${run.connection}`).join(', ');
    if (!begin || !commit) {
      expect.fail(`the primary received ${shown}: a transaction starts with BEGIN and ends with COMMIT`);
    }
    const transaction = [begin, ...ours, commit];
    if (new Set(transaction.map((run) => run.connection)).size > 1) {
      expect.fail(
        `the transaction's statements ran on different connections: ${shown}. pool.query() borrows whichever connection is free for each call, so BEGIN and COMMIT wrap nothing. Take one client with pool.connect() and run every statement on it.`,
      );
    }
    expect(done.value, 'transaction() should resolve with what the work returned').toBe(1500);
    expect(
      cluster.primary.checkedOut,
      'the client from pool.connect() was not released after COMMIT: every transaction leaks a connection until the pool is empty',
    ).toBe(0);
  });

  it('rolls back on the same connection, rethrows and releases the client when the work throws', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const from = cluster.log.length;
    const declined = new Error('card declined');
    const done = await attempt(() =>
      router.transaction(async (tx) => {
        await tx.query('UPDATE products SET price_cents = $1 WHERE id = $2', [1, 2]);
        throw declined;
      }),
    );
    if (done.ok)
      expect.fail(
        'transaction() resolved although the work threw: the caller would believe the order succeeded',
      );
    if (done.error !== declined) {
      expect.fail(
        `transaction() rejected with "${done.error.message}" instead of the work's own error ("card declined"): callers need the original error to decide what to do`,
      );
    }
    const runs = cluster.log.slice(from);
    const begin = runs.find((run) => isBegin(run.sql));
    if (!begin)
      expect.fail(`the primary received ${JSON.stringify(runs.map((run) => run.sql))}: no BEGIN was sent`);
    const sameConnection = runs.filter((run) => run.connection === begin.connection);
    if (!sameConnection.some((run) => isRollback(run.sql))) {
      const elsewhere = runs.find((run) => isRollback(run.sql));
      expect.fail(
        elsewhere
          ? `ROLLBACK ran on connection #${elsewhere.connection} but BEGIN on #${begin.connection}: they ran on different connections, so the open transaction was never rolled back. Use one pool.connect() client for the whole transaction.`
          : 'no ROLLBACK was sent after the work threw: the connection would go back to the pool inside an open transaction, and the next request to borrow it would run inside it',
      );
    }
    expect(
      sameConnection.some((run) => isCommit(run.sql)),
      'a COMMIT was sent although the work threw: half of the work would be saved',
    ).toBe(false);
    expect(
      cluster.primary.checkedOut,
      'the client from pool.connect() was not released after the failure: every failed transaction leaks a connection until the pool is empty. Release it in a finally block.',
    ).toBe(0);
    const price = await cluster.primary.pool.query('SELECT price_cents FROM products WHERE id = 2');
    const escaped = runs.find((run) => run.sql.startsWith('UPDATE') && run.connection !== begin.connection);
    expect(
      price.rows[0],
      escaped
        ? `the UPDATE ran on ${escaped.server} connection #${escaped.connection}, outside the transaction opened on #${begin.connection}: it committed on its own and the ROLLBACK could not take it back, so the failed order still changed the price`
        : 'after the rollback the primary should still hold the old price',
    ).toEqual({ price_cents: 4900 });
  });
  it("keeps concurrent sessions' transactions apart: one session's rollback never takes back another's write", async () => {
    const cluster = await createCluster();
    // alice and bob both start a transaction; bob's fails after alice's INSERT; alice then commits.
    await playTransactions(
      cluster,
      {
        transactions: [
          { who: 'alice', orders: 1, fails: false },
          { who: 'bob', orders: 1, fails: true },
        ],
        schedule: [0, 1, 1, 0],
      },
      true,
    );
  });

  it('keeps generated interleavings of transactions of several sessions intact', async () => {
    const cluster = await createCluster();
    await checkScenarios(
      'replica-router: transactions',
      transactionScenarios,
      (scenario) => playTransactions(cluster, scenario),
      {
        runs: runsOf(10),
        explain: explainTransactions,
      },
    );
  });

  it('rejects with the work’s error and releases the client when the connection dies mid-transaction', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const lost = new Error('order 880 was not saved: the database connection was lost');
    const done = await attempt(() =>
      router.transaction(async (tx) => {
        await tx.query(INSERT_ORDER, [880, 1, 1]);
        cluster.primary.goDown('reset');
        try {
          await tx.query(INSERT_ORDER, [881, 1, 1]);
        } catch {
          throw lost;
        }
      }),
    );
    cluster.primary.comeBack();
    if (done.ok) expect.fail('transaction() resolved although its connection died and the work threw');
    if (done.error !== lost) {
      expect.fail(
        `transaction() rejected with "${done.error.message}" instead of the work's own error ("${lost.message}"). When the connection is gone the ROLLBACK fails too (the server has already rolled back): catch that failure and still reject with the work's error, which says what went wrong for the user.`,
      );
    }
    expect(
      cluster.primary.checkedOut,
      'the client from pool.connect() was not released after its connection died: release it in a finally block, whatever ROLLBACK did',
    ).toBe(0);
  });
});

const INSERT_ORDER = 'INSERT INTO orders (id, product_id, quantity) VALUES ($1, $2, $3)';
const READ_ORDER = 'SELECT id, quantity FROM orders WHERE id = $1';

const SESSIONS = ['alice', 'bob', 'carol'] as const;

interface PlannedTransaction {
  who: (typeof SESSIONS)[number];
  /** How many orders it inserts, one per step. */
  orders: number;
  /** Whether the work throws after its inserts (ROLLBACK) instead of returning (COMMIT). */
  fails: boolean;
}

interface TransactionScenario {
  transactions: PlannedTransaction[];
  /** Which transaction takes its next step, in order: its next INSERT, then its end. */
  schedule: number[];
}

const transactionScenarios: fc.Arbitrary<TransactionScenario> = fc
  .array(
    fc.record({
      who: fc.constantFrom(...SESSIONS),
      orders: fc.integer({ min: 1, max: 2 }),
      fails: fc.boolean(),
    }),
    { minLength: 2, maxLength: 3 },
  )
  .chain((transactions) => {
    const steps = transactions.flatMap((t, i) => Array.from({ length: t.orders + 1 }, () => i));
    return fc
      .shuffledSubarray(steps, { minLength: steps.length, maxLength: steps.length })
      .map((schedule) => ({
        transactions,
        schedule,
      }));
  });

let nextOrderId = 10_000;

/** What each step of a scenario does, in words, with the order ids of this run. */
function plannedSteps(scenario: TransactionScenario, ids: number[][]): string[] {
  const taken = scenario.transactions.map(() => 0);
  return scenario.schedule.map((t) => {
    const plan = scenario.transactions[t] as PlannedTransaction;
    const step = taken[t] ?? 0;
    taken[t] = step + 1;
    const name = `${plan.who}'s transaction #${t + 1}`;
    if (step < plan.orders) return `${name} inserts order ${ids[t]?.[step] ?? `#${step + 1}`}`;
    return plan.fails ? `${name} fails ("payment declined"): it must be rolled back` : `${name} commits`;
  });
}

function explainTransactions(scenario: TransactionScenario): string {
  const ids = scenario.transactions.map((t) =>
    Array.from({ length: t.orders }, (_, k) => 900 + 10 * scenario.transactions.indexOf(t) + k),
  );
  return plannedSteps(scenario, ids)
    .map((step, i) => `  ${i + 1}. ${step}`)
    .join('\n');
}

/** Has `promise` settled once everything runnable has run? (A design that queues transactions may make it wait.) */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  const mark = () => {
    done = true;
  };
  promise.then(mark, mark);
  await Promise.race([promise.catch(() => {}), settle()]);
  return done;
}

/**
 * Runs the transactions of a scenario interleaved as its schedule says, each in
 * its session, then checks what the primary kept: every committed order, no
 * order of a failed transaction, no two open transactions on one connection, no
 * leaked client. A design that makes transactions wait for each other is fine:
 * a step that cannot run yet runs when the others are done.
 */
async function playTransactions(
  cluster: Cluster,
  scenario: TransactionScenario,
  tell = false,
): Promise<void> {
  const router = routerFor(cluster);
  const sessions = new Map(SESSIONS.map((who) => [who, router.session()]));
  const ids = scenario.transactions.map((t) => Array.from({ length: t.orders }, () => nextOrderId++));
  const from = cluster.log.length;
  const declined = scenario.transactions.map((t) => new Error(`payment declined for ${t.who}`));
  const gates = scenario.transactions.map((t) => Array.from({ length: t.orders + 1 }, () => gate()));
  const reached = scenario.transactions.map((t) => Array.from({ length: t.orders + 1 }, () => gate()));
  const outcomes: Array<Promise<Outcome<string>> | undefined> = scenario.transactions.map(() => undefined);
  const taken = scenario.transactions.map(() => 0);
  const start = (t: number) =>
    attempt(() =>
      router.transaction(
        async (tx) => {
          const plan = scenario.transactions[t] as PlannedTransaction;
          for (let step = 0; step <= plan.orders; step++) {
            reached[t]?.[step]?.open();
            await gates[t]?.[step]?.wait;
            if (step < plan.orders) await tx.query(INSERT_ORDER, [ids[t]?.[step], 1, 1]);
          }
          if (plan.fails) throw declined[t];
          return `done ${t}`;
        },
        sessions.get(scenario.transactions[t]?.who ?? 'alice'),
      ),
    );
  for (const t of scenario.schedule) {
    outcomes[t] ??= start(t);
    const step = taken[t] ?? 0;
    taken[t] = step + 1;
    gates[t]?.[step]?.open();
    const next = reached[t]?.[step + 1]?.wait ?? (outcomes[t] as Promise<unknown>);
    await settledSoon(Promise.race([next, outcomes[t] as Promise<unknown>]));
  }
  for (const list of gates) for (const g of list) g.open();
  const all = Promise.all(outcomes as Array<Promise<Outcome<string>>>);
  let finished = false;
  for (let round = 0; round < 10 && !finished; round++) finished = await settledSoon(all);
  if (!finished) {
    expect.fail(
      'some transactions never finished although every step was allowed to run: is a transaction waiting for a connection or a lock that is never released?',
    );
  }
  const results = await all;
  // Inside checkScenarios the scenario is printed after the message; on its own, the message tells it.
  const story = tell
    ? `\n${plannedSteps(scenario, ids)
        .map((step, i) => `  ${i + 1}. ${step}`)
        .join('\n')}`
    : '';
  // Two transactions open at the same time on one connection: each one's BEGIN/ROLLBACK/COMMIT acts on the other's work.
  const runs = cluster.log.slice(from);
  const connectionOf = (id: number | undefined) =>
    runs.find((run) => run.sql === INSERT_ORDER && run.params[0] === id && run.server === 'primary')
      ?.connection;
  // Two transactions' statements on one connection with no COMMIT or ROLLBACK between them ran in one transaction.
  const owner = new Map(ids.flatMap((list, t) => list.map((id) => [id, t] as const)));
  const lastInsert = new Map<number, number>();
  for (const run of runs) {
    if (run.server !== 'primary') continue;
    if (isCommit(run.sql) || isRollback(run.sql)) lastInsert.delete(run.connection);
    const t = run.sql === INSERT_ORDER ? owner.get(run.params[0] as number) : undefined;
    if (t === undefined) continue;
    const other = lastInsert.get(run.connection);
    if (other !== undefined && other !== t) {
      const [a, b] = [scenario.transactions[other], scenario.transactions[t]] as [
        PlannedTransaction,
        PlannedTransaction,
      ];
      expect.fail(
        `${a.who}'s transaction #${other + 1} and ${b.who}'s transaction #${t + 1} both ran on primary connection #${run.connection} inside one BEGIN: BEGIN, COMMIT and ROLLBACK act on a connection, not on one caller's statements, so one's ROLLBACK takes back the other's work and one's COMMIT commits the other's half-done work. Give each transaction its own client from pool.connect(), kept in a local variable of that call (never in the router, where the next transaction overwrites it).${story}`,
      );
    }
    lastInsert.set(run.connection, t);
  }
  for (const [t, plan] of scenario.transactions.entries()) {
    const result = results[t] as Outcome<string>;
    if (plan.fails && result.ok)
      expect.fail(`${plan.who}'s transaction #${t + 1} resolved although its work threw:${story}`);
    if (plan.fails && !result.ok && result.error !== declined[t])
      expect.fail(
        `${plan.who}'s transaction #${t + 1} rejected with "${result.error.message}" instead of its work's own error ("${declined[t]?.message}"):${story}`,
      );
    if (!plan.fails && !result.ok)
      expect.fail(
        `${plan.who}'s transaction #${t + 1} rejected with "${result.error.message}" although its work succeeded${
          /releas/i.test(result.error.message)
            ? ': it used a client that another transaction had already released. Give each transaction its own client from pool.connect(), kept in a local variable of that call (never in the router, where the next transaction overwrites it)'
            : ''
        }.${story}`,
      );
  }
  const stray = runs.find((run) => run.sql === INSERT_ORDER && onReplica(run));
  if (stray)
    expect.fail(
      `an INSERT of a transaction ran on ${stray.server}: every statement of a transaction belongs on its primary connection`,
    );
  const kept = await cluster.primary.pool.query<{ id: number }>('SELECT id FROM orders WHERE id >= $1', [
    ids[0]?.[0] ?? 0,
  ]);
  const keptIds = new Set(kept.rows.map((row) => Number(row.id)));
  for (const [t, plan] of scenario.transactions.entries()) {
    for (const id of ids[t] ?? []) {
      if (keptIds.has(id) === !plan.fails) continue;
      const mine = connectionOf(id);
      const sharer = scenario.transactions.findIndex(
        (_, u) => u !== t && (ids[u] ?? []).some((other) => connectionOf(other) === mine),
      );
      const shared =
        sharer >= 0
          ? ` ${plan.who}'s and ${scenario.transactions[sharer]?.who}'s transactions both ran on primary connection #${mine}: BEGIN, COMMIT and ROLLBACK act on a connection, not on one caller's statements, so each transaction needs its own client from pool.connect() (never one client kept in the router and shared).`
          : '';
      expect.fail(
        plan.fails
          ? `order ${id} of ${plan.who}'s failed transaction #${t + 1} is still on the primary: its ROLLBACK did not take it back.${shared}${story}`
          : `order ${id}, committed by ${plan.who}'s transaction #${t + 1}, is missing from the primary: another transaction's ROLLBACK took it back, or its COMMIT committed nothing.${shared}${story}`,
      );
    }
  }
  expect(
    cluster.primary.checkedOut,
    `clients from pool.connect() were not released after these transactions:${story}`,
  ).toBe(0);
}

/** Replicas 1000 ms behind the primary. */
const laggingCluster = () => createCluster({ lagMs: LAG_MS });

describe('task 4: Let a session read its own writes', () => {
  it('a session finds its own write while the replicas lag behind', async () => {
    const cluster = await laggingCluster();
    const router = routerFor(cluster);
    const alice = router.session();
    const wrote = await attempt(() => router.query(INSERT_ORDER, [701, 3, 1], alice));
    if (!wrote.ok) expect.fail(`the INSERT threw: ${explain(wrote.error)}`);
    for (let i = 1; i <= 4; i++) {
      await cluster.advance(200);
      const from = cluster.log.length;
      const read = await attempt(() => router.query(READ_ORDER, [701], alice));
      if (!read.ok) expect.fail(`the session's read threw: ${explain(read.error)}`);
      const runs = cluster.log.slice(from).filter((run) => run.sql === READ_ORDER);
      expect(
        read.value.rows,
        i === 1
          ? `a session placed order 701 and 200 ms later its own read did not find it: the read went to ${describeRuns(runs)}, 1000 ms behind the primary. This is the missing read-your-writes of the article's DatabaseRouter: after a session writes, send its reads where the write is visible (the primary, for a window longer than the replication lag, or a replica that has replayed past the write).`
          : `a session placed order 701; its read ${i} (${i * 200} ms after the write) did not find it: it went to ${describeRuns(runs)}, 1000 ms behind the primary. Read-your-writes must hold until the replicas have the write, for every read in that time, not only the first one or a fixed number of them.`,
      ).toEqual([{ id: 701, quantity: 1 }]);
    }
  });

  it("other sessions keep reading from the replicas after one session's write", async () => {
    const cluster = await laggingCluster();
    const router = routerFor(cluster);
    const alice = router.session();
    const bob = router.session();
    await attempt(() => router.query(INSERT_ORDER, [702, 1, 2], alice));
    await cluster.advance(200);
    const reads = [
      { who: 'bob', sql: 'SELECT name FROM products WHERE id = $1 -- bob', session: bob },
      {
        who: 'a request without a session',
        sql: 'SELECT name FROM products WHERE id = $1 -- anonymous',
        session: undefined,
      },
    ];
    for (const { who, sql, session } of reads) {
      const read = await attempt(() => router.query(sql, [1], session));
      if (!read.ok) expect.fail(`the read of ${who} threw: ${explain(read.error)}`);
      const runs = cluster.runsOf(sql);
      expect(
        runs.every(onReplica),
        `alice wrote, and the read of ${who} then ran on ${describeRuns(runs)}: read-your-writes is per session. Sending everyone's reads to the primary after any write throws the replicas away.`,
      ).toBe(true);
    }
  });

  it('a session goes back to the replicas once they have caught up', async () => {
    const cluster = await laggingCluster();
    const router = routerFor(cluster);
    const alice = router.session();
    await attempt(() => router.query(INSERT_ORDER, [703, 2, 4], alice));
    await cluster.advance(200);
    await attempt(() => router.query(READ_ORDER, [703], alice));
    await cluster.advance(10_000);
    const sql = `${READ_ORDER} -- later`;
    const read = await attempt(() => router.query(sql, [703], alice));
    if (!read.ok) expect.fail(`the session's later read threw: ${explain(read.error)}`);
    const runs = cluster.runsOf(sql);
    expect(
      runs.every(onReplica),
      `10 s after alice's write (replicas lag ${LAG_MS} ms, window ${WINDOW_MS} ms) her read still ran on ${describeRuns(runs)}: the session is pinned to the primary forever, so every user who ever wrote becomes load on the primary. Pin only until the replicas have the write (the window has passed, or their replay position has caught up).`,
    ).toBe(true);
    expect(read.value.rows, 'the replica has caught up, so it should return order 703').toEqual([
      { id: 703, quantity: 4 },
    ]);
  });

  it("a write committed in a transaction counts as the session's write", async () => {
    const cluster = await laggingCluster();
    const router = routerFor(cluster);
    const alice = router.session();
    const wrote = await attempt(() =>
      router.transaction(async (tx) => {
        await tx.query(INSERT_ORDER, [704, 3, 1]);
      }, alice),
    );
    if (!wrote.ok) expect.fail(`the transaction threw: ${explain(wrote.error)}`);
    await cluster.advance(200);
    const read = await attempt(() => router.query(READ_ORDER, [704], alice));
    if (!read.ok) expect.fail(`the session's read threw: ${explain(read.error)}`);
    expect(
      read.value.rows,
      `alice committed order 704 in router.transaction(..., alice) and 200 ms later her read did not find it (it ran on ${describeRuns(cluster.runsOf(READ_ORDER))}): a committed transaction is a write too, for read-your-writes`,
    ).toEqual([{ id: 704, quantity: 1 }]);
  });
  it('honours the consistency window it is given: a replica 1500 ms behind is not read 1200 ms after a write', async () => {
    const cluster = await createCluster({ lagMs: 1_500 });
    const router = routerFor(cluster);
    const alice = router.session();
    const wrote = await attempt(() => router.query(INSERT_ORDER, [705, 2, 3], alice));
    if (!wrote.ok) expect.fail(`the INSERT threw: ${explain(wrote.error)}`);
    await cluster.advance(1_200);
    const read = await attempt(() => router.query(READ_ORDER, [705], alice));
    if (!read.ok) expect.fail(`the session's read threw: ${explain(read.error)}`);
    expect(
      read.value.rows,
      `alice placed order 705 and 1200 ms later her read did not find it (it ran on ${describeRuns(cluster.runsOf(READ_ORDER))}, 1500 ms behind). The router was created with consistencyWindowMs: ${WINDOW_MS}: a router that ignores it and uses its own shorter default lets a lagging replica answer too early.`,
    ).toEqual([{ id: 705, quantity: 3 }]);
  });

  it('the window starts again at every write of the session', async () => {
    const cluster = await createCluster({ lagMs: 1_500 });
    const router = routerFor(cluster);
    const alice = router.session();
    await attempt(() => router.query(INSERT_ORDER, [706, 1, 1], alice));
    await cluster.advance(1_500);
    const second = await attempt(() => router.query(INSERT_ORDER, [707, 1, 2], alice));
    if (!second.ok) expect.fail(`alice's second INSERT threw: ${explain(second.error)}`);
    await cluster.advance(1_000);
    const read = await attempt(() => router.query(READ_ORDER, [707], alice));
    if (!read.ok) expect.fail(`the session's read threw: ${explain(read.error)}`);
    expect(
      read.value.rows,
      `alice wrote order 706, 1500 ms later order 707, and 1000 ms after that her read did not find 707 (it ran on ${describeRuns(cluster.runsOf(READ_ORDER))}, 1500 ms behind): the window was counted from her first write. Every write of a session starts its window again.`,
    ).toEqual([{ id: 707, quantity: 2 }]);
  });

  it('generated histories of sessions writing and reading: each sees its own writes, the others stay on the replicas', async () => {
    await checkScenarios('replica-router: sessions', sessionScenarios, playSessions, {
      runs: runsOf(15),
      explain: explainSessions,
    });
  });
});

type SessionStep =
  | { kind: 'write'; who: number; via: 'query' | 'transaction' }
  | { kind: 'read'; who: number | 'anonymous' }
  | { kind: 'wait'; ms: number };

interface SessionScenario {
  /** Each replica's lag, in ms: all under the window of 2000 ms. */
  lags: number[];
  steps: SessionStep[];
}

const WHO = ['alice', 'bob', 'carol'];

const sessionScenarios: fc.Arbitrary<SessionScenario> = fc.record({
  lags: fc.array(fc.constantFrom(0, 300, 800, 1_500), { minLength: 2, maxLength: 3 }),
  steps: fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        who: fc.integer({ min: 0, max: 2 }),
        via: fc.constantFrom('query' as const, 'transaction' as const),
      }),
      fc.record({
        kind: fc.constant('read' as const),
        who: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constant('anonymous' as const)),
      }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(100, 500, 1_000, 2_500) }),
    ),
    { minLength: 1, maxLength: 12 },
  ),
});

const nameOf = (who: number | 'anonymous') =>
  who === 'anonymous' ? 'a request without a session' : WHO[who];

function explainSessions(scenario: SessionScenario): string {
  const lines = [
    `  replicas ${scenario.lags.map((lag) => `${lag} ms`).join(', ')} behind the primary; consistency window ${WINDOW_MS} ms`,
  ];
  for (const [i, step] of scenario.steps.entries()) {
    const text =
      step.kind === 'write'
        ? `${nameOf(step.who)} places an order (${step.via === 'query' ? 'router.query' : 'in router.transaction'})`
        : step.kind === 'read'
          ? `${nameOf(step.who)} reads ${step.who === 'anonymous' ? 'a product' : 'its latest order'}`
          : `${step.ms} ms pass`;
    lines.push(`  ${i + 1}. ${text}`);
  }
  return lines.join('\n');
}

/**
 * Plays a history of sessions writing orders, reading them back and time passing,
 * and checks: a session always finds its own latest order (read-your-writes); a
 * session that has not written for a whole window, and any request without a
 * session, reads from a replica.
 */
async function playSessions(scenario: SessionScenario): Promise<void> {
  const cluster = await createCluster({ replicas: scenario.lags.length, lagMs: scenario.lags });
  try {
    const router = routerFor(cluster);
    const sessions = WHO.map(() => router.session());
    const latest: Array<{ id: number; at: number } | undefined> = WHO.map(() => undefined);
    for (const [i, step] of scenario.steps.entries()) {
      const label = `step ${i + 1}`;
      if (step.kind === 'wait') {
        await cluster.advance(step.ms);
        continue;
      }
      if (step.kind === 'write') {
        const id = nextOrderId++;
        const session = sessions[step.who];
        const wrote = await attempt<unknown>(() =>
          step.via === 'query'
            ? router.query(INSERT_ORDER, [id, 1, 1], session)
            : router.transaction(async (tx) => {
                await tx.query(INSERT_ORDER, [id, 1, 1]);
              }, session),
        );
        if (!wrote.ok)
          expect.fail(`${label}: ${nameOf(step.who)}'s order ${id} threw: ${explain(wrote.error)}`);
        latest[step.who] = { id, at: cluster.now() };
        continue;
      }
      const mine = step.who === 'anonymous' ? undefined : latest[step.who];
      const session = step.who === 'anonymous' ? undefined : sessions[step.who];
      const sql = mine ? READ_ORDER : 'SELECT name FROM products WHERE id = $1';
      const from = cluster.log.length;
      const read = await attempt(() => router.query(sql, [mine ? mine.id : 1], session));
      if (!read.ok) expect.fail(`${label}: ${nameOf(step.who)}'s read threw: ${explain(read.error)}`);
      const runs = cluster.log.slice(from).filter((run) => run.sql === sql && run.outcome === 'ok');
      if (mine && read.value.rows.length === 0) {
        expect.fail(
          `${label}: ${nameOf(step.who)} placed order ${mine.id} ${cluster.now() - mine.at} ms earlier and did not find it: the read ran on ${describeRuns(runs)}, which had not replayed it yet. Read-your-writes: until a replica has the session's write, its reads go where the write is (the primary).`,
        );
      }
      const quiet = mine === undefined || cluster.now() - mine.at >= WINDOW_MS;
      if (quiet && !runs.every(onReplica)) {
        const since = mine
          ? `${nameOf(step.who)} last wrote ${cluster.now() - mine.at} ms earlier (window ${WINDOW_MS} ms)`
          : `${nameOf(step.who)} has not written anything`;
        expect.fail(
          `${label}: ${since}, yet the read ran on ${describeRuns(runs)}. Only a session's own recent writes send its reads to the primary: keep the state per session (not one router-wide flag) and let it expire once the replicas have caught up.`,
        );
      }
    }
  } finally {
    await cluster.close();
  }
}

describe('task 5: Route around replicas that are down', () => {
  const read = 'SELECT name FROM products WHERE id = $1';

  it('reads keep working when a replica is down, without hammering it', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const [dead, alive] = cluster.replicas as [(typeof cluster.replicas)[0], (typeof cluster.replicas)[0]];
    dead.goDown();
    for (let i = 0; i < 20; i++) {
      const product = SEED_PRODUCTS[i % 3] as (typeof SEED_PRODUCTS)[0];
      const from = cluster.log.length;
      const result = await attempt(() => router.query(read, [product.id]));
      const runs = cluster.log.slice(from).filter((run) => run.sql === read);
      const answered = runs.find((run) => run.outcome === 'ok');
      if (runs.some((run) => run.outcome === 'refused') && answered?.server === 'primary') {
        expect.fail(
          `read #${i + 1} found ${dead.name} down and went straight to the primary (${describeRuns(runs)}), although ${alive.name} is healthy: try the other replicas first. The primary is the last resort, or it takes every read the dead replica would have had.`,
        );
      }
      if (!result.ok) {
        expect.fail(
          `read #${i + 1} failed while ${dead.name} is down: ${explain(result.error)}. When a replica refuses the connection, send the read to another healthy replica (or the primary): one dead replica must not fail user requests.`,
        );
      }
      expect(result.value.rows, `read #${i + 1} returned the wrong rows`).toEqual([{ name: product.name }]);
    }
    const tries = dead.statements.filter((run) => run.outcome === 'refused').length;
    expect(
      tries,
      `${dead.name} is down and was still tried ${tries} times in 20 reads: remember that it failed and skip it for a while (like nginx's max_fails and fail_timeout), or every read pays for a failed connection first`,
    ).toBeLessThanOrEqual(2);
    const served = alive.statements.filter((run) => run.sql === read && run.outcome === 'ok').length;
    expect(
      served,
      `${alive.name} is healthy but served only ${served} of 20 reads: while a healthy replica exists, reads belong there, not on the primary`,
    ).toBeGreaterThanOrEqual(15);
  });

  it('reads fall back to the primary when every replica is down', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    for (const replica of cluster.replicas) replica.goDown();
    for (let i = 0; i < 5; i++) {
      const result = await attempt(() => router.query(read, [3]));
      if (!result.ok) {
        expect.fail(
          `with every replica down, read #${i + 1} failed: ${explain(result.error)}. The primary has all the data: fall back to it rather than failing the request.`,
        );
      }
      expect(result.value.rows, `read #${i + 1} returned the wrong rows`).toEqual([{ name: 'burr grinder' }]);
    }
    const onPrimary = cluster.primary.statements.filter(
      (run) => run.sql === read && run.outcome === 'ok',
    ).length;
    expect(onPrimary, 'with every replica down, the primary should have answered all 5 reads').toBe(5);
  });

  it('a replica that comes back gets reads again', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const [flaky] = cluster.replicas as [(typeof cluster.replicas)[0]];
    flaky.goDown();
    for (let i = 0; i < 5; i++) await attempt(() => router.query(read, [1]));
    flaky.comeBack();
    await cluster.advance(60_000);
    for (let i = 0; i < 20; i++) {
      const result = await attempt(() => router.query(read, [2]));
      if (!result.ok)
        expect.fail(`read #${i + 1} after ${flaky.name} came back failed: ${explain(result.error)}`);
    }
    const served = flaky.statements.filter((run) => run.sql === read && run.outcome === 'ok').length;
    expect(
      served,
      `${flaky.name} came back 60 s ago but served ${served} of the next 20 reads: a replica marked down must be retried after a while, or every short outage removes read capacity for good`,
    ).toBeGreaterThanOrEqual(5);
  });
  it('treats every way a replica can be unreachable as a connection failure', async () => {
    for (const failure of CONNECTION_FAILURES) {
      const cluster = await createCluster();
      const router = routerFor(cluster);
      const [dead, alive] = cluster.replicas as [(typeof cluster.replicas)[0], (typeof cluster.replicas)[0]];
      dead.goDown(failure);
      for (let i = 0; i < 6; i++) {
        const result = await attempt(() => router.query(read, [2]));
        const refusal = dead.statements.find((run) => run.outcome === 'refused');
        if (!result.ok) {
          expect.fail(
            `${dead.name} ${FAILURE_STORY[failure]} and answered ${refusal?.code} ("${refusal?.error}"); read #${i + 1} failed with it instead of going to ${alive.name}. Treat every connection failure as "this server is gone": Node's socket errors (codes starting with E: ECONNREFUSED, ETIMEDOUT, ECONNRESET...), SQLSTATE class 08 and 57P01-57P03. Only SQL errors belong to the caller.`,
          );
        }
      }
      const tries = dead.statements.filter((run) => run.outcome === 'refused').length;
      expect(
        tries,
        `${dead.name} ${FAILURE_STORY[failure]} (${dead.statements[0]?.code}) and was tried ${tries} times in 6 reads: skip it for a while`,
      ).toBeLessThanOrEqual(2);
      await cluster.close();
    }
  });

  it('a failed statement is not a dead replica: the SQL error reaches the caller and the replica keeps serving', async () => {
    const cluster = await createCluster();
    const router = routerFor(cluster);
    const bad = 'SELECT colour FROM products WHERE id = $1';
    for (let i = 0; i < 4; i++) {
      const from = cluster.log.length;
      const result = await attempt(() => router.query(bad, [1]));
      const runs = cluster.log.slice(from).filter((run) => run.sql === bad);
      if (result.ok)
        expect.fail(`${JSON.stringify(bad)} (a column that does not exist) resolved instead of rejecting`);
      if (!isMissingColumn(result.error)) {
        expect.fail(
          `${JSON.stringify(bad)} should reject with the server's own error (42703, column "colour" does not exist), or one that carries it, but rejected with ${result.error.code ?? 'no code'} ("${result.error.message}"): the caller needs PostgreSQL's error to fix its SQL`,
        );
      }
      if (runs.length !== 1) {
        expect.fail(
          `${JSON.stringify(bad)} failed with a SQL error and the router ran it ${runs.length} times (${describeRuns(runs)}): a missing column fails on every server, so retrying elsewhere only adds load. Only connection errors mean a server is gone.`,
        );
      }
    }
    const served = new Map(cluster.replicas.map((replica) => [replica.name, 0]));
    for (let i = 0; i < 20; i++) {
      const from = cluster.log.length;
      const result = await attempt(() => router.query(read, [1]));
      if (!result.ok) expect.fail(`a read after the failed statements threw: ${explain(result.error)}`);
      for (const run of cluster.log.slice(from))
        if (run.sql === read && run.outcome === 'ok')
          served.set(run.server, (served.get(run.server) ?? 0) + 1);
    }
    const idle = [...served].filter(([, count]) => count === 0).map(([name]) => name);
    expect(
      idle,
      `after 4 statements failed with SQL errors (column "colour" does not exist), ${idle.join(' and ')} served none of the next 20 reads (${[...served].map(([name, count]) => `${name} ${count}`).join(', ')}): a SQL error says nothing about the server's health, so it must not take a replica out of rotation. Mark a replica down only for connection errors.`,
    ).toEqual([]);
  });

  it('generated histories of replicas failing and recovering: reads keep working, in the right order of servers', async () => {
    await checkScenarios('replica-router: failover', failoverScenarios, playFailover, {
      runs: runsOf(20),
      explain: explainFailover,
    });
  });
});

const FAILURE_STORY: Record<ConnectionFailure, string> = {
  refused: 'refuses connections (nothing listens on its port)',
  timeout: 'does not answer at all (its host is unreachable)',
  reset: 'drops connections (reset by peer)',
  shutdown: 'is shutting down',
  starting: 'is still starting up',
  lost: 'loses its connections',
};

const READ_PRODUCT = 'SELECT name FROM products WHERE id = $1';

/** The server's missing-column error, passed on as it is or wrapped (as `cause`, or quoted in the message). */
function isMissingColumn(error: Error & { code?: string; cause?: unknown }): boolean {
  const cause = error.cause as { code?: string } | undefined;
  return error.code === '42703' || cause?.code === '42703' || /colour/.test(error.message);
}
const BAD_READ = 'SELECT colour FROM products WHERE id = $1';

type FailoverStep =
  | { kind: 'down'; replica: number; failure: ConnectionFailure }
  | { kind: 'up'; replica: number }
  | { kind: 'read' }
  | { kind: 'bad-read' }
  | { kind: 'wait'; ms: number };

interface FailoverScenario {
  replicas: number;
  steps: FailoverStep[];
}

const failoverScenarios: fc.Arbitrary<FailoverScenario> = fc.integer({ min: 2, max: 3 }).chain((replicas) =>
  fc.record({
    replicas: fc.constant(replicas),
    steps: fc.array(
      fc.oneof(
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('down' as const),
            replica: fc.integer({ min: 0, max: replicas - 1 }),
            failure: fc.constantFrom(...CONNECTION_FAILURES),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('up' as const),
            replica: fc.integer({ min: 0, max: replicas - 1 }),
          }),
        },
        { weight: 5, arbitrary: fc.record({ kind: fc.constant('read' as const) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('bad-read' as const) }) },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('wait' as const),
            ms: fc.constantFrom(100, 1_000, 5_000, 30_000, 70_000),
          }),
        },
      ),
      { minLength: 1, maxLength: 16 },
    ),
  }),
);

function explainFailover(scenario: FailoverScenario): string {
  const lines = [`  ${scenario.replicas} replicas, the primary always up`];
  for (const [i, step] of scenario.steps.entries()) {
    const text =
      step.kind === 'down'
        ? `replica-${step.replica + 1} goes down: it ${FAILURE_STORY[step.failure]}`
        : step.kind === 'up'
          ? `replica-${step.replica + 1} is back`
          : step.kind === 'read'
            ? 'a read (SELECT name FROM products WHERE id = $1)'
            : 'a statement with a SQL error (SELECT colour ..., a column that does not exist)';
    lines.push(`  ${i + 1}. ${step.kind === 'wait' ? `${step.ms} ms pass` : text}`);
  }
  return lines.join('\n');
}

/** How long after a replica failed a router may still skip it; after that, a healthy replica is expected back in use. */
const SKIP_AT_MOST_MS = 60_000;
/** How long after two failures in a row a router must leave a replica alone. */
const SKIP_AT_LEAST_MS = 1_000;

/**
 * Plays a history of replicas going down in the ways real ones do, coming back,
 * reads, failing statements and time passing, and checks every read: it succeeds
 * with the right rows; while a healthy replica is available (up, and not failed
 * within the last minute, so a router may not have given it another chance yet)
 * a replica answers it, never the primary; a replica that failed twice in a row
 * is left alone for at least a second; a SQL error is the caller's and runs once.
 */
async function playFailover(scenario: FailoverScenario): Promise<void> {
  const cluster = await createCluster({ replicas: scenario.replicas });
  try {
    const router = routerFor(cluster);
    let sqlErrors = 0;
    for (const [i, step] of scenario.steps.entries()) {
      const label = `step ${i + 1}`;
      if (step.kind === 'wait') await cluster.advance(step.ms);
      else if (step.kind === 'down') cluster.replicas[step.replica]?.goDown(step.failure);
      else if (step.kind === 'up') cluster.replicas[step.replica]?.comeBack();
      else if (step.kind === 'bad-read') {
        const from = cluster.log.length;
        const result = await attempt(() => router.query(BAD_READ, [1]));
        const runs = cluster.log.slice(from).filter((run) => run.sql === BAD_READ);
        const failed = runs.filter((run) => run.outcome === 'error');
        if (result.ok) expect.fail(`${label}: a statement on a column that does not exist resolved`);
        if (
          failed.length > 0 &&
          (!isMissingColumn(result.error) || runs.indexOf(failed[0] as StatementRecord) !== runs.length - 1)
        ) {
          expect.fail(
            `${label}: the statement failed on ${failed[0]?.server} with a SQL error (42703, column "colour" does not exist), and the router then ${runs.length > 1 ? `ran it again on ${describeRuns(runs.slice(runs.indexOf(failed[0] as StatementRecord) + 1))}` : `rejected with ${result.error.code} instead`}: a SQL error fails on every server; hand it to the caller.`,
          );
        }
        if (failed.length > 0) sqlErrors++;
      } else {
        const now = cluster.now();
        const lastRefusal = (name: string) =>
          cluster.log.filter((run) => run.server === name && run.outcome === 'refused').at(-1)?.at;
        const available = cluster.replicas.filter((replica) => {
          const refused = lastRefusal(replica.name);
          return replica.failure === undefined && (refused === undefined || now - refused > SKIP_AT_MOST_MS);
        });
        const from = cluster.log.length;
        const result = await attempt(() => router.query(READ_PRODUCT, [1]));
        const runs = cluster.log.slice(from).filter((run) => run.sql === READ_PRODUCT);
        if (!result.ok) {
          expect.fail(
            `${label}: the read failed with ${result.error.code ?? 'an error'} ("${result.error.message}") after trying ${describeRuns(runs)}. While the primary is up, no read may fail: skip replicas that cannot be reached, and read from the primary when none is left.`,
          );
        }
        expect(result.value.rows, `${label}: the read returned the wrong rows`).toEqual([
          { name: SEED_PRODUCTS[0]?.name },
        ]);
        const answered = runs.find((run) => run.outcome === 'ok');
        if (available.length > 0 && answered && !onReplica(answered)) {
          const refused = runs.filter((run) => run.outcome === 'refused');
          expect.fail(
            `${label}: the primary answered the read although ${available.map((replica) => replica.name).join(' and ')} ${available.length > 1 ? 'were' : 'was'} up and had not failed in the last minute${
              refused.length > 0
                ? ` (the router tried ${describeRuns(refused)}, which failed, then went straight to the primary): when a replica fails, try the other replicas first; the primary is the last resort, or it takes every read the dead replica would have had`
                : sqlErrors > 0
                  ? ': did an earlier SQL error make the router take a healthy replica out of rotation? Only connection errors mean a replica is down'
                  : ': a replica that was down must come back into rotation after a while'
            }.`,
          );
        }
      }
      // A replica that failed twice in a row must be left alone for a while.
      for (const replica of cluster.replicas) {
        // The grader's own statements only: a health check the router runs in the background is its own business.
        const own = cluster.log.filter(
          (run) => run.server === replica.name && (run.sql === READ_PRODUCT || run.sql === BAD_READ),
        );
        for (let k = 2; k < own.length; k++) {
          const [before, failed, next] = [own[k - 2], own[k - 1], own[k]] as [
            StatementRecord,
            StatementRecord,
            StatementRecord,
          ];
          if (
            before.outcome === 'refused' &&
            failed.outcome === 'refused' &&
            next.at - failed.at < SKIP_AT_LEAST_MS
          ) {
            expect.fail(
              `${label}: ${replica.name} failed twice in a row and was tried again ${next.at - failed.at} ms later: remember that it is down and skip it for a while (like nginx's max_fails and fail_timeout), or every read pays for a failed connection first.`,
            );
          }
        }
      }
    }
  } finally {
    await cluster.close();
  }
}
