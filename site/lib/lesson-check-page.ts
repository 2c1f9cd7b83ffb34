import type { failureMessagesWithoutExport } from '../../engine/runtime/storage/backend.ts';
import { readLessonProgress } from '../../engine/runtime/storage/lesson-progress.ts';
import type { ProgressStore } from '../../engine/runtime/storage.ts';
import { onProgressChange, progressChangedEvent } from './progress.ts';

/**
 * Brings a lesson check (LessonCheck.astro) to life: checks each answer, shows
 * its explanation, and saves the questions answered right. The progress store
 * (and its schema library) is loaded only when there is an answer to save, so
 * reading a lesson costs nothing more than this file.
 */

type Verdict = 'right' | 'wrong';

export function startLessonCheck(section: HTMLElement): void {
  const slug = section.dataset.lessonCheck ?? '';
  const count = Number(section.dataset.questions);
  const forms = [...section.querySelectorAll<HTMLFormElement>('form[data-question]')];
  const progress = section.querySelector<HTMLElement>('[data-check-progress]');
  const passed = new Set<number>();
  let saveFailure = '';

  const showProgress = () => {
    if (!progress) return;
    const done =
      passed.size === count
        ? `All ${count} answered right: this lesson is complete.`
        : `${passed.size} of ${count} answered right.`;
    progress.textContent = saveFailure ? `${done} ${saveFailure}` : done;
  };

  const show = (form: HTMLFormElement, verdict: Verdict | undefined, text: string) => {
    if (verdict) form.dataset.state = verdict;
    else delete form.dataset.state;
    const line = form.querySelector('[data-verdict]');
    if (line) line.textContent = text;
  };

  const showSaved = () => {
    const saved = readLessonProgress(localStorageOrNothing())[slug]?.passedQuestions ?? [];
    for (const form of forms) {
      const number = Number(form.dataset.question);
      if (!saved.includes(number) || passed.has(number)) continue;
      passed.add(number);
      const right = form.querySelector<HTMLInputElement>(`input[value="${form.dataset.answer}"]`);
      if (right) right.checked = true;
      show(form, 'right', 'Answered right.');
    }
    showProgress();
  };

  for (const form of forms) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = form.querySelector<HTMLInputElement>('input[type="radio"]:checked');
      if (!chosen) {
        show(form, undefined, 'Choose an answer first.');
        return;
      }
      const answer = form.dataset.answer ?? '';
      if (chosen.value !== answer) {
        const right =
          form.querySelector(`input[value="${answer}"]`)?.closest('label')?.textContent?.trim() ?? '';
        show(form, 'wrong', `Not quite: the right answer is “${right.replace(/[.?!]$/, '')}”.`);
        return;
      }
      const number = Number(form.dataset.question);
      const completes = !passed.has(number) && passed.size === count - 1;
      passed.add(number);
      show(form, 'right', completes ? 'Right. That was the last one: this lesson is complete.' : 'Right.');
      showProgress();
      void save();
    });
  }

  // The store and its messages load with the first answer to save.
  let opened: Promise<[ProgressStore, typeof failureMessagesWithoutExport]> | undefined;
  const save = async () => {
    opened ??= Promise.all([
      import('../../engine/runtime/storage.ts'),
      import('../../engine/runtime/storage/backend.ts'),
    ]).then(([{ ProgressStore }, backend]) => [
      ProgressStore.open(backend.browserStore()),
      backend.failureMessagesWithoutExport,
    ]);
    const [progress, messagesWithoutExport] = await opened;
    const saved = progress.recordCheck(slug, count, [...passed]);
    saveFailure = saved.ok ? '' : (messagesWithoutExport[saved.failure.kind] ?? saved.failure.message);
    showProgress();
    window.dispatchEvent(new Event(progressChangedEvent));
  };

  showSaved();
  // Another tab answered some of these questions.
  onProgressChange(showSaved);
}

function localStorageOrNothing(): Storage | undefined {
  try {
    return localStorage;
  } catch {
    return undefined;
  }
}
