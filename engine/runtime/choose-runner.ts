import type { Runner, RunnerKind } from './runner.ts';

/**
 * Which runner grades: the WebContainer (real Node.js and vitest) when this
 * browser can run it and it boots within a few seconds, otherwise the in-page
 * Worker, with a one-line notice and help. A learner may force either; the
 * choice is theirs to persist (storage.ts keeps it).
 */

export type RunnerPreference = 'auto' | RunnerKind;

/** What the choice needs to know about the browser (see browserEnvironment). */
export interface BrowserEnvironment {
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  userAgent: string;
}

export type FallbackReason = 'not-isolated' | 'unsupported-browser' | 'boot-failed';

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
}

export const RUNNER_HELP =
  'Both runners use the same graders and give the same results. To run your tests in real Node.js ' +
  '(a WebContainer), use a recent Chrome, Edge or Firefox on a computer (Safari and phones are not ' +
  'supported), allow third-party cookies for this site, and let your ad blocker or network reach ' +
  'stackblitz.com, *.staticblitz.com and *.webcontainer-api.io.';

const messages: Record<FallbackReason, string> = {
  'not-isolated':
    'Tests run in this page: this browser does not give the page the isolation a WebContainer needs.',
  'unsupported-browser': 'Tests run in this page: WebContainers do not work reliably in this browser.',
  'boot-failed':
    'Tests run in this page: the WebContainer could not start (offline, or its servers are blocked).',
};

export function browserEnvironment(scope: typeof globalThis = globalThis): BrowserEnvironment {
  return {
    crossOriginIsolated: scope.crossOriginIsolated === true,
    sharedArrayBuffer: typeof scope.SharedArrayBuffer === 'function',
    userAgent: scope.navigator?.userAgent ?? '',
  };
}

/** Why this browser cannot run a WebContainer, if it cannot. */
export function unsupportedReason(environment: BrowserEnvironment): FallbackReason | undefined {
  if (!environment.crossOriginIsolated || !environment.sharedArrayBuffer) return 'not-isolated';
  const agent = environment.userAgent;
  const iOS = /iPhone|iPad|iPod/.test(agent);
  // An iPad asking for desktop sites reads as macOS Safari: caught here too.
  const safari = /Safari\//.test(agent) && !/Chrome\/|Chromium\/|Edg\/|Firefox\/|OPR\//.test(agent);
  return iOS || safari ? 'unsupported-browser' : undefined;
}

const fallback = (worker: () => Runner, reason: FallbackReason): RunnerChoice => ({
  runner: worker(),
  notice: { reason, message: messages[reason], help: RUNNER_HELP },
});

export async function chooseRunner(options: ChooseRunnerOptions): Promise<RunnerChoice> {
  const { preference, environment, worker } = options;
  if (preference === 'worker') return { runner: worker() };
  // Forcing the WebContainer skips the browser check, not the boot: a learner is never left without a runner.
  const unsupported = preference === 'auto' ? unsupportedReason(environment) : undefined;
  if (unsupported) return fallback(worker, unsupported);
  const webContainer = options.webContainer();
  try {
    await webContainer.start(options.budgetMs ?? 5_000);
    return { runner: webContainer };
  } catch {
    webContainer.dispose();
    return fallback(worker, 'boot-failed');
  }
}
