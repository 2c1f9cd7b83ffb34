/**
 * The diagrams of a lesson, read from its MDX source at build time so that presenter mode shows the
 * very figures the lesson shows. A lesson's figures are plain inline SVG inside <Figure caption="...">
 * (see the lessons contract), which is also valid HTML, so no MDX rendering is needed to reuse them.
 */

export interface LessonFigure {
  caption: string;
  /** The inline SVG, as written in the lesson. */
  svg: string;
}

const figurePattern = /<Figure\s+caption="([^"]*)"\s*>([\s\S]*?)<\/Figure>/g;

export function lessonFigures(slug: string, body: string): LessonFigure[] {
  return [...body.matchAll(figurePattern)].map(([, caption = '', inner = '']) => {
    // A JSX expression would reach the page as literal text: the lesson needs MDX to render it.
    if (inner.includes('{')) {
      throw new Error(
        `lessons/${slug}.mdx: a figure for presenter mode must be plain SVG, without {expressions}`,
      );
    }
    return { caption, svg: inner.trim() };
  });
}

/** A lesson's key diagram: its first figure, the one that shows the mechanism the lesson teaches. */
export function keyFigure(slug: string, body: string): LessonFigure | undefined {
  return lessonFigures(slug, body)[0];
}
