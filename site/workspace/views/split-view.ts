import { h } from '../dom.ts';

/**
 * Where the open workspace sits. On a wide screen it is a panel fixed beside
 * the lesson (workspace.css): the lesson scrolls on its own while the editor,
 * results and hints stay in view, and a divider between them moves with the
 * pointer or the arrow keys; its place is remembered in this browser. On a
 * narrow screen the workspace stays in the lesson, below the exercise text.
 * Either way "Close the editor" gives the page back to the lesson, and
 * "Open the editor" brings the workspace back as it was.
 */

/** Where the divider was left, as the share of the window the lesson gets (a layout setting, not progress). */
export const splitStorageKey = 'request-journey:v1:workspace-split';
const MIN_LESSON = 30;
const MAX_LESSON = 70;
const STEP = 5;
const DEFAULT_LESSON = 50;

export const clampLessonShare = (percent: number): number =>
  Math.round(Math.min(MAX_LESSON, Math.max(MIN_LESSON, percent)));

function storedLessonShare(): number {
  try {
    const stored = Number(localStorage.getItem(splitStorageKey));
    return stored > 0 ? clampLessonShare(stored) : DEFAULT_LESSON;
  } catch {
    return DEFAULT_LESSON;
  }
}

export interface SplitView {
  /** The bar at the top of the workspace: the exercise's name and "Close the editor". */
  head: HTMLElement;
  divider: HTMLElement;
  /** Shown in the lesson while the workspace is closed. */
  reopen: HTMLElement;
}

export function createSplitView(root: HTMLElement, title: string): SplitView {
  const page = document.documentElement;
  let lessonShare = storedLessonShare();
  const divider = h('div', {
    class: 'ws-divider',
    role: 'separator',
    tabindex: 0,
    'aria-orientation': 'vertical',
    'aria-label': 'Resize the lesson and the editor (arrow keys)',
    'aria-valuemin': MIN_LESSON,
    'aria-valuemax': MAX_LESSON,
  });

  function setLessonShare(percent: number, save: boolean): void {
    lessonShare = clampLessonShare(percent);
    page.style.setProperty('--ws-panel-width', `${100 - lessonShare}vw`);
    divider.setAttribute('aria-valuenow', String(lessonShare));
    divider.setAttribute('aria-valuetext', `lesson ${lessonShare}%, editor ${100 - lessonShare}%`);
    if (!save) return;
    try {
      localStorage.setItem(splitStorageKey, String(lessonShare));
    } catch {
      // Storage refused: the divider still moves, it just is not remembered.
    }
  }
  setLessonShare(lessonShare, false);

  divider.addEventListener('keydown', (event) => {
    const moves: Record<string, number> = {
      ArrowLeft: lessonShare - STEP,
      ArrowRight: lessonShare + STEP,
      Home: MIN_LESSON,
      End: MAX_LESSON,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    setLessonShare(target, true);
  });
  divider.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    divider.setPointerCapture(event.pointerId);
    const follow = (move: PointerEvent) => setLessonShare((move.clientX / innerWidth) * 100, false);
    divider.addEventListener('pointermove', follow);
    divider.addEventListener(
      'lostpointercapture',
      () => {
        divider.removeEventListener('pointermove', follow);
        setLessonShare(lessonShare, true);
      },
      { once: true },
    );
  });

  const reopenButton = h('button', { type: 'button', class: 'ws-button' }, 'Open the editor');
  const reopen = h(
    'div',
    { class: 'ws-reopen' },
    reopenButton,
    h('p', { class: 'ws-reopen-note' }, 'Your code and results are as you left them.'),
  );
  const close = h(
    'button',
    { type: 'button', class: 'ws-button ws-button-quiet ws-close' },
    'Close the editor',
  );
  close.addEventListener('click', () => {
    root.dataset.closed = '';
    reopenButton.focus({ preventScroll: true });
  });
  reopenButton.addEventListener('click', () => {
    delete root.dataset.closed;
    close.focus();
  });
  const head = h('div', { class: 'ws-panel-head' }, h('p', { class: 'ws-panel-title' }, title), close);
  return { head, divider, reopen };
}
