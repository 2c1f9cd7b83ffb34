import { download, h, replace } from '../dom.ts';

/**
 * All of a learner's progress (every exercise's code, tasks, hints, completed
 * lessons) as one file: export it to keep or move it, import it in another
 * browser. Importing replaces what this browser holds, so it asks first, and
 * the progress it replaced is kept: "Restore" puts it back.
 */

export interface ProgressFileOptions {
  exportJson(): string;
  /** Returns an error to show, or undefined when the file was imported. */
  importJson(text: string): string | undefined;
  /** When the progress the last import replaced was kept, if it was. */
  backup(): { savedAt: string } | undefined;
  /** Puts that progress back; returns an error to show, or undefined. */
  restoreBackup(): string | undefined;
  /** Files larger than this are refused before they are read. */
  maxBytes: number;
}

function when(savedAt: string): string {
  const date = new Date(savedAt);
  return Number.isNaN(date.getTime()) ? 'before the last import' : `as it was at ${date.toLocaleString()}`;
}

export function createProgressFile(options: ProgressFileOptions): HTMLElement {
  const status = h('p', { class: 'ws-action-status', role: 'status' });
  const exportButton = h('button', { type: 'button', class: 'ws-button ws-button-quiet' }, 'Export progress');
  const importButton = h('button', { type: 'button', class: 'ws-button ws-button-quiet' }, 'Import progress');
  const input = h('input', {
    type: 'file',
    accept: '.json,application/json',
    hidden: true,
    'aria-label': 'Progress file to import',
  });

  const restoreButton = h(
    'button',
    { type: 'button', class: 'ws-button ws-button-quiet', hidden: true },
    'Restore the progress before the last import',
  );
  const showBackup = () => {
    const backup = options.backup();
    restoreButton.hidden = backup === undefined;
    // .ws-button sets a display, which would otherwise win over [hidden].
    restoreButton.style.display = backup === undefined ? 'none' : '';
    if (backup) restoreButton.title = `Your progress ${when(backup.savedAt)}`;
  };
  showBackup();
  restoreButton.addEventListener('click', () => {
    const backup = options.backup();
    if (!backup) return showBackup();
    const proceed = window.confirm(
      `This puts back your progress ${when(backup.savedAt)}, from before the last import. What is here now is kept in its place, so you can switch back. Continue?`,
    );
    if (!proceed) return;
    const error = options.restoreBackup();
    replace(status, error ?? 'Your progress from before the import is back. Restore again to switch back.');
    status.dataset.tone = error ? 'fail' : 'pass';
    showBackup();
  });

  exportButton.addEventListener('click', () => {
    const date = new Date().toISOString().slice(0, 10);
    const name = `request-journey-progress-${date}.json`;
    download(name, options.exportJson(), 'application/json');
    replace(status, `Saved ${name}. Import it in any browser to continue where you left off.`);
  });
  importButton.addEventListener('click', () => input.click());
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    if (file.size > options.maxBytes) {
      replace(
        status,
        `${file.name} is too large to be a progress export (${(file.size / 1_000_000).toFixed(1)} MB). Nothing was changed.`,
      );
      status.dataset.tone = 'fail';
      return;
    }
    const proceed = window.confirm(
      'Importing replaces the progress and code stored in this browser with the contents of the file. Continue?',
    );
    if (!proceed) return;
    const error = options.importJson(await file.text());
    replace(
      status,
      error ??
        `Imported ${file.name}: your code and progress are back. What it replaced is kept: "Restore" puts it back.`,
    );
    status.dataset.tone = error ? 'fail' : 'pass';
    showBackup();
  });

  return h(
    'div',
    { class: 'ws-progress-file' },
    h('div', { class: 'ws-toolbar' }, exportButton, importButton, restoreButton, input),
    status,
  );
}
