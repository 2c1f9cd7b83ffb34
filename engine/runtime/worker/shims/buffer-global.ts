import { Buffer } from 'buffer';

// ioredis-mock's Node build, the ioredis code it borrows and pg-mem use Buffer as
// the global it is in Node. Imported before any grader package is evaluated.
const scope = globalThis as { Buffer?: typeof Buffer };
scope.Buffer ??= Buffer;
