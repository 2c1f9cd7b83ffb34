import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { loadCourse, loadWrongImplementations } from '../engine/course/course.ts';
import { graderProject, implementationIn, seedFromEnvironment } from '../engine/grading/projects.ts';

// Every grader against every implementation the course keeps: the starter (must
// fail every task), the reference solution (must pass every task) and each
// deliberately wrong implementation (must fail the task it breaks).
// Project names: <id>:starter, <id>:solution, <id>:wrong:<file>.
const seed = seedFromEnvironment(process.env);

export default defineConfig({
  test: {
    projects: loadCourse().flatMap((exercise) => {
      const id = exercise.manifest.id;
      const [editable] = exercise.manifest.files.editable;
      const wrongs = loadWrongImplementations(exercise).map((wrong) =>
        graderProject(
          exercise,
          { ...implementationIn(exercise, exercise.solutionDir), [editable as string]: join(exercise.wrongDir, wrong.file) },
          { name: `${id}:wrong:${wrong.file}`, seed },
        ),
      );
      return [
        graderProject(exercise, implementationIn(exercise, join(exercise.exerciseDir)), { name: `${id}:starter`, seed }),
        graderProject(exercise, implementationIn(exercise, exercise.solutionDir), { name: `${id}:solution`, seed }),
        ...wrongs,
      ];
    }),
  },
});
