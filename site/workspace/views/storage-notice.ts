import type { StorageFailure } from '../../../engine/runtime/storage/backend.ts';
import { h } from '../dom.ts';

/**
 * Tells the learner, every time, when their work is not being saved (storage
 * full, blocked, or written by a newer course version): never silent. Each kind
 * of failure is shown once, and stays until the page is reloaded.
 */

export interface StorageNotice {
  element: HTMLElement;
  show(failure: StorageFailure): void;
}

export function createStorageNotice(): StorageNotice {
  const list = h('ul');
  const element = h(
    'div',
    { class: 'ws-callout ws-storage-notice', 'data-tone': 'course', role: 'alert', hidden: true },
    h('p', {}, h('strong', {}, 'Saving your work in this browser ran into a problem:')),
    list,
  );
  const shown = new Set<string>();
  return {
    element,
    show(failure) {
      if (shown.has(failure.kind)) return;
      shown.add(failure.kind);
      list.append(h('li', {}, failure.message));
      element.hidden = false;
    },
  };
}

/**
 * Tells the learner when another tab of the course changed this exercise, and what this tab did
 * about it; offers the other tab's code when this tab kept its own. The latest news replaces the last.
 */
export interface OtherTabNotice {
  element: HTMLElement;
  show(message: string, action?: { label: string; run(): void }): void;
}

export function createOtherTabNotice(): OtherTabNotice {
  const message = h('p');
  const actions = h('div', { class: 'ws-toolbar' });
  const element = h(
    'div',
    { class: 'ws-callout ws-other-tab-notice', 'data-tone': 'course', role: 'status', hidden: true },
    message,
    actions,
  );
  const dismiss = h('button', { type: 'button', class: 'ws-button ws-button-quiet' }, 'Dismiss');
  dismiss.addEventListener('click', () => {
    element.hidden = true;
  });
  return {
    element,
    show(text, action) {
      message.textContent = text;
      const buttons: HTMLElement[] = [];
      if (action) {
        const button = h('button', { type: 'button', class: 'ws-button ws-button-quiet' }, action.label);
        button.addEventListener('click', () => {
          action.run();
          element.hidden = true;
        });
        buttons.push(button);
      }
      actions.replaceChildren(...buttons, dismiss);
      element.hidden = false;
    },
  };
}
