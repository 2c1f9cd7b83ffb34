import { taskOutcomes } from '../../engine/grading/results.ts';
import { bundledCourseFiles } from '../../engine/runtime/bundled-course-files.ts';
import { readAll } from '../../engine/runtime/course-files.ts';
import type { GradeOutcome } from '../../engine/runtime/runner.ts';
import { browserStore } from '../../engine/runtime/storage/backend.ts';
import { MAX_IMPORT_CHARS, ProgressStore } from '../../engine/runtime/storage.ts';
import { createClassroomPanel } from '../classroom/learner.ts';
import { progressChangedEvent } from '../lib/progress.ts';
import { adoptStyle } from './adopt-style.ts';
import { createAutosave } from './autosave.ts';
import { download, h } from './dom.ts';
import type { CodeEditor } from './editor/code-editor.ts';
import { type ExerciseBundle, type ExerciseFiles, loadExercise } from './exercise-bundle.ts';
import { createRunnerSession } from './runner-session.ts';
import { followOtherTabs } from './storage-sync.ts';
import { exposeTestHandle } from './test-hook.ts';
import { createCodeActions } from './views/code-actions.ts';
import { createProgressFile } from './views/progress-file.ts';
import { createRunnerBar } from './views/runner-bar.ts';
import { openSolutionDialog } from './views/solution-dialog.ts';
import { createSplitView } from './views/split-view.ts';
import { createOtherTabNotice, createStorageNotice } from './views/storage-notice.ts';
import { createTaskResults } from './views/task-results.ts';
import css from './workspace.css?inline';

/**
 * The exercise workspace on a lesson page, opened on request (boot.ts). It
 * wires the runtime to the views: the learner's code comes from the progress
 * store (or the starter) into the editor, every edit is autosaved, "Run tests"
 * grades through the chosen runner, and results, hints and completion are
 * recorded in the store. The editor (Monaco) loads last, so the rest of the
 * workspace is usable while it arrives.
 */

adoptStyle(css);

/** What the store holds for each editable file, or the starter where it holds nothing. */
function savedCode(store: ProgressStore, bundle: ExerciseBundle): ExerciseFiles {
  return codeIn(store.exercise(bundle.manifest.id).files, bundle);
}

function codeIn(saved: Record<string, string>, { manifest, starter }: ExerciseBundle): ExerciseFiles {
  return Object.fromEntries(
    manifest.files.editable.map((file) => [file, saved[file] ?? starter[file] ?? '']),
  );
}

const sameCode = (a: ExerciseFiles, b: ExerciseFiles) =>
  Object.keys({ ...a, ...b }).every((file) => a[file] === b[file]);

