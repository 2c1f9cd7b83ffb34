import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type CourseExercise, courseOnDisk } from '../../engine/classroom/classroom.ts';
import { builtSite, call, dataDir, killed, startClassroomCli } from '../classroom/classroom-server.ts';

/**
 * Does the classroom server hold a room? `npm run bench:classroom [-- --learners 100 --interval 4 --minutes 3]`
 * starts it on the loopback address (its own process, as in a workshop), has simulated learners join and
 * report a run every few seconds while a dashboard follows the class's event stream, then checks that no
 * report was lost: every report answered 202 is in the class state, and in the log and the state again
 * after the server is killed (SIGKILL) and restarted. Prints the dashboard's lag: from sending a report
 * to the stream's first state that shows it. A benchmark: the README records its figures.
 */

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: '100' },
    interval: { type: 'string', default: '4' },
    minutes: { type: 'string', default: '3' },
  },
});
const learnerCount = Number(values.learners);
const intervalMs = Number(values.interval) * 1000;
const durationMs = Number(values.minutes) * 60_000;

interface Sent {
  learner: number;
  at: string;
  sentAt: number;
  seenAt?: number;
}

const course = courseOnDisk();
const data = dataDir();
const site = builtSite();
let server = await startClassroomCli(data, site).serving;
const { classCode, token } = server;
console.log(
  `classroom server on ${server.base}; ${learnerCount} learners, a report every ${intervalMs / 1000} s each, for ${durationMs / 60_000} min`,
);

const learners = await Promise.all(
  Array.from({ length: learnerCount }, async (_, index) => {
    const joined = await call(server.base, '/api/join', {
      body: { classCode, name: `Learner ${index + 1}` },
    });
    if (joined.status !== 201) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
    const exercise = course[index % course.length] as CourseExercise;
    return { id: String(joined.body.learnerId), token: String(joined.body.learnerToken), exercise };
  }),
);
const learnerIndex = new Map(learners.map((learner, index) => [learner.id, index]));

// The dashboard: the event stream, each state compared with what each learner sent.
const accepted: Sent[] = [];
const unseen = new Map<number, Sent[]>();
let events = 0;
const dashboard = new AbortController();
const streamed = (async () => {
  const response = await fetch(`${server.base}/api/classes/${classCode}/events?token=${token}`, {
    signal: dashboard.signal,
  });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const chunk = await reader?.read().catch(() => undefined);
    if (!chunk || chunk.done) return;
    buffer += chunk.value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(message)?.[1];
      if (!data) continue;
      const arrived = performance.now();
      events += 1;
      const state = JSON.parse(data) as {
        learners: { id: string; exercises: Record<string, { tasks: Record<string, { at: string }> }> }[];
      };
      for (const learner of state.learners) {
        const index = learnerIndex.get(learner.id);
        const waiting = index === undefined ? undefined : unseen.get(index);
        if (index === undefined || !waiting?.length) continue;
        const shown = learner.exercises[learners[index]?.exercise.id ?? '']?.tasks[1]?.at;
        if (!shown) continue;
        while (waiting.length && Date.parse(waiting[0]?.at ?? '') <= Date.parse(shown)) {
          const sent = waiting.shift() as Sent;
          sent.seenAt = arrived;
        }
      }
    }
  }
})();

let refused = 0;
let failed = 0;
const stopAt = performance.now() + durationMs;
await Promise.all(
  learners.map(async (learner, index) => {
    // Spread the first reports over one interval, as a room's runs would be.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
    let runs = 0;
    while (performance.now() < stopAt) {
      runs += 1;
      const at = new Date().toISOString();
      const sent: Sent = { learner: index, at, sentAt: performance.now() };
      const body = {
        reportId: `${index}-${runs}`,
        exercise: learner.exercise.id,
        at,
        tasks: learner.exercise.tasks.map((task) => ({
          task: task.number,
          title: task.title,
          passed: Math.random() < runs / 20,
          ...(Math.random() < 0.5 && { message: 'expected 1 to be 2' }),
        })),
      };
      const answer = await call(server.base, '/api/reports', { token: learner.token, body }).catch(
        () => undefined,
      );
      if (answer?.status === 202 && answer.body.stored === true) {
        accepted.push(sent);
        unseen.set(index, [...(unseen.get(index) ?? []), sent]);
      } else if (answer?.status === 429) refused += 1;
      else failed += 1;
      await new Promise((resolve) => setTimeout(resolve, intervalMs * (0.75 + Math.random() / 2)));
    }
  }),
);

// Every accepted report must reach the dashboard; wait for the last ones (a generous deadline).
const deadline = performance.now() + 30_000;
while (accepted.some((sent) => sent.seenAt === undefined) && performance.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
dashboard.abort();
await streamed;

const notShown = accepted.filter((sent) => sent.seenAt === undefined).length;
const lags = accepted
  .flatMap((sent) => (sent.seenAt === undefined ? [] : [sent.seenAt - sent.sentAt]))
  .sort((a, b) => a - b);
const percentile = (p: number) => lags[Math.min(lags.length - 1, Math.floor((lags.length * p) / 100))] ?? 0;

// No lost report: the latest accepted report of each learner is what the state shows, before and after a SIGKILL.
const latestAt = new Map<number, string>();
for (const sent of accepted) latestAt.set(sent.learner, sent.at);
type State = {
  learners: { id: string; exercises: Record<string, { tasks: Record<string, { at: string }> }> }[];
};
const stateNow = async () =>
  (await call(server.base, `/api/classes/${classCode}/state`, { token })).body as unknown as State;
const missingIn = (state: State) =>
  learners.filter((learner, index) => {
    const shown = state.learners.find((candidate) => candidate.id === learner.id);
    return latestAt.has(index) && shown?.exercises[learner.exercise.id]?.tasks[1]?.at !== latestAt.get(index);
  }).length;
const reportsInLog = () =>
  readFileSync(join(data, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"type":"report"')).length;

const before = await stateNow();
const missingBefore = missingIn(before);
const rss = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1];
await killed(server.child);
server = await startClassroomCli(data, site).serving;
const after = await stateNow();
const missingAfter = missingIn(after);
const logged = reportsInLog();
await killed(server.child);
rmSync(data, { recursive: true, force: true });
rmSync(site, { recursive: true, force: true });

const ms = (value: number) => `${Math.round(value)} ms`;
console.log(
  [
    `reports accepted (202): ${accepted.length}; refused by the rate limit (429): ${refused}; failed: ${failed}`,
    `dashboard stream: ${events} state events; lag from sending a report to the state that shows it: median ${ms(percentile(50))}, 95th percentile ${ms(percentile(95))}, max ${ms(lags.at(-1) ?? 0)}`,
    `server peak memory (VmHWM): ${rss ? `${Math.round(Number(rss) / 1024)} MiB` : 'unknown'}`,
    `reports in the log after SIGKILL and restart: ${logged} of ${accepted.length}; learners whose latest report the state lacks: ${missingBefore} before, ${missingAfter} after the restart`,
  ].join('\n'),
);
const lost =
  notShown > 0 || failed > 0 || logged !== accepted.length || missingBefore > 0 || missingAfter > 0;
if (lost) {
  console.error(`LOST: ${notShown} accepted reports never reached the dashboard, ${failed} requests failed`);
  process.exit(1);
}
console.log('no report lost');
