import { loadExercise } from '../../../engine/course/course.ts';
import { gradeInPageFromDisk } from '../../../engine/grading/in-page/from-disk.ts';

/**
 * Prints the Node in-page runner's report for one kept implementation:
 * `tsx node-results.ts <exercise> <implementation> <seed>`. One process per
 * grading, because @vitest/runner cannot run inside vitest, and because some
 * packages (ioredis-mock's shared keyspaces) keep state between gradings in one realm.
 */
const [id, implementation, seed] = process.argv.slice(2);
if (!id || !implementation || !seed)
  throw new Error('usage: node-results.ts <exercise> <implementation> <seed>');
const report = await gradeInPageFromDisk(loadExercise(id), implementation, Number(seed));
process.stdout.write(JSON.stringify(report));