export async function openWorkspace(
  root: HTMLElement,
  exerciseId: string,
  focusEditor: boolean,
): Promise<void> {
  const store = ProgressStore.open(browserStore());
  let editor: CodeEditor | undefined;
  /** The learner's code: the editor's once it is there, else what was saved (or the starter). */
  const codeOf = (bundle: ExerciseBundle): ExerciseFiles => editor?.files() ?? savedCode(store, bundle);

  // The runner is chosen while the rest loads: a WebContainer's boot budget runs meanwhile.
  const runnerBar = createRunnerBar(run, (preference) => {
    store.setRunnerPreference(preference);
    session.setPreference(preference);
  });
  const loading = loadExercise(exerciseId);
  const session = createRunnerSession(
    store.preferences().runner,
    async () => {
      const loaded = await loading;
      // The course's code, never the learner's: the Worker runner rehearses with the solution to warm up.
      // Without it (a chunk that failed to load) the Worker only loads, and the first run is slower.
      const rehearsal = await loaded.solution().catch(() => undefined);
      return { manifest: loaded.manifest, files: loaded.starter, ...(rehearsal && { rehearsal }) };
    },
    (state) => runnerBar.showState(state),
  );
  runnerBar.showState(session.state());
  const bundle = await loading;
  const { manifest } = bundle;
  const currentFiles = () => codeOf(bundle);

  const storageNotice = createStorageNotice();
  for (const failure of store.loadFailures) storageNotice.show(failure);
  store.onFailure((failure) => storageNotice.show(failure));
  const announceProgress = () => window.dispatchEvent(new Event(progressChangedEvent));
  const otherTabNotice = createOtherTabNotice();
  // Shown only where a classroom server serves the site: each run's results then go to the class.
  const classroom = createClassroomPanel({
    exercise: manifest,
    code: currentFiles,
    passedTasks: () => store.exercise(manifest.id).passedTasks,
  });

  /** The code the results on screen describe; undefined when that is not known (none yet, or saved before it was kept). */
  let resultsCode: ExerciseFiles | undefined;
  const savedResultsCode = () => {
    const { gradedFiles, passedTasks } = store.exercise(manifest.id);
    return gradedFiles && passedTasks.length > 0 ? codeIn(gradedFiles, bundle) : undefined;
  };
  /** Results of other code are shown as out of date, and no longer complete the lesson. */
  const codeChanged = () => {
    results.setStale(resultsCode !== undefined && !sameCode(resultsCode, currentFiles()));
  };

  let running = false;
  async function run(): Promise<void> {
    if (running) return;
    running = true;
    autosave.flush();
    runnerBar.setRunning(true);
    results.showRunning(session.state().active, () => session.stop());
    performance.mark('workspace:run-start');
    const started = performance.now();
    const graded = currentFiles();
    const { outcome, runner, waitedMs } = await session
      .grade({ manifest, files: graded })
      .catch((error: unknown) => ({
        outcome: { kind: 'runner-error', message: String(error) } as const,
        runner: session.state().active ?? 'worker',
        waitedMs: 0,
      }));
    // Grading time apart from the wait for a runner (a WebContainer booting): each is reported on its own.
    const elapsedMs = performance.now() - started - waitedMs;
    // For the benchmark (tests/bench/site.ts): grading alone, then grading and showing the results.
    performance.measure('workspace:grade', 'workspace:run-start');
    // TypeScript's own errors in the code that ran: the likely cause when tests fail.
    const typeErrors =
      editor && sameCode(graded, currentFiles())
        ? editor.errorMarkers().filter((marker) => marker.owner === 'typescript')
        : [];
    results.showResult({ outcome, runner, elapsedMs, waitedMs, typeErrors });
    editor?.markErrors(
      outcome.kind === 'graded' || outcome.kind === 'compile-error' ? outcome.diagnostics : [],
    );
    resultsCode = graded;
    codeChanged();
    record(outcome, graded);
    classroom.ran(outcome);
    performance.measure('workspace:run', 'workspace:run-start');
    runnerBar.setRunning(false);
    running = false;
  }

  function record(outcome: GradeOutcome, graded: ExerciseFiles): void {
    if (outcome.kind !== 'graded') return;
    const passed = taskOutcomes(outcome.report, manifest.tasks)
      .filter((task) => task.status === 'pass')
      .map((task) => task.number);
    store.recordRun(manifest, passed, graded);
    // Typed during the run: the lesson is complete only if the code now is the code that passed.
    store.syncLessonCompletion(manifest, currentFiles());
    announceProgress();
  }

  const results = createTaskResults({
    manifest,
    hintsRevealed: (task) => store.exercise(manifest.id).hintsRevealed[task] ?? 0,
    revealHint(task) {
      store.revealHint(manifest.id, task);
      results.setHintsRevealed(task, store.exercise(manifest.id).hintsRevealed[task] ?? 0);
    },
    goTo: (diagnostic) => editor?.reveal(diagnostic.file, diagnostic.line, diagnostic.column),
  });
  results.showSaved(store.exercise(manifest.id).passedTasks);
  resultsCode = savedResultsCode();

  const autosave = createAutosave(() => {
    const files = currentFiles();
    store.saveCode(manifest.id, files);
    if (store.syncLessonCompletion(manifest, files)) announceProgress();
  });
  session.onOutput((chunk) => runnerBar.appendOutput(chunk));

  const showStoredProgress = () => {
    for (const task of manifest.tasks) {
      results.setHintsRevealed(task.number, store.exercise(manifest.id).hintsRevealed[task.number] ?? 0);
    }
    // A run under way answers for itself: another tab's saved results must not replace its "Running…".
    if (!running) results.showSaved(store.exercise(manifest.id).passedTasks);
    resultsCode = savedResultsCode();
    codeChanged();
  };
  /** After an import or a restore replaced everything: show what is stored now. */
  const replaced = (outcome: ReturnType<ProgressStore['importJson']>) => {
    if (!outcome.ok) return outcome.error;
    editor?.replaceFiles(savedCode(store, bundle));
    showStoredProgress();
    session.setPreference(store.preferences().runner);
    announceProgress();
    return undefined;
  };
  const progressFile = createProgressFile({
    exportJson: () => {
      autosave.flush();
      return store.exportJson();
    },
    importJson: (text) => replaced(store.importJson(text)),
    backup: () => store.backup(),
    restoreBackup: () => replaced(store.restoreBackup()),
    maxBytes: MAX_IMPORT_CHARS,
  });
  followOtherTabs({
    store,
    exercise: manifest.id,
    notice: otherTabNotice,
    filesOf: (state) => codeIn(state.files, bundle),
    editorFiles: () => editor?.files(),
    replaceEditorFiles: (files) => editor?.replaceFiles(files),
    showProgress: showStoredProgress,
    lessonsChanged: announceProgress,
  });

  const editorHost = h(
    'div',
    { class: 'ws-editor-host', tabindex: -1 },
    h('p', { class: 'ws-loading' }, 'Loading the editor…'),
  );
  const codeActionsSlot = h('div');
  const split = createSplitView(root, manifest.title);
  root.dataset.open = '';
  root.before(split.reopen);
  root.replaceChildren(
    split.divider,
    split.head,
    storageNotice.element,
    otherTabNotice.element,
    classroom.element,
    runnerBar.element,
    results.status,
    editorHost,
    h(
      'p',
      { class: 'ws-keys' },
      h('kbd', {}, 'Ctrl'),
      '+',
      h('kbd', {}, 'Enter'),
      ' runs the tests. In the editor, Tab indents: press ',
      h('kbd', {}, 'Ctrl'),
      '+',
      h('kbd', {}, 'M'),
      ' (on a Mac ',
      h('kbd', {}, 'Ctrl'),
      '+',
      h('kbd', {}, 'Shift'),
      '+',
      h('kbd', {}, 'M'),
      ') first to let Tab move to the next control.',
    ),
    codeActionsSlot,
    results.element,
    h('p', { class: 'ws-saving' }, 'Your code and progress are saved in this browser as you work.'),
    progressFile,
  );
  if (focusEditor) editorHost.focus();

  const readOnly = await readAll(bundledCourseFiles, [manifest.files.grader, ...manifest.files.readOnly]);
  const { createCodeEditor } = await import('./editor/code-editor.ts');
  const loaded = createCodeEditor(editorHost, {
    exerciseId: manifest.id,
    editable: savedCode(store, bundle),
    readOnly,
    onRunShortcut: () => void run(),
  });
  editor = loaded;

  const codeActions = createCodeActions({
    files: () => loaded.files(),
    replace: (files) => loaded.replaceFiles(files),
    starter: codeIn({}, bundle),
    showSolution: (useSolution) =>
      openSolutionDialog({
        learnerFiles: () => loaded.files(),
        loadSolution: () => bundle.solution(),
        useSolution,
      }),
    async download() {
      // The zip's code (fflate, the project layout) is only needed by those who download.
      const [{ exerciseProject }, { projectZip, zipFolderName }] = await Promise.all([
        import('../../engine/runtime/exercise-project.ts'),
        import('../../engine/runtime/zip.ts'),
      ]);
      const tree = await exerciseProject({ manifest, files: loaded.files() }, bundledCourseFiles);
      const folder = zipFolderName(manifest.id);
      download(`${folder}.zip`, projectZip(tree, folder), 'application/zip');
    },
  });
  codeActionsSlot.replaceWith(codeActions.element);
  loaded.onDidChange(() => {
    autosave.changed();
    codeActions.edited();
    codeChanged();
  });
  codeChanged();
  exposeTestHandle({
    exercise: manifest.id,
    code: () => loaded.files(),
    setCode: (file, text) => loaded.replaceFiles({ ...loaded.files(), [file]: text }),
    errorMarkers: () => loaded.errorMarkers(),
  });
  performance.mark('workspace:editor-ready');
  root.dataset.editorReady = '';
  if (focusEditor) loaded.focus();
}
