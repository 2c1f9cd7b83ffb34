import type { ExerciseManifest } from '../../../engine/course/manifest.ts';
import {
  describeRunningTest,
  type TaskOutcome,
  type TaskStatus,
  type TestResult,
  taskOutcomes,
} from '../../../engine/grading/results.ts';
import type { Diagnostic, GradeOutcome, RunnerKind } from '../../../engine/runtime/runner.ts';
import { h, replace, uniqueId } from '../dom.ts';
import { runnerLabels } from '../runner-session.ts';
import { createHintsLadder, type HintsLadder } from './hints-ladder.ts';
import { lineDiff } from './line-diff.ts';
import { groupTests, type TestGroup } from './test-groups.ts';

/**
 * The exercise's tasks and what the last run said about them: pass or fail per
 * task and per test, each failure's message and expected/actual diff, the task
 * to work on next, and each task's hints. Whose fault a problem is decides how
 * it reads: a compile error or a loop is the learner's to fix, a runner error
 * is the course's.
 */

export interface RunResult {
  outcome: GradeOutcome;
  runner: RunnerKind;
  /** Grading time, without the wait for a runner. */
  elapsedMs: number;
  /** How long the run waited for a runner to be chosen (a WebContainer booting) before grading. */
  waitedMs?: number;
  /** Type errors the editor marks in the learner's code now: the likely cause when tests fail. */
  typeErrors?: readonly Diagnostic[];
}

export interface TaskResultsOptions {
  manifest: ExerciseManifest;
  hintsRevealed(task: number): number;
  revealHint(task: number): void;
  /** Shows a compile error's place in the editor. */
  goTo(diagnostic: Diagnostic): void;
}

export interface TaskResults {
  /** The outcome of the last run in a few lines, with any compile error or runner problem: shown near "Run tests". */
  status: HTMLElement;
  /** Every task with its tests and hints. */
  element: HTMLElement;
  /** Before any run in this visit: which tasks passed last time. */
  showSaved(passedTasks: readonly number[]): void;
  /** A run started; the runner may still be starting itself. `stop` ends it at the learner's request. */
  showRunning(runner: RunnerKind | undefined, stop: () => void): void;
  showResult(result: RunResult): void;
  /** Whether the code changed since the results shown were graded: they then describe earlier code. */
  setStale(stale: boolean): void;
  setHintsRevealed(task: number, count: number): void;
}

/** A task's state on screen: its status in the last run, or not run in this visit. */
type TaskState = TaskStatus | 'not-run';

const stateLabels: Record<TaskState, string> = {
  pass: 'passes',
  fail: 'fails',
  'not-graded': 'not graded here',
  'not-run': 'not run',
};
const stateIcons: Record<TaskState, string> = { pass: '✓', fail: '✗', 'not-graded': '–', 'not-run': '–' };

function statusBadge(state: TaskState, text = stateLabels[state]): HTMLElement {
  return h(
    'span',
    { class: 'ws-status', 'data-state': state },
    h('span', { 'aria-hidden': 'true' }, stateIcons[state]),
    ` ${text}`,
  );
}

function failureDetail(test: TestResult): Array<HTMLElement | false> {
  return [
    h('pre', { class: 'ws-failure', tabindex: 0 }, test.message ?? 'The test failed without a message.'),
    test.expected !== undefined &&
      test.actual !== undefined &&
      lineDiff(test.expected, test.actual, { removed: 'expected', added: 'actual' }),
  ];
}

/** One test, or several that failed with the same message: "3 tests fail: ..." and the message once. */
function groupItem({ tests, status }: TestGroup): HTMLElement {
  const [test] = tests;
  if (!test) return h('li');
  const state: TaskState = status === 'skip' ? 'not-graded' : status;
  const label = status === 'skip' ? 'skipped' : stateLabels[state];
  const detail = status === 'skip' && test.note ? h('p', { class: 'ws-run-meta' }, test.note) : null;
  const names =
    tests.length === 1
      ? [' ', test.name]
      : [
          ` ${tests.length} tests:`,
          h(
            'ul',
            { class: 'ws-test-names' },
            tests.map((each) => h('li', {}, each.name)),
          ),
        ];
  return h(
    'li',
    { class: 'ws-test', 'data-state': state, 'data-count': tests.length },
    statusBadge(state, label),
    names,
    detail,
    status === 'fail' && failureDetail(test),
  );
}

