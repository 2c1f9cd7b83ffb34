import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { withRememberedParses } from '../../engine/grading/in-page/remembered-parses.ts';

/** A grader that parses one statement through the package, and checks what it got. */
const GRADER = `import { describe, it, expect } from 'vitest';
import { parse } from 'pgsql-ast-parser';
describe('task 1: parse', () => {
  it('parses', () => {
    const statements = parse('SELECT 1');
    expect(statements).toEqual([{ type: 'select', text: 'SELECT 1' }]);
    expect(Object.isFrozen(statements[0])).toBe(true);
  });
});`;

// gradeInPage runs @vitest/runner, which cannot nest inside vitest: it grades twice in a child process.
const TWO_RUNS = `
import { gradeInPage } from './engine/grading/in-page/run-grader.ts';
let parses = 0;
const parser = { parse: (text) => { parses++; return [{ type: 'select', text }]; } };
const results = [];
for (let run = 0; run < 2; run++) {
  const report = await gradeInPage({
    exercise: 'parsing', seed: 1, grader: 'tests/parsing/parsing.test.ts',
    sources: { 'tests/parsing/parsing.test.ts': ${JSON.stringify(GRADER)} },
    hostModules: { 'pgsql-ast-parser': parser },
  });
  results.push({ errors: report.errors, tests: report.tests.map((test) => [test.status, test.message ?? null]) });
}
console.log(JSON.stringify({ parses, results }));
`;

describe('pgsql-ast-parser in the in-page runner', () => {
  it('parses a text once for the life of the realm, run after run, and hands out frozen statements', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', TWO_RUNS], {
      cwd: `${import.meta.dirname}/../..`,
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    const outcome = JSON.parse(child.stdout) as { parses: number; results: unknown[] };
    const passed = { errors: [], tests: [['pass', null]] };
    expect(outcome).toEqual({ parses: 1, results: [passed, passed] });
  });

  it('passes calls with options through, and leaves host modules without the package as they are', () => {
    const calls: unknown[][] = [];
    const parser = { parse: (...args: unknown[]) => calls.push(args) };
    const modules = withRememberedParses({ 'pgsql-ast-parser': parser });
    const { parse } = modules['pgsql-ast-parser'] as { parse: (...args: unknown[]) => unknown };
    parse('SELECT 1', { entry: 'expr' });
    parse('SELECT 1', { entry: 'expr' });
    expect(calls).toHaveLength(2);
    expect(withRememberedParses(modules)['pgsql-ast-parser']).not.toBe(parser);
    const others = { 'pg-mem': {} };
    expect(withRememberedParses(others)).toBe(others);
  });
});
