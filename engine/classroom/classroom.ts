import { createHash, randomBytes, randomInt } from 'node:crypto';
import { loadCourse } from '../course/course.ts';
import {
  EXPORT_FORMAT,
  exerciseStateSchema,
  exportFileSchema,
  migrate,
  migrations,
  SCHEMA_VERSION,
} from '../runtime/storage/schema.ts';
import type { EventLog } from './event-log.ts';
import { type HandRequest, MAX_SHARED_CODE_BYTES, type Report } from './validation.ts';

/**
 * A room's classes, learners, their latest results and raised hands. Every change is an event:
 * stored in the log first, then applied here, so replaying the log at start rebuilds the same state.
 */

export interface CourseExercise {
  id: string;
  title: string;
  tasks: { number: number; title: string }[];
}

/** The course's exercises and task titles, as the classroom checks and shows them. */
export function courseOnDisk(): CourseExercise[] {
  return loadCourse().map(({ manifest }) => ({
    id: manifest.id,
    title: manifest.title,
    tasks: manifest.tasks.map(({ number, title }) => ({ number, title })),
  }));
}

interface TaskResult {
  task: number;
  passed: boolean;
  message?: string;
}

export type ClassroomEvent =
  | { type: 'class-created'; code: string; name: string; at: string }
  | {
      type: 'learner-joined';
      classCode: string;
      learnerId: string;
      /** SHA-256 of the learner's token: the log never holds a token that would let its reader report as them. */
      tokenHash?: string;
      name: string;
      at: string;
      imported?: true;
    }
  | {
      type: 'report';
      learnerId: string;
      reportId: string;
      exercise: string;
      /** When the learner's browser ran the tests. */
      at: string;
      receivedAt: string;
      tasks: TaskResult[];
    }
  | {
      type: 'hand-raised';
      handId: string;
      learnerId: string;
      exercise: string;
      task: number;
      message?: string;
      code?: Record<string, string>;
      at: string;
    }
  | { type: 'hand-lowered'; handId: string; by: 'learner' | 'instructor'; at: string };

/** A refusal: the HTTP status and a sentence for whoever sent the request. */
export class ClassroomError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Learner {
  id: string;
  classCode: string;
  name: string;
  joinedAt: string;
  lastSeenAt: string;
  imported: boolean;
  exercises: Record<string, { tasks: Record<number, { passed: boolean; message?: string; at: string }> }>;
  reportIds: Set<string>;
}

interface Hand {
  id: string;
  learnerId: string;
  exercise: string;
  task: number;
  message?: string;
  code?: Record<string, string>;
  raisedAt: string;
}

/** Class codes avoid characters read alike from the back of a room (0/O, 1/I/L). */
export const CLASS_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CLASS_CODE_LENGTH = 6;

export const newToken = () => randomBytes(24).toString('base64url');
const newId = () => randomBytes(9).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function newClassCode(): string {
  return Array.from(
    { length: CLASS_CODE_LENGTH },
    () => CLASS_CODE_ALPHABET[randomInt(CLASS_CODE_ALPHABET.length)],
  ).join('');
}

/** Class codes are typed by people: any case, spaces and dashes ignored. */
export const normalClassCode = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');

export class Classroom {
  private readonly classes = new Map<string, { code: string; name: string; createdAt: string }>();
  private readonly learners = new Map<string, Learner>();
  private readonly learnersByToken = new Map<string, Learner>();
  private readonly hands = new Map<string, Hand>();
  private readonly exercises: Map<string, CourseExercise>;
  private readonly listeners = new Set<(classCode: string) => void>();