export function createTaskResults(options: TaskResultsOptions): TaskResults {
  const { manifest } = options;
  const summary = h('div', { class: 'ws-summary', role: 'status' });
  const problem = h('div', { class: 'ws-problem' });
  const ladders = new Map<number, HintsLadder>();
  const taskItems = manifest.tasks.map((task) => {
    const ladder = createHintsLadder(task.number, task.hints, options.hintsRevealed(task.number), () =>
      options.revealHint(task.number),
    );
    ladders.set(task.number, ladder);
    const detail = h('div', { class: 'ws-task-detail' });
    const item = h(
      'li',
      { class: 'ws-task', 'data-task': task.number },
      h(
        'div',
        { class: 'ws-task-head' },
        h('span', { class: 'ws-task-title' }, `Task ${task.number}: ${task.title}`),
        h('span', { class: 'ws-task-state' }),
      ),
      detail,
      ladder.element,
    );
    return { task, item, detail };
  });
  const listHeading = h(
    'h3',
    { id: uniqueId('ws-results'), class: 'ws-heading' },
    'Tasks, test results and hints',
  );
  const element = h(
    'section',
    { class: 'ws-results', 'aria-labelledby': listHeading.id },
    listHeading,
    h(
      'ol',
      { class: 'ws-task-list' },
      taskItems.map(({ item }) => item),
    ),
  );
  const status = h('div', { class: 'ws-run-status' }, summary, problem);

  function setTask(number: number, state: TaskState, counts?: string, next = false): void {
    const entry = taskItems.find(({ task }) => task.number === number);
    if (!entry) return;
    entry.item.dataset.state = state;
    entry.item.toggleAttribute('data-next', next);
    const head = entry.item.querySelector('.ws-task-state');
    if (head) {
      replace(
        head,
        statusBadge(state),
        counts && h('span', { class: 'ws-task-count' }, counts),
        next && h('span', { class: 'ws-next' }, 'Work on this next'),
      );
    }
  }

  /** Every task's tests, open for the task to work on next: the others wait their turn. */
  function showTests(tests: TestResult[], next: TaskOutcome | undefined): void {
    for (const { task, detail } of taskItems) {
      const own = tests.filter((test) => test.task === task.number);
      const list = h('ul', { class: 'ws-tests' }, groupTests(own).map(groupItem));
      replace(
        detail,
        own.length === 0
          ? null
          : h(
              'details',
              { open: next?.number === task.number },
              h('summary', {}, `${own.length} test${own.length === 1 ? '' : 's'}`),
              list,
            ),
      );
    }
  }

  function notGraded(): void {
    for (const { task, detail } of taskItems) {
      setTask(task.number, 'not-run');
      replace(detail);
    }
  }

  /** A button that shows a place in the learner's code in the editor. */
  function placeButton(diagnostic: Diagnostic): HTMLElement {
    const button = h(
      'button',
      { type: 'button', class: 'ws-link-button' },
      `${diagnostic.file}, line ${diagnostic.line}, column ${diagnostic.column}`,
    );
    button.addEventListener('click', () => options.goTo(diagnostic));
    return button;
  }

  /** The first type error the editor marks, offered as the likely cause of failing tests. */
  function typeErrorNote(typeErrors: readonly Diagnostic[]): HTMLElement | false {
    const [first] = typeErrors;
    if (!first) return false;
    const more = typeErrors.length - 1;
    return h(
      'p',
      { class: 'ws-type-error' },
      h('strong', {}, 'Likely cause: a type error. '),
      'The editor underlines ',
      placeButton(first),
      `: ${first.message}`,
      more > 0 ? ` (and ${more} more type error${more === 1 ? '' : 's'}).` : '.',
      ' Code with a type error often does something other than you meant: fix it first.',
    );
  }

  function showGraded(
    { report, diagnostics }: Extract<GradeOutcome, { kind: 'graded' }>,
    about: string,
    typeErrors: readonly Diagnostic[],
  ): void {
    if (report.errors.length > 0) {
      showLoadError(report.errors, diagnostics, about);
      return;
    }
    const outcomes = taskOutcomes(report, manifest.tasks);
    const passed = outcomes.filter((outcome) => outcome.status === 'pass');
    const next = outcomes.find((outcome) => outcome.status === 'fail');
    for (const outcome of outcomes) {
      setTask(
        outcome.number,
        outcome.status,
        `${outcome.passed} of ${outcome.total} tests`,
        outcome === next,
      );
    }
    showTests(report.tests, next);
    const all = passed.length === outcomes.length;
    summary.dataset.tone = all ? 'pass' : 'fail';
    // The message that says what to fix, right under "Run tests": the task list may be out of view.
    const firstFailure = next && groupTests(report.tests.filter((test) => test.task === next.number))[0];
    const failing = firstFailure?.status === 'fail' ? firstFailure.tests : [];
    replace(
      summary,
      h(
        'p',
        {},
        h(
          'strong',
          {},
          all
            ? `All ${outcomes.length} tasks pass. Lesson complete!`
            : `${passed.length} of ${outcomes.length} tasks pass.`,
        ),
        next && ` Next: task ${next.number}, ${next.title}.`,
      ),
      next?.failure &&
        h(
          'pre',
          { class: 'ws-summary-failure', tabindex: 0 },
          failing.length > 1 ? `${failing.length} tests: ` : '',
          next.failure.message,
        ),
      h('p', { class: 'ws-run-meta' }, about),
    );
    replace(
      problem,
      !all &&
        typeErrors.length > 0 &&
        h('div', { class: 'ws-callout', 'data-tone': 'fail' }, typeErrorNote(typeErrors)),
    );
  }

  /** The learner's module threw while it loaded: no test could run, whatever task it belongs to. */
  function showLoadError(errors: readonly string[], places: readonly Diagnostic[], about: string): void {
    notGraded();
    summary.dataset.tone = 'fail';
    replace(
      summary,
      h('p', {}, h('strong', {}, 'Your code threw an error while it was loading, so no test could run.')),
      h('p', { class: 'ws-run-meta' }, about),
    );
    replace(
      problem,
      h(
        'div',
        { class: 'ws-callout', 'data-tone': 'fail' },
        errors.map((error) => h('pre', { tabindex: 0 }, error)),
        places.length > 0 &&
          h(
            'ul',
            { class: 'ws-diagnostics' },
            places.map((place) => h('li', {}, 'Thrown at ', placeButton(place))),
          ),
        h(
          'p',
          {},
          'Code at the top level of your file runs as soon as the grader imports it. Move work that can fail (connecting, reading settings) into the functions the tasks ask for.',
        ),
      ),
    );
  }

  function showCompileError(diagnostics: readonly Diagnostic[], message: string): void {
    notGraded();
    summary.dataset.tone = 'fail';
    replace(summary, h('p', {}, h('strong', {}, 'Your code does not compile, so no test ran.')));
    replace(
      problem,
      h(
        'div',
        { class: 'ws-callout', 'data-tone': 'fail' },
        diagnostics.length === 0
          ? h('pre', { tabindex: 0 }, message)
          : h(
              'ul',
              { class: 'ws-diagnostics' },
              diagnostics.map((diagnostic) =>
                h('li', {}, placeButton(diagnostic), `: ${diagnostic.message}`),
              ),
            ),
      ),
    );
  }

  function showMessage(tone: 'fail' | 'course', heading: string, message: string, advice: string): void {
    notGraded();
    summary.dataset.tone = tone;
    replace(summary, h('p', {}, h('strong', {}, heading)));
    replace(
      problem,
      h(
        'div',
        { class: 'ws-callout', 'data-tone': tone },
        h('pre', { tabindex: 0 }, message),
        h('p', {}, advice),
      ),
    );
  }

  // Near "Run tests" and above the task list: either may be the part in view.
  const staleNotes = [status, element].map((container) => {
    const note = h(
      'p',
      { class: 'ws-stale-note', hidden: true },
      'You changed your code since these results: they describe the code you ran before. Run the tests to check it again.',
    );
    container.insertBefore(note, container === element ? (listHeading.nextSibling as Node) : null);
    return note;
  });

  return {
    status,
    element,
    showSaved(passedTasks) {
      for (const { task } of taskItems)
        setTask(task.number, passedTasks.includes(task.number) ? 'pass' : 'not-run');
      summary.dataset.tone = 'idle';
      replace(
        summary,
        h(
          'p',
          {},
          passedTasks.length > 0
            ? `${passedTasks.length} of ${manifest.tasks.length} tasks passed in your last run. Run the tests to check your code again.`
            : 'Run the tests to see which tasks your code passes.',
        ),
      );
    },
    showRunning(runner, stop) {
      summary.dataset.tone = 'idle';
      const stopButton = h('button', { type: 'button', class: 'ws-button ws-button-quiet ws-stop' }, 'Stop');
      stopButton.addEventListener('click', () => {
        stopButton.setAttribute('aria-disabled', 'true');
        stop();
      });
      replace(
        summary,
        h(
          'p',
          { class: 'ws-running' },
          runner
            ? `Running the tests in the ${runnerLabels[runner]}…`
            : 'Running the tests as soon as the test runner has started…',
          ' ',
          stopButton,
        ),
      );
    },
    showResult({ outcome, runner, elapsedMs, waitedMs = 0, typeErrors = [] }) {
      // A wait too short to notice is not worth a word.
      const waited = waitedMs >= 50 ? ` (waited ${(waitedMs / 1000).toFixed(1)} s for the runner)` : '';
      const about = `Graded in ${(elapsedMs / 1000).toFixed(2)} s${waited} by the ${runnerLabels[runner]}.`;
      switch (outcome.kind) {
        case 'graded':
          return showGraded(outcome, `${about} Seed ${outcome.report.seed}.`, typeErrors);
        case 'compile-error':
          return showCompileError(outcome.diagnostics, outcome.message);
        case 'stopped':
          if (outcome.reason === 'learner') {
            return showMessage(
              'fail',
              'You stopped the run.',
              outcome.message,
              'No task is graded from a stopped run. Run the tests again when you are ready.',
            );
          }
          return showMessage(
            'fail',
            outcome.test
              ? `Your code was stopped before the tests finished, while the grader ran ${describeRunningTest(outcome.test)}.`
              : 'Your code was stopped before the tests finished.',
            outcome.message,
            'No task is graded from a stopped run. Fix the loop, then run the tests again.',
          );
        case 'runner-error':
          return showMessage(
            'course',
            'The test runner failed. This is a problem with the course, not with your code.',
            outcome.message,
            'Run the tests again. If it keeps happening, choose the other runner above or reload the page, and please report it.',
          );
      }
    },
    setStale(stale) {
      for (const note of staleNotes) note.hidden = !stale;
    },
    setHintsRevealed(task, count) {
      ladders.get(task)?.setRevealed(count);
    },
  };
}
