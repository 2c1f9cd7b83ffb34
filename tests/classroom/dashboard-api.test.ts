import { describe, expect, it } from 'vitest';
import { learnerNameOf } from '../../site/classroom/dashboard-api.ts';

describe('importing progress files on the dashboard', () => {
  it.each([
    ['request-journey-progress-2026-11-29 Ada Lovelace.json', 'Ada Lovelace'],
    ['request-journey-progress-2026-11-29-grace.json', 'grace'],
    ['linus.json', 'linus'],
    // Nothing added but a copy number: the whole name, so two such files stay two learners.
    ['request-journey-progress-2026-11-29 (3).json', 'request-journey-progress-2026-11-29 (3)'],
  ])('names the learner of %s "%s"', (file, name) => {
    expect(learnerNameOf(file)).toBe(name);
  });
});
