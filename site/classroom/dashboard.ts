import { h, replace } from '../workspace/dom.ts';
import {
  ApiError,
  type ClassState,
  forgetToken,
  type InstructorApi,
  instructorApi,
  instructorToken,
  learnerNameOf,
  type Room,
  rememberToken,
} from './dashboard-api.ts';

/**
 * The instructor's live view of a class: who has passed what, where the room is stuck, raised
 * hands. Everything a learner typed (names, messages, code) is put in the page as text, never as HTML.
 */

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

type Hand = ClassState['hands'][number];

let stream: EventSource | undefined;

async function start(): Promise<void> {
  const token = instructorToken();
  if (!token) return askForToken();
  const api = instructorApi(token);
  let room: Room;
  try {
    room = await api.room();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      forgetToken();
      return askForToken('That token is not this server’s instructor token.');
    }
    setConnection(
      'down',
      'This page works only when served by npm run classroom (no classroom server answered).',
    );
    return;
  }
  byId('sign-in').hidden = true;
  byId('board').hidden = false;
  const select = byId<HTMLSelectElement>('class-select');
  showClasses(room, select, room.classes[0]?.code);
  select.addEventListener('change', () => follow(api, room, select.value));
  wireControls(api, room, select);
  follow(api, room, select.value);
}

function askForToken(error = ''): void {
  byId('sign-in').hidden = false;
  byId('sign-in-error').textContent = error;
  setConnection('down', 'Not signed in.');
  byId('sign-in-form').addEventListener(
    'submit',
    (event) => {
      event.preventDefault();
      const given = byId<HTMLInputElement>('token-input').value.trim();
      rememberToken(/#token=([^&\s]+)/.exec(given)?.[1] ?? given);
      void start();
    },
    { once: true },
  );
}

function setConnection(state: 'live' | 'down', text: string): void {
  const status = byId('connection');
  status.dataset.state = state;
  status.textContent = text;
}

function showClasses(room: Room, select: HTMLSelectElement, chosen: string | undefined): void {
  replace(
    select,
    room.classes.map((found) =>
      h('option', { value: found.code, selected: found.code === chosen }, `${found.name} (${found.code})`),
    ),
  );
}

/** Shows a class: the join details, then its state as the server streams it. */
function follow(api: InstructorApi, room: Room, code: string): void {
  stream?.close();
  replace(byId('hands'));
  const address = room.addresses[0];
  for (const [text, qr, svgSize] of [
    ['join-address', 'join-qr', '14rem'],
    ['room-address', 'room-qr', ''],
  ] as const) {
    byId(text).textContent = address?.address ?? '';
    replace(byId(qr), address ? qrImage(address.qrSvg, address.address, svgSize) : null);
  }
  byId('join-code').textContent = code;
  byId('room-code').textContent = code;
  stream = api.events(code);
  stream.addEventListener('state', (event) => {
    setConnection('live', 'Live: updates as learners run their tests.');
    render(api, JSON.parse((event as MessageEvent<string>).data) as ClassState);
  });
  stream.addEventListener('error', () => {
    setConnection('down', 'Connection to the classroom server lost; reconnecting…');
  });
}

/** The server's QR code drawing, as an image with a name. */
function qrImage(svg: string, address: string, size: string): Element {
  const image = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
  image.setAttribute('role', 'img');
  image.setAttribute('aria-label', `QR code of ${address}`);
  if (size) image.setAttribute('style', `width:${size};height:${size}`);
  return document.importNode(image, true);
}

function wireControls(api: InstructorApi, room: Room, select: HTMLSelectElement): void {
  const note = byId('controls-note');
  byId('show-room').addEventListener('click', () => byId<HTMLDialogElement>('room-dialog').showModal());
  byId('new-class-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('new-class-name');
    try {
      const { code } = await api.createClass(input.value);
      const refreshed = await api.room();
      room.classes = refreshed.classes;
      showClasses(room, select, code);
      input.value = '';
      note.textContent = `Class ${code} created.`;
      follow(api, room, code);
    } catch (error) {
      note.textContent = (error as Error).message;
    }
  });
  byId('export-csv').addEventListener('click', async () => {
    try {
      const csv = await api.resultsCsv(select.value);
      const link = h('a', { href: URL.createObjectURL(csv), download: `results-${select.value}.csv` });
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (error) {
      note.textContent = (error as Error).message;
    }
  });
  byId('import-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('import-files');
    const chosen = [...(input.files ?? [])];
    const files: { name: string; file: unknown }[] = [];
    for (const file of chosen) {
      try {
        files.push({ name: learnerNameOf(file.name), file: JSON.parse(await file.text()) });
      } catch {
        note.textContent = `${file.name} is not JSON, so it is not a progress export. Nothing was imported.`;
        return;
      }
    }
    try {
      const { imported } = await api.importFiles(select.value, files);
      note.textContent = `Imported ${imported} learner${imported === 1 ? '' : 's'}.`;
      input.value = '';
    } catch (error) {
      note.textContent = (error as Error).message;
    }
  });
}

