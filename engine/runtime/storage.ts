import type { ExerciseManifest } from '../course/manifest.ts';
import {
  failureMessages,
  failureOf,
  type KeyValueStore,
  memoryStore,
  type StorageFailure,
} from './storage/backend.ts';
import { LESSON_PROGRESS_KEY } from './storage/lesson-progress.ts';
import {
  defaultPreferences,
  describeIssues,
  EXPORT_FORMAT,
  type ExerciseState,
  emptyExercise,
  exerciseStateSchema,
  exportFileSchema,
  lessonsSchema,
  type Migration,
  migrate,
  migrations,
  type Preferences,
  type Progress,
  preferencesSchema,
  progressSchema,
  SCHEMA_VERSION,
  type StoredProgress,
} from './storage/schema.ts';

/**
 * The learner's progress: code autosaved per exercise, task results, hints
 * revealed, completed lessons and the runner preference. Every change lands in
 * memory first and is then written through to storage; when the browser refuses
 * (quota, private mode, storage off) the change stays in memory, the failure is
 * returned and announced, and the write is retried with the next change.
 * Stored data carries a schema version and is migrated on load, never dropped.
 */

const PREFIX = 'request-journey:v1:';
const META_KEY = `${PREFIX}meta`;
const PREFERENCES_KEY = `${PREFIX}preferences`;
const EXERCISE_PREFIX = `${PREFIX}exercise:`;
const UNREADABLE_PREFIX = `${PREFIX}unreadable:`;

export type StorageResult = { ok: true } | { ok: false; failure: StorageFailure };
export type ImportResult = { ok: true; saved: StorageResult } | { ok: false; error: string };

export interface StoreOptions {
  /** For tests of migrations: the version this code writes, and how to reach it. */
  schemaVersion?: number;
  migrations?: Record<number, Migration>;
  now?: () => Date;
}

interface Loaded {
  progress: Progress;
  failures: StorageFailure[];
  /** Set when writing would destroy data this version cannot read. */
  readOnly?: StorageFailure;
  storedVersion: number | undefined;
}

function load(backend: KeyValueStore, version: number, steps: Record<number, Migration>): Loaded {
  const failures: StorageFailure[] = [];
  const setAside = (key: string, raw: string, why: string) => {
    failures.push({ kind: 'unreadable', message: `${failureMessages.unreadable} (${why})` });
    const spare = `${UNREADABLE_PREFIX}${key.slice(PREFIX.length)}`;
    try {
      if (backend.getItem(spare) === null) backend.setItem(spare, raw);
    } catch {
      // The original is still in place until this key is next written.
    }
  };
  const read = (key: string): unknown => {
    const raw = backend.getItem(key);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      setAside(key, raw, `${key} is not JSON`);
      return undefined;
    }
  };
  const keys = backend.keys().filter((key) => key.startsWith(PREFIX) && !key.startsWith(UNREADABLE_PREFIX));
  const meta = read(META_KEY) as { schemaVersion?: unknown } | undefined;
  // Before the meta key existed nothing was stored, so data without one is version 1.
  const storedVersion =
    typeof meta?.schemaVersion === 'number' ? meta.schemaVersion : keys.length > 0 ? 1 : undefined;
  const stored: StoredProgress = {
    lessons: (read(LESSON_PROGRESS_KEY) as { lessons?: unknown } | undefined)?.lessons,
    exercises: Object.fromEntries(
      keys
        .filter((key) => key.startsWith(EXERCISE_PREFIX))
        .map((key) => [key.slice(EXERCISE_PREFIX.length), read(key)]),
    ),
    preferences: read(PREFERENCES_KEY),
  };

  let readOnly: StorageFailure | undefined;
  let current = stored;
  if (storedVersion !== undefined && storedVersion > version) {
    readOnly = { kind: 'newer-version', message: failureMessages['newer-version'] };
  } else {
    try {
      current = migrate(stored, storedVersion ?? version, version, steps);
    } catch (error) {
      readOnly = {
        kind: 'unreadable',
        message: `${failureMessages.unreadable} (${(error as Error).message})`,
      };
    }
  }

  const lessons = lessonsSchema.safeParse(current.lessons ?? {});
  if (!lessons.success)
    setAside(LESSON_PROGRESS_KEY, backend.getItem(LESSON_PROGRESS_KEY) ?? '', 'lesson progress');
  const exercises: Record<string, ExerciseState> = {};
  for (const [id, value] of Object.entries(current.exercises)) {
    if (value === undefined) continue;
    const parsed = exerciseStateSchema.safeParse(value);
    if (parsed.success) exercises[id] = parsed.data;
    else
      setAside(`${EXERCISE_PREFIX}${id}`, backend.getItem(`${EXERCISE_PREFIX}${id}`) ?? '', `exercise ${id}`);
  }
  const preferences = preferencesSchema.safeParse(current.preferences);
  const progress: Progress = {
    lessons: lessons.success ? lessons.data : {},
    exercises,
    preferences: preferences.success ? preferences.data : defaultPreferences(),
  };
  return { progress, failures: readOnly ? [readOnly, ...failures] : failures, readOnly, storedVersion };
}

