/**
 * Adds a stylesheet to the page when the code that needs it runs: the
 * workspace's and Monaco's styles arrive with the editor, never in the lesson's
 * <head> (see vite-plugins.ts).
 */
export function adoptStyle(css: string): void {
  const style = document.createElement('style');
  style.textContent = css;
  document.head.append(style);
}
