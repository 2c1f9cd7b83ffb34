/**
 * Property-based scenarios for the load balancer (grader-only, like nginx-model.ts): fast-check
 * generates upstream configurations and sequences of requests, upstream failures, held requests
 * (concurrency), releases and clock moves; each step is played against the learner's load balancer
 * and checked against the reference model of nginx. On a difference the scenario is shrunk to the
 * smallest one that still shows it, and printed step by step.
 */
import fc from 'fast-check';
import type { FakeClock } from '../support/clock';
import { settle } from '../support/settle';
import type { Behaviour, Ending, ProxyRequest, ProxyResponse, SendToUpstream } from './harness';
import { SimulatedCluster } from './harness';
import { type ModelStrategy, NginxModel } from './nginx-model';

export interface ScenarioConfig {
  count: number;
  strategy: ModelStrategy;
  weights: number[];
  maxFails: number;
  failTimeoutMs: number;
  maxTries: number;
  /** undefined: the option is left out (nginx's default, error timeout). */
  nextUpstream: string[] | undefined;
  initial: Behaviour[];
}

export type Advance = 'tick' | 'half' | 'justUnder' | 'exactly' | 'justOver' | 'long';

export type Step =
  | { kind: 'request'; method: string }
  | { kind: 'behave'; upstream: number; behaviour: Behaviour }
  | { kind: 'once'; upstream: number; behaviour: Behaviour }
  | { kind: 'advance'; by: Advance }
  | { kind: 'release'; upstream: number; ending: Ending };

export interface Scenario {
  config: ScenarioConfig;
  steps: Step[];
}

/** What the scenarios need from the learner's module (structural, so any correct module fits). */
export type Factory = (options: {
  upstreams: Array<{ name: string; weight?: number }>;
  strategy: ModelStrategy;
  send: SendToUpstream;
  now: () => number;
  maxFails?: number;
  failTimeoutMs?: number;
  maxTries?: number;
  // biome-ignore lint/suspicious/noExplicitAny: the learner's own union of proxy_next_upstream cases
  nextUpstream?: any[];
}) => { handle(request: ProxyRequest): Promise<ProxyResponse> };

const NAMES = ['a', 'b', 'c', 'd'];

// ---------------------------------------------------------------------------
// Generating scenarios
// ---------------------------------------------------------------------------

const failing: Behaviour[] = [
  'refuse',
  'reset',
  'timeout',
  { status: 500 },
  { status: 502 },
  { status: 503 },
];
const answering: Behaviour[] = ['ok', { status: 404 }, { status: 403 }, { status: 429 }, { status: 504 }];

export const behaviours = fc.constantFrom<Behaviour>(...failing, ...answering, 'hold', 'hold');
export const endings = fc.constantFrom<Ending>(
  'ok',
  'ok',
  'reset',
  'timeout',
  { status: 500 },
  { status: 503 },
  { status: 404 },
);
export const healthyBehaviours = fc.constantFrom<Behaviour>('ok', 'hold');
export const healthyEndings = fc.constant<Ending>('ok');

export const nextUpstreamPresets: Array<string[] | undefined> = [
  undefined,
  ['error', 'timeout'],
  ['error', 'timeout', 'http_500', 'http_502', 'http_503', 'http_504'],
  ['error', 'timeout', 'http_503', 'http_429', 'non_idempotent'],
  ['error', 'timeout', 'http_404', 'http_403'],
  ['timeout', 'http_500'],
  ['error', 'non_idempotent'],
  ['off'],
];

export interface Family {
  strategies: ModelStrategy[];
  maxFails: number[];
  maxTries: number[];
  nextUpstream: Array<string[] | undefined>;
  methods: string[];
  behaviours: fc.Arbitrary<Behaviour>;
  endings: fc.Arbitrary<Ending>;
  /** Relative weights of request, behave, advance and release steps. */
  mix: [number, number, number, number];
  maxSteps: number;
}

