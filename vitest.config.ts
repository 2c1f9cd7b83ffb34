import { defineConfig } from 'vitest/config';
import { loadCourse } from './engine/course/course.ts';
import {
  backendsFromEnvironment,
  graderProject,
  implementationIn,
  seedFromEnvironment,
} from './engine/grading/projects.ts';

// One project per exercise grades the learner's code in exercises/<id>.
// `npm run grade` and an exercise's `npm test` select projects from here.
// RJ_REDIS_URL, RJ_DATABASE_URL, RJ_DATABASE_REPLICA_URLS: grade against real servers instead of the simulations.
const seed = seedFromEnvironment(process.env);
const backends = backendsFromEnvironment(process.env);

export default defineConfig({
  test: {
    reporters: ['./engine/grading/reporter.ts'],
    projects: loadCourse().map((exercise) =>
      graderProject(exercise, implementationIn(exercise, exercise.exerciseDir), {
        name: exercise.manifest.id,
        seed,
        backends,
      }),
    ),
  },
});
