/**
 * The grader's reference model of nginx's upstream module (ngx_http_upstream_round_robin.c,
 * ngx_http_upstream_least_conn_module.c and proxy_next_upstream in ngx_http_upstream.c), used by the
 * property-based scenarios in load-balancer.test.ts. It is grader-only: the exercise points learners at
 * harness.ts, not here, and the model checks a load balancer's observed behaviour step by step rather
 * than being one you could plug in.
 *
 * Where nginx leaves a choice that does not matter to clients, the model accepts each reasonable one:
 * round-robin and least-connections ties may rotate with a cursor (the next upstream in list order) or
 * with nginx's own smooth weighted round-robin with equal weights, and least-connections ties may also
 * go to the tied upstream picked longest ago; a retry that finds no live upstream
 * may answer with the last try's outcome or with nginx's 502.
 */

export type ModelStrategy = 'round-robin' | 'least-connections' | 'weighted-round-robin';

export interface ModelOptions {
  names: readonly string[];
  weights: readonly number[];
  strategy: ModelStrategy;
  maxFails: number;
  failTimeoutMs: number;
  maxTries: number;
  nextUpstream: readonly string[];
}

/** How one attempt ended, as the harness logged it: 'refused', 'reset', 'timeout' or a status ("200", "503"). */
export type Ending = string;

interface PeerModel {
  readonly name: string;
  readonly index: number;
  readonly weight: number;
  fails: number;
  accessed: number;
  checked: number;
  inFlight: number;
  /** A success that came while failures were counted and did not forgive them (for messages). */
  unforgiving?: number;
}

/** One way to choose among the candidates; several are accepted where nginx's choice does not matter. */
interface Picker {
  readonly describe: string;
  /** What this picker would choose now, and how to commit that choice. */
  choose(candidates: readonly PeerModel[]): { name: string; commit(): void };
}

function cursorPicker(peers: readonly PeerModel[], leastBusy: boolean): Picker {
  let cursor = 0;
  return {
    describe: leastBusy
      ? 'the least busy upstream, ties going to the next one in list order after the upstream picked last'
      : 'the next upstream in list order after the one picked last, skipping upstreams that are down or already tried',
    choose(candidates) {
      const least = Math.min(...candidates.map((peer) => peer.inFlight));
      const pool = leastBusy ? candidates.filter((peer) => peer.inFlight === least) : candidates;
      const n = peers.length;
      const best = [...pool].sort(
        (x, y) => ((x.index - cursor + n) % n) - ((y.index - cursor + n) % n),
      )[0] as PeerModel;
      return {
        name: best.name,
        commit: () => {
          cursor = (best.index + 1) % n;
        },
      };
    },
  };
}

/** Least-connections ties to the tied upstream picked longest ago (never picked counts as oldest, list order breaks ties). */
function leastRecentlyUsedPicker(peers: readonly PeerModel[]): Picker {
  const lastPicked = peers.map(() => Number.NEGATIVE_INFINITY);
  let picks = 0;
  return {
    describe: 'the least busy upstream, ties going to the tied upstream that was picked longest ago',
    choose(candidates) {
      const least = Math.min(...candidates.map((peer) => peer.inFlight));
      const pool = candidates.filter((peer) => peer.inFlight === least);
      const best = pool.reduce((oldest, peer) =>
        (lastPicked[peer.index] ?? 0) < (lastPicked[oldest.index] ?? 0) ? peer : oldest,
      );
      return {
        name: best.name,
        commit: () => {
          lastPicked[best.index] = picks++;
        },
      };
    },
  };
}

/** nginx's smooth weighted round-robin over `weightOf`; leastBusy: only among the least busy, as least_conn does. */
function smoothPicker(
  peers: readonly PeerModel[],
  weightOf: (peer: PeerModel) => number,
  leastBusy: boolean,
): Picker {
  const current = peers.map(() => 0);
  return {
    describe: leastBusy
      ? "the least busy upstream, ties going by nginx's smooth round-robin among the tied ones"
      : "nginx's smooth weighted round-robin over the upstreams that are up and not yet tried",
    choose(candidates) {
      const least = Math.min(...candidates.map((peer) => peer.inFlight));
      const pool = leastBusy ? candidates.filter((peer) => peer.inFlight === least) : candidates;
      if (leastBusy && pool.length === 1) {
        const only = pool[0] as PeerModel;
        return { name: only.name, commit: () => {} };
      }
      const next = [...current];
      let total = 0;
      let best: PeerModel | undefined;
      for (const peer of pool) {
        next[peer.index] = (next[peer.index] ?? 0) + weightOf(peer);
        total += weightOf(peer);
        if (best === undefined || (next[peer.index] ?? 0) > (next[best.index] ?? 0)) best = peer;
      }
      const winner = best as PeerModel;
      next[winner.index] = (next[winner.index] ?? 0) - total;
      return {
        name: winner.name,
        commit: () => {
          current.splice(0, current.length, ...next);
        },
      };
    },
  };
}

