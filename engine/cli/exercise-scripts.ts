/**
 * The npm scripts of an exercise folder (exercises/<id>/package.json): what a learner types there.
 * npm test passes --unfinished-ok, so unfinished tasks end the run with exit code 0 and npm adds no
 * error lines; npm run grade at the top keeps exit code 1 for CI.
 */
export const exerciseScripts = (id: string) => ({
  test: `tsx ../../engine/cli/grade.ts ${id} --unfinished-ok`,
  'test:watch': `tsx ../../engine/cli/grade.ts ${id} --watch`,
  hint: `tsx ../../engine/cli/hint.ts ${id}`,
});
