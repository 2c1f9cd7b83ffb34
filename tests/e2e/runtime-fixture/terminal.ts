import { adoptStyle } from '../../../site/workspace/adopt-style.ts';
import { createRunTerminal } from '../../../site/workspace/views/run-terminal.ts';
import workspaceCss from '../../../site/workspace/workspace.css?inline';

/**
 * The workspace's terminal panel on its own page, with the workspace's styles:
 * the end-to-end tests write a real run's output to it and open it.
 */

export interface TerminalFixture {
  write(chunk: string): void;
  open(): void;
}

adoptStyle(workspaceCss);
const terminal = createRunTerminal();
document.querySelector('main')?.append(terminal.element);
const fixture: TerminalFixture = {
  write: terminal.write,
  open: () => {
    terminal.element.open = true;
  },
};
(window as unknown as { terminalFixture: TerminalFixture }).terminalFixture = fixture;
document.body.dataset.ready = 'true';
