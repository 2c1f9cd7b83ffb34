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
 *
 * Several tabs may hold the same storage. Each change is one field of one key
 * (an exercise's code, its task results, one hint ladder, one lesson, the
 * runner), applied to the value re-read from storage just before it is written,
 * so a tab never writes its stale copy of the other fields over another tab's
 * newer ones. Changes another tab made are taken in when they arrive (the
 * browser's `storage` event, or that re-read) and announced to onExternalChange,
 * so the page can show them and tell the learner.
 */

const PREFIX = 'request-journey:v1:';
const META_KEY = `${PREFIX}meta`;
const PREFERENCES_KEY = `${PREFIX}preferences`;
const EXERCISE_PREFIX = `${PREFIX}exercise:`;
const UNREADABLE_PREFIX = `${PREFIX}unreadable:`;
/** The progress an import replaced, as an export file, so it can be restored. */
const BACKUP_KEY = `${PREFIX}backup`;

/** The largest progress file import reads (characters; about 2 MB). Every course's progress fits many times over. */
export const MAX_IMPORT_CHARS = 2_000_000;

export type StorageResult = { ok: true } | { ok: false; failure: StorageFailure };
export type ImportResult = { ok: true; saved: StorageResult } | { ok: false; error: string };

/** What another tab changed, with what this tab held before. */
export interface ExternalChange {
  exercises: Record<string, { before: ExerciseState; after: ExerciseState }>;
  lessons: boolean;
  preferences: boolean;
}

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
  /** The stored text of every key read, as it was read. */
  raw: Map<string, string | null>;
}

/** The keys this store owns; other parts of the site keep their own keys under the same prefix (the theme). */
const isDataKey = (key: string) =>
  key === META_KEY ||
  key === LESSON_PROGRESS_KEY ||
  key === PREFERENCES_KEY ||
  key.startsWith(EXERCISE_PREFIX);

function setAsideIn(
  backend: KeyValueStore,
  failures: StorageFailure[],
  key: string,
  raw: string,
  why: string,
) {
  failures.push({ kind: 'unreadable', message: `${failureMessages.unreadable} (${why})` });
  const spare = `${UNREADABLE_PREFIX}${key.slice(PREFIX.length)}`;
  try {
    if (backend.getItem(spare) === null) backend.setItem(spare, raw);
  } catch {
    // The original is still in place until this key is next written.
  }
}

