/**
 * pgsql-ast-parser as graders get it in the in-page runner: `parse(text)` remembers its answer for as long
 * as the realm lives. Parsing is a pure function of the text and takes about a millisecond for a statement
 * with comments; a grader that generates statements from the run's seed parses the same ones in every run,
 * and the grading Worker graded the reference solution with that seed while it warmed up, so the learner's
 * run finds them parsed. The statements are frozen: no run can change what a later run reads.
 */

type Parse = (text: string, ...options: unknown[]) => unknown;

/** Past this many texts, start over: a Node process grades implementation after implementation. */
const REMEMBERED = 5_000;

const parses = new Map<string, unknown>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function remembering(parse: Parse): Parse {
  return (text, ...options) => {
    // Options (an entry point, locations) change the answer: those calls are not remembered.
    if (options.length > 0 || typeof text !== 'string') return parse(text, ...options);
    if (parses.has(text)) return parses.get(text);
    const statements = deepFreeze(parse(text));
    if (parses.size >= REMEMBERED) parses.clear();
    parses.set(text, statements);
    return statements;
  };
}

const wrapped = new WeakMap<object, object>();

/** The host modules with pgsql-ast-parser's parse remembering (the same wrapper for the same package, run after run). */
export function withRememberedParses(hostModules: Record<string, unknown>): Record<string, unknown> {
  const parser = hostModules['pgsql-ast-parser'] as { parse?: unknown } | undefined;
  if (typeof parser !== 'object' || parser === null || typeof parser.parse !== 'function') return hostModules;
  let module = wrapped.get(parser);
  if (!module) {
    module = { ...parser, parse: remembering(parser.parse as Parse) };
    wrapped.set(parser, module);
  }
  return { ...hostModules, 'pgsql-ast-parser': module };
}
