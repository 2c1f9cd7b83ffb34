import { lessonHref } from './outline.ts';

/**
 * The request journey: every stop a request passes on its way from the browser
 * to the data, in order. The home diagram, the lesson schema (`stop`) and the
 * phase switcher all read this one list.
 */

export const stopIds = [
  'dns',
  'cdn',
  'rate-limiter',
  'load-balancer',
  'api-gateway',
  'app-server',
  'cache',
  'database',
  'replicas',
] as const;

export type StopId = (typeof stopIds)[number];
export type PhaseNumber = 1 | 2 | 3;

export interface JourneyStop {
  id: StopId;
  label: string;
  /** One line on what the stop does for the request. */
  does: string;
  /** The phase in which the system first needs this part. */
  since: PhaseNumber;
}

export const stops: Record<StopId, JourneyStop> = {
  dns: {
    id: 'dns',
    label: 'DNS',
    does: 'Turns the name in the address bar into the IP address of a server that can answer.',
    since: 1,
  },
  cdn: {
    id: 'cdn',
    label: 'CDN edge',
    does: 'Answers from a nearby copy of static files and cacheable responses; only misses travel on.',
    since: 2,
  },
  'rate-limiter': {
    id: 'rate-limiter',
    label: 'Rate limiter',
    does: 'Counts requests per client and turns away the excess before it costs anything further in.',
    since: 3,
  },
  'load-balancer': {
    id: 'load-balancer',
    label: 'Load balancer',
    does: 'Spreads requests over the app servers and stops sending to any that fail their health checks.',
    since: 3,
  },
  'api-gateway': {
    id: 'api-gateway',
    label: 'API gateway',
    does: 'One front door for many services: checks who is calling, applies policy, picks the service.',
    since: 3,
  },
  'app-server': {
    id: 'app-server',
    label: 'App server',
    does: 'Runs the business logic, and keeps no state of its own so that any copy can take any request.',
    since: 1,
  },
  cache: {
    id: 'cache',
    label: 'Cache (Redis)',
    does: 'Keeps hot data in memory so that most reads never reach the database.',
    since: 2,
  },
  database: {
    id: 'database',
    label: 'Database',
    does: 'The source of truth: every write lands on the primary, which decides what happened.',
    since: 1,
  },
  replicas: {
    id: 'replicas',
    label: 'Read replicas',
    does: 'Copies of the primary that share the reads, each running slightly behind it.',
    since: 3,
  },
};

/**
 * The diagram's hops, left to right. A hop with two stops draws them side by
 * side: the app server consults its cache, the primary feeds its replicas.
 */
export const hops: readonly (readonly StopId[])[] = [
  ['dns'],
  ['cdn'],
  ['rate-limiter'],
  ['load-balancer'],
  ['api-gateway'],
  ['app-server', 'cache'],
  ['database', 'replicas'],
];

/** A stop without a lesson of its own links to the lesson that covers it. */
const coveredBy: Partial<Record<StopId, StopId>> = { database: 'replicas' };

/** The first lesson (in course order) that explains a stop, or its substitute's. */
export function lessonForStop<L extends { stop?: StopId | undefined }>(
  stop: StopId,
  lessonsInCourseOrder: readonly L[],
): L | undefined {
  const own = lessonsInCourseOrder.find((lesson) => lesson.stop === stop);
  if (own) return own;
  const substitute = coveredBy[stop];
  return substitute ? lessonForStop(substitute, lessonsInCourseOrder) : undefined;
}

/** The lesson page's workspace (site/components/mdx/Workspace.astro); the page opens the editor when its address ends in it. */
export const workspaceFragment = '#workspace';

export interface StopLink {
  href: string;
  /** True when the link opens the lesson with its exercise's editor open. */
  opensExercise: boolean;
}

/**
 * Where a stop's card leads: straight into the exercise where the stop's lesson has one (the lesson
 * page, with the editor open), otherwise to the lesson.
 */
export function stopLink(
  stop: StopId,
  lessonsInCourseOrder: readonly { slug: string; stop?: StopId | undefined; exercise?: string | undefined }[],
): StopLink | undefined {
  const lesson = lessonForStop(stop, lessonsInCourseOrder);
  if (!lesson) return undefined;
  const opensExercise = Boolean(lesson.exercise);
  return { href: lessonHref(lesson.slug) + (opensExercise ? workspaceFragment : ''), opensExercise };
}
