import type { Runner, RunnerKind } from './runner.ts';

/**
 * Which runner grades: the WebContainer (real Node.js and vitest) when this
 * browser can run it and it boots within a few seconds, otherwise the in-page
 * Worker, with a one-line notice and help. A learner may force either; the
 * choice is theirs to persist (storage.ts keeps it). A failed boot is
 * remembered for the browser session, so the next lesson page does not wait
 * for a WebContainer that cannot start.
 */

export type RunnerPreference = 'auto' | RunnerKind;

/** What the choice needs to know about the browser (see browserEnvironment). */
export interface BrowserEnvironment {
  /** False over plain http from another computer (a classroom server): no isolation is possible there. */
  secureContext: boolean;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  userAgent: string;
}

export type FallbackReason = 'not-secure' | 'not-isolated' | 'unsupported-browser' | 'boot-failed';

export interface RunnerNotice {
  reason: FallbackReason;
  /** One line for the workspace. */
  message: string;
  /** What the learner can do about it. */
  help: string;
}

export interface RunnerChoice {
  runner: Runner;
  notice?: RunnerNotice;
}

export interface ChooseRunnerOptions {
  preference: RunnerPreference;
  environment: BrowserEnvironment;
  webContainer: () => Runner & { start(timeoutMs: number): Promise<void> };
  worker: () => Runner;
  /** How long the WebContainer may take to boot before the Worker takes over (default 5 s). */
  budgetMs?: number;
  /** Where a failed boot is remembered for the session (default: none remembered). */
  verdicts?: BootVerdicts;
}

/** A failed WebContainer boot, remembered so that later pages of the visit skip the wait. */
export interface BootVerdicts {
  failedBefore(): boolean;
  record(booted: boolean): void;
}

export const RUNNER_HELP =
  'Both runners use the same graders and give the same results. To run your tests in real Node.js ' +
  '(a WebContainer), use a recent Chrome, Edge or Firefox on a computer (Safari and phones are not ' +
  'supported), allow third-party cookies for this site, and let your ad blocker or network reach ' +
  'stackblitz.com, *.staticblitz.com and *.webcontainer-api.io.';

/** Help for the two cases where the learner's browser is not the reason: the way the site is served is. */
const SERVED_WITHOUT_ISOLATION_HELP =
  'Nothing to change in your browser: both runners use the same graders and give the same results. ' +
  'A WebContainer (real Node.js in the browser) needs a page served with cross-origin isolation: over https ' +
  'or from your own computer (localhost), with the headers docs/hosting.md lists. You can also grade in a ' +
  'terminal: download the exercise and run npm test.';

const help: Record<FallbackReason, string> = {
  'not-secure': SERVED_WITHOUT_ISOLATION_HELP,
  'not-isolated': SERVED_WITHOUT_ISOLATION_HELP,
  'unsupported-browser': RUNNER_HELP,
  'boot-failed': RUNNER_HELP,
};

const messages: Record<FallbackReason, string> = {
  'not-secure':
    'Tests run in this page, and that is fine: it is served over plain http from another computer ' +
    '(a classroom server, say), where no page gets the isolation a WebContainer needs.',
  'not-isolated':
    'Tests run in this page, and that is fine: this site serves its pages without the cross-origin ' +
    'isolation a WebContainer needs.',
  'unsupported-browser': 'Tests run in this page: WebContainers do not work reliably in this browser.',
  'boot-failed':
    'Tests run in this page: the WebContainer could not start (offline, or its servers are blocked).',
};

export function browserEnvironment(scope: typeof globalThis = globalThis): BrowserEnvironment {
  return {
    secureContext: scope.isSecureContext !== false,
    crossOriginIsolated: scope.crossOriginIsolated === true,
    sharedArrayBuffer: typeof scope.SharedArrayBuffer === 'function',
    userAgent: scope.navigator?.userAgent ?? '',
  };
}

/** Why this browser cannot run a WebContainer, if it cannot. */
export function unsupportedReason(environment: BrowserEnvironment): FallbackReason | undefined {
  if (!environment.secureContext) return 'not-secure';
  if (!environment.crossOriginIsolated || !environment.sharedArrayBuffer) return 'not-isolated';
  const agent = environment.userAgent;
  const iOS = /iPhone|iPad|iPod/.test(agent);
  // An iPad asking for desktop sites reads as macOS Safari: caught here too.
  const safari = /Safari\//.test(agent) && !/Chrome\/|Chromium\/|Edg\/|Firefox\/|OPR\//.test(agent);
  return iOS || safari ? 'unsupported-browser' : undefined;
}

/** How a later page of the same visit says the boot failed before. */
const REMEMBERED = ' (found earlier in this visit, so this page did not wait for it)';

const fallback = (worker: () => Runner, reason: FallbackReason, remembered = false): RunnerChoice => ({
  runner: worker(),
  notice: { reason, message: messages[reason] + (remembered ? REMEMBERED : ''), help: help[reason] },
});

const VERDICT_KEY = 'request-journey:webcontainer-boot-failed';

/**
 * Boot verdicts kept in sessionStorage (one tab's visit), or in memory when
 * storage is blocked or throws: then only this page remembers.
 */
export function sessionBootVerdicts(storage: () => Storage = () => sessionStorage): BootVerdicts {
  let failed: boolean | undefined;
  return {
    failedBefore() {
      try {
        return storage().getItem(VERDICT_KEY) === '1';
      } catch {
        return failed === true;
      }
    },
    record(booted) {
      failed = !booted;
      try {
        if (booted) storage().removeItem(VERDICT_KEY);
        else storage().setItem(VERDICT_KEY, '1');
      } catch {
        // Remembered in memory only.
      }
    },
  };
}

export async function chooseRunner(options: ChooseRunnerOptions): Promise<RunnerChoice> {
  const { preference, environment, worker } = options;
  if (preference === 'worker') return { runner: worker() };
  // Forcing the WebContainer skips the browser check, not the boot: a learner is never left without a runner.
  const unsupported = preference === 'auto' ? unsupportedReason(environment) : undefined;
  if (unsupported) return fallback(worker, unsupported);
  const { verdicts } = options;
  // A learner who forces the WebContainer gets a fresh try: the network may be back.
  if (preference === 'auto' && verdicts?.failedBefore()) return fallback(worker, 'boot-failed', true);
  const webContainer = options.webContainer();
  try {
    await webContainer.start(options.budgetMs ?? 5_000);
    verdicts?.record(true);
    return { runner: webContainer };
  } catch {
    webContainer.dispose();
    verdicts?.record(false);
    return fallback(worker, 'boot-failed');
  }
}
