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
