import { defineConfig } from 'vitest/config';
import { loadCourse } from '../engine/course/course.ts';
import { keptImplementations } from '../engine/grading/kept-implementations.ts';
import { backendsFromEnvironment, graderProject, seedFromEnvironment } from '../engine/grading/projects.ts';

// Every grader against every implementation the course keeps: the starter (must
// fail every task), the reference solution (must pass every task) and each
// deliberately wrong implementation (must fail the task it breaks).
// Project names: <id>:starter, <id>:solution, <id>:wrong:<file>.
// With REDIS_URL, DATABASE_URL or DATABASE_REPLICA_URLS set (npm run grade:real) they run against real servers.
const seed = seedFromEnvironment(process.env);
const backends = backendsFromEnvironment(process.env);

export default defineConfig({
  test: {
    projects: loadCourse().flatMap((exercise) =>
      keptImplementations(exercise).map(({ name, files }) =>
        graderProject(exercise, files, { name: `${exercise.manifest.id}:${name}`, seed, backends }),
      ),
    ),
  },
});
