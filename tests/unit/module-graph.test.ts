import { describe, expect, it } from 'vitest';
import { CompileError, createModuleGraph } from '../../engine/grading/in-page/module-graph.ts';

describe('the in-page module graph', () => {
  it('resolves relative, @exercise and @grader imports and host packages', () => {
    const graph = createModuleGraph({
      sources: {
        'tests/lb/lb.test.ts': `import { pick } from '@exercise/lb/picker';
          import { servers } from './harness';
          import shout from 'shout';
          export const picked = shout(pick(servers));`,
        'tests/lb/harness.ts': `export const servers: string[] = ['a', 'b'];`,
        'exercises/lb/picker.ts': `import type { Upstream } from '@grader/lb/harness';
          export function pick(list: string[]): string { return list[1] as string; }`,
      },
      hostModules: { shout: { default: (text: string) => text.toUpperCase() } },
    });
    expect(graph.load('tests/lb/lb.test.ts')).toMatchObject({ picked: 'B' });
  });

  it('reports a syntax error with its file, line and column', () => {
    const graph = createModuleGraph({
      sources: { 'exercises/x/code.ts': 'export const a = 1;\nexport const b = (;\n' },
      hostModules: {},
    });
    let error: unknown;
    try {
      graph.load('exercises/x/code.ts');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CompileError);
    expect(error).toMatchObject({ file: 'exercises/x/code.ts', line: 2, column: 19 });
    expect((error as CompileError).message).toMatch(/^exercises\/x\/code\.ts:2:19: /);
  });

  it('names the importer when a package is not available', () => {
    const graph = createModuleGraph({ sources: { 'a.ts': `import 'left-pad';` }, hostModules: {} });
    expect(() => graph.load('a.ts')).toThrowError('a.ts imports "left-pad", which is not available here');
  });

  it('runs course files transpiled ahead of time as they are, beside TypeScript it transpiles', () => {
    const graph = createModuleGraph({
      sources: {
        'exercises/lb/picker.ts': `export const pick = (list: string[]): string => list[0] as string;`,
      },
      // What the build makes of the grader: CommonJS, never transpiled again (TypeScript syntax would not run).
      compiled: {
        'tests/lb/lb.test.ts': `"use strict"; const { pick } = require('@exercise/lb/picker'); exports.picked = pick(['a', 'b']);`,
      },
      hostModules: {},
    });
    expect(graph.load('tests/lb/lb.test.ts')).toMatchObject({ picked: 'a' });
    expect(() => graph.load('tests/lb/missing.ts')).toThrowError('cannot find module "tests/lb/missing.ts"');
  });
});
