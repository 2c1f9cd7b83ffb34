/**
 * Whether the learner asked the browser to save data (a metered or slow
 * connection: Chrome's "Lite mode", Android's Data Saver). Then the site
 * downloads nothing ahead of an explicit request: no editor prefetch and no
 * offline copy of the course. Browsers without the Network Information API say no.
 */
export function savesData(scope: Navigator = navigator): boolean {
  return (scope as Navigator & { connection?: { saveData?: boolean } }).connection?.saveData === true;
}
