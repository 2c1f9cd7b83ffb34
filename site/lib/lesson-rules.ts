import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import type { LessonSummary } from './outline.ts';

/**
 * Checks that lessons and exercise manifests agree, so a typo in either fails
 * the build with a sentence instead of rendering a lesson without its exercise.
 */

const workspaceTag = /<Workspace\b/g;

export function workspaceCount(mdxBody: string): number {
  return mdxBody.match(workspaceTag)?.length ?? 0;
}

export function lessonExerciseProblems(
  lesson: LessonSummary,
  mdxBody: string,
  manifests: ReadonlyMap<string, ExerciseManifest>,
): string[] {
  const where = `lessons/${lesson.slug}.mdx`;
  const workspaces = workspaceCount(mdxBody);
  if (!lesson.exercise) {
    return workspaces === 0 ? [] : [`${where} uses <Workspace /> but its frontmatter names no \`exercise\``];
  }
  const problems: string[] = [];
  const manifest = manifests.get(lesson.exercise);
  if (!manifest) {
    const known = [...manifests.keys()].join(', ') || 'none';
    problems.push(`${where} names exercise "${lesson.exercise}", which does not exist (known: ${known})`);
  } else if (manifest.lesson !== lesson.slug) {
    problems.push(
      `${where} names exercise "${lesson.exercise}", but that exercise's manifest belongs to lesson "${manifest.lesson}"`,
    );
  }
  if (workspaces !== 1) {
    problems.push(`${where} has an exercise, so it needs exactly one <Workspace />; found ${workspaces}`);
  }
  return problems;
}
