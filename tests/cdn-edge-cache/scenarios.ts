/**
 * Random sequences for the edge-cache grader, played against your cache and a model of RFC 9111 freshness.
 * The origin publishes pages with one of a few caching policies, customers request them, and time passes.
 * At every request the model knows what a shared cache holds and whether it is fresh, so it can say
 * whether the answer must come from storage (a fresh copy is there: asking the origin wastes its capacity)
 * or from the origin (nothing fresh is stored: answering from storage serves what must not be served).
 * On failure the shortest sequence that still goes wrong is printed, step by step.
 */
import fc from 'fast-check';

export const PATHS = ['/products/1', '/products/2'] as const;

/** The caching policies the origin may publish a page with. */
export const POLICIES = [
  { cacheControl: 'max-age=30' },
  { cacheControl: 'max-age=10, s-maxage=60' },
  { cacheControl: 'max-age=90, s-maxage=20' },
  { cacheControl: 'no-store' },
  { cacheControl: 'private, max-age=60' },
  { cacheControl: 'no-cache' },
  { expiresInSeconds: 45 },
] as const;

export type Policy = (typeof POLICIES)[number];

export type Step =
  | { kind: 'request'; path: number }
  | { kind: 'wait'; seconds: number }
  | { kind: 'publish'; path: number; policy: number };

export function steps(): fc.Arbitrary<Step[]> {
  return fc.array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({ kind: fc.constant('request' as const), path: fc.integer({ min: 0, max: 1 }) }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('wait' as const),
          seconds: fc.oneof(fc.integer({ min: 1, max: 15 }), fc.constantFrom(10, 20, 30, 45, 60, 90)),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('publish' as const),
          path: fc.integer({ min: 0, max: 1 }),
          policy: fc.integer({ min: 0, max: POLICIES.length - 1 }),
        }),
      },
    ),
    { minLength: 1, maxLength: 16 },
  );
}

/** The Cache-Control or Expires a policy puts on a response dated `date`. */
export function policyHeaders(policy: Policy, date: number): Record<string, string> {
  if ('cacheControl' in policy) return { 'Cache-Control': policy.cacheControl };
  return { Expires: new Date(date + policy.expiresInSeconds * 1000).toUTCString() };
}

export function describePolicy(policy: Policy): string {
  return 'cacheControl' in policy
    ? `Cache-Control: ${policy.cacheControl}`
    : `Expires ${policy.expiresInSeconds} s after its Date`;
}

/** How long a shared cache may serve a response with this policy without asking, or undefined: never stored. */
export function sharedLifetimeMs(policy: Policy): number | undefined {
  switch ('cacheControl' in policy ? policy.cacheControl : 'expires') {
    case 'max-age=30':
      return 30_000;
    case 'max-age=10, s-maxage=60':
      return 60_000;
    case 'max-age=90, s-maxage=20':
      return 20_000;
    case 'no-cache':
      return 0;
    case 'expires':
      return 45_000;
    default:
      return undefined;
  }
}

/** What a correct shared cache holds for one path. */
export interface StoredCopy {
  version: number;
  /** When the copy arrived or was last revalidated (the origin's Date then). */
  validatedAt: number;
  lifetimeMs: number;
}

/** The sequence in words, one numbered line per step, starting from both pages published as version 1. */
export function explainSteps(start: readonly number[], sequence: Step[]): string {
  const lines = PATHS.map(
    (path, i) =>
      `  0. the origin serves ${path} (version 1) with ${describePolicy(POLICIES[start[i] ?? 0] as Policy)}`,
  );
  let at = 0;
  for (const [i, step] of sequence.entries()) {
    if (step.kind === 'wait') at += step.seconds;
    const what =
      step.kind === 'wait'
        ? `${step.seconds} s pass (now +${at} s)`
        : step.kind === 'request'
          ? `a customer requests ${PATHS[step.path]}`
          : `the origin publishes a new version of ${PATHS[step.path]} with ${describePolicy(POLICIES[step.policy] as Policy)}`;
    lines.push(`  ${i + 1}. ${what}`);
  }
  return lines.join('\n');
}

export function scenarios(): fc.Arbitrary<{ start: number[]; sequence: Step[] }> {
  return fc.record({
    start: fc.tuple(
      fc.integer({ min: 0, max: POLICIES.length - 1 }),
      fc.integer({ min: 0, max: POLICIES.length - 1 }),
    ),
    sequence: steps(),
  });
}
