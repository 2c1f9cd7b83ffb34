import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin as EsbuildPlugin } from 'esbuild';
import type { Plugin } from 'vite';
import { GRADER_PACKAGES } from '../../grading/in-page/grader-packages.ts';
import { transpile } from '../../grading/in-page/module-graph.ts';

/**
 * How the grading Worker gets ioredis-mock. Its browser build assumes a window
 * and requires fs at run time, so the Worker uses its Node build, with the few
 * Node modules it (and the ioredis and fengari code it loads) asks for swapped
 * for browser ones or empty stand-ins. No global `process` is defined: fengari, its Lua engine,
 * would then take its Node paths and crash.
 *
 * In astro.config.mjs (or any Vite config):
 *   vite: {
 *     plugins: [transpiledCourseFiles()],
 *     worker: graderWorkerVite(),
 *     optimizeDeps: graderWorkerOptimizeDeps(),
 *   }
 * `worker` shapes the production Worker bundle only, so the site's own build is
 * untouched; `optimizeDeps` does the same for the dev server, whose dependency
 * pre-bundler also serves the Worker.
 */

const shim = (file: string) => fileURLToPath(new URL(`./shims/${file}`, import.meta.url));

/** Node module -> its stand-in, for imports from the packages below. */
const standIns: Record<string, string> = {
  stream: 'stream-browserify',
  crypto: shim('crypto.ts'),
  ...Object.fromEntries(
    [
      'fs',
      'path',
      'os',
      'util',
      'child_process',
      'tmp',
      'readline-sync',
      'timers',
      'timers/promises',
      'perf_hooks',
    ].map((name) => [name, shim('empty.ts')]),
  ),
};
// fake-timers (util, timers, perf_hooks) and readable-stream (util, under stream-browserify) only use
// those where they exist: the stand-ins keep Vite's dev server from warning about every access.
const packagesNeedingStandIns =
  /[\\/]node_modules[\\/](ioredis-mock|ioredis|fengari|fengari-interop|readable-stream|@sinonjs[\\/]fake-timers)[\\/]/;
const ioredisMockNodeBuild = 'ioredis-mock/lib/index.js';

function standInFor(source: string, importer: string | undefined): string | undefined {
  if (source === 'ioredis-mock') return ioredisMockNodeBuild;
  if (!importer || !packagesNeedingStandIns.test(importer)) return undefined;
  return standIns[source.replace(/^node:/, '')];
}

/**
 * The uses of Node's `process` these packages make while loading or running:
 * deferring events and the microseconds of TIME (ioredis-mock), and an optional
 * configuration variable (fengari). Production builds would define
 * process.env away; the dev pre-bundler does not.
 */
const processFree: Array<{ file: RegExp; patch: (code: string) => string }> = [
  {
    file: /[\\/]ioredis-mock[\\/]lib[\\/]index\.js$/,
    patch: (code) =>
      code
        .replaceAll('process.nextTick(', 'queueMicrotask(')
        .replaceAll('process.hrtime()', '[0, Math.round((performance.now() % 1e3) * 1e6)]'),
  },
  {
    file: /[\\/]fengari[\\/]src[\\/]luaconf\.js$/,
    patch: (code) => code.replaceAll('process.env.FENGARICONF', 'undefined'),
  },
];
const patchFor = (id: string) => processFree.find(({ file }) => file.test(id))?.patch;

export function graderWorkerPlugin(): Plugin {
  return {
    name: 'request-journey:grader-worker',
    enforce: 'pre',
    resolveId(source, importer, options) {
      const standIn = standInFor(source, importer);
      return standIn === undefined ? null : this.resolve(standIn, importer, { ...options, skipSelf: true });
    },
    transform(code, id) {
      return patchFor(id)?.(code) ?? null;
    },
  };
}

/** The same rules for the dev server's esbuild pre-bundler. */
function graderWorkerEsbuildPlugin(): EsbuildPlugin {
  return {
    name: 'request-journey:grader-worker',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/-]+$/ }, async (args) => {
        const standIn = standInFor(args.path, args.importer);
        if (standIn === undefined || standIn === ioredisMockNodeBuild) return undefined;
        const resolved = await build.resolve(standIn, { kind: args.kind, resolveDir: args.resolveDir });
        return { path: resolved.path };
      });
      // The pre-bundler is handed ioredis-mock's browser build as its entry: load the Node build in its place.
      build.onLoad({ filter: /[\\/]ioredis-mock[\\/]browser\.js$/ }, (args) => ({
        contents: `module.exports = require('./lib/index.js');`,
        resolveDir: dirname(args.path),
        loader: 'js',
      }));
      for (const { file, patch } of processFree) {
        build.onLoad({ filter: file }, async (args) => ({
          contents: patch(await readFile(args.path, 'utf8')),
          loader: 'js',
        }));
      }
    },
  };
}

/**
 * `?transpiled` imports of course files (compiled-course-files.ts) give their
 * JavaScript, transpiled at build time exactly as the in-page runner would
 * transpile them: the Worker runs graders without transpiling them first, and a
 * grader that does not compile fails the build. Needed in `vite.plugins` too:
 * the dev server serves the Worker's modules with the page's plugins.
 */
export function transpiledCourseFiles(): Plugin {
  let root = process.cwd();
  return {
    name: 'request-journey:transpiled-course-files',
    enforce: 'pre',
    configResolved(config) {
      root = config.root;
    },
    async load(id) {
      const [file, query] = id.split('?');
      if (query !== 'transpiled' || file === undefined) return null;
      const code = transpile(relative(root, file), await readFile(file, 'utf8'));
      return `export default ${JSON.stringify(code)};`;
    },
  };
}

/** The `worker` section of a Vite config: ES module Workers, bundled with the plugins above. */
export function graderWorkerVite() {
  return { format: 'es' as const, plugins: () => [graderWorkerPlugin(), transpiledCourseFiles()] };
}

/**
 * What the grading Worker imports from packages: listed for the dev server's
 * pre-bundler so it bundles them as it starts. Found only when the Worker first
 * loads, they would make the dev server reload the page in the middle of the
 * first run.
 */
const workerDependencies = [
  ...GRADER_PACKAGES,
  '@vitest/runner',
  '@vitest/utils/timers',
  '@vitest/expect',
  'sucrase',
  'buffer',
];

/** The `optimizeDeps` section of a Vite 6 config, for the dev server. */
export function graderWorkerOptimizeDeps() {
  return { include: workerDependencies, esbuildOptions: { plugins: [graderWorkerEsbuildPlugin()] } };
}
