/**
 * What the code under test may import. Learner code is graded by the test framework; it must not
 * reach it (vitest, its runner, its assertion library) or the grader's own modules, or it could
 * rewrite its own verdict. The one module it may use is its exercise's contract, the harness
 * (types, and values such as UpstreamError that the contract names). Type-only imports are erased
 * before anything runs, so they never get here. The same rule holds under vitest in Node and in
 * the WebContainer (projects.ts) and in the browser's Worker (in-page/module-graph.ts).
 */

const contract = (exercise: string) => [`@grader/${exercise}/harness`, `@grader/${exercise}/harness.ts`];

/** Why `specifier` may not be imported by learner code of `exercise`, or undefined when it may. */
export function learnerImportRefusal(exercise: string, specifier: string): string | undefined {
  if (contract(exercise).includes(specifier)) return undefined;
  const what = /^(vitest|@vitest\/|chai|tinyspy|vite|@sinonjs\/)/.test(specifier)
    ? 'the test framework that grades it'
    : specifier.startsWith('@grader/') || specifier.startsWith('.')
      ? 'a file of the grader'
      : 'a module the exercise does not provide';
  return (
    `Your code imports "${specifier}", ${what}. Code under test may import only its contract, ` +
    `"@grader/${exercise}/harness" (and types from anywhere): the graders run your code, your code ` +
    'does not run them. Remove that import; no task can pass while it is there.'
  );
}
