/**
 * The seed a run uses unless the learner replays another. It must equal
 * DEFAULT_SEED in engine/grading/projects.ts (a unit test checks) so the browser
 * and `npm run grade` draw the same inputs; that module imports Node's path,
 * so the browser cannot import it from there.
 */
export const COURSE_SEED = 20261127;
