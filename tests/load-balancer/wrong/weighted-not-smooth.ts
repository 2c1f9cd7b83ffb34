// WRONG ON PURPOSE: plain weighted round-robin over an expanded list: weights 5,1,1 give a,a,a,a,a,b,c (bursts, not smooth).
import {
  type ProxyRequest,
  type ProxyResponse,
  type SendToUpstream,
  UpstreamError,
} from '@grader/load-balancer/harness';

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
  /** The current time in milliseconds. The grader passes a clock it moves by hand. */
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

/** What the load balancer tracks about each upstream. */
interface Peer {
  readonly name: string;
  readonly weight: number;
  /** Smooth weighted round-robin state (nginx's current_weight). */
  currentWeight: number;
  /** Attempts sent and not yet settled, for least-connections. */
  inFlight: number;
  /** When recent failed attempts happened; only those within failTimeoutMs count. */
  recentFailures: number[];
  /** Out of rotation until this time (inclusive). */
  downUntil: number;
}

/** The outcome of one attempt: a response (any status), or no response at all. */
type Attempt = { response: ProxyResponse } | { failure: UpstreamError };

// Methods that may change state on the server. Once such a request reached an upstream,
// sending it to another one could do the work twice (two orders, two payments).
const NON_IDEMPOTENT = new Set(['POST', 'LOCK', 'PATCH']);

export function createLoadBalancer(options: LoadBalancerOptions): LoadBalancer {
  const { strategy, send, now } = options;
  const maxFails = options.maxFails ?? 1;
  const failTimeoutMs = options.failTimeoutMs ?? 10_000;
  const maxTries = options.maxTries ?? 0;
  const retryNonIdempotent = options.retryNonIdempotent ?? false;

  const peers: Peer[] = options.upstreams.map(({ name, weight = 1 }) => ({
    name,
    weight,
    currentWeight: 0,
    inFlight: 0,
    recentFailures: [],
    downUntil: Number.NEGATIVE_INFINITY,
  }));

  // Where the next round-robin turn starts (also breaks least-connections ties fairly).
  let cursor = 0;
  let slotCursor = 0;

  /** The peers in turn, starting at the cursor. */
  function inTurn(): Peer[] {
    return peers.map((_, i) => peers[(cursor + i) % peers.length] as Peer);
  }

  function advancePast(peer: Peer): Peer {
    cursor = (peers.indexOf(peer) + 1) % peers.length;
    return peer;
  }

  /** Picks one of `candidates` (never empty): the upstreams that are up and not yet tried for this request. */
  function choose(candidates: Set<Peer>): Peer {
    const ordered = inTurn().filter((peer) => candidates.has(peer));
    switch (strategy) {
      case 'round-robin':
        return advancePast(ordered[0] as Peer);
      case 'least-connections': {
        // The first in turn among the least busy: ties rotate instead of always hitting the first upstream.
        const best = ordered.reduce((least, peer) => (peer.inFlight < least.inFlight ? peer : least));
        return advancePast(best);
      }
      case 'weighted-round-robin': {
        // Walk a list where each upstream appears `weight` times: a, a, a, a, a, b, c.
        const slots = peers.flatMap((peer) => Array.from({ length: peer.weight }, () => peer));
        for (let i = 0; i < slots.length; i++) {
          const slot = slots[(slotCursor + i) % slots.length] as Peer;
          if (candidates.has(slot)) {
            slotCursor = (slotCursor + i + 1) % slots.length;
            return slot;
          }
        }
        return ordered[0] as Peer;
      }
    }
  }

  function isUp(peer: Peer, at: number): boolean {
    return at > peer.downUntil;
  }

  /** Passive health check: max_fails failures within fail_timeout take the peer out for fail_timeout. */
  function recordFailure(peer: Peer): void {
    const at = now();
    peer.recentFailures = peer.recentFailures.filter((failedAt) => at - failedAt <= failTimeoutMs);
    peer.recentFailures.push(at);
    if (maxFails > 0 && peer.recentFailures.length >= maxFails) {
      peer.downUntil = at + failTimeoutMs;
      // It comes back with a clean slate: a failure after that starts a new count.
      peer.recentFailures = [];
    }
  }

  async function attempt(peer: Peer, request: ProxyRequest): Promise<Attempt> {
    peer.inFlight++;
    try {
      return { response: await send(peer.name, request) };
    } catch (error) {
      if (error instanceof UpstreamError) return { failure: error };
      throw error; // not an upstream failure: a bug, so let it surface
    } finally {
      // `finally`, so a failed attempt stops counting as in flight too.
      peer.inFlight--;
    }
  }

  function mayTryNext(request: ProxyRequest, outcome: Attempt): boolean {
    if (retryNonIdempotent || !NON_IDEMPOTENT.has(request.method.toUpperCase())) return true;
    // A refused connection never carried the request, so even a POST can go elsewhere.
    return 'failure' in outcome && !outcome.failure.requestSent;
  }

  /** What the client gets when no try succeeded: the last 5xx as it was, or a gateway error of our own. */
  function giveUp(last: Attempt | undefined): ProxyResponse {
    if (last === undefined) return { status: 502, body: 'Bad Gateway: no live upstreams' };
    if ('response' in last) return last.response;
    return last.failure.kind === 'timeout'
      ? { status: 504, body: 'Gateway Timeout' }
      : { status: 502, body: 'Bad Gateway' };
  }

  return {
    async handle(request) {
      const tried = new Set<Peer>();
      let last: Attempt | undefined;
      while (maxTries === 0 || tried.size < maxTries) {
        const at = now();
        const candidates = new Set(peers.filter((peer) => !tried.has(peer) && isUp(peer, at)));
        // Every upstream is down or already tried: answer now rather than wait or hammer a dead server.
        if (candidates.size === 0) break;
        const peer = choose(candidates);
        tried.add(peer);
        const outcome = await attempt(peer, request);
        // Like `proxy_next_upstream error timeout http_500 http_502 http_503 http_504`: no answer or a
        // 5xx is a failed try; anything else (a 404 included) is the upstream's answer to the client.
        if ('response' in outcome && outcome.response.status < 500) return outcome.response;
        recordFailure(peer);
        last = outcome;
        if (!mayTryNext(request, outcome)) break;
      }
      return giveUp(last);
    },
  };
}
