import type { ITheme, Terminal } from '@xterm/xterm';
import { stripAnsi } from '../../../engine/grading/results.ts';
import { adoptStyle } from '../adopt-style.ts';
import { h } from '../dom.ts';

/**
 * The WebContainer's raw output, as vitest printed it (colours, progress), in a
 * read-only terminal. xterm (about 90 KB gzip) is downloaded the first time the
 * learner opens the panel: learners grading in the Worker never fetch it. Until
 * then, and while it loads, the output is kept.
 */

export interface RunTerminal {
  /** The panel: a disclosure with the terminal inside. */
  element: HTMLDetailsElement;
  write(chunk: string): void;
}

/** ANSI colours readable on each theme's surface (xterm's own defaults suit a black background only). */
const palettes: Record<'light' | 'dark', ITheme> = {
  light: {
    black: '#1a1f25',
    red: '#b42318',
    green: '#17663a',
    yellow: '#7a4d00',
    blue: '#1d4ed8',
    magenta: '#8e24aa',
    cyan: '#0e6470',
    white: '#4a5561',
    brightBlack: '#5b6672',
  },
  dark: {
    red: '#ff8a80',
    green: '#7ee2a0',
    yellow: '#ffd479',
    blue: '#8ab4ff',
    magenta: '#e3a6ff',
    cyan: '#7fdde6',
    brightBlack: '#9aa5b1',
  },
};

/** Whether an rgb()/rgba() colour is dark, by its relative luminance. */
function isDark(rgb: string): boolean {
  const [r = 255, g = 255, b = 255] = (rgb.match(/[\d.]+/g) ?? []).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}

/** The terminal's colours from the panel's own resolved colours, so it follows the site's theme. */
function themeFor(element: HTMLElement): ITheme {
  const style = getComputedStyle(element);
  return {
    ...palettes[isDark(style.backgroundColor) ? 'dark' : 'light'],
    background: style.backgroundColor,
    foreground: style.color,
    cursor: style.backgroundColor, // no input, so no visible cursor
  };
}

async function openTerminal(screen: HTMLElement): Promise<Terminal> {
  const [{ Terminal }, { FitAddon }, { default: css }] = await Promise.all([
    import('@xterm/xterm'),
    import('@xterm/addon-fit'),
    import('@xterm/xterm/css/xterm.css?inline'),
  ]);
  adoptStyle(css);
  const terminal = new Terminal({
    disableStdin: true,
    convertEol: true,
    rows: 16,
    scrollback: 5_000,
    fontSize: 13,
    screenReaderMode: true,
    theme: themeFor(screen),
  });
  const fit = new FitAddon();
  terminal.loadAddon(fit);
  terminal.open(screen);
  fit.fit();
  new ResizeObserver(() => fit.fit()).observe(screen);
  // Theme switches: the explicit choice (data-theme) and the system's.
  const retheme = () => {
    terminal.options.theme = themeFor(screen);
  };
  new MutationObserver(retheme).observe(document.documentElement, { attributeFilter: ['data-theme'] });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', retheme);
  return terminal;
}

export function createRunTerminal(): RunTerminal {
  const screen = h('div', { class: 'ws-terminal' });
  const element = h(
    'details',
    { class: 'ws-terminal-panel' },
    h('summary', {}, 'Terminal: what the WebContainer printed'),
    screen,
  );
  let held: string[] = [];
  let terminal: Terminal | undefined;
  /** Where the output goes as plain text if the terminal cannot load. */
  let plain: HTMLPreElement | undefined;
  let opening: Promise<void> | undefined;

  element.addEventListener('toggle', () => {
    if (!element.open || opening) return;
    opening = openTerminal(screen).then(
      (opened) => {
        terminal = opened;
        for (const chunk of held) opened.write(chunk);
        held = [];
      },
      (error: unknown) => {
        // Offline since the page loaded, say: the output as text beats no output.
        plain = h('pre', { tabindex: 0 }, stripAnsi(held.join('')));
        held = [];
        screen.replaceChildren(h('p', {}, `The terminal could not load (${String(error)}).`), plain);
      },
    );
  });

  return {
    element,
    write(chunk) {
      if (terminal) terminal.write(chunk);
      else if (plain) plain.append(stripAnsi(chunk));
      else held.push(chunk);
    },
  };
}
