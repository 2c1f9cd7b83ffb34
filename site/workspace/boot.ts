/**
 * The only workspace code a lesson page loads up front (a few hundred bytes):
 * it waits for the learner to ask for the editor, with the "Open the editor"
 * button or a link to #workspace, and only then downloads the workspace and
 * Monaco. Until then the lesson costs no editor bytes at all.
 */

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
  root.querySelector('[data-workspace-open]')?.addEventListener('click', () => open(root, true));
}

function openFromAddress(): void {
  const [root] = roots;
  if (root && location.hash === '#workspace') open(root, false);
}
openFromAddress();
addEventListener('hashchange', openFromAddress);
