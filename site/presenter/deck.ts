/**
 * Presenter mode's keyboard: a deck of slides (<section data-slide>), each with zero or more steps
 * (elements with data-step, revealed one at a time in document order). Next and previous move by one
 * step, then on to the next slide. A presentation clicker sends PageDown and PageUp.
 */

const nextKeys = new Set(['ArrowRight', 'ArrowDown', 'PageDown', ' ', 'Enter', 'n']);
const previousKeys = new Set(['ArrowLeft', 'ArrowUp', 'PageUp', 'Backspace', 'p']);

interface Position {
  slide: number;
  /** How many of the slide's steps are revealed. */
  step: number;
}

export function startDeck(root: HTMLElement): void {
  const slides = [...root.querySelectorAll<HTMLElement>('[data-slide]')];
  const stepsOf = (slide: HTMLElement) => [...slide.querySelectorAll<HTMLElement>('[data-step]')];
  const status = root.querySelector<HTMLElement>('[data-deck-status]');
  const live = root.querySelector<HTMLElement>('[data-deck-live]');
  const help = root.querySelector<HTMLDialogElement>('dialog[data-deck-help]');
  const last = (): Position => {
    const slide = slides.length - 1;
    return { slide, step: stepsOf(slides[slide] as HTMLElement).length };
  };

  const fromHash = (): Position => {
    const index = slides.findIndex((slide) => `#${slide.id}` === location.hash);
    return { slide: Math.max(index, 0), step: 0 };
  };
  let at = fromHash();

  function show(next: Position, announce = true): void {
    at = next;
    slides.forEach((slide, index) => {
      slide.hidden = index !== at.slide;
    });
    const slide = slides[at.slide] as HTMLElement;
    const steps = stepsOf(slide);
    steps.forEach((step, index) => {
      const state = index < at.step - 1 ? 'past' : index === at.step - 1 ? 'current' : 'future';
      step.dataset.state = state;
      if (state === 'current') step.setAttribute('aria-current', 'step');
      else step.removeAttribute('aria-current');
    });
    const progress = `Slide ${at.slide + 1} of ${slides.length}${
      steps.length > 0 ? `, step ${at.step} of ${steps.length}` : ''
    }`;
    if (status) status.textContent = progress;
    slide.dataset.revealed = String(at.step);
    steps[at.step - 1]?.scrollIntoView({ block: 'nearest' });
    history.replaceState(null, '', `#${slide.id}`);
    if (announce && live) {
      // What a screen reader hears on each press: where we are, and what the new step says.
      const said =
        steps[at.step - 1]?.querySelector('[data-step-note]')?.textContent ?? slide.dataset.title ?? '';
      live.textContent = `${progress}. ${said}`;
    }
  }

  function forward(): void {
    const steps = stepsOf(slides[at.slide] as HTMLElement).length;
    if (at.step < steps) show({ slide: at.slide, step: at.step + 1 });
    else if (at.slide < slides.length - 1) show({ slide: at.slide + 1, step: 0 });
  }

  function back(): void {
    if (at.step > 0) show({ slide: at.slide, step: at.step - 1 });
    else if (at.slide > 0) {
      const slide = at.slide - 1;
      show({ slide, step: stepsOf(slides[slide] as HTMLElement).length });
    }
  }

  function toggleFullScreen(): void {
    if (document.fullscreenElement) void document.exitFullscreen();
    // Refused without a user gesture or by policy: the deck works the same in a window.
    else void document.documentElement.requestFullscreen?.().catch(() => undefined);
  }

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (help?.open) {
      if (event.key === '?') help.close();
      return; // Escape closes the dialog by itself.
    }
    // Links and buttons keep Enter and Space for themselves.
    const onControl = (event.target as Element | null)?.closest('a, button, summary, input');
    if (onControl && (event.key === 'Enter' || event.key === ' ')) return;
    if (event.key === ' ' && event.shiftKey) back();
    else if (nextKeys.has(event.key)) forward();
    else if (previousKeys.has(event.key)) back();
    else if (event.key === 'Home') show({ slide: 0, step: 0 });
    else if (event.key === 'End') show(last());
    else if (event.key === 'f' || event.key === 'F') toggleFullScreen();
    else if (event.key === '?') help?.showModal();
    else if (event.key === 'Escape' && document.fullscreenElement) void document.exitFullscreen();
    else return;
    event.preventDefault();
  });

  for (const button of root.querySelectorAll<HTMLButtonElement>('[data-deck-action]')) {
    button.addEventListener('click', () => {
      const action = button.dataset.deckAction;
      if (action === 'next') forward();
      else if (action === 'previous') back();
      else if (action === 'help') help?.showModal();
      else if (action === 'full-screen') toggleFullScreen();
    });
  }
  help?.querySelector('[data-deck-close]')?.addEventListener('click', () => help.close());
  window.addEventListener('hashchange', () => show(fromHash()));
  show(at, false);
}
