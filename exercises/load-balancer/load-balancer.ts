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

export interface LoadBalancerOptions {
  upstreams: UpstreamConfig[];
  strategy: Strategy;
  /** Sends one attempt to one upstream: resolves with its response, rejects with an UpstreamError. */
  send: SendToUpstream;
  /** The current time in milliseconds. The grader passes a clock it moves by hand: use it, not Date.now(). */
  now: () => number;
  /** Failed attempts within failTimeoutMs that take an upstream out (nginx max_fails, default 1; 0 = never). */
  maxFails?: number;
  /** The window for counting failures, and how long a failed upstream stays out (nginx fail_timeout, default 10 s). */
  failTimeoutMs?: number;
  /** Most attempts for one request, the first included (nginx proxy_next_upstream_tries, default 0 = no limit). */
  maxTries?: number;
  /** Also pass POST, LOCK and PATCH to the next upstream after they were sent (nginx non_idempotent, default false). */
  retryNonIdempotent?: boolean;
}

export interface LoadBalancer {
  /** Proxies one client request and resolves with the response the client gets. Never rejects for upstream failures. */
  handle(request: ProxyRequest): Promise<ProxyResponse>;
}

export function createLoadBalancer(options: LoadBalancerOptions): LoadBalancer {
  const { strategy, send } = options;
  // TODO (task 4): read maxFails (default 1) and failTimeoutMs (default 10_000), and use options.now().
  // TODO (task 5): read maxTries (default 0: no limit) and retryNonIdempotent (default false).

  // Per-upstream state lives here (built from options.upstreams): a round-robin position,
  // in-flight counts, current weights, recent failures...

  function choose(): UpstreamConfig {
    switch (strategy) {
      case 'round-robin':
        // TODO (task 1): give each upstream the next request in turn.
        throw new Error('TODO (task 1): round-robin is not implemented yet');
      case 'least-connections':
        // TODO (task 2): pick the upstream with the fewest requests in flight.
        throw new Error('TODO (task 2): least-connections is not implemented yet');
      case 'weighted-round-robin':
        // TODO (task 3): nginx's smooth weighted round-robin.
        throw new Error('TODO (task 3): smooth weighted round-robin is not implemented yet');
    }
  }

  return {
    async handle(request) {
      // TODO (task 4): skip upstreams that are down; record every failed attempt (no answer, or a 5xx).
      // TODO (task 5): on a failure, try the next upstream (never the same one), within maxTries,
      //                never a POST/PATCH/LOCK the upstream may have received; when every try failed,
      //                return the last 5xx, or 502 after an error and 504 after a timeout.
      // TODO (task 6): when no upstream is up, answer 502 or 503 at once without calling send().
      const upstream = choose();
      return send(upstream.name, request);
    },
  };
}
