import { describe, expect, it } from 'vitest';
import { parseGradingArguments } from '../../engine/cli/run-grading.ts';
import { runScript } from './run-script.ts';

const usage = 'USAGE: npm run grade -- [exercise...] [--seed N] [--watch]';
const known = ['cache-aside', 'load-balancer'];
const parse = (args: string[], watch = true) =>
  parseGradingArguments(args, usage, { watch, unfinishedOk: watch, known });

describe('the grading command line', () => {
  it('reads exercises, --seed and --watch', () => {
    expect(parse([])).toEqual({ exercises: known, watch: false, seed: undefined, unfinishedOk: false });
    expect(parse(['load-balancer', '--seed', '42', '-w', '--unfinished-ok'])).toEqual({
      exercises: ['load-balancer'],
      watch: true,
      seed: '42',
      unfinishedOk: true,
    });
    expect(parse(['--help'])).toEqual({ exitCode: 0, print: usage });
  });

  it('answers anything it does not know with a one-line reason and the usage, exit code 2', () => {
    expect(parse(['--bogus'])).toEqual({ exitCode: 2, print: `Unknown option --bogus.\n\n${usage}` });
    expect(parse(['--watch'], false)).toEqual({
      exitCode: 2,
      print: `--watch is not available here.\n\n${usage}`,
    });
    expect(parse(['--unfinished-ok'], false)).toEqual({
      exitCode: 2,
      print: `--unfinished-ok is not available here.\n\n${usage}`,
    });
    expect(parse(['--seed'])).toMatchObject({ exitCode: 2, print: expect.stringContaining(usage) });
    expect(parse(['--seed', 'abc'])).toMatchObject({
      exitCode: 2,
      print: expect.stringMatching(/--seed takes/),
    });
    expect(parse(['cache-asid'])).toMatchObject({
      exitCode: 2,
      print: 'No exercise called cache-asid. The exercises are: cache-aside, load-balancer.',
    });
  });

  it('npm run grade -- --bogus prints the usage and exits 2, with no stack trace', () => {
    const run = runScript('engine/cli/grade.ts', ['--bogus']);
    expect(run.stderr).toContain('Unknown option --bogus.');
    expect(run.stderr).toContain('npm run grade -- --seed 1234');
    expect(run.stderr).toContain('RJ_REDIS_URL');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.status).toBe(2);
  }, 60_000);
});
