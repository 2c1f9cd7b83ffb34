import { h, replace } from '../dom.ts';
import { diffAsLines, lineDiff } from './line-diff.ts';

/**
 * "Show solution": a modal dialog that first asks whether the learner really
 * wants to see it, then shows the reference solution as a diff against their
 * own code, file by file, changes to code only (comments differ in prose, which
 * is noise here). "Use the solution" puts it in the editor; the caller offers
 * the Undo.
 */

export interface SolutionDialogOptions {
  /** The learner's code now, by editable file name. */
  learnerFiles(): Record<string, string>;
  loadSolution(): Promise<Record<string, string>>;
  /** Replaces the learner's code with the solution (undoably). */
  useSolution(solution: Record<string, string>): void;
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
    const changed = Object.entries(solution).filter(([file, reference]) =>
      diffAsLines(mine[file] ?? '', reference, true).some((line) => line.kind !== 'same'),
    );
    const use = h('button', { type: 'button', class: 'ws-button' }, 'Use the solution');
    use.addEventListener('click', () => {
      options.useSolution(solution);
      close();
    });
    const done = h('button', { type: 'button', class: 'ws-button ws-button-quiet' }, 'Close');
    done.addEventListener('click', close);
    const sections = changed.map(([file, reference]) =>
      h(
        'section',
        {},
        h('h3', {}, file),
        lineDiff(mine[file] ?? '', reference, { removed: 'your code', added: 'reference solution' }, true),
      ),
    );
    replace(
      body,
      h(
        'p',
        {},
        changed.length === 0
          ? 'Your code does what the reference solution does: they differ in comments at most.'
          : 'Only changes to code are marked; comments and blank lines are left out. "Use the solution" replaces your code, and Undo brings it back.',
      ),
      sections,
      h('div', { class: 'ws-dialog-actions' }, changed.length > 0 && use, done),
    );
    title.tabIndex = -1;
    title.focus();
  }

  document.body.append(dialog);
  dialog.showModal();
}
