import { RECORD_COMMAND, recordShippedStarters, SHIPPED_STARTERS } from '../course/shipped-starters.ts';

/**
 * `npm run record-starters`, for maintainers: the editable files now in exercises/ become the starters
 * the self-check grades and the site ships. Run it after changing a starter on purpose or adding an
 * exercise, on a checkout where nobody has worked the exercises, and commit the record.
 */
if (process.argv.length > 2) {
  console.error(`${RECORD_COMMAND} takes no arguments: it records every exercise's starter.`);
  process.exit(2);
}
const changed = recordShippedStarters();
console.log(
  changed.length === 0
    ? `${SHIPPED_STARTERS} already records every starter as it is now.`
    : [
        `Recorded in ${SHIPPED_STARTERS} as the starters to ship:`,
        ...changed.map((path) => `  ${path}`),
      ].join('\n'),
);
if (changed.length > 0) console.log(`Commit ${SHIPPED_STARTERS} with the starters it records.`);
