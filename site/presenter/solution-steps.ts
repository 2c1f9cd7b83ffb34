import type { ExerciseTask } from '../../engine/course/manifest.ts';

/**
 * A reference solution cut into the steps of a walkthrough, at build time: each step is a stretch of
 * the file as it is (split where the author left a blank line), with one sentence taken from the
 * comment the author wrote there, and the task whose hints talk about the same names.
 */
export interface SolutionStep {
  code: string;
  note: string;
  task?: Pick<ExerciseTask, 'number' | 'title'>;
}

const commentLine = /^\s*(\/\/|\/\*|\*)/;
const isCode = (line: string) => line.trim() !== '' && !commentLine.test(line);

/** Words too common in TypeScript to tell one task from another. */
const common = new Set(
  'const return await async function export import from type interface null undefined true false string number boolean Promise new throw catch finally else void readonly'.split(
    ' ',
  ),
);
const namesIn = (text: string) =>
  new Set(
    [...text.matchAll(/[A-Za-z_$][\w$]{3,}/g)].map(([name]) => name).filter((name) => !common.has(name)),
  );

/** The task whose hints share the most names with the code, if at least three. */
function taskFor(code: string, tasks: readonly ExerciseTask[]): SolutionStep['task'] {
  let best: { task: ExerciseTask; shared: number } | undefined;
  const names = namesIn(code);
  for (const task of tasks) {
    const hinted = namesIn(task.hints.join('\n'));
    const shared = [...names].filter((name) => hinted.has(name)).length;
    if (shared >= 3 && shared > (best?.shared ?? 0)) best = { task, shared };
  }
  return best && { number: best.task.number, title: best.task.title };
}

/** The first sentence of the first comment in a stretch of code. */
function commentSentence(lines: readonly string[]): string | undefined {
  const start = lines.findIndex((line) => commentLine.test(line));
  if (start < 0) return undefined;
  const comment: string[] = [];
  for (const line of lines.slice(start)) {
    if (!commentLine.test(line)) break;
    comment.push(line.replace(/^\s*(\/\/|\/\*\*?|\*\/|\*)\s?/, '').replace(/\*\/\s*$/, ''));
  }
  const text = comment.join(' ').replace(/\s+/g, ' ').trim();
  return text.match(/^.*?\.(?=\s|$)/)?.[0] ?? (text || undefined);
}

function declarationIn(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const declared = line.match(/^\s*(?:export\s+)?(?:async\s+)?(?:function|const|class|let)\s+([\w$]+)/);
    if (declared) return declared[1];
    const method = line.match(/^\s*(?:async\s+)?([\w$]+)\s*\([^)]*\)\s*(?::[^{]*)?\{\s*$/);
    if (method && isCode(line)) return method[1];
  }
  return undefined;
}

/** Stretches separated by blank lines; a stretch with no code, or a single line, joins the next one. */
function stretches(source: string): string[][] {
  const raw: string[][] = [[]];
  for (const line of source.replace(/\s+$/, '').split('\n')) {
    const current = raw.at(-1) as string[];
    if (line.trim() === '') {
      if (current.length > 0) raw.push([]);
    } else current.push(line);
  }
  const merged: string[][] = [];
  let carried: string[] = [];
  for (const lines of raw.filter((stretch) => stretch.length > 0)) {
    const joined = carried.length > 0 ? [...carried, '', ...lines] : lines;
    if (joined.filter(isCode).length < 2) carried = joined;
    else {
      merged.push(joined);
      carried = [];
    }
  }
  if (carried.length > 0) {
    const last = merged.pop();
    merged.push(last ? [...last, '', ...carried] : carried);
  }
  return merged;
}

export function solutionSteps(source: string, tasks: readonly ExerciseTask[]): SolutionStep[] {
  return stretches(source).map((lines, index) => {
    const code = lines.join('\n');
    // The file's header (imports, re-exported types) belongs to every task.
    const header = index === 0 || /^(import|export (type )?\{)/.test(lines.find(isCode) ?? '');
    const task = header ? undefined : taskFor(code, tasks);
    const name = declarationIn(lines);
    const note =
      commentSentence(lines) ??
      (header
        ? 'What the file imports and exports.'
        : task
          ? `${name ?? 'This part'} is code this task needs.`
          : `${name ?? 'This part'} completes the file.`);
    return { code, note, ...(task && { task }) };
  });
}