const STATUS_CASES = new Set([500, 502, 503, 504, 403, 404, 429]);
const NON_IDEMPOTENT = new Set(['POST', 'LOCK', 'PATCH']);

/** What nginx makes of one attempt's ending. */
export interface Judgement {
  /** The proxy_next_upstream case, or undefined when the response is the client's answer. */
  condition?: string;
  /** A failed attempt for max_fails (error, timeout, a listed 5xx or 429). */
  failed: boolean;
  /** Whether the request may go to the next upstream (tries and candidates aside). */
  passOn: boolean;
  /** Why not, in production language, when it may not. */
  why?: string;
}

export class NginxModel {
  readonly peers: PeerModel[];
  private pickers: Picker[];

  constructor(
    readonly options: ModelOptions,
    private readonly start: number,
  ) {
    this.peers = options.names.map((name, index) => ({
      name,
      index,
      weight: options.strategy === 'weighted-round-robin' ? (options.weights[index] ?? 1) : 1,
      fails: 0,
      accessed: Number.NEGATIVE_INFINITY,
      checked: Number.NEGATIVE_INFINITY,
      inFlight: 0,
    }));
    const { strategy } = options;
    this.pickers =
      strategy === 'weighted-round-robin'
        ? [smoothPicker(this.peers, (peer) => peer.weight, false)]
        : strategy === 'least-connections'
          ? [
              cursorPicker(this.peers, true),
              smoothPicker(this.peers, () => 1, true),
              leastRecentlyUsedPicker(this.peers),
            ]
          : [cursorPicker(this.peers, false), smoothPicker(this.peers, () => 1, false)];
  }

  time(at: number): string {
    return `t=${(at - this.start) / 1000} s`;
  }

  peer(name: string): PeerModel | undefined {
    return this.peers.find((peer) => peer.name === name);
  }

  isUp(peer: PeerModel, at: number): boolean {
    const { maxFails, failTimeoutMs } = this.options;
    return maxFails === 0 || peer.fails < maxFails || at - peer.checked > failTimeoutMs;
  }

  candidates(tried: ReadonlySet<string>, at: number): PeerModel[] {
    return this.peers.filter((peer) => !tried.has(peer.name) && this.isUp(peer, at));
  }

  /** Why `peer` is out at `at`, in production language. */
  whyOut(peer: PeerModel, at: number): string {
    const { maxFails, failTimeoutMs } = this.options;
    const until = this.time(peer.checked + failTimeoutMs);
    if (peer.checked > peer.accessed) {
      return (
        `${peer.name} was out after ${peer.fails} failed attempt${peer.fails === 1 ? '' : 's'}; fail_timeout later, at ${this.time(peer.checked)}, ` +
        `it got its one trial request, and until that trial succeeds it stays out (till ${until}). nginx sends a ` +
        'recovering upstream one request, not a wave of them'
      );
    }
    const success =
      peer.unforgiving === undefined
        ? ''
        : ` (its success at ${this.time(peer.unforgiving)} came within fail_timeout of a failure, from a pick made ` +
          'before fail_timeout had passed, so it forgave nothing)';
    return (
      `${peer.name} has failed ${peer.fails} time${peer.fails === 1 ? '' : 's'} with no forgiving success since` +
      `${success} (max_fails ${maxFails}), the last failure at ${this.time(peer.accessed)}: it is out until ${until} ` +
      `(fail_timeout ${failTimeoutMs / 1000} s after the last failure), and ${this.time(at)} is not past that`
    );
  }

