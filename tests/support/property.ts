import fc from 'fast-check';
import { inject } from 'vitest';
import { labelledSeed } from './seed';

/**
 * Property-based scenarios for graders. A grader describes a family of scenarios
 * (fast-check arbitraries), plays each one against the learner's code and a
 * reference model, and throws a production-language error where they differ.
 * fast-check then shrinks the failing scenario to the smallest one that still
 * fails, and that one is what the learner reads.
 *
 * The seed comes from the run's seed and a label, so a failure replays with
 * `--seed`, and two graders never share a stream of scenarios.
 */

export interface ScenarioOptions<Scenario> {
  /** How many scenarios to try: enough to find what nobody listed, few enough to grade in about a second. */
  runs?: number;
  /** The scenario in production language (a numbered list of steps, say). */
  explain: (scenario: Scenario) => string;
}

const DEFAULT_RUNS = 50;

export async function checkScenarios<Scenario>(
  label: string,
  scenarios: fc.Arbitrary<Scenario>,
  play: (scenario: Scenario) => Promise<void> | void,
  options: ScenarioOptions<Scenario>,
): Promise<void> {
  const seed = labelledSeed(label);
  const details = await fc.check(
    fc.asyncProperty(scenarios, async (scenario) => {
      await play(scenario);
    }),
    { seed, numRuns: options.runs ?? DEFAULT_RUNS },
  );
  if (!details.failed) return;
  const [smallest] = details.counterexample ?? [];
  if (details.counterexample === null) {
    // fast-check itself failed (it could not generate a scenario), not the learner's code.
    throw new Error(
      `The grader could not generate scenarios for "${label}": ${String(details.errorInstance)}`,
    );
  }
  const error = details.errorInstance;
  const message = error instanceof Error ? error.message : String(error);
  throw new Error(
    [
      message,
      '',
      `The smallest scenario that shows it (out of ${details.numRuns} tried, simplified ${details.numShrinks} times):`,
      options.explain(smallest as Scenario),
      '',
      `Replay it with the same seed: npm run grade -- --seed ${inject('seed')}`,
    ].join('\n'),
  );
}
