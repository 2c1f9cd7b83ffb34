import { download, h, replace } from '../dom.ts';

/**
 * All of a learner's progress (every exercise's code, tasks, hints, completed
 * lessons) as one file: export it to keep or move it, import it in another
 * browser. Importing replaces what this browser holds, so it asks first.
 */

export interface ProgressFileOptions {
  exportJson(): string;
  /** Returns an error to show, or undefined when the file was imported. */
  importJson(text: string): string | undefined;
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
    const proceed = window.confirm(
      'Importing replaces the progress and code stored in this browser with the contents of the file. Continue?',
    );
    if (!proceed) return;
    const error = options.importJson(await file.text());
    replace(status, error ?? `Imported ${file.name}: your code and progress are back.`);
    status.dataset.tone = error ? 'fail' : 'pass';
  });

  return h(
    'div',
    { class: 'ws-progress-file' },
    h('div', { class: 'ws-toolbar' }, exportButton, importButton, input),
    status,
  );
}