function load(backend: KeyValueStore, version: number, steps: Record<number, Migration>): Loaded {
  const failures: StorageFailure[] = [];
  const raws = new Map<string, string | null>();
  const setAside = (key: string, raw: string, why: string) => setAsideIn(backend, failures, key, raw, why);
  const read = (key: string): unknown => {
    const raw = backend.getItem(key);
    raws.set(key, raw);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      setAside(key, raw, `${key} is not JSON`);
      return undefined;
    }
  };
  const keys = backend.keys().filter(isDataKey);
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
  return {
    progress,
    failures: readOnly ? [readOnly, ...failures] : failures,
    readOnly,
    storedVersion,
    raw: raws,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** Files in name order, so two records of the same files compare equal whatever order they were built in. */
const sorted = (files: Record<string, string>) =>
  Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
const unavailable = (): StorageFailure => ({ kind: 'unavailable', message: failureMessages.unavailable });

/** One key's value: an exercise's state (undefined: none stored), the lessons, or the preferences. */
type Value = ExerciseState | Progress['lessons'] | Preferences | undefined;
/** A change to one key's value, applied to whatever is stored when it is written. */
type Change = (value: Value) => Value;

export class ProgressStore {
  private progress: Progress;
  private readonly backend: KeyValueStore;
  private readonly version: number;
  private readonly steps: Record<number, Migration>;
  private readonly now: () => Date;
  private readOnly: StorageFailure | undefined;
  /** Whether the meta key (the schema version) still has to be written. */
  private metaUnsaved = false;
  /** The stored text of each key as this tab last read or wrote it. */
  private readonly seen = new Map<string, string | null>();
  /** This tab's changes not in storage yet, by key, replayed onto whatever another tab stores meanwhile. */
  private readonly pending = new Map<string, Change[]>();
  private readonly listeners = new Set<(failure: StorageFailure) => void>();
  private readonly changeListeners = new Set<(change: ExternalChange) => void>();
  /** What went wrong while loading, for the workspace to show. */
  readonly loadFailures: readonly StorageFailure[];
  /** Stops listening to other tabs. */
  readonly close: () => void;

  /**
   * Opens the store on browserStore()'s result; storage that cannot be used (refused, or throwing
   * when read) still gives a working store, in memory, whose failure says that nothing is saved.
   */
  static open(backend: KeyValueStore | StorageFailure, options: StoreOptions = {}): ProgressStore {
    if ('kind' in backend) return new ProgressStore(memoryStore(), options, backend);
    try {
      return new ProgressStore(backend, options);
    } catch {
      return new ProgressStore(memoryStore(), options, unavailable());
    }
  }

  private constructor(backend: KeyValueStore, options: StoreOptions, unusable?: StorageFailure) {
    this.backend = backend;
    this.version = options.schemaVersion ?? SCHEMA_VERSION;
    this.steps = options.migrations ?? migrations;
    this.now = options.now ?? (() => new Date());
    const loaded = load(backend, this.version, this.steps);
    this.progress = loaded.progress;
    for (const [key, raw] of loaded.raw) this.seen.set(key, raw);
    this.readOnly = loaded.readOnly ?? unusable;
    this.loadFailures = unusable ? [unusable, ...loaded.failures] : loaded.failures;
    this.metaUnsaved = loaded.storedVersion === undefined || loaded.storedVersion < this.version;
    this.close = unusable
      ? () => {}
      : (backend.subscribe?.((key) => this.applyStorageEvent(key)) ?? (() => {}));
    if (loaded.storedVersion !== undefined && loaded.storedVersion < this.version && !this.readOnly) {
      // Store the migrated shape: every key is rewritten with what was just read and upgraded.
      for (const key of this.dataKeys()) {
        const value = this.valueOf(key);
        this.pending.set(key, [() => value]);
      }
      this.flush();
    }
  }

  /** Called with every failure to save; returns the unsubscribe function. */
  onFailure(listener: (failure: StorageFailure) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when progress changes because another tab changed it; returns the unsubscribe function. */
  onExternalChange(listener: (change: ExternalChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
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

  /** Takes in what other tabs stored since this tab last looked (all keys, or the one a `storage` event names). */
  refresh(key?: string): ExternalChange {
    return this.takeIn(key === undefined ? this.knownKeys() : [key]);
  }

  /**
   * The learner's code for an exercise, saved on every edit. When another tab saved different code
   * since this tab last looked and this tab's code has not changed since, the other tab's code stays
   * (and is announced); otherwise this tab's newer typing is saved.
   */
  saveCode(exercise: string, files: Record<string, string>): StorageResult {
    const key = `${EXERCISE_PREFIX}${exercise}`;
    const before = this.exercise(exercise).files;
    this.takeIn([key]);
    const stored = this.exercise(exercise).files;
    if (!same(before, stored) && same(files, before)) return this.flush();
    return this.change(key, (state) => ({ ...exerciseOf(state), files: { ...files } }));
  }

  /**
   * The tasks that passed in a run of `gradedFiles` (when known); completing every task completes the
   * exercise's lesson, for as long as the code is the code that passed (syncLessonCompletion).
   */
  recordRun(
    manifest: Pick<ExerciseManifest, 'id' | 'lesson' | 'tasks'>,
    passedTasks: readonly number[],
    gradedFiles?: Record<string, string>,
  ): StorageResult {
    const passed = [...new Set(passedTasks)].sort((a, b) => a - b);
    const saved = this.change(`${EXERCISE_PREFIX}${manifest.id}`, (value) => {
      const { gradedFiles: _earlier, ...state } = exerciseOf(value);
      return { ...state, passedTasks: passed, ...(gradedFiles && { gradedFiles: { ...gradedFiles } }) };
    });
    const complete = manifest.tasks.every((task) => passed.includes(task.number));
    return complete ? this.setLessonCompleted(manifest.lesson, true) : saved;
  }

  /** Whether the stored results describe this code (results saved before they named their code count as current). */
  resultsCurrent(exercise: string, files: Record<string, string>): boolean {
    const { gradedFiles } = this.exercise(exercise);
    return gradedFiles === undefined || same(sorted(gradedFiles), sorted(files));
  }

  /**
   * After the code changed (an edit, a reset, Undo): the lesson counts as completed only while its
   * code is the code that passed every task, so starter code is never exported as completed.
   */
  syncLessonCompletion(
    manifest: Pick<ExerciseManifest, 'id' | 'lesson' | 'tasks'>,
    files: Record<string, string>,
  ): StorageResult | undefined {
    const { passedTasks } = this.exercise(manifest.id);
    const passedAll = manifest.tasks.every((task) => passedTasks.includes(task.number));
    const completed = passedAll && this.resultsCurrent(manifest.id, files);
    const stored = this.progress.lessons[manifest.lesson]?.completed ?? false;
    return completed === stored ? undefined : this.setLessonCompleted(manifest.lesson, completed);
  }

  /** Shows one more step of a task's hints ladder. */
  revealHint(exercise: string, task: number): StorageResult {
    return this.change(`${EXERCISE_PREFIX}${exercise}`, (value) => {
      const state = exerciseOf(value);
      return {
        ...state,
        hintsRevealed: { ...state.hintsRevealed, [task]: (state.hintsRevealed[task] ?? 0) + 1 },
      };
    });
  }

  setLessonCompleted(slug: string, completed: boolean): StorageResult {
    return this.change(LESSON_PROGRESS_KEY, (value) => {
      const lessons = value as Progress['lessons'];
      return { ...lessons, [slug]: { ...lessons[slug], completed } };
    });
  }

  /**
   * Questions of a lesson's check answered right (numbered from 1), added to those answered before
   * in any tab; answering all of them completes the lesson.
   */
  recordCheck(slug: string, questionCount: number, passedQuestions: readonly number[]): StorageResult {
    return this.change(LESSON_PROGRESS_KEY, (value) => {
      const lessons = value as Progress['lessons'];
      const before = lessons[slug];
      const passed = [...new Set([...(before?.passedQuestions ?? []), ...passedQuestions])].sort(
        (a, b) => a - b,
      );
      const complete = Array.from({ length: questionCount }, (_, index) => index + 1).every((question) =>
        passed.includes(question),
      );
      return {
        ...lessons,
        [slug]: { completed: (before?.completed ?? false) || complete, passedQuestions: passed },
      };
    });
  }

  setRunnerPreference(runner: Preferences['runner']): StorageResult {
    return this.change(PREFERENCES_KEY, (preferences) => ({ ...(preferences as Preferences), runner }));
  }

  /** Everything, as the text of one JSON file (with what other tabs stored). */
  exportJson(): string {
    this.refresh();
    return this.exportOf(this.progress);
  }

  /**
   * Replaces everything with an exported file's contents, after checking it. All or nothing: the
   * file is checked whole, the progress it replaces is kept as a backup (restoreBackup), and when
   * storage cannot hold it all, everything written is taken back and the import is refused.
   */
  importJson(text: string): ImportResult {
    if (text.length > MAX_IMPORT_CHARS) {
      return {
        ok: false,
        error: `This file is too large to be a progress export (${megabytes(text.length)}; an export is at most ${megabytes(MAX_IMPORT_CHARS)}). Nothing was changed.`,
      };
    }
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
    return this.replaceAll(progress.data);
  }

  /** When the progress an import replaced was kept: the time of that backup. */
  backup(): { savedAt: string } | undefined {
    try {
      const raw = this.backend.getItem(BACKUP_KEY);
      if (raw === null) return undefined;
      const { exportedAt } = JSON.parse(raw) as { exportedAt?: unknown };
      return { savedAt: typeof exportedAt === 'string' ? exportedAt : '' };
    } catch {
      return undefined;
    }
  }

  /** Puts back the progress the last import replaced; what it replaces becomes the backup in turn. */
  restoreBackup(): ImportResult {
    let raw: string | null = null;
    try {
      raw = this.backend.getItem(BACKUP_KEY);
    } catch {
      // As if there were none.
    }
    if (raw === null) return { ok: false, error: 'There is no earlier progress to restore in this browser.' };
    return this.importJson(raw);
  }

  // ---- internals -------------------------------------------------------------------------------

  private exportOf(progress: Progress): string {
    const file = { format: EXPORT_FORMAT, schemaVersion: this.version, exportedAt: this.now().toISOString() };
    return `${JSON.stringify({ ...file, ...progress }, null, 2)}\n`;
  }

  private replaceAll(next: Progress): ImportResult {
    this.refresh();
    if (this.readOnly) {
      // Nothing can be written here: the file's progress lives in this tab, as every change does.
      this.progress = next;
      this.pending.clear();
      return { ok: true, saved: this.fail(this.readOnly) };
    }
    const keys = [
      META_KEY,
      LESSON_PROGRESS_KEY,
      PREFERENCES_KEY,
      ...new Set(
        [...Object.keys(this.progress.exercises), ...Object.keys(next.exercises)].map(
          (id) => `${EXERCISE_PREFIX}${id}`,
        ),
      ),
      BACKUP_KEY,
    ];
    const previous = this.progress;
    const texts = new Map<string, string | null>([
      [BACKUP_KEY, this.exportOf(previous)],
      [META_KEY, JSON.stringify({ schemaVersion: this.version })],
      [LESSON_PROGRESS_KEY, JSON.stringify({ lessons: next.lessons })],
      [PREFERENCES_KEY, JSON.stringify(next.preferences)],
      ...Object.keys(previous.exercises).map((id) => [`${EXERCISE_PREFIX}${id}`, null] as const),
      ...Object.entries(next.exercises).map(
        ([id, state]) => [`${EXERCISE_PREFIX}${id}`, JSON.stringify(state)] as const,
      ),
    ]);
    const before = new Map<string, string | null>();
    try {
      for (const key of keys) before.set(key, this.backend.getItem(key));
    } catch {
      return { ok: false, error: `${failureMessages.unavailable} Nothing was imported.` };
    }
    const written: string[] = [];
    try {
      // The backup first: nothing is replaced before the progress it replaces is kept.
      for (const [key, text] of texts) {
        written.push(key);
        if (text === null) this.backend.removeItem(key);
        else this.backend.setItem(key, text);
      }
    } catch (error) {
      // Take back everything, newest first, freeing room before the old values go back in.
      for (const key of written.reverse()) {
        try {
          const old = before.get(key) ?? null;
          if (old === null) this.backend.removeItem(key);
          else this.backend.setItem(key, old);
        } catch {
          // Keep going: every other key still goes back.
        }
      }
      const reason = failureOf(error);
      return {
        ok: false,
        error:
          reason.kind === 'quota'
            ? `This browser's storage for the course has no room for this file and a backup of your current progress (about ${megabytes(
                [...texts.values()].reduce((total, text) => total + (text?.length ?? 0), 0),
              )}). Nothing was changed. Export your progress to keep a copy, free some space in the browser's site data, then import again.`
            : `${failureMessages.unavailable} Nothing was imported.`,
      };
    }
    this.progress = next;
    this.pending.clear();
    this.metaUnsaved = false;
    for (const [key, text] of texts) if (key !== BACKUP_KEY) this.seen.set(key, text);
    return { ok: true, saved: { ok: true } };
  }

  private dataKeys(): string[] {
    return [
      LESSON_PROGRESS_KEY,
      PREFERENCES_KEY,
      ...Object.keys(this.progress.exercises).map((id) => `${EXERCISE_PREFIX}${id}`),
    ];
  }

  /** Every key this tab holds or storage now has. */
  private knownKeys(): string[] {
    let stored: string[] = [];
    try {
      stored = this.backend.keys().filter((key) => key.startsWith(EXERCISE_PREFIX) && isDataKey(key));
    } catch {
      // Storage cannot be listed: look at what this tab knows.
    }
    return [META_KEY, ...new Set([...this.dataKeys(), ...stored])];
  }

  private applyStorageEvent(key: string | null): void {
    if (key === null) this.refresh();
    else if (isDataKey(key)) this.refresh(key);
  }

  private valueOf(key: string): Value {
    if (key === LESSON_PROGRESS_KEY) return this.progress.lessons;
    if (key === PREFERENCES_KEY) return this.progress.preferences;
    return this.progress.exercises[key.slice(EXERCISE_PREFIX.length)];
  }

  private setValue(key: string, value: Value): void {
    if (key === LESSON_PROGRESS_KEY) {
      this.progress = { ...this.progress, lessons: value as Progress['lessons'] };
    } else if (key === PREFERENCES_KEY) {
      this.progress = { ...this.progress, preferences: value as Preferences };
    } else {
      const { [key.slice(EXERCISE_PREFIX.length)]: _, ...others } = this.progress.exercises;
      const exercises =
        value === undefined
          ? others
          : { ...others, [key.slice(EXERCISE_PREFIX.length)]: value as ExerciseState };
      this.progress = { ...this.progress, exercises };
    }
  }

  /** A key's stored text as a value; undefined when it cannot be read as one (it is then set aside). */
  private parse(key: string, raw: string | null): { value: Value } | undefined {
    let json: unknown;
    try {
      json = raw === null ? undefined : JSON.parse(raw);
    } catch {
      json = Symbol('not JSON');
    }
    const checked =
      key === LESSON_PROGRESS_KEY
        ? lessonsSchema.safeParse((json as { lessons?: unknown } | undefined)?.lessons ?? {})
        : key === PREFERENCES_KEY
          ? json === undefined
            ? { success: true as const, data: defaultPreferences() }
            : preferencesSchema.safeParse(json)
          : json === undefined
            ? { success: true as const, data: undefined }
            : exerciseStateSchema.safeParse(json);
    if (checked.success) return { value: checked.data };
    const failures: StorageFailure[] = [];
    setAsideIn(this.backend, failures, key, raw ?? '', `${key} as another tab saved it`);
    for (const failure of failures) this.fail(failure);
    return undefined;
  }

  /** Re-reads keys and takes in what another tab stored there, with this tab's unsaved changes on top. */
  private takeIn(keys: readonly string[]): ExternalChange {
    const change: ExternalChange = { exercises: {}, lessons: false, preferences: false };
    let changed = false;
    for (const key of keys) {
      let raw: string | null;
      try {
        raw = this.backend.getItem(key);
      } catch {
        continue;
      }
      if (raw === (this.seen.get(key) ?? null)) continue;
      this.seen.set(key, raw);
      if (key === META_KEY) {
        const version = (this.parseMeta(raw) ?? 0) as number;
        if (version > this.version && !this.readOnly) {
          this.readOnly = { kind: 'newer-version', message: failureMessages['newer-version'] };
          this.fail(this.readOnly);
        }
        continue;
      }
      const parsed = this.parse(key, raw);
      if (!parsed) continue;
      const next = (this.pending.get(key) ?? []).reduce((value, step) => step(value), parsed.value);
      const current = this.valueOf(key);
      if (same(current, next)) continue;
      this.setValue(key, next);
      changed = true;
      if (key === LESSON_PROGRESS_KEY) change.lessons = true;
      else if (key === PREFERENCES_KEY) change.preferences = true;
      else {
        const id = key.slice(EXERCISE_PREFIX.length);
        change.exercises[id] = {
          before: (current as ExerciseState | undefined) ?? emptyExercise(),
          after: (next as ExerciseState | undefined) ?? emptyExercise(),
        };
      }
    }
    if (changed) for (const listener of this.changeListeners) listener(change);
    return change;
  }

  private parseMeta(raw: string | null): number | undefined {
    try {
      const meta = raw === null ? undefined : (JSON.parse(raw) as { schemaVersion?: unknown });
      return typeof meta?.schemaVersion === 'number' ? meta.schemaVersion : undefined;
    } catch {
      return undefined;
    }
  }

  /** One change to one key: re-read, applied on top of what is stored, written. */
  private change(key: string, step: Change): StorageResult {
    this.takeIn([key]);
    this.pending.set(key, [...(this.pending.get(key) ?? []), step]);
    this.setValue(key, step(this.valueOf(key)));
    return this.flush();
  }

  /** Writes every key with changes not yet stored, the meta key first. */
  private flush(): StorageResult {
    if (this.pending.size === 0 && !this.metaUnsaved) return { ok: true };
    if (this.readOnly) return this.fail(this.readOnly);
    try {
      // Data is never stored without the version it was written in.
      if (this.metaUnsaved) {
        const meta = JSON.stringify({ schemaVersion: this.version });
        this.backend.setItem(META_KEY, meta);
        this.seen.set(META_KEY, meta);
        this.metaUnsaved = false;
      }
      for (const key of [...this.pending.keys()]) {
        const text = this.serialize(key);
        if (text === null) this.backend.removeItem(key);
        else this.backend.setItem(key, text);
        this.seen.set(key, text);
        this.pending.delete(key);
      }
    } catch (error) {
      return this.fail(failureOf(error));
    }
    return { ok: true };
  }

  /** The stored text of a key, or null when the key should not exist. */
  private serialize(key: string): string | null {
    if (key === LESSON_PROGRESS_KEY) return JSON.stringify({ lessons: this.progress.lessons });
    if (key === PREFERENCES_KEY) return JSON.stringify(this.progress.preferences);
    const state = this.progress.exercises[key.slice(EXERCISE_PREFIX.length)];
    return state ? JSON.stringify(state) : null;
  }

  private fail(failure: StorageFailure): StorageResult {
    for (const listener of this.listeners) listener(failure);
    return { ok: false, failure };
  }
}

function exerciseOf(value: Value): ExerciseState {
  return (value as ExerciseState | undefined) ?? emptyExercise();
}

function megabytes(chars: number): string {
  return `${(chars / 1_000_000).toFixed(chars < 100_000 ? 2 : 1)} MB`;
}
