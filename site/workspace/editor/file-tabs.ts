import { h, uniqueId } from '../dom.ts';

/**
 * The editor's file tabs: an ARIA tablist with one tab per file, arrow keys
 * (and Home/End) moving between them, and a single panel - the editor - that
 * shows the selected file. The tabs stay on one line, scrolling sideways when
 * an exercise has more files than fit; a file list beside them reaches every
 * file in one step.
 */

export interface FileTab {
  /** Course-relative path, the tab's identity. */
  path: string;
  label: string;
  readOnly: boolean;
}

export interface FileTabs {
  element: HTMLElement;
  /** Marks a tab as selected (without calling onSelect). */
  select(path: string): void;
}

export function createFileTabs(
  tabs: readonly FileTab[],
  panelId: string,
  onSelect: (path: string) => void,
): FileTabs {
  const buttons = tabs.map((tab) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: uniqueId('ws-tab'),
        class: 'ws-tab',
        'aria-controls': panelId,
        'aria-selected': 'false',
        tabindex: -1,
        title: tab.path,
        'data-path': tab.path,
        'data-read-only': tab.readOnly,
      },
      tab.label,
      tab.readOnly ? h('span', { class: 'ws-tab-badge' }, 'read-only') : null,
    ),
  );
  const tablist = h('div', { role: 'tablist', class: 'ws-tabs', 'aria-label': 'Files' }, buttons);
  const listId = uniqueId('ws-file-list');
  const list = h(
    'select',
    { id: listId, class: 'ws-file-list' },
    tabs.map((tab) =>
      h('option', { value: tab.path }, tab.readOnly ? `${tab.label} (read-only)` : tab.label),
    ),
  );
  const element = h(
    'div',
    { class: 'ws-files' },
    tablist,
    h(
      'label',
      { class: 'ws-file-list-label' },
      h('span', { class: 'ws-visually-hidden' }, `All ${tabs.length} files`),
      list,
    ),
  );
  list.addEventListener('change', () =>
    choose(
      buttons.findIndex((button) => button.dataset.path === list.value),
      false,
    ),
  );

  function select(path: string): void {
    for (const button of buttons) {
      const selected = button.dataset.path === path;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      if (!selected) continue;
      document.getElementById(panelId)?.setAttribute('aria-labelledby', button.id);
      // A tab scrolled out of the row comes into view (without moving the page).
      tablist.scrollTo({ left: button.offsetLeft - tablist.offsetLeft - 8, behavior: 'instant' });
    }
    list.value = path;
  }

  function choose(index: number, focusTab = true): void {
    const button = buttons[(index + buttons.length) % buttons.length];
    if (!button?.dataset.path) return;
    select(button.dataset.path);
    if (focusTab) button.focus();
    onSelect(button.dataset.path);
  }

  tablist.addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('[role="tab"]');
    if (button) choose(buttons.indexOf(button));
  });
  tablist.addEventListener('keydown', (event) => {
    const current = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const moves: Record<string, number> = {
      ArrowRight: current + 1,
      ArrowLeft: current - 1,
      Home: 0,
      End: buttons.length - 1,
    };
    const target = moves[event.key];
    if (current === -1 || target === undefined) return;
    event.preventDefault();
    choose(target);
  });

  return { element, select };
}
