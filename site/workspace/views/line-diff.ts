import { diffLines } from 'diff';
import { h } from '../dom.ts';

/**
 * A line diff of two texts, unified: removed lines marked "-", added lines
 * "+", long unchanged stretches folded to a few lines of context. Used for a
 * test's expected/actual values and for the reference solution, where
 * comments and blank lines are left out of the changes: the starter's TODO
 * notes and the solution's explanations differ in prose, not in code.
 */

export interface DiffLabels {
  /** What the "-" side is, e.g. "expected" or "your code". */
  removed: string;
  /** What the "+" side is, e.g. "actual" or "reference solution". */
  added: string;
}

const CONTEXT = 3;

type Line = { kind: 'same' | 'removed' | 'added'; text: string };

/** A line with no code on it: blank, or a comment (`//`, or a line of a block comment). */
export function isProse(line: string): boolean {
  const text = line.trim();
  return text === '' || /^(\/\/|\/\*|\*)/.test(text);
}

/**
 * The diff as lines. With `codeOnly`, a removed line that is prose stays (as unchanged: it is the
 * learner's own note) and an added one is left out, so only changes to code are marked.
 */
export function diffAsLines(before: string, after: string, codeOnly = false): Line[] {
  return diffLines(before, after).flatMap((change) => {
    const kind = change.added ? 'added' : change.removed ? 'removed' : 'same';
    const lines = change.value.replace(/\n$/, '').split('\n');
    return lines.flatMap((text): Line[] => {
      if (!codeOnly || kind === 'same' || !isProse(text)) return [{ kind, text }];
      return kind === 'removed' ? [{ kind: 'same', text }] : [];
    });
  });
}

/** Unchanged lines far from any change are replaced by one "n unchanged lines" marker. */
function fold(lines: Line[]): Array<Line | { kind: 'folded'; count: number }> {
  const nearChange = lines.map((_, index) =>
    lines.slice(Math.max(0, index - CONTEXT), index + CONTEXT + 1).some((line) => line.kind !== 'same'),
  );
  const folded: Array<Line | { kind: 'folded'; count: number }> = [];
  for (const [index, line] of lines.entries()) {
    const last = folded.at(-1);
    if (line.kind !== 'same' || nearChange[index]) folded.push(line);
    else if (last?.kind === 'folded') last.count++;
    else folded.push({ kind: 'folded', count: 1 });
  }
  return folded;
}

/** `codeOnly`: mark only changes to code, not to comments and blank lines. */
export function lineDiff(before: string, after: string, labels: DiffLabels, codeOnly = false): HTMLElement {
  const rows = fold(diffAsLines(before, after, codeOnly)).map((line) => {
    if (line.kind === 'folded') {
      return h(
        'span',
        { class: 'ws-diff-fold' },
        `  … ${line.count} unchanged line${line.count === 1 ? '' : 's'}\n`,
      );
    }
    if (line.kind === 'same') return h('span', {}, `  ${line.text}\n`);
    const marker = line.kind === 'removed' ? '- ' : '+ ';
    return h(line.kind === 'removed' ? 'del' : 'ins', {}, `${marker}${line.text}\n`);
  });
  return h(
    'figure',
    { class: 'ws-diff' },
    h(
      'figcaption',
      {},
      h('span', { class: 'ws-diff-key-removed' }, `- ${labels.removed}`),
      h('span', { class: 'ws-diff-key-added' }, `+ ${labels.added}`),
    ),
    h('pre', { tabindex: 0 }, h('code', {}, rows)),
  );
}
