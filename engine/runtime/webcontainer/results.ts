import type { GradeReport } from '../../grading/results.ts';
import type { Container } from './container.ts';

/** Where the WebContainer's vitest run leaves its reports, and how the runner reads them back. */

/** The config the runner runs vitest with (course-relative, mounted with the project). */
export const RESULTS_CONFIG = 'engine/runtime/webcontainer/vitest.results.config.ts';
export const RESULTS_FILE = 'grade-results.json';

function isReport(value: unknown): value is GradeReport {
  const report = value as Partial<GradeReport> | null;
  return typeof report?.exercise === 'string' && Array.isArray(report.tests) && Array.isArray(report.errors);
}

/** The report of this exercise's run, or undefined when vitest wrote none. */
export async function readResults(container: Container, exercise: string): Promise<GradeReport | undefined> {
  const reports: unknown = JSON.parse(await container.fs.readFile(RESULTS_FILE, 'utf-8'));
  return Array.isArray(reports)
    ? reports.filter(isReport).find((report) => report.exercise === exercise)
    : undefined;
}
