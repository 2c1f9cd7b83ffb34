import { h, replace } from '../dom.ts';
import { lineDiff } from './line-diff.ts';

/**
 * "Show solution": a modal dialog that first asks whether the learner really
 * wants to see it, then shows the reference solution as a diff against their
 * own code, file by file.
 */

export interface SolutionDialogOptions {
  /** The learner's code now, by editable file name. */
  learnerFiles(): Record<string, string>;
  loadSolution(): Promise<Record<string, string>>;
}

export function openSolutionDialog(options: SolutionDialogOptions): void {
  const title = h('h2', { id: 'ws-solution-title' }, 'Show the reference solution?');
  const body = h('div', { class: 'ws-dialog-body' });
  const dialog = h('dialog', { class: 'ws-dialog', 'aria-labelledby': 'ws-solution-title' }, title, body);
  const close = () => dialog.close();
  dialog.addEventListener('close', () => dialog.remove());

  const confirm = h('button', { type: 'button', class: 'ws-button' }, 'Show the solution');
  const cancel = h(
    'button',
    { type: 'button', class: 'ws-button ws-button-quiet', autofocus: true },
    'Not yet',
  );
  cancel.addEventListener('click', close);
  confirm.addEventListener('click', async () => {
    confirm.setAttribute('aria-disabled', 'true');
    confirm.textContent = 'Loading…';
    try {
      showDiff(await options.loadSolution());
    } catch (error) {
      replace(
        body,
        h('p', { role: 'alert' }, `The solution could not be loaded: ${(error as Error).message}`),
      );
    }
  });
  replace(
    body,
    h(
      'p',
      {},
      'It shows every task solved, as changes to your code. The hints lead you there one step at a time, and working it out yourself is what makes it stick.',
    ),
    h('div', { class: 'ws-dialog-actions' }, confirm, cancel),
  );

  function showDiff(solution: Record<string, string>): void {
    title.textContent = 'The reference solution, compared with your code';
    const mine = options.learnerFiles();
    const done = h('button', { type: 'button', class: 'ws-button' }, 'Close');
    done.addEventListener('click', close);
    replace(
      body,
      Object.entries(solution).map(([file, reference]) =>
        h(
          'section',
          {},
          h('h3', {}, file),
          lineDiff(mine[file] ?? '', reference, { removed: 'your code', added: 'reference solution' }),
        ),
      ),
      h('div', { class: 'ws-dialog-actions' }, done),
    );
    title.tabIndex = -1;
    title.focus();
  }

  document.body.append(dialog);
  dialog.showModal();
}
