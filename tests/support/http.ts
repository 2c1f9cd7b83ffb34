/**
 * HTTP for graders of handlers written against the web platform's Request and Response (the Fetch API:
 * the shape of Hono, Deno, Bun and Cloudflare Workers handlers). They exist in Node 20, in browsers and
 * in Workers, so a grader builds real Request objects, hands them to the learner's handler, and reads
 * the Response it gets back, in every runtime alike.
 */

/** The origin graders' requests are addressed to: only the path and query matter to a handler. */
export const ORIGIN = 'http://shop.test';

export interface RequestSpec {
  method?: string;
  /** Path and query, e.g. /products/7?fields=name */
  path: string;
  /** Sent as JSON (a string is sent as it is, to test malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
}

export function httpRequest(spec: RequestSpec): Request {
  const headers = new Headers(spec.headers);
  let body: string | undefined;
  if (spec.body !== undefined) {
    body = typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  return new Request(`${ORIGIN}${spec.path}`, { method: spec.method ?? 'GET', headers, body });
}

/** A request as a log line shows it: `PATCH /products/7 {"stock":3}`. */
export function requestLine(spec: RequestSpec): string {
  const body =
    spec.body === undefined
      ? ''
      : ` ${typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body)}`;
  return `${spec.method ?? 'GET'} ${spec.path}${body}`;
}

/** What came back, read once: the body as text, and as JSON when it parses. */
export interface ReadResponse {
  status: number;
  headers: Headers;
  /** The media type without parameters, lower case ('' when there is no Content-Type). */
  mediaType: string;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
  isJson: boolean;
}

export async function readResponse(response: Response): Promise<ReadResponse> {
  const text = await response.text();
  let json: unknown;
  let isJson = false;
  try {
    json = JSON.parse(text);
    isJson = true;
  } catch {
    json = undefined;
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return { status: response.status, headers: response.headers, mediaType, text, json, isJson };
}

/** A response as a log line shows it: `404 application/json {"error":"..."}`, the body shortened. */
export function responseLine(response: ReadResponse, limit = 160): string {
  const body = response.text.length > limit ? `${response.text.slice(0, limit - 3)}...` : response.text;
  return `${response.status} ${response.mediaType || '(no Content-Type)'} ${body || '(empty body)'}`.trim();
}
