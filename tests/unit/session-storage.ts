/**
 * A sessionStorage stand-in for unit tests. It outlives any one "page" built
 * over it, as the browser keeps a tab's session storage across reloads and
 * crashes; `broken` makes every call throw, as blocked storage does.
 */
export function fakeSessionStorage(broken = false): Storage {
  const items = new Map<string, string>();
  const check = () => {
    if (broken) throw new DOMException('The operation is insecure.', 'SecurityError');
  };
  return {
    getItem(key: string) {
      check();
      return items.get(key) ?? null;
    },
    setItem(key: string, value: string) {
      check();
      items.set(key, value);
    },
    removeItem(key: string) {
      check();
      items.delete(key);
    },
  } as Storage;
}
