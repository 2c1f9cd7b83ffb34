import { fileURLToPath } from 'node:url';
import type { InlineConfig } from 'vite';
import {
  graderWorkerOptimizeDeps,
  graderWorkerVite,
  transpiledCourseFiles,
} from '../../../engine/runtime/worker/vite-worker.ts';

/**
 * A minimal Vite build (or dev server) of a page that grades with the Worker
 * runner, using the same Worker settings the site passes to Astro. Root is the course root so the
 * runtime's `import.meta.glob('/tests/...')` sees the course as the site does.
 */
export const courseRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const fixturePage = 'tests/e2e/runtime-fixture/index.html';
/** The workspace's terminal panel alone. */
export const terminalPage = 'tests/e2e/runtime-fixture/terminal.html';

export function fixtureConfig(outDir: string): InlineConfig {
  return {
    configFile: false,
    root: courseRoot,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      rollupOptions: { input: [fixturePage, terminalPage].map((page) => `${courseRoot}/${page}`) },
    },
    plugins: [transpiledCourseFiles()],
    worker: graderWorkerVite(),
    optimizeDeps: graderWorkerOptimizeDeps(),
  };
}
