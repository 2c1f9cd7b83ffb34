import { h, replace } from '../dom.ts';

/**
 * What a learner can do with their code besides running it: start over from
 * the starter, put the reference solution in (both with an Undo), see the
 * solution first, and take the exercise home as a zip that grades offline.
 */

type Files = Record<string, string>;

export interface CodeActionsOptions {
  /** The learner's code now. */
  files(): Files;
  /** Replaces the learner's code (Reset, Use the solution, Undo). */
  replace(files: Files): void;
  starter: Files;
  /** Opens the solution dialog; `use` puts the solution in the editor with an Undo. */
  showSolution(use: (solution: Files) => void): void;
  download(): Promise<void>;
}

export interface CodeActions {
  element: HTMLElement;
  /** The learner edited: an offered Undo no longer applies. */
  edited(): void;
}

export function createCodeActions(options: CodeActionsOptions): CodeActions {
  const status = h('p', { class: 'ws-action-status', role: 'status' });
  const button = (label: string, action: () => void) => {
    const element = h('button', { type: 'button', class: 'ws-button ws-button-quiet' }, label);
    element.addEventListener('click', action);
    return element;
  };
  let undo: { files: Files; restoring: boolean } | undefined;

  /** Puts other code in the editor and offers to take the learner's back. */
  function replaceWithUndo(files: Files, done: string, returnFocus: HTMLElement): void {
    // The offer restores what the learner wrote, not what an earlier replacement put there.
    undo = { files: undo?.files ?? options.files(), restoring: true };
    options.replace(files);
    undo.restoring = false;
    const undoButton = button('Undo', () => {
      if (!undo) return;
      undo.restoring = true;
      options.replace(undo.files);
      undo = undefined;
      replace(status, 'Your code is back.');
      returnFocus.focus();
    });
    replace(status, `${done} `, undoButton);
    undoButton.focus();
  }

  const reset = button('Reset to the starter', () =>
    replaceWithUndo(options.starter, 'The starter code is back in the editor.', reset),
  );
  const solution = button('Show solution', () =>
    options.showSolution((files) =>
      replaceWithUndo(files, 'The reference solution is in the editor.', solution),
    ),
  );

  const download = button('Download as a zip', async () => {
    replace(status, 'Preparing the zip…');
    try {
      await options.download();
      replace(status, 'Downloaded. Unzip it, then run npm install and npm test in the folder.');
    } catch (error) {
      replace(status, `The zip could not be made: ${(error as Error).message}`);
    }
  });

  const element = h(
    'div',
    { class: 'ws-code-actions' },
    h('div', { class: 'ws-toolbar' }, reset, solution, download),
    status,
  );
  return {
    element,
    edited() {
      // The edits made by a replacement or by Undo itself do not withdraw the offer.
      if (!undo || undo.restoring) return;
      undo = undefined;
      replace(status);
    },
  };
}