function render(api: InstructorApi, state: ClassState): void {
  renderHands(api, state);
  renderStuck(state);
  renderProgress(state);
}

const taskTitle = (state: ClassState, exercise: string, task: number) => {
  const found = state.course.find((candidate) => candidate.id === exercise);
  return `${found?.title ?? exercise}, task ${task}: ${found?.tasks.find((t) => t.number === task)?.title ?? ''}`;
};

/** Hands are added and removed one by one, so an opened code listing or a focused button survives updates. */
function renderHands(api: InstructorApi, state: ClassState): void {
  const list = byId('hands');
  const open = new Set(state.hands.map((hand) => hand.id));
  for (const item of [...list.children] as HTMLElement[]) {
    if (!open.has(item.dataset.hand ?? '')) item.remove();
  }
  const shown = new Set([...list.children].map((item) => (item as HTMLElement).dataset.hand));
  for (const hand of state.hands) {
    if (!shown.has(hand.id)) list.append(handCard(api, state, hand));
  }
  byId('hand-count').textContent = `(${state.hands.length})`;
  byId('no-hands').hidden = state.hands.length > 0;
}

function handCard(api: InstructorApi, state: ClassState, hand: Hand): HTMLElement {
  const resolve = h('button', { type: 'button' }, 'Resolve');
  resolve.addEventListener('click', async () => {
    resolve.disabled = true;
    try {
      await api.resolveHand(hand.id);
    } catch (error) {
      resolve.disabled = false;
      resolve.after(h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    }
  });
  const code = Object.entries(hand.code ?? {});
  return h(
    'li',
    { class: 'hand', 'data-hand': hand.id },
    h('h3', {}, hand.name),
    h('p', {}, taskTitle(state, hand.exercise, hand.task)),
    h('p', { class: 'muted' }, `Raised at ${new Date(hand.raisedAt).toLocaleTimeString()}`),
    hand.message
      ? h('pre', { 'aria-label': 'Failing message' }, hand.message)
      : h('p', { class: 'muted' }, 'No failing message.'),
    code.map(([file, text]) =>
      h('details', {}, h('summary', {}, `Shared code: ${file}`), h('pre', {}, text)),
    ),
    resolve,
  );
}

/** How many stuck tasks to list: the worst few are what an instructor can act on. */
const STUCK_SHOWN = 5;

function renderStuck(state: ClassState): void {
  const more = state.stuck.length - STUCK_SHOWN;
  byId('more-stuck').textContent =
    more > 0 ? `and ${more} more task${more === 1 ? '' : 's'} failing for half or more` : '';
  replace(
    byId('stuck'),
    state.stuck
      .slice(0, STUCK_SHOWN)
      .map((task) =>
        h(
          'li',
          {},
          `${taskTitle(state, task.exercise, task.task)}: failing for ${task.failing} of ${task.of}`,
        ),
      ),
  );
  byId('not-stuck').hidden = state.stuck.length > 0;
}

function renderProgress(state: ClassState): void {
  const learners = [...state.learners].sort((a, b) => a.name.localeCompare(b.name));
  byId('learner-count').textContent = `(${learners.length} learner${learners.length === 1 ? '' : 's'})`;
  const started = state.course.filter((exercise) =>
    learners.some((learner) => learner.exercises[exercise.id]),
  );
  replace(
    byId('progress'),
    learners.length === 0 ? h('p', { class: 'muted' }, 'Nobody has joined yet.') : null,
    learners.length > 0 && started.length === 0 ? h('p', { class: 'muted' }, 'No results yet.') : null,
    started.map((exercise) =>
      h(
        'div',
        { class: 'grid-wrap' },
        h(
          'table',
          { class: 'grid' },
          h('caption', {}, exercise.title),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Learner'),
              exercise.tasks.map((task) =>
                h('th', { scope: 'col', title: task.title }, `Task ${task.number}`),
              ),
              h('th', { scope: 'col' }, 'Last seen'),
            ),
          ),
          h(
            'tbody',
            {},
            learners.map((learner) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, learner.name),
                exercise.tasks.map((task) => {
                  const result = learner.exercises[exercise.id]?.tasks[task.number];
                  if (!result)
                    return h(
                      'td',
                      {},
                      h('span', { class: 'muted' }, '–'),
                      h('span', { class: 'visually-hidden' }, 'not run'),
                    );
                  return h(
                    'td',
                    { class: result.passed ? 'passed' : 'failing', title: result.message },
                    result.passed ? '✓ passed' : '✗ failing',
                  );
                }),
                h('td', { class: 'seen' }, new Date(learner.lastSeenAt).toLocaleTimeString()),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

void start();
