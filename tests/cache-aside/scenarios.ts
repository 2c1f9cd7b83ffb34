/**
 * Random scenarios for the cache-aside grader: seeded sequences of reads, updates, expiries, writes by
 * other services and outages, played against your service and checked against what PostgreSQL held.
 *
 * The model is not a cache: it is the history of each product in PostgreSQL (every version, when it
 * was replaced) and the rules of the contract. A read at time t may return a version of the row that
 * was still current within the last 300 s (60 s for "not found"), never one from before an update
 * made through updateProduct that committed and returned while Redis was healthy, and never a value
 * PostgreSQL did not hold. It rejects only when PostgreSQL could not answer. On failure the shortest
 * sequence that still goes wrong is printed, step by step.
 */
import fc from 'fast-check';
import type { FakeClock } from '../support/clock';
import { checkScenarios } from '../support/property';
import type { Harness, Product, ProductService } from './harness';

/** What can happen in a task's scenarios. Reads and the passing of time always can. */
export interface Kinds {
  /** Another service changes a price in PostgreSQL without touching the cache. */
  externalWrites?: boolean;
  /** Products are created and deleted by another service. */
  createDelete?: boolean;
  /** Updates through your updateProduct. */
  updates?: boolean;
  /** PostgreSQL drops connections for a while. */
  databaseFailures?: boolean;
  /** Redis goes down, or is full and refuses writes, for a while. */
  redisOutages?: boolean;
  /** Several concurrent reads of one product. */
  bursts?: boolean;
  /** Check that a product read a moment ago (nothing changed since) is served without PostgreSQL. */
  hits?: boolean;
}

type Step =
  | { kind: 'read'; id: number }
  | { kind: 'burst'; id: number; n: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'setPrice'; id: number; priceCents: number }
  | { kind: 'create'; id: number; priceCents: number }
  | { kind: 'delete'; id: number }
  | { kind: 'update'; id: number; name?: string; priceCents?: number }
  | { kind: 'databaseDown' | 'databaseUp' | 'redisDown' | 'redisFull' | 'redisUp' };

export interface Playground {
  harness: Harness;
  clock: FakeClock;
  newService: () => ProductService;
  /** Waits for concurrent calls, moving simulated time on if they wait on timers. */
  finish: (calls: Promise<unknown>[]) => Promise<boolean>;
}

const TTL_MS = 300_000;
const MISS_TTL_MS = 60_000;
/** Two products that exist and one that does not (until a scenario creates it). */
const IDS = [1, 2, 404];
const RUNS = 10;

/**
 * A scenario is a few rounds; each round may change something (a write, an outage), may let time pass,
 * then reads a product. So every change is followed by a read that can show its effect.
 */
function steps(kinds: Kinds): fc.Arbitrary<Step[]> {
  // Most steps touch the same product, so that they interact; 0 is a price worth trying on its own.
  const id = fc.oneof(
    { arbitrary: fc.constant(1), weight: 5 },
    { arbitrary: fc.constant(404), weight: 3 },
    { arbitrary: fc.constant(2), weight: 2 },
  );
  const price = fc.oneof(
    { arbitrary: fc.constant(0), weight: 1 },
    { arbitrary: fc.integer({ min: 1, max: 99_999 }), weight: 4 },
  );
  const changes: Array<{ arbitrary: fc.Arbitrary<Step>; weight: number }> = [];
  const add = (weight: number, arbitrary: fc.Arbitrary<Step>) => changes.push({ arbitrary, weight });
  if (kinds.externalWrites)
    add(2, fc.record({ kind: fc.constant('setPrice' as const), id, priceCents: price }));
  if (kinds.createDelete) {
    add(2, fc.record({ kind: fc.constant('create' as const), id, priceCents: price }));
    add(1, fc.record({ kind: fc.constant('delete' as const), id }));
  }
  if (kinds.updates) {
    add(
      3,
      fc.record(
        {
          kind: fc.constant('update' as const),
          id,
          name: fc.constantFrom('Gift Card', 'Desk Lamp (Refurbished)', 'Ünïcode "Quotes"'),
          priceCents: price,
        },
        { requiredKeys: ['kind', 'id'] },
      ),
    );
  }
  if (kinds.databaseFailures) {
    add(1, fc.constant({ kind: 'databaseDown' as const }));
    add(1, fc.constant({ kind: 'databaseUp' as const }));
  }
  if (kinds.redisOutages) {
    add(1, fc.constant({ kind: 'redisDown' as const }));
    add(1, fc.constant({ kind: 'redisFull' as const }));
    add(1, fc.constant({ kind: 'redisUp' as const }));
  }
  const change = fc.oneof(...changes);
  const advance = fc.record({
    kind: fc.constant('advance' as const),
    ms: fc.constantFrom(1_000, 30_000, 59_000, 61_000, 170_000, 250_000, 301_000),
  });
  const read: fc.Arbitrary<Step> = kinds.bursts
    ? fc.oneof(
        fc.record({ kind: fc.constant('read' as const), id }),
        fc.record({ kind: fc.constant('burst' as const), id, n: fc.integer({ min: 2, max: 6 }) }),
      )
    : fc.record({ kind: fc.constant('read' as const), id });
  const round = fc
    .tuple(
      changes.length > 0 ? fc.option(change, { nil: undefined, freq: 3 }) : fc.constant(undefined),
      fc.option(advance, { nil: undefined, freq: 2 }),
      read,
    )
    .map(([first, wait, then]) => [first, wait, then].filter((step): step is Step => step !== undefined));
  // size 'max': the number of rounds spreads over the whole range, not mostly short (fast-check's default).
  return fc.array(round, { minLength: 1, maxLength: 6, size: 'max' }).map((rounds) => rounds.flat());
}

