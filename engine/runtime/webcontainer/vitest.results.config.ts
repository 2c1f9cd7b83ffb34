import { mergeConfig } from 'vitest/config';
import course from '../../../vitest.config.ts';

/**
 * The config the WebContainer runner runs vitest with, inside the container:
 * the course config, plus a second grading reporter that writes the reports as
 * JSON to GRADE_RESULTS_FILE, because exit codes there are unreliable. The
 * course's own reporter still prints the progress table for the terminal panel.
 */
// Read here, in vitest's main process, then hidden from the test threads that run the learner's code.
const outputFile = process.env.GRADE_RESULTS_FILE ?? 'grade-results.json';
delete process.env.GRADE_RESULTS_FILE;

export default mergeConfig(course, {
  test: {
    reporters: [
      [
        './engine/grading/reporter.ts',
        {
          print: false,
          runtime: 'webcontainer',
          outputFile,
        },
      ],
    ],
  },
});