export function scenarios(family: Family): fc.Arbitrary<Scenario> {
  const config = fc.record({
    count: fc.integer({ min: 2, max: 4 }),
    strategy: fc.constantFrom(...family.strategies),
    weights: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 }),
    maxFails: fc.constantFrom(...family.maxFails),
    failTimeoutMs: fc.constantFrom(1_000, 10_000),
    maxTries: fc.constantFrom(...family.maxTries),
    nextUpstream: fc.constantFrom(...family.nextUpstream),
    initial: fc.array(family.behaviours, { minLength: 4, maxLength: 4 }),
  });
  const [requests, behave, advance, release] = family.mix;
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: requests,
      arbitrary: fc.record({
        kind: fc.constant('request' as const),
        method: fc.constantFrom(...family.methods),
      }),
    },
    {
      weight: behave,
      arbitrary: fc.record({
        kind: fc.constant('behave' as const),
        upstream: fc.integer({ min: 0, max: 3 }),
        behaviour: family.behaviours,
      }),
    },
    {
      weight: behave,
      arbitrary: fc.record({
        kind: fc.constant('once' as const),
        upstream: fc.integer({ min: 0, max: 3 }),
        behaviour: family.behaviours,
      }),
    },
    {
      weight: advance,
      arbitrary: fc.record({
        kind: fc.constant('advance' as const),
        by: fc.constantFrom<Advance>('tick', 'half', 'justUnder', 'exactly', 'justOver', 'long'),
      }),
    },
    {
      weight: release,
      arbitrary: fc.record({
        kind: fc.constant('release' as const),
        upstream: fc.integer({ min: 0, max: 3 }),
        ending: family.endings,
      }),
    },
  );
  return fc.record({
    config,
    steps: fc.array(step, { minLength: 1, maxLength: family.maxSteps, size: 'max' }),
  });
}

// ---------------------------------------------------------------------------
// Explaining a scenario in production language
// ---------------------------------------------------------------------------

function behaviourText(behaviour: Behaviour): string {
  if (typeof behaviour === 'object') return `answers ${behaviour.status}`;
  switch (behaviour) {
    case 'ok':
      return 'answers 200';
    case 'refuse':
      return 'refuses connections';
    case 'reset':
      return 'resets the connection after reading the request';
    case 'timeout':
      return 'lets the read timeout fire';
    case 'hold':
      return 'holds each request open';
  }
}

function endingText(ending: Ending): string {
  if (typeof ending === 'object') return `answers ${ending.status}`;
  if (ending === 'ok') return 'answers 200';
  return ending === 'reset' ? 'has its connection reset' : 'times out';
}

function advanceMs(by: Advance, failTimeoutMs: number): number {
  switch (by) {
    case 'tick':
      return 1;
    case 'half':
      return failTimeoutMs / 2;
    case 'justUnder':
      return failTimeoutMs - 1;
    case 'exactly':
      return failTimeoutMs;
    case 'justOver':
      return failTimeoutMs + 1;
    case 'long':
      return 3 * failTimeoutMs;
  }
}

const seconds = (ms: number) => `${ms / 1000} s`;

export function optionsText(config: ScenarioConfig): string {
  const names = NAMES.slice(0, config.count);
  const weights =
    config.strategy === 'weighted-round-robin'
      ? ` (weights ${names.map((name, i) => `${name}=${config.weights[i]}`).join(', ')})`
      : '';
  const next =
    config.nextUpstream === undefined
      ? 'nextUpstream left out (error, timeout)'
      : `nextUpstream [${config.nextUpstream.join(', ')}]`;
  return (
    `upstreams ${names.join(', ')}, ${config.strategy}${weights}, maxFails ${config.maxFails}, ` +
    `failTimeoutMs ${config.failTimeoutMs}, maxTries ${config.maxTries}, ${next}`
  );
}

