import type { RunnerPreference } from '../../../engine/runtime/choose-runner.ts';
import { h, replace, uniqueId } from '../dom.ts';
import { type RunnerState, runnerLabels } from '../runner-session.ts';
import { createRunTerminal } from './run-terminal.ts';

/**
 * The workspace's command bar: "Run tests", which runner grades (the active
 * one shown, the learner's choice beside it), the one-line notice when the
 * WebContainer could not be used, word that the last run crashed the tab, and
 * the WebContainer's raw output.
 */

export interface RunnerBar {
  element: HTMLElement;
  showState(state: RunnerState): void;
  setRunning(running: boolean): void;
  appendOutput(chunk: string): void;
}

export function createRunnerBar(
  onRun: () => void,
  onPreference: (preference: RunnerPreference) => void,
): RunnerBar {
  const runButton = h(
    'button',
    { type: 'button', class: 'ws-button ws-run', 'aria-keyshortcuts': 'Control+Enter' },
    'Run tests',
  );
  runButton.addEventListener('click', onRun);

  const selectId = uniqueId('ws-runner');
  const select = h(
    'select',
    { id: selectId },
    h('option', { value: 'auto' }, 'Automatic'),
    h('option', { value: 'webcontainer' }, runnerLabels.webcontainer),
    h('option', { value: 'worker' }, runnerLabels.worker),
  );
  select.addEventListener('change', () => onPreference(select.value as RunnerPreference));
  const active = h('span', { class: 'ws-runner-active', role: 'status' });
  const notice = h('details', { class: 'ws-runner-notice', hidden: true });
  // Said once, on the page that loads after a run crashed the tab.
  const crashed = h('p', { class: 'ws-runner-notice ws-runner-crashed', role: 'alert', hidden: true });
  const terminal = createRunTerminal();
  terminal.element.hidden = true;

  const element = h(
    'div',
    { class: 'ws-runner-bar' },
    h(
      'div',
      { class: 'ws-toolbar' },
      runButton,
      h('label', { for: selectId, class: 'ws-runner-label' }, 'Run tests in'),
      select,
      active,
    ),
    crashed,
    notice,
    terminal.element,
  );

  return {
    element,
    showState(state) {
      select.value = state.preference;
      active.textContent = state.active
        ? `Active: ${runnerLabels[state.active]}`
        : state.preference === 'worker'
          ? 'Starting…'
          : 'Starting the WebContainer (up to 5 s)…';
      notice.hidden = !state.notice;
      if (state.notice) {
        replace(
          notice,
          h(
            'summary',
            {},
            state.notice.message,
            ' ',
            h('span', { class: 'ws-notice-more' }, 'What can I do?'),
          ),
          h('p', {}, state.notice.help),
        );
      }
      terminal.element.hidden = state.active !== 'webcontainer';
      crashed.hidden = !state.crashed;
      crashed.textContent = state.crashed ?? '';
    },
    setRunning(running) {
      runButton.setAttribute('aria-disabled', String(running));
      runButton.textContent = running ? 'Running…' : 'Run tests';
    },
    appendOutput: terminal.write,
  };
}
