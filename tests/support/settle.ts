/**
 * Lets every pending promise chain and timer-queued callback run, without any
 * real waiting: a fixed number of turns of the event loop, never a duration.
 * Used where a grader starts concurrent calls and must see what they did
 * before it releases a simulated server.
 */
export async function settle(turns = 25): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}

/** A promise that a simulated server holds open until the grader releases it. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}
