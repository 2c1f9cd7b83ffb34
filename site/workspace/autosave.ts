/**
 * Saves the learner's code shortly after they stop typing, and at once when
 * the page is being hidden or closed, so no edit is ever lost to a reload.
 */

export interface Autosave {
  /** Something changed: save soon. */
  changed(): void;
  /** Save now if anything is waiting. */
  flush(): void;
}

export function createAutosave(save: () => void, delayMs = 400): Autosave {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    save();
  };
  addEventListener('pagehide', flush);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flush();
  });
  return {
    changed() {
      clearTimeout(timer);
      timer = setTimeout(flush, delayMs);
    },
    flush,
  };
}
