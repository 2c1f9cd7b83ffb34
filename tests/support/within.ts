/**
 * Cleaning up after a test against real servers (closing pools, dropping a schema) must not hang the
 * grader when a server or the code under test misbehaves: wait for the work, but only so long.
 */

/** Waits for `work`, but no longer than `ms` of real time; its failure is ignored. */
export async function withinMs(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