  constructor(
    private readonly log: EventLog<ClassroomEvent>,
    readonly course: readonly CourseExercise[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.exercises = new Map(course.map((exercise) => [exercise.id, exercise]));
    for (const event of log.replayed) this.apply(event);
  }

  /** Called with a class's code after each change to it. */
  onChange(listener: (classCode: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  classCodes(): string[] {
    return [...this.classes.keys()];
  }

  classNamed(code: string) {
    return this.classes.get(normalClassCode(code));
  }

  createClass(name: string): string {
    let code = newClassCode();
    while (this.classes.has(code)) code = newClassCode();
    this.record({ type: 'class-created', code, name, at: this.time() });
    return code;
  }

  join(classCode: string, name: string) {
    const found = this.requireClass(classCode);
    const learnerToken = newToken();
    const learnerId = newId();
    this.record({
      type: 'learner-joined',
      classCode: found.code,
      learnerId,
      tokenHash: hashToken(learnerToken),
      name,
      at: this.time(),
    });
    return { learnerId, learnerToken, className: found.name };
  }

  /** The learner a token belongs to, or a 401 refusal. */
  learnerFor(token: string | undefined): Learner {
    const learner = token === undefined ? undefined : this.learnersByToken.get(hashToken(token));
    if (!learner) {
      throw new ClassroomError(
        401,
        'This browser has not joined a class on this server (unknown learner token). Join again.',
      );
    }
    return learner;
  }

  /** Stores a report; false when its reportId was stored before (a retry). */
  report(learner: Learner, report: Report): boolean {
    if (learner.reportIds.has(report.reportId)) return false;
    const exercise = this.requireExercise(report.exercise);
    const known = new Set(exercise.tasks.map((task) => task.number));
    const unknown = report.tasks.find((task) => !known.has(task.task));
    if (unknown) {
      throw new ClassroomError(400, `Exercise ${exercise.id} has no task ${unknown.task}.`);
    }
    this.record({
      type: 'report',
      learnerId: learner.id,
      reportId: report.reportId,
      exercise: exercise.id,
      at: report.at,
      receivedAt: this.time(),
      tasks: report.tasks.map(({ task, passed, message }) => ({
        task,
        passed,
        ...(message !== undefined && { message }),
      })),
    });
    return true;
  }

  /** Raises a hand; asking again about the same task while the hand is up gives the same hand. */
  raiseHand(learner: Learner, request: HandRequest): string {
    const exercise = this.requireExercise(request.exercise);
    if (!exercise.tasks.some((task) => task.number === request.task)) {
      throw new ClassroomError(400, `Exercise ${exercise.id} has no task ${request.task}.`);
    }
    const shared = request.code
      ? Object.values(request.code).reduce((sum, text) => sum + Buffer.byteLength(text), 0)
      : 0;
    if (shared > MAX_SHARED_CODE_BYTES) {
      throw new ClassroomError(
        413,
        `Shared code is at most ${MAX_SHARED_CODE_BYTES / 1024} KiB; nothing was stored.`,
      );
    }
    const open = [...this.hands.values()].find(
      (hand) => hand.learnerId === learner.id && hand.exercise === exercise.id && hand.task === request.task,
    );
    if (open) return open.id;
    const handId = newId();
    // Without a message of their own, the hand shows the failure the learner's last run reported.
    const message = request.message ?? learner.exercises[exercise.id]?.tasks[request.task]?.message;
    this.record({
      type: 'hand-raised',
      handId,
      learnerId: learner.id,
      exercise: exercise.id,
      task: request.task,
      ...(message !== undefined && { message }),
      ...(request.code && { code: request.code }),
      at: this.time(),
    });
    return handId;
  }

  /** Lowers a hand: its learner's own, or any for the instructor (`learner` undefined). */
  lowerHand(handId: string, learner: Learner | undefined): void {
    const hand = this.hands.get(handId);
    if (!hand)
      throw new ClassroomError(
        404,
        'There is no raised hand with that id (it may have been lowered already).',
      );
    if (learner && hand.learnerId !== learner.id) {
      throw new ClassroomError(403, 'A learner can lower only their own hand.');
    }
    this.record({ type: 'hand-lowered', handId, by: learner ? 'learner' : 'instructor', at: this.time() });
  }

  /**
   * Adds a learner for each progress export file (a class that met without the server), with the
   * tasks each exercise's last run passed. All or nothing: one unreadable file refuses the import.
   */
  importProgress(classCode: string, items: readonly unknown[]): number {
    const found = this.requireClass(classCode);
    const learners = items.map((item, index) => {
      const named = item as { name?: string; file?: unknown };
      const file = exportFileSchema.safeParse('file' in named ? named.file : item);
      const which = `File ${index + 1}${named.name ? ` (${named.name})` : ''}`;
      if (!file.success)
        throw new ClassroomError(
          400,
          `${which} is not a Request Journey progress export (format "${EXPORT_FORMAT}").`,
        );
      if (file.data.schemaVersion > SCHEMA_VERSION) {
        throw new ClassroomError(
          400,
          `${which} was exported by a newer version of the course than this server (format ${file.data.schemaVersion}).`,
        );
      }
      const progress = migrate(
        { exercises: file.data.exercises },
        file.data.schemaVersion,
        SCHEMA_VERSION,
        migrations,
      );
      const started = this.course.flatMap((exercise) => {
        const state = exerciseStateSchema.safeParse(progress.exercises[exercise.id]);
        if (!state.success) return [];
        if (state.data.passedTasks.length === 0 && Object.keys(state.data.files).length === 0) return [];
        return [{ exercise, passed: new Set(state.data.passedTasks) }];
      });
      return { name: named.name ?? `Imported learner ${index + 1}`, at: file.data.exportedAt, started };
    });
    for (const { name, at, started } of learners) {
      const learnerId = newId();
      const time = Number.isNaN(Date.parse(at)) ? this.time() : at;
      this.record({
        type: 'learner-joined',
        classCode: found.code,
        learnerId,
        name,
        at: time,
        imported: true,
      });
      for (const { exercise, passed } of started) {
        this.record({
          type: 'report',
          learnerId,
          reportId: `import-${exercise.id}`,
          exercise: exercise.id,
          at: time,
          receivedAt: this.time(),
          tasks: exercise.tasks.map((task) => ({ task: task.number, passed: passed.has(task.number) })),
        });
      }
    }
    return learners.length;
  }

  /** What the dashboard shows of one class. */
  state(classCode: string) {
    const found = this.requireClass(classCode);
    const learners = [...this.learners.values()].filter((learner) => learner.classCode === found.code);
    const names = new Map(learners.map((learner) => [learner.id, learner.name]));
    return {
      class: found,
      course: this.course,
      learners: learners.map(({ reportIds: _ids, classCode: _code, ...learner }) => learner),
      hands: [...this.hands.values()]
        .filter((hand) => names.has(hand.learnerId))
        .map((hand) => ({ ...hand, name: names.get(hand.learnerId) ?? '' })),
      stuck: this.stuck(learners),
    };
  }

  /** Tasks failing for at least half of the learners who reported on the exercise, most stuck first. */
  private stuck(learners: Learner[]) {
    return this.course
      .flatMap((exercise) =>
        exercise.tasks.map((task) => {
          const results = learners
            .map((learner) => learner.exercises[exercise.id]?.tasks[task.number])
            .filter((result) => result !== undefined);
          return {
            exercise: exercise.id,
            task: task.number,
            failing: results.filter((result) => !result.passed).length,
            of: results.length,
          };
        }),
      )
      .filter(({ failing, of }) => failing > 0 && failing * 2 >= of)
      .sort((a, b) => b.failing - a.failing || b.failing / b.of - a.failing / a.of);
  }

  private requireClass(code: string) {
    const found = this.classes.get(normalClassCode(code));
    if (!found)
      throw new ClassroomError(
        404,
        `There is no class with the code "${code}" on this server. Check the code on the board.`,
      );
    return found;
  }

  private requireExercise(id: string): CourseExercise {
    const exercise = this.exercises.get(id);
    if (!exercise) throw new ClassroomError(400, `This course has no exercise "${id}".`);
    return exercise;
  }

  private time = () => this.now().toISOString();

  private record(event: ClassroomEvent): void {
    this.log.append(event);
    const classCode = this.apply(event);
    for (const listener of this.listeners) listener(classCode);
  }

  /** Applies an event; returns the code of the class it changed. */
  private apply(event: ClassroomEvent): string {
    switch (event.type) {
      case 'class-created':
        this.classes.set(event.code, { code: event.code, name: event.name, createdAt: event.at });
        return event.code;
      case 'learner-joined': {
        const learner: Learner = {
          id: event.learnerId,
          classCode: event.classCode,
          name: event.name,
          joinedAt: event.at,
          lastSeenAt: event.at,
          imported: event.imported ?? false,
          exercises: {},
          reportIds: new Set(),
        };
        this.learners.set(learner.id, learner);
        if (event.tokenHash) this.learnersByToken.set(event.tokenHash, learner);
        return learner.classCode;
      }
      case 'report': {
        const learner = this.learnerById(event.learnerId);
        learner.reportIds.add(event.reportId);
        learner.lastSeenAt = event.receivedAt;
        const { tasks } = learner.exercises[event.exercise] ?? { tasks: {} };
        learner.exercises[event.exercise] = { tasks };
        for (const { task, passed, message } of event.tasks) {
          // A report queued while the server was away may arrive after a newer one: keep the newer result.
          const before = tasks[task];
          if (before && Date.parse(before.at) > Date.parse(event.at)) continue;
          tasks[task] = { passed, ...(message !== undefined && { message }), at: event.at };
        }
        return learner.classCode;
      }
      case 'hand-raised': {
        const learner = this.learnerById(event.learnerId);
        learner.lastSeenAt = event.at;
        const { type: _type, handId, at, ...hand } = event;
        this.hands.set(handId, { id: handId, raisedAt: at, ...hand });
        return learner.classCode;
      }
      case 'hand-lowered': {
        const hand = this.hands.get(event.handId);
        this.hands.delete(event.handId);
        return hand ? this.learnerById(hand.learnerId).classCode : '';
      }
    }
  }

  private learnerById(id: string): Learner {
    const learner = this.learners.get(id);
    if (!learner) throw new Error(`the classroom log names learner ${id} before they joined`);
    return learner;
  }
}
