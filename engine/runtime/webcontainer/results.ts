import type { GradeReport } from '../../grading/results.ts';
import type { Container } from './container.ts';

/** Where the WebContainer's vitest run leaves its reports, and how the runner reads them back. */

/** The config the runner runs vitest with (course-relative, mounted with the project). */
export const RESULTS_CONFIG = 'engine/runtime/webcontainer/vitest.results.config.ts';

/**
 * Where one run's reports go: a name nobody can guess, new for every run, so that code under test
 * cannot write a report of its own there (the config hides the name from the test threads).
 */
export function resultsFileForRun(): string {
  const token = Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
  return `.grade/results-${token}.json`;
}

function isReport(value: unknown): value is GradeReport {
  const report = value as Partial<GradeReport> | null;
  return typeof report?.exercise === 'string' && Array.isArray(report.tests) && Array.isArray(report.errors);
}

/** The report of this exercise's run, or undefined when vitest wrote none. */
export async function readResults(
  container: Container,
  file: string,
  exercise: string,
): Promise<GradeReport | undefined> {
  const reports: unknown = JSON.parse(await container.fs.readFile(file, 'utf-8'));
  return Array.isArray(reports)
    ? reports.filter(isReport).find((report) => report.exercise === exercise)
    : undefined;
}
