import { transform } from 'sucrase';
import type { Diagnostic } from './runner.ts';

/**
 * Checks that the learner's files compile before anything runs, with the same
 * transpiler the in-page module graph uses, so both runners report a syntax
 * error identically: a message with line and column, and no test run at all.
 */
export function compileDiagnostics(files: Record<string, string>): Diagnostic[] {
  return Object.entries(files).flatMap(([file, source]) => {
    try {
      transform(source, { transforms: ['typescript', 'imports'], filePath: file });
      return [];
    } catch (error) {
      const { message, loc } = error as Error & { loc?: { line: number; column: number } };
      // sucrase counts lines and columns from 1, and wraps its message in the file name and "(line:column)".
      return [
        {
          file,
          line: loc?.line ?? 1,
          column: loc?.column ?? 1,
          message: message.replace(/^Error transforming .*?: /, '').replace(/\s*\(\d+:\d+\)$/, ''),
        },
      ];
    }
  });
}

export function compileErrorMessage(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n');
}
