import { closeSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * The classroom's durable storage: one JSON object per line, appended and flushed to disk
 * before the request that caused it is answered, and replayed at start. A crash can leave
 * only the line being written unfinished; that torn tail is cut off with a warning, while a
 * bad line anywhere else stops the start (it means the file was edited or damaged, and
 * dropping it silently would lose results).
 */
export interface EventLog<Event> {
  /** The events stored before this start, oldest first. */
  readonly replayed: readonly Event[];
  /** Stores one event; returns once it is on disk. */
  append(event: Event): void;
  close(): void;
}

export function openEventLog<Event>(
  file: string,
  warn: (message: string) => void = console.warn,
): EventLog<Event> {
  const fd = openSync(file, 'a+');
  const text = readFileSync(fd, 'utf8');
  const lines = text.split('\n');
  // After the last newline: '' for a whole file, else the line a crash tore.
  const tail = lines.pop() ?? '';
  const replayed = lines.map((line, index) => {
    try {
      return JSON.parse(line) as Event;
    } catch {
      closeSync(fd);
      throw new Error(`${file}: line ${index + 1} is not a stored event; fix or remove it, then start again`);
    }
  });
  if (tail !== '') {
    warn(`${file}: the last line was cut short (the server stopped while writing it); it is ignored`);
    ftruncateSync(fd, Buffer.byteLength(text) - Buffer.byteLength(tail));
  }
  return {
    replayed,
    append(event) {
      writeSync(fd, `${JSON.stringify(event)}\n`);
      fdatasyncSync(fd);
    },
    close: () => closeSync(fd),
  };
}
