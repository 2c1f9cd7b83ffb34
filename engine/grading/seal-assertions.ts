/**
 * Learner code runs in the same realm as the assertions that grade it. Before it loads, freeze
 * the assertion library's prototype and the expect function, so that code cannot disarm them
 * (replace Assertion.prototype.assert with a no-op, or expect.fail with one that never throws).
 * Graders add no matchers of their own, so nothing needs to change these afterwards.
 */
export function sealAssertions(expect: object, chai: { Assertion: { prototype: object } }): void {
  Object.freeze(chai.Assertion.prototype);
  Object.freeze(expect);
}
