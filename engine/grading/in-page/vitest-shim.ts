import {
  ASYMMETRIC_MATCHERS_OBJECT,
  ChaiStyleAssertions,
  chai,
  type ExpectStatic,
  GLOBAL_EXPECT,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  it,
  onTestFailed,
  onTestFinished,
  suite,
  test,
} from '@vitest/runner';
import { sealAssertions } from '../seal-assertions.ts';

/**
 * What graders import as 'vitest' when they run outside vitest (the in-page
 * Worker runner): the same @vitest/runner collectors and @vitest/expect
 * assertions vitest itself is built from, so messages and diffs match.
 */

let pluginsInstalled = false;

function createExpect(): ExpectStatic {
  if (!pluginsInstalled) {
    chai.use(JestExtend);
    chai.use(JestChaiExpect);
    chai.use(ChaiStyleAssertions);
    chai.use(JestAsymmetricMatchers);
    pluginsInstalled = true;
  }
  const expect = ((value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect);
    setState({ assertionCalls: assertionCalls + 1 }, expect);
    return chai.expect(value, message);
  }) as ExpectStatic;
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(expect);
  expect.setState = (state) => setState(state, expect);
  expect.unreachable = (message?: string) => {
    chai.assert.fail(`expected${message ? ` "${message}" ` : ' '}not to be reached`);
  };
  setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expect);
  (globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;
  sealAssertions(expect, chai);
  return expect;
}

/** The module graders get for `import ... from 'vitest'`, with this run's provided values. */
export function createVitestShim(provided: Record<string, unknown>) {
  const expect = createExpect();
  return {
    __esModule: true,
    describe,
    suite,
    it,
    test,
    beforeAll,
    afterAll,
    beforeEach,
    afterEach,
    onTestFinished,
    onTestFailed,
    expect,
    inject: (key: string) => provided[key],
  };
}
