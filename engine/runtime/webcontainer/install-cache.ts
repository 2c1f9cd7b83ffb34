/**
 * Keeps the WebContainer's installed node_modules between visits: after the
 * first `npm install`, a binary snapshot (`webcontainer.export`) is stored in
 * IndexedDB under the project's package.json, and later visits mount it instead
 * of installing again. A failing cache only costs an install, so its errors are
 * swallowed.
 */
export interface InstallCache {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores the snapshot for `key`, dropping snapshots of other dependency sets. */
  put(key: string, snapshot: Uint8Array): Promise<void>;
}

const STORE = 'node_modules';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open(name: string): Promise<IDBDatabase> {
  const opening = indexedDB.open(name, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
  return request(opening);
}

async function inStore<T>(
  name: string,
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T>,
) {
  const db = await open(name);
  try {
    const transaction = db.transaction(STORE, mode);
    const committed = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onabort = () => reject(transaction.error);
    });
    const [result] = await Promise.all([request(work(transaction.objectStore(STORE))), committed]);
    return result;
  } finally {
    db.close();
  }
}

export function indexedDbInstallCache(name = 'request-journey-webcontainer'): InstallCache {
  return {
    async get(key) {
      try {
        const value = await inStore(name, 'readonly', (store) => store.get(key));
        return value instanceof Uint8Array ? value : undefined;
      } catch {
        return undefined;
      }
    },
    async put(key, snapshot) {
      try {
        await inStore(name, 'readwrite', (store) => {
          store.clear();
          return store.put(snapshot, key);
        });
      } catch {
        // Quota or private mode: the next visit installs again.
      }
    },
  };
}
