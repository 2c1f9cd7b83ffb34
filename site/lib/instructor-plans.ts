import type { AgendaPlan } from './instructor-agenda.ts';

/**
 * The workshop days, as lists of what happens in the room; the minutes come from the course
 * (site/lib/instructor-agenda.ts), and the build fails if a day no longer fits its budget.
 */

const welcome = {
  kind: 'session',
  title: 'Welcome, and every laptop grades once',
  detail:
    'Each learner opens the site (or the classroom address), opens the caching lesson and presses Run tests on the starter: every task fails, which proves grading works.',
  minutes: 15,
} as const;

const wrapUp = (minutes: number) =>
  ({
    kind: 'session',
    title: 'Wrap-up',
    detail:
      'What to finish at home, and how: Export in the workspace saves the progress file, Import restores it at home; npm run grade works offline from a clone.',
    minutes,
  }) as const;

export const halfDay: AgendaPlan = {
  id: 'half-day',
  title: 'Half-day workshop',
  start: '09:00',
  budgetMinutes: 210,
  steps: [
    welcome,
    { kind: 'talk', lesson: 'single-server' },
    { kind: 'talk', lesson: 'dns' },
    { kind: 'exercise', lesson: 'caching', tasks: 3 },
    {
      kind: 'checkpoint',
      detail:
        'cache-aside tasks 1-3 pass on most laptops (dashboard grid, or hands up); pair the rest with a neighbour.',
    },
    { kind: 'break', title: 'Break', minutes: 15 },
    { kind: 'talk', lesson: 'stateless-servers' },
    { kind: 'exercise', lesson: 'load-balancing', tasks: 2 },
    {
      kind: 'checkpoint',
      detail: 'load-balancer tasks 1-2 pass; collect the results (CSV from the dashboard).',
    },
    wrapUp(10),
  ],
};

export const fullDay: AgendaPlan = {
  id: 'full-day',
  title: 'Full-day workshop',
  start: '09:00',
  budgetMinutes: 480,
  steps: [
    welcome,
    { kind: 'exercise', lesson: 'single-server', tasks: 2 },
    { kind: 'talk', lesson: 'dns' },
    { kind: 'checkpoint', detail: 'single-server tasks 1-2 pass on every laptop: the room can grade.' },
    { kind: 'break', title: 'Break', minutes: 15 },
    { kind: 'exercise', lesson: 'caching', tasks: 3 },
    { kind: 'talk', lesson: 'cdn' },
    {
      kind: 'checkpoint',
      detail: 'cache-aside tasks 1-3 pass; look at the tasks where the room is stuck before lunch.',
    },
    { kind: 'break', title: 'Lunch', minutes: 60 },
    { kind: 'talk', lesson: 'stateless-servers' },
    { kind: 'exercise', lesson: 'load-balancing', tasks: 3 },
    { kind: 'break', title: 'Break', minutes: 15 },
    { kind: 'exercise', lesson: 'read-replicas', tasks: 2 },
    { kind: 'talk', lesson: 'rate-limiting' },
    { kind: 'talk', lesson: 'api-gateway' },
    { kind: 'talk', lesson: 'observability' },
    { kind: 'checkpoint', detail: 'Collect the results; every learner exports their progress file.' },
    wrapUp(15),
  ],
};

/** The multi-week course meets once a week for this long. */
export const weeklySessionMinutes = 90;
