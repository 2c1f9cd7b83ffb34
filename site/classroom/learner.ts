import type { GradeOutcome } from '../../engine/runtime/runner.ts';
import {
  browserStore,
  type KeyValueStore,
  type StorageFailure,
} from '../../engine/runtime/storage/backend.ts';
import { adoptStyle } from '../workspace/adopt-style.ts';
import { h, replace, uniqueId } from '../workspace/dom.ts';
import css from './learner.css?inline';
import { type ClassroomApi, httpClassroomApi, type Report, servedByClassroom } from './learner-api.ts';
import { createReportSender, LearnerMemory, reportOf, STATE_KEY } from './learner-queue.ts';

/**
 * The classroom in the workspace: a "Join a class" panel shown only when a
 * classroom server serves the site (or this browser already joined a class
 * there), then each run's results sent to it, and a "Raise hand" button that
 * asks the instructor for help on the first failing task. Without a
 * classroom server the panel stays hidden and the only request is the probe.
 */

/** The most code a hand may carry, in bytes of JSON (the server refuses more). */
const MAX_SHARED_CODE_BYTES = 16 * 1024;
const MAX_NAME_CHARS = 40;

export interface ClassroomOptions {
  exercise: { id: string; tasks: ReadonlyArray<{ number: number; title: string }> };
  /** The learner's code now, shared with a raised hand if they choose. */
  code(): Record<string, string>;
  /** Tasks the stored progress counts as passed: what a hand asks about before the first run. */
  passedTasks(): readonly number[];
  api?: ClassroomApi;
  storage?: KeyValueStore | StorageFailure;
}

export interface ClassroomPanel {
  element: HTMLElement;
  /** Called after every run: its results are queued for the class (if joined); never waits. */
  ran(outcome: GradeOutcome): void;
}

