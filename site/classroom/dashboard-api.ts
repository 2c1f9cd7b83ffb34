import type { Classroom } from '../../engine/classroom/classroom.ts';

/** The instructor's side of the classroom API, for the dashboard page. */

export type ClassState = ReturnType<Classroom['state']>;
export interface Room {
  classes: { code: string; name: string; createdAt: string }[];
  addresses: { address: string; qrSvg: string }[];
}

const TOKEN_KEY = 'request-journey:classroom:instructor-token';

/**
 * The instructor token: taken from the printed address's #token=, kept for this tab only, and
 * removed from the address bar so a projected or shared screen never shows it.
 */
export function instructorToken(): string | undefined {
  const fromAddress = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromAddress) {
    sessionStorage.setItem(TOKEN_KEY, fromAddress);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function rememberToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function instructorApi(token: string) {
  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(path, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      throw new ApiError(response.status, body.error ?? `The classroom server answered ${response.status}.`);
    }
    return (
      response.headers.get('content-type')?.startsWith('application/json') ? response.json() : response.blob()
    ) as Promise<T>;
  }
  const classPath = (code: string, what: string) => `/api/classes/${encodeURIComponent(code)}/${what}`;
  return {
    room: () => call<Room>('/api/room'),
    state: (code: string) => call<ClassState>(classPath(code, 'state')),
    events: (code: string) =>
      new EventSource(`${classPath(code, 'events')}?token=${encodeURIComponent(token)}`),
    resultsCsv: (code: string) => call<Blob>(classPath(code, 'results.csv')),
    createClass: (name: string) =>
      call<{ code: string }>('/api/classes', { method: 'POST', body: JSON.stringify({ name }) }),
    importFiles: (code: string, files: { name: string; file: unknown }[]) =>
      call<{ imported: number }>(classPath(code, 'import'), { method: 'POST', body: JSON.stringify(files) }),
    resolveHand: (handId: string) =>
      call<{ lowered: true }>(`/api/hands/${encodeURIComponent(handId)}`, { method: 'DELETE' }),
  };
}
export type InstructorApi = ReturnType<typeof instructorApi>;

/**
 * A learner's name from their export's file name: what was added to the usual
 * request-journey-progress-<date>.json (e.g. "... Ada.json"), or else the whole name, so files stay apart.
 */
export function learnerNameOf(fileName: string): string {
  const base = fileName.replace(/\.json$/i, '');
  const added = base.replace(/^request-journey-progress-?(\d{4}-\d{2}-\d{2})?[\s_-]*/i, '');
  return (/\p{L}/u.test(added) ? added : base).slice(0, 40);
}
