/// <reference types="vite/client" />

/**
 * The real type declarations behind the exercises' contracts, bundled for the
 * editor's TypeScript worker: ioredis (the learner's Redis client), node-postgres
 * (its Pool and results), and the slice of Node's own types those two refer to
 * (events, streams, sockets, Buffer, timers). All of @types/node would be five
 * times larger for types no exercise touches. Only the editor imports this.
 */

const declarations = import.meta.glob<string>(
  [
    '/node_modules/ioredis/built/**/*.d.ts',
    '/node_modules/@types/pg/index.d.ts',
    '/node_modules/@types/pg/lib/*.d.ts',
    '/node_modules/pg-types/index.d.ts',
    '/node_modules/pg-protocol/dist/*.d.ts',
    '/node_modules/@types/node/compatibility/*.d.ts',
    '/node_modules/@types/node/{globals,globals.typedarray,buffer.buffer,buffer,events}.d.ts',
    '/node_modules/@types/node/{net,tls,stream,dns,timers}.d.ts',
  ],
  { query: '?raw', import: 'default', eager: true, exhaustive: true },
);

export interface TypeLibrary {
  /** Where the TypeScript worker sees the file: file:///node_modules/... */
  filePath: string;
  content: string;
}

export const typeLibraries: TypeLibrary[] = Object.entries(declarations).map(([path, content]) => ({
  filePath: `file://${path}`,
  content,
}));

/** How imports of these packages resolve (the worker has no package.json files to read). */
export const packageTypePaths: Record<string, string[]> = {
  ioredis: ['node_modules/ioredis/built/index.d.ts'],
  pg: ['node_modules/@types/pg/index.d.ts'],
  'pg-types': ['node_modules/pg-types/index.d.ts'],
  'pg-protocol/dist/*': ['node_modules/pg-protocol/dist/*'],
};
