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

/**
 * The cases of nginx's `proxy_next_upstream`: when a try has failed and the request may go to the next
 * upstream. 'error' and 'timeout' always count towards maxFails; a listed 500, 502, 503, 504 or 429 counts
 * too; a 403 or 404 never does. 'non_idempotent' also lets POST, LOCK and PATCH move on after they were
 * sent; 'off' never passes a request on.
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
  /** The current time in milliseconds (simulated by the grader). */
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

/** What the load balancer tracks about each upstream (the fields of nginx's ngx_http_upstream_rr_peer_t). */
interface Peer {
  readonly name: string;
  readonly weight: number;
  /** Smooth weighted round-robin state (nginx's current_weight). */
  currentWeight: number;
  /** Attempts sent and not yet settled, for least-connections. */
  inFlight: number;
  /** Failed attempts not yet forgiven. */
  fails: number;
  /** When the last failure happened (nginx's accessed). */
  accessed: number;
  /** The last failure, or the first pick more than failTimeoutMs after it (nginx's checked). */
  checked: number;
}

/** The outcome of one attempt: a response (any status), or no response at all. */
type Attempt = { response: ProxyResponse } | { failure: UpstreamError };

// Methods that may change state on the server. Once such a request reached an upstream,
// sending it to another one could do the work twice (two orders, two payments).
const NON_IDEMPOTENT = new Set(['POST', 'LOCK', 'PATCH']);

/** The response statuses proxy_next_upstream can list. 403 and 404 move a request on but never count as failures. */
const LISTABLE: ReadonlyMap<number, NextUpstream> = new Map([
  [500, 'http_500'],
  [502, 'http_502'],
  [503, 'http_503'],
  [504, 'http_504'],
  [403, 'http_403'],
  [404, 'http_404'],
  [429, 'http_429'],
]);

export function createLoadBalancer(options: LoadBalancerOptions): LoadBalancer {
  const { strategy, send, now } = options;
  const maxFails = options.maxFails ?? 1;
  const failTimeoutMs = options.failTimeoutMs ?? 10_000;
  const maxTries = options.maxTries ?? 0;
  const nextUpstream = new Set<NextUpstream>(options.nextUpstream ?? ['error', 'timeout']);

  const peers: Peer[] = options.upstreams.map(({ name, weight = 1 }) => ({
    name,
    weight,
    currentWeight: 0,
    inFlight: 0,
    fails: 0,
    accessed: Number.NEGATIVE_INFINITY,
    checked: Number.NEGATIVE_INFINITY,
  }));

  // Where the next round-robin turn starts (also breaks least-connections ties fairly).
  let cursor = 0;

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
        // nginx's smooth weighted round-robin: every candidate earns its weight, the richest wins
        // and pays the total back. Heavy upstreams win more often, but their wins are interleaved
        // with the others' (5,1,1 gives a a b a c a a, not a a a a a b c).
        let total = 0;
        let best: Peer | undefined;
        for (const peer of peers) {
          if (!candidates.has(peer)) continue;
          peer.currentWeight += peer.weight;
          total += peer.weight;
          if (best === undefined || peer.currentWeight > best.currentWeight) best = peer;
        }
        const winner = best as Peer;
        winner.currentWeight -= total;
        return winner;
      }
    }
  }

  /** nginx: out while it has max_fails failures and its last failure (or trial) is within fail_timeout. */
  function isUp(peer: Peer, at: number): boolean {
    return maxFails === 0 || peer.fails < maxFails || at - peer.checked > failTimeoutMs;
  }

  function recordFailure(peer: Peer): void {
    const at = now();
    peer.fails++;
    peer.accessed = at;
    peer.checked = at;
  }

  /** A success forgives the failures only once a pick came more than fail_timeout after the last one. */
  function recordSuccess(peer: Peer): void {
    if (peer.accessed < peer.checked) peer.fails = 0;
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

  /** The proxy_next_upstream case this outcome falls under, or undefined when it is the client's answer. */
  function caseOf(outcome: Attempt): NextUpstream | undefined {
    if ('failure' in outcome) return outcome.failure.kind;
    const listable = LISTABLE.get(outcome.response.status);
    return listable !== undefined && nextUpstream.has(listable) ? listable : undefined;
  }

  function mayPassOn(request: ProxyRequest, outcome: Attempt, condition: NextUpstream): boolean {
    if (nextUpstream.has('off') || !nextUpstream.has(condition)) return false;
    if (nextUpstream.has('non_idempotent') || !NON_IDEMPOTENT.has(request.method.toUpperCase())) return true;
    // A refused connection never carried the request, so even a POST can go elsewhere.
    return 'failure' in outcome && !outcome.failure.requestSent;
  }

  /** What the client gets when no try succeeded: the last try's response as it was, or a gateway error of our own. */
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
        // The first pick after fail_timeout is the trial: until it ends, the upstream counts as checked now.
        if (at - peer.checked > failTimeoutMs) peer.checked = at;
        const outcome = await attempt(peer, request);
        const condition = caseOf(outcome);
        if (condition === undefined) {
          recordSuccess(peer);
          return (outcome as { response: ProxyResponse }).response;
        }
        // error, timeout and listed 5xx/429 are failed attempts; a listed 403 or 404 only moves the request on.
        if (condition === 'http_403' || condition === 'http_404') recordSuccess(peer);
        else recordFailure(peer);
        last = outcome;
        if (!mayPassOn(request, outcome, condition)) break;
      }
      return giveUp(last);
    },
  };
}
