import type { Diagnostic } from '../../../engine/runtime/runner.ts';
import { h, uniqueId } from '../dom.ts';
import { createFileTabs, type FileTab } from './file-tabs.ts';
import { addCourseDeclarations, monaco, READ_ONLY_LANGUAGE } from './monaco-setup.ts';

/**
 * The workspace's code editor: Monaco with one tab per file. The learner's
 * files are editable TypeScript, checked as they type; the grader, harness and
 * support files are read-only. What the workspace needs from it is here: the
 * code, replacing it (undoably), hearing about edits, and marking errors.
 */

export interface CodeEditorOptions {
  exerciseId: string;
  /** Editable file name -> the learner's current code. */
  editable: Record<string, string>;
  /** Course-relative path -> contents: the grader first, then harness and support files. */
  readOnly: Record<string, string>;
  /** Ctrl/Cmd+Enter in the editor. */
  onRunShortcut(): void;
}

export interface CodeEditor {
  /** The learner's code, by editable file name. */
  files(): Record<string, string>;
  /** Replaces the learner's code; Ctrl+Z in the editor takes it back. */
  replaceFiles(files: Record<string, string>): void;
  onDidChange(listener: () => void): void;
  /** Marks the places a run reported (compile errors); cleared once that file is edited. */
  markErrors(diagnostics: readonly Diagnostic[]): void;
  /** Every error marker on the learner's files: TypeScript's own and those from runs. */
  errorMarkers(): Array<Diagnostic & { owner: string }>;
  /** Shows a file at a line and column and puts the cursor there. */
  reveal(file: string, line: number, column: number): void;
  focus(): void;
}

const GRADER_MARKERS = 'grader';
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export function createCodeEditor(host: HTMLElement, options: CodeEditorOptions): CodeEditor {
  const learnerPath = (file: string) => `exercises/${options.exerciseId}/${file}`;
  addCourseDeclarations(options.readOnly);

  const models = new Map<string, monaco.editor.ITextModel>();
  // Models live at the paths the course uses, so imports between them resolve as on disk.
  const addModel = (path: string, content: string, language: string) =>
    models.set(path, monaco.editor.createModel(content, language, monaco.Uri.parse(`file:///${path}`)));
  for (const [file, content] of Object.entries(options.editable)) {
    addModel(learnerPath(file), content, 'typescript');
  }
  for (const [path, content] of Object.entries(options.readOnly)) {
    addModel(path, content, READ_ONLY_LANGUAGE);
  }

  const tabs: FileTab[] = [
    ...Object.keys(options.editable).map((file) => ({
      path: learnerPath(file),
      label: file,
      readOnly: false,
    })),
    ...Object.keys(options.readOnly).map((path) => ({ path, label: baseName(path), readOnly: true })),
  ];
  const panelId = uniqueId('ws-editor');
  const fileTabs = createFileTabs(tabs, panelId, (path) => show(path));
  const surface = h('div', { class: 'ws-editor-surface' });
  const panel = h('div', { role: 'tabpanel', id: panelId, class: 'ws-editor' }, surface);
  host.replaceChildren(fileTabs.element, panel);

  const editor = monaco.editor.create(surface, {
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    fontSize: 14,
    tabSize: 2,
    fixedOverflowWidgets: true,
    readOnlyMessage: { value: 'This file is read-only: the course always grades with its own copy.' },
  });
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, options.onRunShortcut);
  const viewStates = new Map<string, monaco.editor.ICodeEditorViewState | null>();

  function show(path: string): void {
    const model = models.get(path);
    if (!model) return;
    const current = editor.getModel();
    if (current === model) return;
    if (current) viewStates.set(current.uri.path.slice(1), editor.saveViewState());
    const readOnly = model.getLanguageId() === READ_ONLY_LANGUAGE;
    editor.setModel(model);
    editor.updateOptions({
      readOnly,
      // Where focus lands when the editor opens, so the way out of Tab-indents is in its name.
      ariaLabel: `${baseName(path)}, ${readOnly ? 'read-only course file' : 'your code'}. Ctrl+Enter runs the tests. Tab indents: press Ctrl+M (Ctrl+Shift+M on a Mac) to make Tab move to the next control.`,
    });
    const state = viewStates.get(path);
    if (state) editor.restoreViewState(state);
    fileTabs.select(path);
  }
  const [firstTab] = tabs;
  if (firstTab) show(firstTab.path);

  const editableModels = () =>
    Object.keys(options.editable).map((file) => [file, models.get(learnerPath(file))] as const);

  for (const [, model] of editableModels()) {
    model?.onDidChangeContent(() => monaco.editor.setModelMarkers(model, GRADER_MARKERS, []));
  }

  return {
    files: () => Object.fromEntries(editableModels().map(([file, model]) => [file, model?.getValue() ?? ''])),
    replaceFiles(files) {
      for (const [file, model] of editableModels()) {
        const text = files[file];
        if (!model || text === undefined || text === model.getValue()) continue;
        model.pushStackElement();
        model.pushEditOperations([], [{ range: model.getFullModelRange(), text }], () => null);
        model.pushStackElement();
      }
    },
    onDidChange(listener) {
      for (const [, model] of editableModels()) model?.onDidChangeContent(() => listener());
    },
    markErrors(diagnostics) {
      for (const [file, model] of editableModels()) {
        if (!model) continue;
        const markers = diagnostics
          .filter((diagnostic) => diagnostic.file === file)
          .map((diagnostic) => ({
            severity: monaco.MarkerSeverity.Error,
            message: diagnostic.message,
            startLineNumber: diagnostic.line,
            startColumn: diagnostic.column,
            endLineNumber: diagnostic.line,
            endColumn: model.getLineMaxColumn(Math.min(diagnostic.line, model.getLineCount())),
          }));
        monaco.editor.setModelMarkers(model, GRADER_MARKERS, markers);
      }
    },
    errorMarkers() {
      return editableModels().flatMap(([file, model]) =>
        model
          ? monaco.editor
              .getModelMarkers({ resource: model.uri })
              .filter((marker) => marker.severity === monaco.MarkerSeverity.Error)
              .map((marker) => ({
                file,
                owner: marker.owner,
                line: marker.startLineNumber,
                column: marker.startColumn,
                message: marker.message,
              }))
          : [],
      );
    },
    reveal(file, line, column) {
      show(learnerPath(file));
      editor.setPosition({ lineNumber: line, column });
      editor.revealLineInCenter(line);
      editor.focus();
    },
    focus: () => editor.focus(),
  };
}
