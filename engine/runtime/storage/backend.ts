/**
 * Where progress is kept: a tiny key-value interface over localStorage, so
 * tests (and browsers that refuse storage) use an in-memory map instead.
 */
export interface KeyValueStore {
  getItem(key: string): string | null;
  /** Throws when the browser refuses (quota exceeded, storage disabled). */
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  keys(): string[];
  /**
   * Calls back when another tab changed a key (null: it cleared everything), as the browser's
   * `storage` event does; returns the unsubscribe function. Absent where nothing else shares the storage.
   */
  subscribe?(listener: (key: string | null) => void): () => void;
}

export type StorageFailureKind = 'quota' | 'unavailable' | 'newer-version' | 'unreadable';

/** A reason the learner's work is not (fully) saved: always shown, never swallowed. */
export interface StorageFailure {
  kind: StorageFailureKind;
  message: string;
}

export const failureMessages: Record<StorageFailureKind, string> = {
  quota:
    "This browser's storage for the course is full, so your latest changes live only in this tab. Export your progress to keep it, then free some space in the browser's site data.",
  unavailable:
    'This browser does not let the course save (private browsing, or site data is blocked), so your work lives only in this tab. Export your progress before you close it.',
  'newer-version':
    'Your saved progress was written by a newer version of the course. It is left untouched and changes made here are not saved: reload the page to get the new version.',
  unreadable:
    'Some saved progress could not be read. It was set aside unchanged, and the rest of your work is here.',
};

/**
 * The same failures told on a page with no Export button (a lesson check): there the answers cannot
 * be exported, only kept in the page or saved once the browser lets the course save again.
 */
export const failureMessagesWithoutExport: Partial<Record<StorageFailureKind, string>> = {
  quota:
    "This browser's storage for the course is full, so these answers are not saved: they stay only while this page is open. Free some space in the browser's site data to save them.",
  unavailable:
    'This browser does not let the course save (private browsing, or site data is blocked), so these answers stay only while this page is open.',
};

/** What a failed storage call means for the learner. */
export function failureOf(error: unknown): StorageFailure {
  const { name, code } = (error ?? {}) as { name?: string; code?: number };
  const quota = name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22;
  return quota
    ? { kind: 'quota', message: failureMessages.quota }
    : { kind: 'unavailable', message: failureMessages.unavailable };
}

export function memoryStore(initial: Record<string, string> = {}): KeyValueStore {
  const items = new Map(Object.entries(initial));
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
    keys: () => [...items.keys()],
  };
}

/** What browserStore needs of a window: its localStorage, and its `storage` events from other tabs. */
export interface StorageScope {
  localStorage: Storage;
  addEventListener?(type: 'storage', listener: (event: StorageEvent) => void): void;
  removeEventListener?(type: 'storage', listener: (event: StorageEvent) => void): void;
}

/** The browser's localStorage, or why it cannot be used (reading it throws where site data is blocked). */
export function browserStore(scope: StorageScope = globalThis): KeyValueStore | StorageFailure {
  try {
    const storage = scope.localStorage;
    return {
      getItem: (key) => storage.getItem(key),
      setItem: (key, value) => storage.setItem(key, value),
      removeItem: (key) => storage.removeItem(key),
      keys: () =>
        Array.from({ length: storage.length }, (_, index) => storage.key(index)).filter(
          (key): key is string => key !== null,
        ),
      subscribe(listener) {
        const onStorage = (event: StorageEvent) => {
          if (event.storageArea === storage) listener(event.key);
        };
        scope.addEventListener?.('storage', onStorage);
        return () => scope.removeEventListener?.('storage', onStorage);
      },
    };
  } catch (error) {
    return failureOf(error);
  }
}
