/// <reference types="vite-plugin-pwa/client" />
import { registerSW } from 'virtual:pwa-register';
import { savesData } from '../lib/connection.ts';

/**
 * Registers the course's service worker (site/offline/service-worker.ts) once
 * the page has loaded, and shows `prompt` when a new release is waiting. The
 * page reloads only when the learner presses Reload (their code is saved as
 * the page goes), never by itself: not even when another tab accepted the
 * release and the new worker took over this one.
 *
 * Nothing happens where a service worker cannot run (plain http from another
 * machine is not a secure context: the site works as before, online only) or
 * when the learner's browser saves data (the offline copy is about 17 MB).
 */
export function keepCourseOffline(prompt: HTMLElement, reload: HTMLButtonElement): void {
  if (!('serviceWorker' in navigator) || savesData()) return;
  let releaseWaiting = false;
  let releaseInControl = false;
  let reloadAsked = false;
  const acceptRelease = registerSW({
    onNeedRefresh: () => {
      releaseWaiting = true;
      prompt.hidden = false;
    },
    // Without this, the plugin reloads the page as soon as the new release takes over.
    onNeedReload: () => {},
  });
  // The new release took over this page: after this tab's Reload, or another tab's.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!releaseWaiting) return;
    releaseInControl = true;
    if (reloadAsked) location.reload();
  });
  reload.addEventListener('click', () => {
    reloadAsked = true;
    if (releaseInControl) location.reload();
    else void acceptRelease(true);
  });
}