function describeStep(step: Step): string {
  switch (step.kind) {
    case 'read':
      return `getProduct(${step.id})`;
    case 'burst':
      return `${step.n} concurrent getProduct(${step.id})`;
    case 'advance':
      return `${step.ms / 1000} s pass`;
    case 'setPrice':
      return `another service sets product ${step.id}'s price to ${step.priceCents} in PostgreSQL (not through updateProduct; no-op if it does not exist)`;
    case 'create':
      return `another service creates product ${step.id} (price ${step.priceCents}; no-op if it exists)`;
    case 'delete':
      return `another service deletes product ${step.id} from PostgreSQL`;
    case 'update': {
      const changes = [
        step.name === undefined ? undefined : `name: ${JSON.stringify(step.name)}`,
        step.priceCents === undefined ? undefined : `priceCents: ${step.priceCents}`,
      ].filter(Boolean);
      return `updateProduct(${step.id}, ${changes.length === 0 ? '{}' : `{ ${changes.join(', ')} }`})`;
    }
    case 'databaseDown':
      return 'PostgreSQL becomes unreachable (every statement fails: connection terminated)';
    case 'databaseUp':
      return 'PostgreSQL answers again';
    case 'redisDown':
      return 'Redis goes down (every command is refused)';
    case 'redisFull':
      return 'Redis is full: it refuses writes (OOM, maxmemory) but still answers reads';
    case 'redisUp':
      return 'Redis is healthy again';
  }
}

/**
 * Every scenario starts by reading each product (so the cache holds something to go stale) and ends by
 * reading each one again (so whatever went wrong in between shows).
 */
const reads = (): Step[] => IDS.map((id) => ({ kind: 'read' as const, id }));
const played = (scenario: Step[]): Step[] => [...reads(), ...scenario, ...reads()];

const explain = (scenario: Step[]) =>
  played(scenario)
    .map((step, i) => `  ${i + 1}. ${describeStep(step)}`)
    .join('\n');

