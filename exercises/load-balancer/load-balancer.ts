import type { ProxyRequest, ProxyResponse, SendToUpstream } from '@grader/load-balancer/harness';
// `send` rejects with an UpstreamError ({ upstream, kind: 'error' | 'timeout', requestSent }).
// Import the class as a value when you need `error instanceof UpstreamError` (task 5):
// import { UpstreamError } from '@grader/load-balancer/harness';

/** How the load balancer chooses an upstream for each request. */
export type Strategy = 'round-robin' | 'least-connections' | 'weighted-round-robin';

/** One application server behind the load balancer (nginx: a `server` line in an `upstream` block). */
export interface UpstreamConfig {
  name: string;
  /** Share of the traffic under 'weighted-round-robin' (default 1); the other strategies ignore it. */
  weight?: number;
}

/**
 * The cases of nginx's `proxy_next_upstream`: when a try has failed and the request may go to the next
 * upstream. 'error' and 'timeout' always count towards maxFails; a listed 500, 502, 503, 504 or 429 counts
 * too; a 403 or 404 never does. 'non_idempotent' also lets POST, LOCK and PATCH move on after they were
 * sent; 'off' (alone) never passes a request on.
 */
export type NextUpstream =
  | 'error'
  | 'timeout'
  | 'http_500'
  | 'http_502'
  | 'http_503'
  | 'http_504'
  | 'http_403'
  | 'http_404'
  | 'http_429'
  | 'non_idempotent'
  | 'off';

export interface LoadBalancerOptions {
  upstreams: UpstreamConfig[];
  strategy: Strategy;
  /** Sends one attempt to one upstream: resolves with its response, rejects with an UpstreamError. */
  send: SendToUpstream;
  /** The current time in milliseconds. The grader simulates time: use this, not a clock of your own. */
  now: () => number;
  /** Failed attempts that take an upstream out (nginx max_fails, default 1; 0 = never). */
  maxFails?: number;
  /** How long a failed upstream stays out, and how soon a success forgives its failures (nginx fail_timeout, default 10 s). */
  failTimeoutMs?: number;
  /** Most attempts for one request, the first included (nginx proxy_next_upstream_tries, default 0 = no limit). */
  maxTries?: number;
  /** When to pass a request to the next upstream (nginx proxy_next_upstream, default ['error', 'timeout']). */
  nextUpstream?: NextUpstream[];
}

export interface LoadBalancer {
  /** Proxies one client request and resolves with the response the client gets. Never rejects for upstream failures. */
  handle(request: ProxyRequest): Promise<ProxyResponse>;
}

export function createLoadBalancer(options: LoadBalancerOptions): LoadBalancer {
  const { strategy, send } = options;
  // TODO (task 4): read maxFails (default 1) and failTimeoutMs (default 10_000), and use options.now().
  // TODO (task 5): read maxTries (default 0: no limit) and nextUpstream (default ['error', 'timeout']).

  // Per-upstream state lives here (built from options.upstreams): a round-robin position,
  // in-flight counts, current weights, nginx's failure bookkeeping (fails, checked, accessed)...

  function choose(): UpstreamConfig {
    switch (strategy) {
      case 'round-robin':
        // TODO (task 1): give each upstream the next request in turn.
        throw new Error('TODO (task 1): round-robin is not implemented yet');
      case 'least-connections':
        // TODO (task 2): pick the upstream with the fewest requests in flight; ties in turn.
        throw new Error('TODO (task 2): least-connections is not implemented yet');
      case 'weighted-round-robin':
        // TODO (task 3): nginx's smooth weighted round-robin.
        throw new Error('TODO (task 3): smooth weighted round-robin is not implemented yet');
    }
  }

  return {
    async handle(request) {
      // TODO (task 4): skip upstreams that are down; record every failed attempt (an error, a timeout,
      //                or a status nextUpstream lists other than 403/404) and nginx's trial after fail_timeout.
      // TODO (task 5): when the failure's case is in nextUpstream, try an upstream this request has not tried,
      //                within maxTries, never a POST/PATCH/LOCK the upstream may have received (unless
      //                'non_idempotent' is listed); at the end the client gets the last try's outcome: its
      //                response as it was, or 502 after an error and 504 after a timeout.
      // TODO (task 6): when no upstream is up, answer 502 or 503 at once without calling send().
      const upstream = choose();
      return send(upstream.name, request);
    },
  };
}