export function explain({ config, steps }: Scenario): string {
  const names = NAMES.slice(0, config.count);
  const lines = [
    `Load balancer: ${optionsText(config)}.`,
    `At t=0 s: ${names.map((name, i) => `${name} ${behaviourText(config.initial[i] ?? 'ok')}`).join('; ')}.`,
  ];
  let at = 0;
  let request = 0;
  steps.forEach((step, i) => {
    const n = `${i + 1}.`;
    switch (step.kind) {
      case 'request':
        request++;
        lines.push(`${n} t=${seconds(at)}: ${step.method} /r${request} (request ${request}) arrives`);
        break;
      case 'behave':
        lines.push(
          `${n} t=${seconds(at)}: from now on ${names[step.upstream % config.count]} ${behaviourText(step.behaviour)}`,
        );
        break;
      case 'once':
        lines.push(
          `${n} t=${seconds(at)}: ${names[step.upstream % config.count]} ${behaviourText(step.behaviour)} for the next request it gets only`,
        );
        break;
      case 'advance':
        at += advanceMs(step.by, config.failTimeoutMs);
        lines.push(
          `${n} the clock moves ${seconds(advanceMs(step.by, config.failTimeoutMs))}, to t=${seconds(at)}`,
        );
        break;
      case 'release':
        lines.push(
          `${n} t=${seconds(at)}: the oldest request ${names[step.upstream % config.count]} holds (if any) ${endingText(step.ending)}`,
        );
        break;
    }
  });
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// Playing a scenario against the learner's load balancer and the model
// ---------------------------------------------------------------------------

interface Expected {
  /** Acceptable answers: a status, and for a passed-through response the upstream that produced it. */
  accept: Array<{ status: number; upstream?: string; body?: string }>;
  why: string;
}

interface Open {
  label: string;
  request: ProxyRequest;
  tried: Set<string>;
  result?: { response: ProxyResponse } | { error: unknown };
  /** Set once the model says the client has its answer. */
  expected?: Expected;
  checked?: boolean;
}

class Mismatch extends Error {}

function failureText(ending: Ending | string): string {
  if (ending === 'refused') return 'refused the connection';
  if (ending === 'reset') return 'reset the connection';
  if (ending === 'timeout') return 'timed out';
  return `answered ${ending}`;
}

export async function playScenario(
  factory: Factory,
  clock: FakeClock,
  { config, steps }: Scenario,
): Promise<void> {
  const names = NAMES.slice(0, config.count);
  const cluster = new SimulatedCluster(names, clock.now);
  names.forEach((name, i) => {
    cluster.upstream(name).behave(config.initial[i] ?? 'ok');
  });
  const start = clock.now();
  const model = new NginxModel(
    {
      names,
      weights: config.weights,
      strategy: config.strategy,
      maxFails: config.maxFails,
      failTimeoutMs: config.failTimeoutMs,
      maxTries: config.maxTries,
      nextUpstream: config.nextUpstream ?? ['error', 'timeout'],
    },
    start,
  );
  const lb = factory({
    upstreams: names.map((name, i) => ({ name, weight: config.weights[i] })),
    strategy: config.strategy,
    send: cluster.send,
    now: clock.now,
    maxFails: config.maxFails,
    failTimeoutMs: config.failTimeoutMs,
    maxTries: config.maxTries,
    ...(config.nextUpstream === undefined ? {} : { nextUpstream: config.nextUpstream }),
  });
  const open: Open[] = [];
  /** Requests waiting on a held attempt, per upstream, oldest first (the order the cluster releases them). */
  const holding = new Map<string, Open[]>(names.map((name) => [name, []]));
  let seen = 0;

  const attemptsText = (req: Open) => [...req.tried].join(', ') || 'none';

  /** The learner's next attempt, if it made one in this step. */
  const nextAttempt = () => {
    const entry = cluster.log[seen];
    if (entry !== undefined) seen++;
    return entry;
  };

  function finish(req: Open, expected: Expected): void {
    req.expected = expected;
    const extra = cluster.log[seen];
    if (extra !== undefined && extra.path === req.request.path) {
      throw new Mismatch(
        req.tried.size === 0
          ? `${req.label} was sent to ${extra.upstream} at ${model.time(clock.now())}, but ${expected.why}: it should have been answered at once without contacting any upstream.`
          : `${req.label} also tried ${extra.upstream} after ${attemptsText(req)}, but it should have stopped there: ${expected.why}.`,
      );
    }
  }

  /** What the client gets when the load balancer stops after a failed try. */
  function lastOutcome(req: Open, upstream: string, ending: string, why: string, orNoLive = false): Expected {
    const status = Number(ending);
    const accept: Expected['accept'] = Number.isNaN(status)
      ? [{ status: ending === 'timeout' ? 504 : 502 }]
      : [
          {
            status,
            upstream,
            body: `${status} from ${upstream} for ${req.request.method} ${req.request.path}`,
          },
        ];
    if (orNoLive && !accept.some((answer) => answer.status === 502)) accept.push({ status: 502 });
    return { accept, why };
  }

  /** Runs one request's chain of attempts as far as the learner's log of this step goes. */
  function follow(req: Open, ended?: { upstream: string; ending: string }): void {
    const at = clock.now();
    let last = ended;
    let because = '';
    for (;;) {
      if (last !== undefined) {
        const judgement = model.settle(last.upstream, req.request.method, last.ending, at);
        because =
          last.ending === 'refused'
            ? ` A refused connection never carried the request (requestSent is false), so even a ${req.request.method} may go on, and 'error' is in nextUpstream.`
            : ` '${judgement.condition}' is in nextUpstream${['POST', 'PATCH', 'LOCK'].includes(req.request.method) ? " and so is 'non_idempotent'" : ''}.`;
        if (judgement.condition === undefined) {
          const status = Number(last.ending);
          finish(req, {
            accept: [
              {
                status,
                upstream: last.upstream,
                body: `${status} from ${last.upstream} for ${req.request.method} ${req.request.path}`,
              },
            ],
            why: `${last.upstream} answered ${status}, which is the client's answer${status === 200 ? '' : ` (${status} is not a failed attempt under this proxy_next_upstream)`}`,
          });
          return;
        }
        const failed = `${last.upstream} ${failureText(last.ending)}`;
        // The request ends with this last attempt: the client gets what it produced.
        const { upstream, ending } = last;
        const endWith = (why: string, orNoLive = false) =>
          finish(req, lastOutcome(req, upstream, ending, `${failed} and ${why}`, orNoLive));
        if (!judgement.passOn) {
          endWith(`${judgement.why}`);
          return;
        }
        if (config.maxTries > 0 && req.tried.size >= config.maxTries) {
          endWith(`that was try ${req.tried.size} of maxTries ${config.maxTries}`);
          return;
        }
        if (model.candidates(req.tried, at).length === 0) {
          const all = req.tried.size === names.length;
          endWith(
            all
              ? 'every upstream has now been tried once'
              : `no untried upstream is up (${names
                  .filter((name) => !req.tried.has(name))
                  .map((name) => model.whyOut(model.peer(name) as never, at))
                  .join('; ')})`,
            !all,
          );
          return;
        }
      } else if (model.candidates(req.tried, at).length === 0) {
        const reasons = model.peers.map((peer) => model.whyOut(peer, at)).join('; ');
        finish(req, { accept: [{ status: 502 }, { status: 503 }], why: `no upstream is up: ${reasons}` });
        return;
      }
      const entry = nextAttempt();
      if (entry === undefined) {
        const usable = model
          .candidates(req.tried, at)
          .map((peer) => peer.name)
          .join(', ');
        const before = last === undefined ? '' : ` after ${last.upstream} ${failureText(last.ending)}`;
        throw new Mismatch(
          `${req.label} made no further attempt${before} (tried: ${attemptsText(req)}); it should have been passed to ` +
            `one of the upstreams that are up and not yet tried for it: ${usable}.${because}` +
            (req.result === undefined
              ? ' handle() is still waiting, though every upstream it contacted has answered.'
              : ` Instead the client got ${'response' in req.result ? req.result.response.status : 'an exception'}.`),
        );
      }
      if (entry.path !== req.request.path) {
        throw new Mismatch(
          `${entry.method} ${entry.path} made an attempt on ${entry.upstream} at ${model.time(at)}, while nothing should ` +
            `have happened to it then: only ${req.label} was moving`,
        );
      }
      const wrong = model.pick(entry.upstream, req.tried, at, req.label);
      if (wrong !== undefined) throw new Mismatch(wrong);
      req.tried.add(entry.upstream);
      if (entry.outcome === 'held') {
        holding.get(entry.upstream)?.push(req);
        return;
      }
      last = { upstream: entry.upstream, ending: entry.outcome };
    }
  }

  function checkAnswers(): void {
    for (const req of open) {
      if (req.checked) continue;
      const { result, expected } = req;
      if (result !== undefined && 'error' in result) {
        throw new Mismatch(
          `${req.label}: handle() rejected (${String(result.error)}). It must always resolve with the response the ` +
            'client gets, a 502, 503 or 504 of its own when no upstream could answer.',
        );
      }
      if (expected === undefined) {
        if (result !== undefined) {
          throw new Mismatch(
            `${req.label} was answered ${result.response.status} while its attempt on ${[...req.tried].at(-1)} was still ` +
              'open: the client must get the outcome of that attempt, so handle() should wait for it.',
          );
        }
        continue;
      }
      if (result === undefined) {
        throw new Mismatch(
          `${req.label} got no answer: handle() is still waiting at ${model.time(clock.now())}, though ${expected.why} ` +
            `(tried: ${attemptsText(req)}). It should answer ${expected.accept.map((answer) => answer.status).join(' or ')} now.`,
        );
      }
      const { response } = result;
      const fits = expected.accept.some(
        (answer) =>
          answer.status === response.status &&
          (answer.upstream === undefined ||
            (answer.upstream === response.upstream && answer.body === response.body)),
      );
      if (!fits) {
        const wanted = expected.accept
          .map((answer) =>
            answer.upstream
              ? `${answer.status} from ${answer.upstream}, passed through as it was`
              : `${answer.status}`,
          )
          .join(' or ');
        throw new Mismatch(
          `${req.label} (tried: ${attemptsText(req)}) got ${response.status}${response.upstream ? ` from ${response.upstream}` : ''}; ` +
            `it should get ${wanted}, because ${expected.why}. After the last try the client gets that try's outcome: ` +
            "the upstream's response as it was, 502 after a connection error, 504 after a timeout.",
        );
      }
      req.checked = true;
    }
  }

  function noStrayAttempts(what: string): void {
    const stray = cluster.log[seen];
    if (stray !== undefined) {
      throw new Mismatch(
        `${stray.method} ${stray.path} made an attempt on ${stray.upstream} at ${model.time(clock.now())} after ${what}, ` +
          'when no request had anything left to do',
      );
    }
  }

  let requests = 0;
  for (const step of steps) {
    switch (step.kind) {
      case 'request': {
        requests++;
        const request = { method: step.method, path: `/r${requests}` };
        const req: Open = {
          label: `${step.method} /r${requests} (request ${requests})`,
          request,
          tried: new Set(),
        };
        open.push(req);
        lb.handle(request).then(
          (response) => {
            req.result = { response };
          },
          (error: unknown) => {
            req.result = { error };
          },
        );
        await settle();
        follow(req);
        break;
      }
      case 'behave':
        cluster.upstream(names[step.upstream % config.count] as string).behave(step.behaviour);
        break;
      case 'once':
        cluster.upstream(names[step.upstream % config.count] as string).queue(step.behaviour);
        break;
      case 'advance':
        clock.advance(advanceMs(step.by, config.failTimeoutMs));
        await settle();
        noStrayAttempts('the clock moved');
        break;
      case 'release': {
        const name = names[step.upstream % config.count] as string;
        const req = holding.get(name)?.shift();
        if (req === undefined) break;
        cluster.upstream(name).releaseOldest(step.ending);
        await settle();
        const ending =
          typeof step.ending === 'object'
            ? String(step.ending.status)
            : step.ending === 'ok'
              ? '200'
              : step.ending;
        follow(req, { upstream: name, ending });
        break;
      }
    }
    noStrayAttempts('the last step');
    checkAnswers();
  }
  // Leave nothing hanging for the next scenario.
  for (const name of names) cluster.upstream(name).release();
  await settle();
}
