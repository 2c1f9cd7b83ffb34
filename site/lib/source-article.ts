/**
 * The article this course was built from. Lessons that discuss it name and
 * link it; lesson-rules.ts checks that each one does.
 */
export const sourceArticle = {
  title: 'How Production Systems Actually Work: The Hidden Architecture Behind Every Request',
  author: 'HERALD',
  url: 'https://chyshkala.com/blog/how-production-systems-actually-work-the-hidden-architecture-behind-every-request',
} as const;
