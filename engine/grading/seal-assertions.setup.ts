// vitest setup file of every grader project: runs in each test worker before the grader loads.
import { chai, expect } from 'vitest';
import { sealAssertions } from './seal-assertions.ts';

sealAssertions(expect, chai);
const global = (globalThis as Record<symbol, object | undefined>)[Symbol.for('expect-global')];
if (global) sealAssertions(global, chai);