export class ProgressStore {
  private progress: Progress;
  private readonly backend: KeyValueStore;
  private readonly version: number;
  private readonly steps: Record<number, Migration>;
  private readonly now: () => Date;
  private readonly readOnly: StorageFailure | undefined;
  /** Keys whose latest value has not reached storage yet. */
  private readonly unsaved = new Set<string>();
  private readonly listeners = new Set<(failure: StorageFailure) => void>();
  /** What went wrong while loading, for the workspace to show. */
  readonly loadFailures: readonly StorageFailure[];

  /** Opens the store on browserStore()'s result; storage that cannot be used still gives a working store, in memory. */
  static open(backend: KeyValueStore | StorageFailure, options: StoreOptions = {}): ProgressStore {
    return 'kind' in backend
      ? new ProgressStore(memoryStore(), options, backend)
      : new ProgressStore(backend, options);
  }

  private constructor(backend: KeyValueStore, options: StoreOptions, unavailable?: StorageFailure) {
    this.backend = backend;
    this.version = options.schemaVersion ?? SCHEMA_VERSION;
    this.steps = options.migrations ?? migrations;
    this.now = options.now ?? (() => new Date());
    const loaded = load(backend, this.version, this.steps);
    this.progress = loaded.progress;
    this.readOnly = loaded.readOnly ?? unavailable;
    this.loadFailures = unavailable ? [unavailable, ...loaded.failures] : loaded.failures;
    if (loaded.storedVersion === undefined || loaded.storedVersion < this.version) this.unsaved.add(META_KEY);
    if (loaded.storedVersion !== undefined && loaded.storedVersion < this.version && !this.readOnly) {
      this.saveAll();
    }
  }

