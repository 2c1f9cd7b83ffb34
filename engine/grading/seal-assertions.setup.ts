// vitest setup file of every grader project: runs in each test thread before the grader loads.
import { chai, expect } from 'vitest';
import { sealAssertions } from './seal-assertions.ts';

sealAssertions(expect, chai);
const global = (globalThis as Record<symbol, object | undefined>)[Symbol.for('expect-global')];
if (global) sealAssertions(global, chai);

// Code under test may import only its contract (learner-imports.ts). process.getBuiltinModule reaches
// Node's modules without an import (fs, to rewrite a grader or a results file); graders and their
// packages never use it. (process.binding stays: ioredis-mock's Lua engine needs it as it loads.)
Object.defineProperty(process, 'getBuiltinModule', {
  value: undefined,
  configurable: false,
  writable: false,
});
