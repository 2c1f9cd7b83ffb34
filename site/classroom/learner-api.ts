/**
 * The learner's side of the classroom server's API (the contract in the
 * README's workshop section): the probe that tells a page it is served by a
 * classroom server, joining a class, sending a report, raising and lowering a
 * hand. Every call answers with what happened instead of throwing, so the
 * panel and the queue can say it to the learner.
 */

export interface Membership {
  classCode: string;
  name: string;
  className: string;
  learnerId: string;
  learnerToken: string;
}

export interface ReportTask {
  task: number;
  title: string;
  passed: boolean;
  message?: string;
}

export interface Report {
  reportId: string;
  exercise: string;
  at: string;
  tasks: ReportTask[];
}

export interface Hand {
  exercise: string;
  task: number;
  message?: string;
  code?: Record<string, string>;
}

export type Answer<T> =
  | { kind: 'ok'; body: T }
  /** The server read the request and said no: retrying the same request cannot help. */
  | { kind: 'refused'; status: number; error: string }
  /** Too many requests from this browser: try again after this long. */
  | { kind: 'later'; afterMs: number }
  /** No answer, or the server failed: the same request may succeed later. */
  | { kind: 'unreachable' };

/** The calls the learner side makes; tests hand in a fake. */
export interface ClassroomApi {
  join(classCode: string, name: string): Promise<Answer<Omit<Membership, 'classCode' | 'name'>>>;
  report(token: string, report: Report): Promise<Answer<{ stored: boolean; duplicate?: boolean }>>;
  raiseHand(token: string, hand: Hand): Promise<Answer<{ handId: string }>>;
  lowerHand(token: string, handId: string): Promise<Answer<unknown>>;
}

/** Longer than any answer a room's server takes; a request left hanging would hold the queue. */
const REQUEST_TIMEOUT_MS = 15_000;

async function call<T>(path: string, init: RequestInit, token?: string): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: {
        'Content-Type': 'application/json',
        ...(token && { Authorization: `Bearer ${token}` }),
      },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    return { kind: 'unreachable' };
  }
  const body = (await response.json().catch(() => undefined)) as (T & { error?: unknown }) | undefined;
  if (response.ok) return { kind: 'ok', body: body as T };
  if (response.status === 429) {
    const seconds = Number(response.headers.get('Retry-After'));
    return { kind: 'later', afterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 5_000 };
  }
  // 408 and 5xx (or a proxy's page without the server's JSON) are the server's trouble, not the request's.
  if (response.status === 408 || response.status >= 500 || typeof body?.error !== 'string') {
    return { kind: 'unreachable' };
  }
  return { kind: 'refused', status: response.status, error: body.error };
}

export const httpClassroomApi: ClassroomApi = {
  join: (classCode, name) => call('/api/join', { method: 'POST', body: JSON.stringify({ classCode, name }) }),
  report: (token, report) => call('/api/reports', { method: 'POST', body: JSON.stringify(report) }, token),
  raiseHand: (token, hand) => call('/api/hands', { method: 'POST', body: JSON.stringify(hand) }, token),
  lowerHand: (token, handId) => call(`/api/hands/${encodeURIComponent(handId)}`, { method: 'DELETE' }, token),
};

let probe: Promise<boolean> | undefined;

/**
 * Whether this page is served by a classroom server. Asked once per page: a
 * static host answers 404 (or the offline copy's page), which costs one small request.
 */
export function servedByClassroom(): Promise<boolean> {
  probe ??= fetch('/api/classroom', {
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
    .then(async (response) => response.ok && (await response.json()).classroom === true)
    .catch(() => false);
  return probe;
}
