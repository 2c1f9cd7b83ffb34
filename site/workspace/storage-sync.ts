import type { ExerciseState } from '../../engine/runtime/storage/schema.ts';
import type { ProgressStore } from '../../engine/runtime/storage.ts';
import type { ExerciseFiles } from './exercise-bundle.ts';
import type { OtherTabNotice } from './views/storage-notice.ts';

/**
 * Keeps an open workspace in step with the course open in other tabs. The store takes in what
 * another tab saved (the browser's `storage` event, or the re-read before each write) and this
 * shows it: task results and hints at once; the other tab's code in the editor when nothing was
 * typed here since the last save, and otherwise a notice that offers it, since this tab's typing is
 * saved over it. Nothing changes under the learner without a word.
 */

export interface FollowOtherTabsOptions {
  store: ProgressStore;
  exercise: string;
  notice: OtherTabNotice;
  /** Every editable file as the editor would show a stored state (the starter where it holds none). */
  filesOf(state: ExerciseState): ExerciseFiles;
  /** The editor's code, or undefined while the editor is still loading (it then opens on the store's code). */
  editorFiles(): ExerciseFiles | undefined;
  replaceEditorFiles(files: ExerciseFiles): void;
  /** Shows the stored task results and hints again. */
  showProgress(): void;
  /** Lessons completed elsewhere: refresh the course outline's ticks. */
  lessonsChanged(): void;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function followOtherTabs(options: FollowOtherTabsOptions): () => void {
  return options.store.onExternalChange((change) => {
    if (change.lessons) options.lessonsChanged();
    const exercise = change.exercises[options.exercise];
    if (!exercise) return;
    options.showProgress();
    const before = options.filesOf(exercise.before);
    const after = options.filesOf(exercise.after);
    const editor = options.editorFiles();
    if (same(before, after) || editor === undefined || same(editor, after)) {
      if (!same(exercise.before, exercise.after)) {
        options.notice.show(
          'This exercise was changed in another tab (task results or hints): this tab shows it now.',
        );
      }
      return;
    }
    if (same(editor, before)) {
      options.replaceEditorFiles(after);
      options.notice.show(
        'Another tab changed the code of this exercise: this tab now shows it. Ctrl+Z in the editor takes it back.',
      );
      return;
    }
    options.notice.show(
      'Another tab saved different code for this exercise while you were editing here. The code in this tab is kept and saved over it.',
      { label: "Load the other tab's code", run: () => options.replaceEditorFiles(after) },
    );
  });
}
