/**
 * The instructor switch: when on (kept in localStorage), every page shows a thin instructor bar with
 * links to the guides, and a lesson page links its own guide. Learners never see it unless they turn
 * it on at /instructor/.
 */
export const instructorStorageKey = 'request-journey:v1:instructor';

/** The guide of the lesson at `pathname`, if it is a lesson page. */
export function guidePathFor(pathname: string): string | undefined {
  const lesson = /^\/lessons\/([a-z0-9-]+)\/?$/.exec(pathname)?.[1];
  return lesson ? `/instructor/guides/${lesson}/` : undefined;
}
