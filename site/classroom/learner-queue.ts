import { taskOutcomes } from '../../engine/grading/results.ts';
import type { GradeOutcome } from '../../engine/runtime/runner.ts';
import { failureOf, type KeyValueStore, type StorageFailure } from '../../engine/runtime/storage/backend.ts';
import type { ClassroomApi, Membership, Report } from './learner-api.ts';

/**
 * What a learner's browser keeps for the classroom, and the queue that sends
 * each run's results to the classroom server. Everything is kept in
 * localStorage, so results of runs made while the server was unreachable are
 * sent once it answers, even after a reload; where storage fails the same
 * works for the session, and the panel says so. Sending never holds up
 * grading: a run only adds to the queue.
 */

export const STATE_KEY = 'request-journey:v1:classroom';
/** A message the server accepts at most; longer failure messages are cut. */
export const MAX_MESSAGE_CHARS = 2000;
/** Results kept while the server is unreachable; older ones make way (a whole class session is far fewer). */
export const MAX_QUEUED = 100;
const FIRST_RETRY_MS = 2_000;
const LONGEST_RETRY_MS = 30_000;

export interface RaisedHand {
  handId: string;
  exercise: string;
  task: number;
}

export interface LearnerState {
  membership?: Membership;
  queue: Report[];
  hand?: RaisedHand;
}

/** A report id unique enough for the server's de-duplication; crypto.randomUUID needs a secure context. */
export function newReportId(): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now().toString(36)}-${[...random].map((part) => part.toString(36)).join('')}`;
}

interface ExerciseTasks {
  id: string;
  tasks: ReadonlyArray<{ number: number; title: string }>;
}

/**
 * A run's per-task results as the server takes them. Code that did not compile or ran away fails every
 * task with that reason; a run the learner stopped, or that the grading machinery failed, says nothing.
 */
export function reportOf(exercise: ExerciseTasks, outcome: GradeOutcome, at: Date): Report | undefined {
  const cut = (message: string) => message.slice(0, MAX_MESSAGE_CHARS);
  const base = { reportId: newReportId(), exercise: exercise.id, at: at.toISOString() };
  if (outcome.kind === 'graded') {
    return {
      ...base,
      tasks: taskOutcomes(outcome.report, exercise.tasks).map((task) => ({
        task: task.number,
        title: task.title,
        passed: task.status === 'pass',
        ...(task.status !== 'pass' && task.failure && { message: cut(task.failure.message) }),
      })),
    };
  }
  if (outcome.kind === 'compile-error' || (outcome.kind === 'stopped' && outcome.reason !== 'learner')) {
    return {
      ...base,
      tasks: exercise.tasks.map((task) => ({
        task: task.number,
        title: task.title,
        passed: false,
        message: cut(outcome.message),
      })),
    };
  }
  return undefined;
}

/** The learner's classroom state in localStorage, or in this page's memory once storage fails. */
export class LearnerMemory {
  /** Why the state lives only in this page, if it does. */
  failure: StorageFailure | undefined;
  private inPage: LearnerState | undefined;

  constructor(private readonly backend: KeyValueStore | StorageFailure) {
    if (!('getItem' in backend)) {
      this.failure = backend;
      this.inPage = { queue: [] };
    }
  }

  /** Read afresh each time: another tab of the course may have sent or queued results since. */
  read(): LearnerState {
    if (this.inPage) return this.inPage;
    try {
      const parsed = JSON.parse((this.backend as KeyValueStore).getItem(STATE_KEY) ?? 'null');
      return parsed && Array.isArray(parsed.queue) ? parsed : { queue: [] };
    } catch (error) {
      // Unreadable (another version wrote it, or storage refuses reads): start afresh in this page.
      if (error instanceof SyntaxError) return { queue: [] };
      return this.fallBack(error, { queue: [] });
    }
  }

  update(change: (state: LearnerState) => LearnerState): LearnerState {
    const next = change(this.read());
    if (this.inPage) {
      this.inPage = next;
      return next;
    }
    try {
      (this.backend as KeyValueStore).setItem(STATE_KEY, JSON.stringify(next));
    } catch (error) {
      this.fallBack(error, next);
    }
    return next;
  }

  private fallBack(error: unknown, state: LearnerState): LearnerState {
    this.failure = failureOf(error);
    this.inPage = state;
    return state;
  }
}

export interface SenderStatus {
  waiting: number;
  /** Why results were dropped, newest last: each is shown to the learner. */
  notes: string[];
}

export interface ReportSender {
  /** Queues a run's results and tries to send them at once. */
  add(report: Report): void;
  /** Tries to send what is queued now (after a join, or when the browser is back online). */
  flush(): void;
  status(): SenderStatus;
  dispose(): void;
}

/**
 * Sends queued reports one at a time, oldest first. An unreachable server is
 * tried again after a growing, jittered pause (a room's laptops do not retry
 * in step); a busy one after the pause it asks for. A report the server
 * refuses is dropped with a note; a learner it no longer knows must join again,
 * and the queue waits for that.
 */
export function createReportSender(
  memory: LearnerMemory,
  api: ClassroomApi,
  onChange: () => void,
  random: () => number = Math.random,
): ReportSender {
  const notes: string[] = [];
  let sending = false;
  let failures = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  /** Set while the server asked to wait: a new run does not cut that short. */
  let busyUntil = 0;
  let disposed = false;

  const note = (text: string) => {
    notes.push(text);
    onChange();
  };
  const dropQueued = (reportId: string) =>
    memory.update((state) => ({ ...state, queue: state.queue.filter((each) => each.reportId !== reportId) }));

  function later(ms: number): void {
    clearTimeout(retry);
    retry = setTimeout(() => void send(), ms);
  }

  async function send(): Promise<void> {
    if (sending || disposed) return;
    sending = true;
    try {
      for (;;) {
        const { membership, queue } = memory.read();
        const [next] = queue;
        if (!membership || !next) return;
        const answer = await api.report(membership.learnerToken, next);
        if (disposed) return;
        if (answer.kind === 'ok') {
          failures = 0;
          dropQueued(next.reportId);
          onChange();
        } else if (answer.kind === 'later') {
          busyUntil = Date.now() + answer.afterMs;
          return later(answer.afterMs);
        } else if (answer.kind === 'unreachable') {
          failures += 1;
          const pause = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1));
          onChange();
          return later(pause * (0.5 + random() / 2));
        } else if (answer.status === 401) {
          // The server lost or never had this learner (its data was wiped): keep the results for the next join.
          memory.update(({ membership: _gone, ...rest }) => rest);
          return note(
            `The classroom server does not know you any more (${answer.error}): join the class again, and your waiting results go with you.`,
          );
        } else {
          dropQueued(next.reportId);
          note(
            `A result of ${next.exercise} from ${new Date(next.at).toLocaleTimeString()} was not accepted, so it was dropped: ${answer.error}`,
          );
        }
      }
    } finally {
      sending = false;
    }
  }

  function flush(): void {
    if (Date.now() < busyUntil) return;
    clearTimeout(retry);
    void send();
  }

  return {
    add(report) {
      let dropped = 0;
      memory.update((state) => {
        const queue = [...state.queue, report];
        dropped = Math.max(0, queue.length - MAX_QUEUED);
        return { ...state, queue: queue.slice(dropped) };
      });
      if (dropped > 0) note('More results waited than this browser keeps, so the oldest one was dropped.');
      else onChange();
      flush();
    },
    flush,
    status: () => ({ waiting: memory.read().queue.length, notes: [...notes] }),
    dispose() {
      disposed = true;
      clearTimeout(retry);
    },
  };
}
