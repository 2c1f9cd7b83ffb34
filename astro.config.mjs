// @ts-check
import mdx from '@astrojs/mdx';
import AstroPWA from '@vite-pwa/astro';
import { defineConfig } from 'astro/config';
import {
  graderWorkerOptimizeDeps,
  graderWorkerVite,
  transpiledCourseFiles,
} from './engine/runtime/worker/vite-worker.ts';
import { crossOriginIsolation } from './site/integrations/cross-origin-isolation.ts';
import { rehypeScrollableTables } from './site/integrations/rehype-scrollable-tables.ts';
import { shippedStarters } from './site/integrations/shipped-starters.ts';
import { offlineCourse } from './site/offline/pwa-options.ts';
import { monacoStylesOnDemand } from './site/workspace/vite-plugins.ts';

export default defineConfig({
  srcDir: './site',
  publicDir: './site/public',
  trailingSlash: 'ignore',
  // offlineCourse: the service worker that keeps the course usable offline after one visit.
  integrations: [mdx(), crossOriginIsolation(), AstroPWA(offlineCourse)],
  markdown: {
    rehypePlugins: [rehypeScrollableTables],
    shikiConfig: {
      themes: { light: 'github-light-default', dark: 'github-dark-default' },
      // Both palettes in one `color: light-dark(...)`, so code follows the page's color-scheme.
      defaultColor: 'light-dark()',
    },
  },
  devToolbar: { enabled: false },
  vite: {
    // transpiledCourseFiles: the graders the grading Worker runs, transpiled at build time (and by `astro dev`).
    // shippedStarters: the starters as shipped, whatever someone has done in exercises/.
    plugins: [monacoStylesOnDemand(), transpiledCourseFiles(), shippedStarters()],
    // The grading Worker (engine/runtime/worker) and Monaco's workers.
    worker: graderWorkerVite(),
    // `astro dev` pre-bundles dependencies; keep ioredis-mock's Node build there too, as the Worker needs.
    optimizeDeps: graderWorkerOptimizeDeps(),
  },
});
