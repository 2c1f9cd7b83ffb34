import { h, replace } from '../dom.ts';

/**
 * A task's hints, revealed one step at a time: a nudge, the concept, then a
 * code-shaped hint. How many are shown is the learner's progress (the caller
 * persists it), so the ladder comes back as they left it.
 */

/** A hint as text with `code` spans, or as a code block when it spans lines. */
function renderHint(hint: string): HTMLElement {
  if (hint.includes('\n')) return h('pre', { tabindex: 0 }, h('code', {}, hint));
  const parts = hint.split('`').map((part, index) => (index % 2 === 1 ? h('code', {}, part) : part));
  return h('p', {}, parts);
}

export interface HintsLadder {
  element: HTMLElement;
  setRevealed(count: number): void;
}

export function createHintsLadder(
  taskNumber: number,
  hints: readonly string[],
  revealed: number,
  reveal: () => void,
): HintsLadder {
  const list = h('ol', { class: 'ws-hints-list' });
  const button = h('button', { type: 'button', class: 'ws-button ws-button-quiet' });
  const element = h('div', { class: 'ws-hints' }, list, button);
  let shown = 0;

  button.addEventListener('click', () => {
    reveal();
    // Keyboard and screen reader users land on what they asked for.
    list.lastElementChild?.querySelector<HTMLElement>('[tabindex="-1"]')?.focus();
  });

  function setRevealed(count: number): void {
    shown = Math.min(count, hints.length);
    replace(
      list,
      hints
        .slice(0, shown)
        .map((hint, index) =>
          h(
            'li',
            {},
            h('span', { class: 'ws-hint-step', tabindex: -1 }, `Hint ${index + 1} of ${hints.length}`),
            renderHint(hint),
          ),
        ),
    );
    button.hidden = shown >= hints.length;
    button.textContent =
      shown === 0 ? `Show a hint for task ${taskNumber}` : `Show hint ${shown + 1} of ${hints.length}`;
  }

  setRevealed(revealed);
  return { element, setRevealed };
}
