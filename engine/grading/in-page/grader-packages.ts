/**
 * The packages graders and harnesses may import. The in-page runner cannot
 * resolve packages itself: its host (the site's Worker bundle, or Node in the
 * self-check) loads exactly these and hands them over.
 */
export const GRADER_PACKAGES = [
  'ioredis-mock',
  // Lua for ioredis-mock's scripts, kept between calls (tests/support/redis-scripts.ts).
  'fengari',
  'fengari-interop',
  // SHA-1 names for EVALSHA, also where a page has no crypto.subtle (plain http from another computer).
  'sha.js',
  'pg-mem',
  '@sinonjs/fake-timers',
  'pgsql-ast-parser',
  'fast-check',
] as const;
export type GraderPackage = (typeof GRADER_PACKAGES)[number];
