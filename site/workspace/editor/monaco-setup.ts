import * as monaco from 'monaco-editor/editor';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import 'monaco-editor/features/register.all';
import { conf, language } from 'monaco-editor/languages/definitions/typescript/typescript';
import 'monaco-editor/languages/definitions/typescript/register';
import {
  ModuleKind,
  ModuleResolutionKind,
  type ScriptTarget,
  typescriptDefaults,
} from 'monaco-editor/languages/features/typescript/register';
import TypeScriptWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';
import { compilerOptions as courseOptions } from '../../../tsconfig.json';
import { packageTypePaths, typeLibraries } from './type-libraries.ts';

/**
 * Monaco, configured once per page: its workers bundled by Vite, TypeScript
 * checking the learner's files as strictly as the course's tsconfig.json,
 * with the real declarations of the packages and the read-only course files
 * they import, and a colour-only language for showing read-only files.
 */

export type Monaco = typeof monaco;

/** Read-only course files: highlighted like TypeScript, never type-checked (their imports are the grader's business). */
export const READ_ONLY_LANGUAGE = 'typescript-read-only';

self.MonacoEnvironment = {
  getWorker: (_id, label) => (label === 'typescript' ? new TypeScriptWorker() : new EditorWorker()),
};

// TypeScript's own value for ES2022, the course's target: Monaco's ScriptTarget enum stops at ES2020.
const ES2022 = 9 as ScriptTarget;

typescriptDefaults.setCompilerOptions({
  target: ES2022,
  module: ModuleKind.ESNext,
  // Node-style resolution honours `paths`, which is how packages and @grader/... resolve here.
  moduleResolution: ModuleResolutionKind.NodeJs,
  // File names, as Monaco's worker holds them (tsconfig.json's short names are a tsc command-line convenience).
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  strict: courseOptions.strict,
  noUncheckedIndexedAccess: courseOptions.noUncheckedIndexedAccess,
  noImplicitOverride: courseOptions.noImplicitOverride,
  exactOptionalPropertyTypes: courseOptions.exactOptionalPropertyTypes,
  verbatimModuleSyntax: courseOptions.verbatimModuleSyntax,
  isolatedModules: courseOptions.isolatedModules,
  allowImportingTsExtensions: courseOptions.allowImportingTsExtensions,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  baseUrl: 'file:///',
  paths: { ...courseOptions.paths, ...packageTypePaths },
});
typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false });
typescriptDefaults.setExtraLibs(typeLibraries);

monaco.languages.register({ id: READ_ONLY_LANGUAGE });
monaco.languages.setMonarchTokensProvider(READ_ONLY_LANGUAGE, language);
monaco.languages.setLanguageConfiguration(READ_ONLY_LANGUAGE, conf);

/** Makes read-only course files known to the TypeScript worker, so `@grader/...` imports resolve. */
export function addCourseDeclarations(files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    typescriptDefaults.addExtraLib(content, `file:///${path}`);
  }
}

// Monaco's dark theme draws comments and regular expressions below WCAG AA contrast (4.2:1): brighten them.
const DARK_THEME = 'request-journey-dark';
monaco.editor.defineTheme(DARK_THEME, {
  base: 'vs-dark',
  inherit: true,
  rules: [
    { token: 'comment', foreground: '6A9955' },
    { token: 'regexp', foreground: 'D16969' },
  ],
  colors: {},
});

/** Follows the site's theme: an explicit choice on <html data-theme>, else the system setting. */
function followSiteTheme(): void {
  const prefersDark = matchMedia('(prefers-color-scheme: dark)');
  const apply = () => {
    const chosen = document.documentElement.dataset.theme;
    const dark = chosen ? chosen === 'dark' : prefersDark.matches;
    monaco.editor.setTheme(dark ? DARK_THEME : 'vs');
  };
  apply();
  prefersDark.addEventListener('change', apply);
  new MutationObserver(apply).observe(document.documentElement, { attributeFilter: ['data-theme'] });
}
followSiteTheme();

export { monaco };