/** One state of a product's row: a Product, or null while there is no row. */
interface Version {
  state: Product | null;
  /** The step that made it (0: it was there from the start). */
  step: number;
  /** When it stopped being current (simulated ms), and by which step; undefined while current. */
  until?: number;
  endedBy?: number;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return JSON.stringify(value);
  const fields = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${k}: ${v instanceof Date ? `Date(${v.toISOString()})` : JSON.stringify(v)}`,
  );
  return `{ ${fields.join(', ')} }`;
}

function sameProduct(got: unknown, want: Product | null): boolean {
  if (want === null || got === null || typeof got !== 'object') return got === want;
  const g = got as Record<string, unknown>;
  return (
    g.id === want.id &&
    g.name === want.name &&
    g.priceCents === want.priceCents &&
    g.inStock === want.inStock &&
    g.updatedAt instanceof Date &&
    g.updatedAt.getTime() === want.updatedAt.getTime()
  );
}

/** A call that never settled. */
class Hang extends Error {}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function playScenarios(label: string, kinds: Kinds, world: Playground): Promise<void> {
  const { harness: h, clock } = world;
  const catalogue = h.catalogue.filter((p) => IDS.includes(p.id));

  await checkScenarios(
    label,
    steps(kinds),
    async (scenario) => {
      await h.redis.reset();
      await h.db.reset(catalogue);
      const service = world.newService();
      const history = new Map<number, Version[]>(
        IDS.map((id) => [id, [{ state: catalogue.find((p) => p.id === id) ?? null, step: 0 }]]),
      );
      /** Per product: the first version a read may still return (raised by a fully invalidated update). */
      const floor = new Map<number, number>(IDS.map((id) => [id, 0]));
      let databaseDown: { stop(): void } | undefined;
      let redis: 'up' | 'down' | 'full' = 'up';
      /** The last plain read that succeeded, to check that the next read of that product is a hit. */
      let lastRead: { id: number; at: number; step: number; versions: number } | undefined;

      const versions = (id: number) => history.get(id) as Version[];
      const current = (id: number) => versions(id)[versions(id).length - 1] as Version;
      const replace = (id: number, state: Product | null, step: number) => {
        const last = current(id);
        last.until = clock.now();
        last.endedBy = step;
        versions(id).push({ state, step });
      };
      /** One call, run to its end in simulated time. */
      const run = async <T>(call: () => Promise<T>): Promise<T> => {
        const promise = new Promise<T>((resolve) => resolve(call()));
        promise.catch(() => undefined);
        if (!(await world.finish([promise]))) throw new Hang();
        return promise;
      };
      const made = (v: Version) => (v.step === 0 ? 'from the start' : `since step ${v.step}`);

      /** Checks one answer of getProduct(id) at simulated time `at`, against the rules above. */
      const judge = (step: number, what: string, id: number, got: unknown, at: number) => {
        const all = versions(id);
        const matching = all.map((v, index) => ({ v, index })).filter(({ v }) => sameProduct(got, v.state));
        const now = current(id);
        const truth = `PostgreSQL has ${now.state === null ? 'no such product' : show(now.state)} (${made(now)})`;
        const allowed = matching.filter(
          ({ v, index }) =>
            index >= (floor.get(id) ?? 0) &&
            (v.until === undefined || at - v.until <= (v.state === null ? MISS_TTL_MS : TTL_MS)),
        );
        if (allowed.length > 0) return;
        if (got === null && databaseDown && now.state !== null) {
          throw new Error(
            `Step ${step}: ${what} returned null ("not found") while PostgreSQL could not answer. ${truth}. A ` +
              'failure is not "not found": the shop would answer 404 and drop the page. Let the error propagate.',
          );
        }
        if (matching.length === 0) {
          const shape =
            got !== null &&
            typeof got === 'object' &&
            typeof (got as { updatedAt?: unknown }).updatedAt === 'string'
              ? ' (updatedAt is a string: a cache hit must revive the Date)'
              : '';
          throw new Error(
            `Step ${step}: ${what} returned ${show(got)}${shape}, which PostgreSQL never held for product ${id}. ${truth}.` +
              (got === null ? ' Was an earlier failure remembered as "not found"?' : ''),
          );
        }
        const newest = matching[matching.length - 1] as { v: Version; index: number };
        if (newest.index < (floor.get(id) ?? 0)) {
          const by = all[floor.get(id) ?? 0] as Version;
          throw new Error(
            `Step ${step}: ${what} returned ${show(got)}: the product as it was before updateProduct at step ` +
              `${by.step}, which had committed and returned. ${truth}. A read after an update must see it: ` +
              'the cached copy has to go once the write commits (Redis was reachable then; if your code skips ' +
              'Redis for a while after errors, a circuit breaker, it must still delete on updates).',
          );
        }
        const age = Math.round((at - (newest.v.until as number)) / 1000);
        throw new Error(
          `Step ${step}: ${what} returned ${got === null ? 'null ("not found")' : show(got)}, which stopped being ` +
            `true ${age} s earlier (step ${newest.v.endedBy}). ${truth}. ${
              got === null
                ? 'A "not found" may be remembered for at most 60 s.'
                : 'The TTL promises no cached product is served more than 300 s after it changed (did a hit ' +
                  'extend the TTL, or was it set in milliseconds?).'
            }`,
        );
      };

      const refusal = (step: number, what: string, error: unknown) => {
        if (error instanceof Hang) {
          throw new Error(
            `Step ${step}: ${what} had still not answered after 10 s of simulated time, with nothing left for ` +
              'it to wait on: a promise that never settles (a lock never released, a resolve never called?).',
          );
        }
        if (databaseDown) return; // rejecting is right when PostgreSQL cannot answer
        throw new Error(
          `Step ${step}: ${what} rejected with "${errorText(error)}" although PostgreSQL was answering` +
            (redis === 'up'
              ? '.'
              : redis === 'down'
                ? ': Redis was down, and a cache outage must make requests slower, never failed.'
                : ': Redis refused writes (OOM), and a failed SET must not fail the request.'),
        );
      };

      try {
        for (const [i, step] of played(scenario).entries()) {
          const n = i + 1;
          const what = describeStep(step);
          switch (step.kind) {
            case 'advance':
              clock.advance(step.ms);
              break;
            case 'read': {
              const at = clock.now();
              const statementsBefore = h.db.statements.length;
              let got: unknown;
              try {
                got = await run(() => service.getProduct(step.id));
              } catch (error) {
                refusal(n, what, error);
                lastRead = undefined;
                break;
              }
              judge(n, what, step.id, got, at);
              const sent = h.db.statements.slice(statementsBefore);
              if (
                kinds.hits &&
                lastRead?.id === step.id &&
                lastRead.at === at &&
                lastRead.versions === versions(step.id).length &&
                got !== null &&
                sent.length > 0
              ) {
                throw new Error(
                  `Step ${n}: ${what} sent ${sent.length} statement(s) to PostgreSQL ("${sent[0]?.text.split('\n')[0]}"), ` +
                    `although step ${lastRead.step} had just read the same product and nothing changed since: ` +
                    'the product was not served from the cache (was it stored under another key, or never stored?).',
                );
              }
              lastRead = { id: step.id, at, step: n, versions: versions(step.id).length };
              break;
            }
            case 'burst': {
              const at = clock.now();
              const readsBefore = h.db.reads();
              const calls = Array.from({ length: step.n }, () => {
                const call = new Promise((resolve) => resolve(service.getProduct(step.id)));
                call.catch(() => undefined);
                return call;
              });
              if (!(await world.finish(calls))) refusal(n, what, new Hang());
              for (const [k, call] of calls.entries()) {
                let got: unknown;
                try {
                  got = await call;
                } catch (error) {
                  refusal(n, `call ${k + 1} of ${what}`, error);
                  continue;
                }
                judge(n, `call ${k + 1} of ${what}`, step.id, got, at);
              }
              const reads = h.db.reads() - readsBefore;
              if (reads > 1) {
                throw new Error(
                  `Step ${n}: ${what} sent ${reads} SELECTs to PostgreSQL: concurrent misses on one product ` +
                    'must share one load (a cache stampede otherwise).',
                );
              }
              break;
            }
            case 'setPrice':
              if (current(step.id).state !== null) {
                await h.db.setPrice(step.id, step.priceCents);
                replace(step.id, await h.db.product(step.id), n);
              }
              break;
            case 'create':
              if (current(step.id).state === null) {
                const product = {
                  id: step.id,
                  name: `New product ${step.id}`,
                  priceCents: step.priceCents,
                  inStock: true,
                  updatedAt: new Date(clock.now()),
                };
                await h.db.insertProduct(product);
                replace(step.id, product, n);
              }
              break;
            case 'delete':
              if (current(step.id).state !== null) {
                await h.db.deleteProduct(step.id);
                replace(step.id, null, n);
              }
              break;
            case 'update': {
              const existed = current(step.id).state !== null;
              let got: unknown;
              try {
                // Only the fields the step gives: an absent field, never one set to undefined.
                const changes = {
                  ...(step.name === undefined ? {} : { name: step.name }),
                  ...(step.priceCents === undefined ? {} : { priceCents: step.priceCents }),
                };
                got = await run(() => service.updateProduct(step.id, changes));
              } catch (error) {
                refusal(n, what, error);
                break;
              }
              if (databaseDown) {
                throw new Error(
                  `Step ${n}: ${what} resolved with ${show(got)} although PostgreSQL was unreachable and ` +
                    'nothing was written: the caller believes the change was saved.',
                );
              }
              if (!existed) {
                if (got !== null)
                  throw new Error(
                    `Step ${n}: ${what} returned ${show(got)}, but there is no product ${step.id}.`,
                  );
                break;
              }
              const row = (await h.db.product(step.id)) as Product;
              const before = current(step.id).state as Product;
              const want = {
                name: step.name ?? before.name,
                priceCents: step.priceCents ?? before.priceCents,
              };
              if (row.name !== want.name || row.priceCents !== want.priceCents) {
                throw new Error(
                  `Step ${n}: after ${what}, PostgreSQL holds name ${JSON.stringify(row.name)} and price ` +
                    `${row.priceCents}, expected ${JSON.stringify(want.name)} and ${want.priceCents} ` +
                    '(fields not given keep their value).',
                );
              }
              replace(step.id, row, n);
              if (!sameProduct(got, row)) {
                throw new Error(
                  `Step ${n}: ${what} returned ${show(got)}, but the updated row is ${show(row)}.`,
                );
              }
              // With Redis healthy throughout, the old copy can be invalidated: no read may return it.
              if (redis === 'up') floor.set(step.id, versions(step.id).length - 1);
              break;
            }
            case 'databaseDown':
              databaseDown ??= h.db.fail(/./);
              break;
            case 'databaseUp':
              databaseDown?.stop();
              databaseDown = undefined;
              break;
            case 'redisDown':
              h.redis.refuseWrites(false);
              h.redis.goDown();
              redis = 'down';
              break;
            case 'redisFull':
              h.redis.comeBack();
              h.redis.refuseWrites(true);
              redis = 'full';
              break;
            case 'redisUp':
              h.redis.comeBack();
              h.redis.refuseWrites(false);
              redis = 'up';
              break;
          }
        }
      } finally {
        databaseDown?.stop();
        h.redis.comeBack();
        h.redis.refuseWrites(false);
      }
    },
    { runs: RUNS, explain },
  );
}
