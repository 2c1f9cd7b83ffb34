import { h, replace } from '../dom.ts';

/**
 * What a learner can do with their code besides running it: start over from
 * the starter (with an Undo), see the reference solution, and take the
 * exercise home as a zip that grades offline.
 */

export interface CodeActionsOptions {
  /** Puts the starter back; returns the code it replaced. */
  reset(): Record<string, string>;
  restore(files: Record<string, string>): void;
  showSolution(): void;
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
  let undo: { files: Record<string, string>; restoring: boolean } | undefined;

  const reset = button('Reset to the starter', () => {
    undo = { files: options.reset(), restoring: false };
    const undoButton = button('Undo', () => {
      if (!undo) return;
      undo.restoring = true;
      options.restore(undo.files);
      undo = undefined;
      replace(status, 'Your code is back.');
      reset.focus();
    });
    replace(status, 'The starter code is back in the editor. ', undoButton);
    undoButton.focus();
  });

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
    h('div', { class: 'ws-toolbar' }, reset, button('Show solution', options.showSolution), download),
    status,
  );
  return {
    element,
    edited() {
      // The edit made by Undo itself, or by Reset, does not withdraw the offer.
      if (!undo || undo.restoring) return;
      undo = undefined;
      replace(status);
    },
  };
}
