// Monaco ships no declarations for its TypeScript grammar module; the workspace
// reuses that grammar to highlight read-only files.
declare module 'monaco-editor/languages/definitions/typescript/typescript' {
  import type { languages } from 'monaco-editor/editor';
  export const conf: languages.LanguageConfiguration;
  export const language: languages.IMonarchLanguage;
}
