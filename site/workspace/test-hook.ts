/**
 * A deliberate handle on the open workspace for the end-to-end tests and the
 * benchmark (tests/e2e/workspace.test.ts, tests/bench/site.ts). Typing a whole
 * solution into Monaco key by key is slow and fights its auto-closing brackets
 * and indentation, so tests replace the code through here instead: exactly an
 * edit as far as the workspace is concerned (autosave, markers and the
 * editor's own Undo all see it). It exposes nothing a learner's console could
 * not already do by editing.
 */

import type { Diagnostic } from '../../engine/runtime/runner.ts';

export interface WorkspaceTestHandle {
  exercise: string;
  /** The learner's code by editable file name. */
  code(): Record<string, string>;
  /** Replaces one editable file's code, as an edit in the editor would. */
  setCode(file: string, text: string): void;
  /** Error markers in the editor: owner "typescript" (type checking) or "grader" (a run's compile error). */
  errorMarkers(): Array<Diagnostic & { owner: string }>;
}

declare global {
  interface Window {
    requestJourneyWorkspace?: WorkspaceTestHandle;
  }
}

export function exposeTestHandle(handle: WorkspaceTestHandle): void {
  window.requestJourneyWorkspace = handle;
}
