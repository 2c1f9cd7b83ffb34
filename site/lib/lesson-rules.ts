import type { ExerciseManifest } from '../../engine/course/manifest.ts';
import type { LessonSummary } from './outline.ts';
import { sourceArticle } from './source-article.ts';

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

const mentionsArticle = /\bthe article(?:'s)?\b/i;

/** A lesson that talks about "the article" must link it, so a learner can read what is being discussed. */
export function sourceArticleProblems(slug: string, mdxBody: string): string[] {
  if (!mentionsArticle.test(mdxBody) || mdxBody.includes(`](${sourceArticle.url})`)) return [];
  return [`lessons/${slug}.mdx mentions the article but does not link it (${sourceArticle.url})`];
}

const servesStale = /\bstale-(?:while-revalidate|if-error)\b/i;

/**
 * s-maxage carries proxy-revalidate for shared caches (RFC 9111, 5.2.2.10), so those caches may
 * not serve the response stale (4.2.4): a Cache-Control line that pairs it with a stale-* directive
 * promises the edge something it must not do.
 */
export function cacheControlProblems(slug: string, mdxBody: string): string[] {
  return mdxBody
    .split('\n')
    .filter(
      (line) => /\bcache-control\s*:/i.test(line) && /\bs-maxage\b/i.test(line) && servesStale.test(line),
    )
    .map(
      (line) =>
        `lessons/${slug}.mdx pairs s-maxage with serving stale in "${line.trim()}": s-maxage forbids shared caches to serve stale (RFC 9111, 5.2.2.10); give the edge its lifetime with CDN-Cache-Control or one max-age for all caches`,
    );
}

/**
 * Every lesson can be completed, one way: by its exercise, or by its check (lessons/checks/<slug>.yaml)
 * where it has no exercise. A check for a lesson that does not exist is a misnamed file.
 */
export function checkProblems(lessons: readonly LessonSummary[], checkSlugs: readonly string[]): string[] {
  const problems = checkSlugs
    .filter((slug) => !lessons.some((lesson) => lesson.slug === slug))
    .map((slug) => `lessons/checks/${slug}.yaml is a check for lesson "${slug}", which does not exist`);
  for (const lesson of lessons) {
    const hasCheck = checkSlugs.includes(lesson.slug);
    if (lesson.exercise && hasCheck) {
      problems.push(
        `lessons/${lesson.slug}.mdx has both an exercise and lessons/checks/${lesson.slug}.yaml; its exercise completes it, so remove the check`,
      );
    } else if (!lesson.exercise && !hasCheck) {
      problems.push(
        `lessons/${lesson.slug}.mdx cannot be completed: give it an exercise, or questions in lessons/checks/${lesson.slug}.yaml`,
      );
    }
  }
  return problems;
}
