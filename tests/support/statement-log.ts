/**
 * The statement log of a simulated (or wrapped real) PostgreSQL: every statement a grader's code sent,
 * in order, and the holds (a slow query, a row lock) and failures (a dropped connection) the grader
 * placed on statements. Shared by the harnesses that hand a node-postgres pool to the code under test.
 */
import { gate, nextMacrotask } from './settle';

/** A statement as the log records it. */
export interface Statement {
  text: string;
  values: unknown[];
  /** The error PostgreSQL answered with, if any. */
  error?: string;
  /** Reached the database without going through the pool the code under test was given (still counted). */
  unrecordedPath?: boolean;
}

/** Something the grader holds open until it releases it. */
export interface Hold {
  /** How many statements are being held right now. */
  readonly waiting: number;
  /** Lets every held one (and any later one) run. */
  release(): void;
}

/** What node-postgres reports when the server goes away mid-query (a restart, a failover, a network cut). */
export const connectionTerminated = () =>
  Object.assign(new Error('Connection terminated unexpectedly'), { code: undefined as string | undefined });

export type QueryConfig = { text: string; values?: unknown[] };
type QueryCallback = (error: Error | null, result?: unknown) => void;
export type Query = (...args: unknown[]) => Promise<unknown>;

type HoldEntry = { pattern: RegExp; waiting: number; gate: ReturnType<typeof gate>; released: boolean };

/** A statement that only reads: a SELECT (or TABLE, VALUES), or a WITH that changes nothing. */
const isRead = (text: string) =>
  /^\s*(\(\s*)?(select|with|table|values)\b/i.test(text) &&
  !(/^\s*with\b/i.test(text) && /\b(update|insert|delete|merge)\b/i.test(text));

/**
 * What every connection your service uses shares: the statements it sent (in order), the holds and the
 * failures the grader placed. `send` passes a statement on to the server (pg-mem, or a real one).
 */
export function statementLog(send: (run: () => Promise<unknown>, statement: Statement) => Promise<unknown>) {
  const statements: Statement[] = [];
  const holds: HoldEntry[] = [];
  const failures: Array<{ pattern: RegExp; error: () => Error; stopped: boolean }> = [];
  const release = (entry: HoldEntry) => {
    entry.released = true;
    entry.gate.open();
  };

  /** A `query` that records each statement and waits while a hold matches it, then runs `run`. */
  const recordingQuery =
    (run: Query) =>
    (config: string | QueryConfig, valuesOrCallback?: unknown, maybeCallback?: QueryCallback) => {
      const text = typeof config === 'string' ? config : config.text;
      const values = Array.isArray(valuesOrCallback)
        ? valuesOrCallback
        : typeof config === 'string'
          ? []
          : (config.values ?? []);
      const callback =
        typeof valuesOrCallback === 'function' ? (valuesOrCallback as QueryCallback) : maybeCallback;
      const statement: Statement = { text: String(text), values };
      statements.push(statement);

      const execute = async () => {
        const hold = holds.find((h) => !h.released && h.pattern.test(statement.text));
        if (hold) {
          hold.waiting++;
          await hold.gate.wait;
          hold.waiting--;
        }
        try {
          const failure = failures.find((f) => !f.stopped && f.pattern.test(statement.text));
          if (failure) {
            await nextMacrotask();
            throw failure.error();
          }
          return await send(
            () => (Array.isArray(valuesOrCallback) ? run(config, valuesOrCallback) : run(config)),
            statement,
          );
        } catch (error) {
          statement.error = error instanceof Error ? error.message : String(error);
          throw error;
        }
      };
      if (!callback) return execute();
      execute().then(
        (result) => callback(null, result),
        (error: Error) => callback(error),
      );
      return undefined;
    };

  return {
    statements,
    recordingQuery,
    reads: () => statements.filter((s) => isRead(s.text)).length,
    hold: (pattern: RegExp): Hold => {
      const entry = { pattern, waiting: 0, gate: gate(), released: false };
      holds.push(entry);
      return {
        get waiting() {
          return entry.waiting;
        },
        release: () => release(entry),
      };
    },
    fail: (pattern: RegExp, error: () => Error = connectionTerminated) => {
      const failure = { pattern, error, stopped: false };
      failures.push(failure);
      return {
        stop: () => {
          failure.stopped = true;
        },
      };
    },
    releaseAll: () => {
      for (const entry of holds) release(entry);
    },
    /** The error a statement with this text fails with now, if a failure placed by the grader matches. */
    failureFor: (text: string) => failures.find((f) => !f.stopped && f.pattern.test(text))?.error,
    forget: () => {
      for (const entry of holds) release(entry);
      for (const failure of failures) failure.stopped = true;
      statements.length = 0;
    },
  };
}

/**
 * The first of a request's values that a statement carries inside its SQL text rather than as a
 * parameter ($1): the sign of SQL built out of the request. Undefined when there is none. Text is
 * looked for anywhere; a number only where it is compared or listed (= 3, IN (3, ...)), since a query
 * has numbers of its own (LIMIT 1, stock > 0, ORDER BY 1).
 */
export function inlinedValue(text: string, values: readonly string[]): string | undefined {
  return values.find((value) => {
    if (!/^\d+$/.test(value)) return text.includes(value);
    return new RegExp(`(=|\\bin\\s*\\(|,)\\s*'?${value}'?(?![\\w.])`, 'i').test(text);
  });
}
