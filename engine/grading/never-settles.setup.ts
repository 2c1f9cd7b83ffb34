// vitest setup file of every grader project: a test whose call to the code under test can never
// finish fails at once with the course's message (never-settles.ts), as it does in the browser's
// Worker, instead of waiting out vitest's timeout. Runs in each test thread before the grader loads,
// so the macrotasks of the grader, its packages and the learner's code are all counted.
import { getFn, setFn } from '@vitest/runner';
import { beforeEach, inject } from 'vitest';
import { failIfNeverSettles, trackMacrotasks } from './never-settles.ts';

// Against real servers the code waits on the network, which no event-loop count can see: there only
// vitest's (longer) timeout applies.
const realServers = Object.keys(inject('backends') ?? {}).length > 0;

if (!realServers) {
  const tracker = trackMacrotasks();
  const guarded = new WeakSet<object>();
  // The test's function is read after its beforeEach hooks: wrap it here, once, so only its body is judged.
  beforeEach(({ task }) => {
    const body = getFn(task);
    if (!body || guarded.has(task)) return;
    guarded.add(task);
    setFn(task, () => failIfNeverSettles(() => body(), tracker));
  });
}
