/**
 * Grader-only: what PostgreSQL makes of a statement, decided by a real SQL
 * parser (pgsql-ast-parser). The simulated standbys use it to refuse what a hot
 * standby refuses, and the grader uses it as the reference verdict for task 2.
 * It is the answer to task 2, so it is not part of the harness your router may
 * use: classify statements yourself.
 */

import { astVisitor, parse, type Statement } from 'pgsql-ast-parser';

/** What PostgreSQL would make of a statement on a read-only standby. */
export type StatementKind =
  /** plain reads: fine anywhere */
  | 'read'
  /** takes locks but changes no data: FOR UPDATE/SHARE (refused on a standby), advisory locks */
  | 'lock'
  /** changes data or schema: refused on a standby, replicated from the primary */
  | 'write'
  | 'begin'
  | 'commit'
  | 'rollback';

export interface Classification {
  kind: StatementKind;
  /** The name PostgreSQL gives it in "cannot execute X in a read-only transaction". */
  label: string;
  /** The functions the statement calls, lower-cased. */
  calls: readonly string[];
  /** How many statements the text holds. */
  statements: number;
  /** Only SELECTs (with UNION and read-only WITH): statements a replica must answer. */
  plainSelect: boolean;
}

/** Functions that change state: a standby refuses them (or they mean nothing there). */
const sideEffectFunctions = new Set(['nextval', 'setval', 'pg_notify', 'txid_current', 'pg_current_xact_id']);
/** Functions known to only compute a value: a SELECT calling only these is a plain read. */
const readOnlyFunctions = new Set(['count', 'sum', 'min', 'max', 'avg', 'lower', 'upper', 'coalesce', 'now']);
const isAdvisoryLock = (name: string) => /^pg_(try_)?advisory_/.test(name);

/** Functions called anywhere, and whether any SELECT (subqueries included) takes row locks. */
function inspect(statements: Statement[]): { calls: string[]; rowLock: string | undefined } {
  const calls: string[] = [];
  let rowLock: string | undefined;
  const visitor = astVisitor((map) => ({
    call: (call) => {
      calls.push(call.function.name.toLowerCase());
      map.super().call(call);
    },
    selection: (select) => {
      if (select.for && rowLock === undefined) rowLock = `SELECT FOR ${select.for.type.toUpperCase()}`;
      map.super().selection(select);
    },
  }));
  for (const statement of statements) visitor.statement(statement);
  return { calls, rowLock };
}

function kindOf(statement: Statement): StatementKind {
  switch (statement.type) {
    case 'begin':
    case 'start transaction':
      return 'begin';
    case 'commit':
      return 'commit';
    case 'rollback':
      return 'rollback';
    case 'select':
    case 'values':
    case 'show':
    case 'union':
    case 'union all':
      return 'read';
    case 'with': {
      const parts = [...statement.bind.map((bound) => bound.statement), statement.in];
      return parts.map(kindOf).includes('write') ? 'write' : 'read';
    }
    default:
      return 'write';
  }
}

const isPlainSelect = (statement: Statement): boolean =>
  statement.type === 'select' ||
  statement.type === 'union' ||
  statement.type === 'union all' ||
  (statement.type === 'with' &&
    [...statement.bind.map((bound) => bound.statement), statement.in].every(isPlainSelect));

/** The name PostgreSQL gives a statement in "cannot execute X in a read-only transaction". */
function labelOf(statement: Statement): string {
  // A data-modifying WITH is refused under the name of the statement it ends in:
  // WITH x AS (INSERT ...) SELECT ... is "cannot execute SELECT in a read-only transaction".
  if (statement.type === 'with') return labelOf(statement.in);
  return statement.type.toUpperCase();
}

export function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

const classified = new Map<string, Classification>();

/** Classifies one SQL string like the server would, or throws PostgreSQL's syntax error. */
export function classify(sql: string): Classification {
  let known = classified.get(sql);
  if (!known) {
    known = classifyUncached(sql);
    classified.set(sql, known);
  }
  return known;
}

/**
 * The statement with each dollar-quoted string ($$...$$, $tag$...$tag$) written as
 * a standard string literal, for the parser, which only knows the latter.
 */
export function standardStrings(sql: string): string {
  if (!sql.includes('$')) return sql;
  const token =
    /--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"|\$([A-Za-z_]\w*)?\$([\s\S]*?)\$\1\$/g;
  return sql.replace(token, (match, _tag: string | undefined, body: string | undefined) =>
    body === undefined ? match : `'${body.replace(/'/g, "''")}'`,
  );
}

function classifyUncached(sql: string): Classification {
  let statements: Statement[];
  try {
    statements = parse(standardStrings(sql));
  } catch {
    if (/\?/.test(sql.replace(/'(?:[^']|'')*'/g, ''))) throw pgError('syntax error at or near "?"', '42601');
    throw pgError(`syntax error in: ${sql.trim().slice(0, 60)}`, '42601');
  }
  const shape = { statements: statements.length, plainSelect: statements.every(isPlainSelect) };
  const { calls, rowLock } = inspect(statements);
  let kind: StatementKind = 'read';
  let label = '';
  for (const statement of statements) {
    const own = kindOf(statement);
    if (own !== 'read' && kind === 'read') {
      kind = own;
      label = labelOf(statement);
    }
  }
  const mutating = calls.find((name) => sideEffectFunctions.has(name));
  if (mutating && kind === 'read') return { kind: 'write', label: `${mutating}()`, calls, ...shape };
  if (kind === 'read' && rowLock) return { kind: 'lock', label: rowLock, calls, ...shape };
  if (kind === 'read' && calls.some(isAdvisoryLock))
    return { kind: 'lock', label: 'advisory lock', calls, ...shape };
  return { kind, label, calls, ...shape };
}

/** Where a correct router must send a statement it is given through query(). */
export type Route = 'replica' | 'primary' | 'either';

/**
 * The reference verdict: a single SELECT that reads only must go to a replica;
 * anything that writes, locks or has side effects must go to the primary; other
 * reads (SHOW, VALUES, several reads in one string) may go either way.
 */
export function expectedRoute(sql: string): Route {
  const { kind, statements, plainSelect, calls } = classify(sql);
  if (kind !== 'read') return 'primary';
  if (statements !== 1 || !plainSelect) return 'either';
  // A function we do not know may write (a user-defined place_order(), say): either is fine.
  return calls.every((name) => readOnlyFunctions.has(name)) ? 'replica' : 'either';
}
