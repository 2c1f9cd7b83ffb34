import { defineConfig } from 'vitest/config';
import { loadExercise } from '../course/course.ts';
import { graderProject, implementationIn } from './projects.ts';
import { DEFAULT_SEED } from './results.ts';

// The grader of one exercise (MUTATION_EXERCISE) against its reference solution, which
// StrykerJS mutates: npm run check:mutation. Always the simulations and the course's seed.
const id = process.env.MUTATION_EXERCISE;
if (!id) throw new Error('MUTATION_EXERCISE names the exercise whose solution is mutated');
const exercise = loadExercise(id);
const { test, ...project } = graderProject(exercise, implementationIn(exercise, exercise.solutionDir), {
  name: id,
  seed: DEFAULT_SEED,
});

export default defineConfig({ ...project, test });