export function createClassroomPanel(options: ClassroomOptions): ClassroomPanel {
  const api = options.api ?? httpClassroomApi;
  const backend = options.storage ?? browserStore();
  const memory = new LearnerMemory(backend);
  const sender = createReportSender(memory, api, () => render());
  const { exercise } = options;
  /** This page's last run, for the message a raised hand carries. */
  let lastReport: Report | undefined;

  const headingId = uniqueId('cl-heading');
  const heading = h('h2', { id: headingId }, 'Join a class');
  const element = h('section', { class: 'cl-panel', 'aria-labelledby': headingId, hidden: true }, heading);

  // Not joined: the form.
  const codeInput = h('input', {
    type: 'text',
    class: 'cl-code-input',
    name: 'classCode',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    required: true,
  });
  const nameInput = h('input', {
    type: 'text',
    name: 'name',
    autocomplete: 'nickname',
    maxlength: MAX_NAME_CHARS,
    required: true,
  });
  const joinStatus = h('p', { role: 'status' });
  const joinForm = h(
    'form',
    { class: 'cl-join' },
    h(
      'p',
      {},
      'This course is served by your classroom. Join with the code your instructor shows, and the results ',
      'of your test runs (not your code) go to their dashboard.',
    ),
    h(
      'div',
      { class: 'cl-fields' },
      h('label', {}, 'Class code', codeInput),
      h('label', {}, 'Your name', nameInput),
      h('button', { type: 'submit', class: 'ws-button' }, 'Join'),
    ),
    joinStatus,
  );

  // Joined: who, what is waiting, the hand.
  const who = h('p');
  const sendStatus = h('p', { role: 'status', class: 'cl-send-status' });
  const notes = h('ul', { class: 'cl-notes', role: 'alert' });
  const shareCode = h('input', { type: 'checkbox' });
  const handButton = h('button', { type: 'button', class: 'ws-button' }, 'Raise hand');
  const lowerButton = h('button', { type: 'button', class: 'ws-button ws-button-quiet' }, 'Lower hand');
  const leaveButton = h('button', { type: 'button', class: 'ws-button ws-button-quiet' }, 'Leave the class');
  const handStatus = h('p', { role: 'status' });
  const shareLabel = h('label', { class: 'cl-share' }, shareCode, 'Share my code with the instructor');
  const joined = h(
    'div',
    { class: 'cl-joined' },
    who,
    sendStatus,
    notes,
    h('div', { class: 'ws-toolbar' }, handButton, shareLabel, lowerButton, leaveButton),
    handStatus,
  );
  element.append(joined, joinForm);

  /** Where storage failed: the classroom still works, for this page only. */
  const storageNote = () =>
    memory.failure
      ? `This browser does not keep what you do here (${memory.failure.kind === 'quota' ? 'its storage is full' : 'storage is blocked'}), so the class and any results waiting to be sent last only as long as this tab.`
      : undefined;

  function render(): void {
    const { membership, hand } = memory.read();
    joinForm.hidden = membership !== undefined;
    joined.hidden = membership === undefined;
    heading.textContent = membership ? 'Your class' : 'Join a class';
    if (!membership) return;
    who.replaceChildren(
      'In class ',
      h('strong', {}, membership.className),
      ` (${membership.classCode}) as `,
      h('strong', {}, membership.name),
      '.',
    );
    const { waiting, notes: dropped } = sender.status();
    sendStatus.textContent =
      waiting === 0
        ? 'Your results are sent to the class.'
        : `${waiting} ${waiting === 1 ? 'result' : 'results'} waiting to be sent: they are kept here and sent when the classroom server answers.`;
    sendStatus.dataset.waiting = String(waiting);
    const storage = storageNote();
    replace(
      notes,
      [...dropped, ...(storage ? [storage] : [])].map((text) => h('li', {}, text)),
    );
    handButton.hidden = hand !== undefined;
    shareLabel.hidden = hand !== undefined;
    lowerButton.hidden = hand === undefined;
    if (hand && !handStatus.textContent) {
      const where = hand.exercise === exercise.id ? '' : ` of ${hand.exercise}`;
      handStatus.textContent = `Your hand is up for task ${hand.task}${where}.`;
    }
  }

  let joining = false;
  joinForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    // A second press while the first is on its way would join twice, as two learners.
    if (joining) return;
    const classCode = codeInput.value.trim().toUpperCase();
    const name = nameInput.value.trim();
    if (!classCode || !name) {
      joinStatus.textContent = 'Type the class code and your name.';
      return;
    }
    joinStatus.textContent = 'Joining…';
    joining = true;
    const answer = await api.join(classCode, name).finally(() => {
      joining = false;
    });
    if (answer.kind !== 'ok') {
      joinStatus.textContent =
        answer.kind === 'refused'
          ? answer.error
          : 'The classroom server did not answer. Check that you are on the room’s network, then try again.';
      return;
    }
    joinStatus.textContent = '';
    memory.update((state) => ({ ...state, membership: { classCode, name, ...answer.body } }));
    render();
    sender.flush();
  });

  /** The task a hand asks about: the first that failed in the last run, or that the saved progress lacks. */
  function currentTask(): { task: number; message?: string } {
    const failing = lastReport?.tasks.find((task) => !task.passed);
    if (failing) return { task: failing.task, ...(failing.message && { message: failing.message }) };
    const passed = new Set(lastReport ? lastReport.tasks.map((task) => task.task) : options.passedTasks());
    const open = exercise.tasks.find((task) => !passed.has(task.number)) ?? exercise.tasks.at(-1);
    return { task: open?.number ?? 1 };
  }

  handButton.addEventListener('click', async () => {
    const { membership } = memory.read();
    if (!membership) return;
    const hand = {
      exercise: exercise.id,
      ...currentTask(),
      ...(shareCode.checked && { code: options.code() }),
    };
    const bytes = new TextEncoder().encode(JSON.stringify(hand.code ?? {})).length;
    if (bytes > MAX_SHARED_CODE_BYTES) {
      handStatus.textContent = `Your code is too large to send with a hand (${Math.ceil(bytes / 1024)} KiB, at most 16). Untick sharing and raise your hand: the instructor will come and look.`;
      return;
    }
    handButton.setAttribute('aria-disabled', 'true');
    const answer = await api.raiseHand(membership.learnerToken, hand);
    handButton.removeAttribute('aria-disabled');
    if (answer.kind !== 'ok') {
      handStatus.textContent =
        answer.kind === 'refused'
          ? `Your hand could not be raised: ${answer.error}`
          : 'The classroom server did not answer, so your hand is not up. Try again in a moment.';
      return;
    }
    memory.update((state) => ({
      ...state,
      hand: { handId: answer.body.handId, exercise: exercise.id, task: hand.task },
    }));
    handStatus.textContent = `Your hand is up for task ${hand.task}${shareCode.checked ? ', with your code' : ''}. The instructor sees it on their dashboard.`;
    render();
    lowerButton.focus();
  });

  lowerButton.addEventListener('click', async () => {
    const { membership, hand } = memory.read();
    if (!membership || !hand) return;
    const answer = await api.lowerHand(membership.learnerToken, hand.handId);
    // Refused: the instructor already resolved it (or it is gone): it is down either way.
    if (answer.kind === 'unreachable' || answer.kind === 'later') {
      handStatus.textContent =
        'The classroom server did not answer, so your hand is still up. Try again in a moment.';
      return;
    }
    memory.update(({ hand: _lowered, ...rest }) => rest);
    handStatus.textContent = 'Your hand is down.';
    render();
    handButton.focus();
  });

  leaveButton.addEventListener('click', () => {
    const { queue } = memory.read();
    const waiting = queue.length > 0 ? ` ${queue.length} results not sent yet are dropped.` : '';
    if (!window.confirm(`Leave the class? Your results stop going to the instructor.${waiting}`)) return;
    memory.update(() => ({ queue: [] }));
    handStatus.textContent = '';
    render();
  });

  addEventListener('online', () => sender.flush());
  // Another tab joined, left, sent or lowered a hand.
  if ('subscribe' in backend) backend.subscribe?.((key) => (key === null || key === STATE_KEY) && render());

  adoptStyle(css);
  // A browser that joined here before keeps its class (and sends what waits) even while the server is down.
  const reveal = () => {
    element.hidden = false;
    render();
    sender.flush();
  };
  if (memory.read().membership) reveal();
  else void servedByClassroom().then((served) => served && reveal());

  return {
    element,
    ran(outcome) {
      const report = reportOf(exercise, outcome, new Date());
      if (!report) return;
      lastReport = report;
      if (memory.read().membership) sender.add(report);
    },
  };
}