  /**
   * Checks that the learner's pick is one nginx could make, and records it. Returns what is wrong, or
   * undefined. `label` names the request in messages.
   */
  pick(name: string, tried: ReadonlySet<string>, at: number, label: string): string | undefined {
    const peer = this.peer(name);
    if (peer === undefined) return `${label} was sent to "${name}", which is not one of the upstreams`;
    const candidates = this.candidates(tried, at);
    const listed = candidates.map((candidate) => candidate.name).join(', ') || 'none';
    if (tried.has(name)) {
      return (
        `${label} went back to ${name}, which it had already tried (tried so far: ${[...tried].join(', ')}). A ` +
        'request may try each upstream at most once: remember every upstream this request tried, not only the ' +
        `last one. Untried upstreams that were up: ${listed}.`
      );
    }
    if (!this.isUp(peer, at)) {
      return `${label} was sent to ${name} at ${this.time(at)}, but ${this.whyOut(peer, at)}. Upstreams it could use: ${listed}.`;
    }
    if (this.options.strategy === 'least-connections') {
      const least = Math.min(...candidates.map((candidate) => candidate.inFlight));
      if (peer.inFlight > least) {
        const counts = candidates.map((candidate) => `${candidate.name}: ${candidate.inFlight}`).join(', ');
        return (
          `${label} went to ${name}, which had ${peer.inFlight} request${peer.inFlight === 1 ? '' : 's'} in flight, ` +
          `while another usable upstream had ${least} (in flight: ${counts}). Least-connections picks the least ` +
          'busy upstream among those that are up and not yet tried, and a request counts as in flight from the ' +
          'moment it is sent until it ends, however it ends.'
        );
      }
    }
    const choices = this.pickers.map((picker) => ({ picker, choice: picker.choose(candidates) }));
    const agreeing = choices.filter(({ choice }) => choice.name === name);
    if (agreeing.length === 0) {
      const [first] = choices;
      const counts =
        this.options.strategy === 'least-connections'
          ? ` In flight at that moment: ${candidates.map((candidate) => `${candidate.name}: ${candidate.inFlight}`).join(', ')} (an attempt stops counting when it ends, however it ends).`
          : '';
      return (
        `${label} went to ${name}; it should have gone to ${first?.choice.name} (usable: ${listed}): ` +
        `${this.options.strategy} picks ${first?.picker.describe}.${counts}`
      );
    }
    for (const { choice } of agreeing) choice.commit();
    this.pickers = agreeing.map(({ picker }) => picker);
    if (at - peer.checked > this.options.failTimeoutMs) peer.checked = at;
    peer.inFlight++;
    return undefined;
  }

  /** Records how an attempt ended and says what nginx does next. */
  settle(name: string, method: string, ending: Ending, at: number): Judgement {
    const peer = this.peer(name) as PeerModel;
    peer.inFlight--;
    const { nextUpstream } = this.options;
    let condition: string | undefined;
    let sent = true;
    if (ending === 'refused') {
      condition = 'error';
      sent = false;
    } else if (ending === 'reset') condition = 'error';
    else if (ending === 'timeout') condition = 'timeout';
    else {
      const status = Number(ending);
      if (STATUS_CASES.has(status) && nextUpstream.includes(`http_${status}`)) condition = `http_${status}`;
    }
    const failed = condition !== undefined && condition !== 'http_403' && condition !== 'http_404';
    if (failed) {
      peer.fails++;
      peer.unforgiving = undefined;
      peer.accessed = at;
      peer.checked = at;
    } else if (peer.accessed < peer.checked) {
      peer.fails = 0;
    } else if (peer.fails > 0) {
      peer.unforgiving = at;
    }
    if (condition === undefined) return { failed, passOn: false };
    if (nextUpstream.includes('off')) {
      return {
        condition,
        failed,
        passOn: false,
        why: "proxy_next_upstream is 'off': no request is passed on",
      };
    }
    if (!nextUpstream.includes(condition)) {
      return {
        condition,
        failed,
        passOn: false,
        why: `proxy_next_upstream is [${nextUpstream.join(', ')}], which does not list '${condition}'`,
      };
    }
    if (sent && NON_IDEMPOTENT.has(method) && !nextUpstream.includes('non_idempotent')) {
      return {
        condition,
        failed,
        passOn: false,
        why: `a ${method} that reached the upstream may already have been acted on, and proxy_next_upstream does not list 'non_idempotent'`,
      };
    }
    return { condition, failed, passOn: true };
  }
}
