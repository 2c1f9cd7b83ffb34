import { transform } from 'sucrase';

/**
 * A tiny CommonJS module system for running TypeScript sources in a Web Worker
 * (or any JS realm) without a bundler: each file is transpiled with sucrase when
 * first required and evaluated with `new Function`. Bare specifiers come from
 * `hostModules` (packages the host bundled ahead of time); `@exercise/` and
 * `@grader/` mirror the path aliases the Node graders use.
 */

export interface ModuleGraphOptions {
  /** Course-relative path (e.g. "exercises/cache-aside/product-cache.ts") -> TypeScript source. */
  sources: Record<string, string>;
  /** Course-relative path -> JavaScript transpiled ahead of time (the site's build does it for graders). */
  compiled?: Record<string, string>;
  /** Bare specifier -> an already-loaded module namespace. */
  hostModules: Record<string, unknown>;
  /** Why `importer` may not import `specifier` (learner code reaching the grader), or undefined. */
  refuseImport?: (specifier: string, importer: string) => string | undefined;
}

/** A learner's (or grader's) file failed to compile: carries its position for the editor. */
export class CompileError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}:${column ?? 0}`}: ${detail}`);
    this.name = 'CompileError';
  }
}

type Module = { exports: unknown };

function dirOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
}

function join(base: string, relative: string): string {
  const parts = base === '' ? [] : base.split('/');
  for (const part of relative.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

// sucrase's import interop reads `default` only from objects flagged as ES modules.
function asEsModule(namespace: unknown): unknown {
  if (typeof namespace !== 'object' || namespace === null || '__esModule' in namespace) return namespace;
  return { __esModule: true, ...namespace };
}

/**
 * sucrase's output by file and source: the Node self-check grades dozens of
 * implementations with the same grader and harness, and a learner often runs
 * unchanged files again.
 */
const transpiled = new Map<string, string>();
/** A Worker serves run after run, each edit a new key: past this many, start over. */
const REMEMBERED = 100;

export function transpile(path: string, source: string): string {
  const key = `${path}\n${source}`;
  const known = transpiled.get(key);
  if (known !== undefined) return known;
  try {
    const { code } = transform(source, { transforms: ['typescript', 'imports'], filePath: path });
    if (transpiled.size >= REMEMBERED) transpiled.clear();
    transpiled.set(key, code);
    return code;
  } catch (error) {
    const { message, loc } = error as Error & { loc?: { line: number; column: number } };
    const detail = message.replace(/\s*\(\d+:\d+\)$/, '');
    // sucrase counts lines and columns from 1, as editors do.
    throw new CompileError(path, detail, loc?.line, loc?.column);
  }
}

export function createModuleGraph({ sources, compiled = {}, hostModules, refuseImport }: ModuleGraphOptions) {
  const cache = new Map<string, Module>();
  const hosts = new Map(
    Object.entries(hostModules).map(([name, namespace]) => [name, asEsModule(namespace)]),
  );

  function resolve(specifier: string, importer: string): string | undefined {
    let base: string;
    if (specifier.startsWith('.')) base = join(dirOf(importer), specifier);
    else if (specifier.startsWith('@exercise/')) base = `exercises/${specifier.slice('@exercise/'.length)}`;
    else if (specifier.startsWith('@grader/')) base = `tests/${specifier.slice('@grader/'.length)}`;
    else return undefined;
    return [base, `${base}.ts`, `${base}/index.ts`].find(
      (candidate) => candidate in sources || candidate in compiled,
    );
  }

  function load(path: string): unknown {
    const cached = cache.get(path);
    if (cached) return cached.exports;
    const source = sources[path];
    const code = compiled[path] ?? (source === undefined ? undefined : transpile(path, source));
    if (code === undefined) throw new Error(`cannot find module "${path}"`);
    const module: Module = { exports: {} };
    cache.set(path, module);
    const requireFrom = (specifier: string) => {
      const refusal = refuseImport?.(specifier, path);
      if (refusal) throw new Error(refusal);
      const resolved = resolve(specifier, path);
      if (resolved !== undefined) return load(resolved);
      if (hosts.has(specifier)) return hosts.get(specifier);
      throw new Error(`${path} imports "${specifier}", which is not available here`);
    };
    // sourceURL names the file in stack traces and the browser's debugger.
    const evaluate = new Function('require', 'module', 'exports', `${code}\n//# sourceURL=${path}`);
    evaluate(requireFrom, module, module.exports);
    return module.exports;
  }

  return { load };
}