  /** Called with every failure to save; returns the unsubscribe function. */
  onFailure(listener: (failure: StorageFailure) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  exercise(id: string): Readonly<ExerciseState> {
    return this.progress.exercises[id] ?? emptyExercise();
  }

  lessons(): Readonly<Progress['lessons']> {
    return this.progress.lessons;
  }

  preferences(): Readonly<Preferences> {
    return this.progress.preferences;
  }

  /** The learner's code for an exercise, saved on every edit. */
  saveCode(exercise: string, files: Record<string, string>): StorageResult {
    return this.updateExercise(exercise, (state) => ({ ...state, files: { ...files } }));
  }

  /** The tasks that passed in a run; completing every task completes the exercise's lesson. */
  recordRun(
    manifest: Pick<ExerciseManifest, 'id' | 'lesson' | 'tasks'>,
    passedTasks: readonly number[],
  ): StorageResult {
    const passed = [...new Set(passedTasks)].sort((a, b) => a - b);
    const saved = this.updateExercise(manifest.id, (state) => ({ ...state, passedTasks: passed }));
    const complete = manifest.tasks.every((task) => passed.includes(task.number));
    return complete && !this.progress.lessons[manifest.lesson]?.completed
      ? this.setLessonCompleted(manifest.lesson, true)
      : saved;
  }

  /** Shows one more step of a task's hints ladder. */
  revealHint(exercise: string, task: number): StorageResult {
    return this.updateExercise(exercise, (state) => ({
      ...state,
      hintsRevealed: { ...state.hintsRevealed, [task]: (state.hintsRevealed[task] ?? 0) + 1 },
    }));
  }

  setLessonCompleted(slug: string, completed: boolean): StorageResult {
    this.progress = { ...this.progress, lessons: { ...this.progress.lessons, [slug]: { completed } } };
    return this.save(LESSON_PROGRESS_KEY);
  }

  setRunnerPreference(runner: Preferences['runner']): StorageResult {
    this.progress = { ...this.progress, preferences: { ...this.progress.preferences, runner } };
    return this.save(PREFERENCES_KEY);
  }

  /** Everything, as the text of one JSON file. */
  exportJson(): string {
    const file = { format: EXPORT_FORMAT, schemaVersion: this.version, exportedAt: this.now().toISOString() };
    return `${JSON.stringify({ ...file, ...this.progress }, null, 2)}\n`;
  }

  /** Replaces everything with an exported file's contents, after checking it; on any problem nothing changes. */
  importJson(text: string): ImportResult {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, error: 'This file is not a progress export: it is not JSON.' };
    }
    const file = exportFileSchema.safeParse(json);
    if (!file.success) {
      return {
        ok: false,
        error: `This file is not a Request Journey progress export:\n${describeIssues(file.error)}`,
      };
    }
    if (file.data.schemaVersion > this.version) {
      return {
        ok: false,
        error: `This file was exported by a newer version of the course (format ${file.data.schemaVersion}; this page reads up to ${this.version}). Reload the page to get the newest version, then import it again.`,
      };
    }
    let stored: StoredProgress;
    try {
      stored = migrate(file.data, file.data.schemaVersion, this.version, this.steps);
    } catch (error) {
      return { ok: false, error: `This file could not be upgraded: ${(error as Error).message}` };
    }
    const progress = progressSchema.safeParse({
      lessons: stored.lessons ?? {},
      exercises: stored.exercises,
      preferences: stored.preferences ?? defaultPreferences(),
    });
    if (!progress.success) {
      return {
        ok: false,
        error: `Parts of this file are not valid progress:\n${describeIssues(progress.error)}`,
      };
    }
    const dropped = Object.keys(this.progress.exercises).filter((id) => !(id in progress.data.exercises));
    this.progress = progress.data;
    for (const id of dropped) this.unsaved.add(`${EXERCISE_PREFIX}${id}`);
    return { ok: true, saved: this.saveAll() };
  }

  private updateExercise(id: string, change: (state: ExerciseState) => ExerciseState): StorageResult {
    const exercises = { ...this.progress.exercises, [id]: change(this.exercise(id)) };
    this.progress = { ...this.progress, exercises };
    return this.save(`${EXERCISE_PREFIX}${id}`);
  }

  private saveAll(): StorageResult {
    const exerciseKeys = Object.keys(this.progress.exercises).map((id) => `${EXERCISE_PREFIX}${id}`);
    return this.save(META_KEY, LESSON_PROGRESS_KEY, PREFERENCES_KEY, ...exerciseKeys);
  }

  /** The stored text of a key, or undefined when the key should not exist. */
  private serialize(key: string): string | undefined {
    if (key === META_KEY) return JSON.stringify({ schemaVersion: this.version });
    if (key === LESSON_PROGRESS_KEY) return JSON.stringify({ lessons: this.progress.lessons });
    if (key === PREFERENCES_KEY) return JSON.stringify(this.progress.preferences);
    const state = this.progress.exercises[key.slice(EXERCISE_PREFIX.length)];
    return state && JSON.stringify(state);
  }

  private save(...keys: string[]): StorageResult {
    for (const key of keys) this.unsaved.add(key);
    if (this.readOnly) return this.fail(this.readOnly);
    // The meta key goes first: data is never stored without the version it was written in.
    for (const key of [...this.unsaved].sort((a, b) => Number(b === META_KEY) - Number(a === META_KEY))) {
      const value = this.serialize(key);
      try {
        if (value === undefined) this.backend.removeItem(key);
        else this.backend.setItem(key, value);
        this.unsaved.delete(key);
      } catch (error) {
        return this.fail(failureOf(error));
      }
    }
    return { ok: true };
  }

  private fail(failure: StorageFailure): StorageResult {
    for (const listener of this.listeners) listener(failure);
    return { ok: false, failure };
  }
}
