import { savesData } from '../lib/connection.ts';

/**
 * The only workspace code a lesson page loads up front (a few hundred bytes):
 * it waits for the learner to ask for the editor, with the "Open the editor"
 * button or a link to #workspace, and only then opens the workspace. Until
 * the learner shows they are about to ask (the workspace scrolled into view,
 * the pointer near the button, the button focused or pressed) the lesson
 * costs no editor bytes; from then on the editor and a warm grading Worker
 * are prepared (prepare.ts), so the click finds them ready. A browser set to
 * save data prepares only once the button is pressed.
 */

/** How close the pointer comes to the button before the editor is prepared, in CSS pixels. */
const NEAR_BUTTON_PX = 150;

let preparing: Promise<void> | undefined;

function prepare(root: HTMLElement): void {
  if (preparing || root.dataset.workspaceState) return;
  // For the end-to-end tests: preparing began (intent seen), and when it is done ('workspace:prepared').
  performance.mark('workspace:prepare');
  const exercise = root.dataset.exercise ?? '';
  preparing = import('./prepare.ts')
    .then(({ prepareWorkspace }) => prepareWorkspace(exercise))
    .catch((error: unknown) => {
      // Opening tries again, and says so if it fails too.
      console.warn('The editor could not be prepared ahead:', error);
    });
}

/** Prepares the editor on the first sign that the learner is about to open it. */
function prepareOnIntent(root: HTMLElement, button: HTMLElement): void {
  const controller = new AbortController();
  const { signal } = controller;
  let visible: IntersectionObserver | undefined;
  const intent = () => {
    controller.abort();
    visible?.disconnect();
    prepare(root);
  };
  button.addEventListener('pointerdown', intent, { signal });
  if (savesData()) return;
  root.addEventListener('focusin', intent, { signal });
  window.addEventListener(
    'pointermove',
    (event) => {
      const box = button.getBoundingClientRect();
      const dx = Math.max(box.left - event.clientX, 0, event.clientX - box.right);
      const dy = Math.max(box.top - event.clientY, 0, event.clientY - box.bottom);
      if (Math.hypot(dx, dy) <= NEAR_BUTTON_PX) intent();
    },
    { passive: true, signal },
  );
  // Only a scroll by the learner counts: a workspace already in view when the page loads (or
  // under an automated page audit) is no sign of intent, and preparing then would compete with the page.
  // Captured on the document, so the scrolling of a lesson column counts as the page's own does.
  document.addEventListener(
    'scroll',
    () => {
      visible ??= new IntersectionObserver((entries) => {
        if (entries.some((entry) => entry.isIntersecting)) intent();
      });
      visible.observe(root);
    },
    { capture: true, passive: true, once: true, signal },
  );
}

function open(root: HTMLElement, focusEditor: boolean): void {
  if (root.dataset.workspaceState) return;
  root.dataset.workspaceState = 'loading';
  performance.mark('workspace:open');
  const button = root.querySelector<HTMLButtonElement>('[data-workspace-open]');
  const label = button?.textContent ?? '';
  button?.setAttribute('aria-disabled', 'true');
  if (button) button.textContent = 'Loading the editor…';
  const exercise = root.dataset.exercise ?? '';
  import('./workspace.ts')
    .then(({ openWorkspace }) => openWorkspace(root, exercise, focusEditor))
    .then(() => {
      root.dataset.workspaceState = 'open';
      // Opened by a link (#workspace) nothing is focused to bring it into view, and on a phone the
      // editor grows above the point the browser scrolled to: show the workspace from its top.
      if (!focusEditor) root.scrollIntoView({ block: 'start' });
    })
    .catch((error: unknown) => {
      console.error(error);
      delete root.dataset.workspaceState;
      if (!button?.isConnected) {
        root.textContent = 'The workspace could not start. Reload the page to try again.';
        return;
      }
      button.removeAttribute('aria-disabled');
      button.textContent = label;
      const note = root.querySelector('[data-workspace-error]') ?? document.createElement('p');
      note.setAttribute('data-workspace-error', '');
      note.setAttribute('role', 'alert');
      note.textContent = 'The editor could not be downloaded. Check your connection, then try again.';
      button.after(note);
    });
}

const roots = [...document.querySelectorAll<HTMLElement>('[data-workspace-root]')];
for (const root of roots) {
  const button = root.querySelector<HTMLElement>('[data-workspace-open]');
  button?.addEventListener('click', () => open(root, true));
  if (button) prepareOnIntent(root, button);
  // From here on clicks reach open(); one that came before (Workspace.astro kept it) is answered now.
  root.dataset.workspaceBooted = '';
  if ('openRequested' in root.dataset) open(root, true);
}

function openFromAddress(): void {
  const [root] = roots;
  if (root && location.hash === '#workspace') open(root, false);
}
openFromAddress();
addEventListener('hashchange', openFromAddress);
