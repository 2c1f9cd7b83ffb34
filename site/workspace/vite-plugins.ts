import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'astro';

/**
 * Keeps Monaco's stylesheets out of the lesson page's <head>. Astro links
 * every stylesheet a page script can reach, dynamic imports included, so the
 * editor's 175 KB of CSS would block the first paint of every lesson. Instead
 * each stylesheet Monaco imports becomes a tiny module that adds the (built,
 * minified) CSS to the document when the editor's code runs, in the order
 * Monaco imports it. Pass as `vite.plugins` in astro.config.mjs.
 */

/** A plugin for Astro's own Vite (the root `vite` package is vitest's, a newer major). */
type AstroVitePlugin = Extract<NonNullable<ViteUserConfig['plugins']>[number], { name: string }>;

const monacoModule = /[\\/]node_modules[\\/]monaco-editor[\\/]esm[\\/]/;
// The module that adopts a stylesheet must not look like CSS to Vite, hence the .js ending.
const stylePrefix = '\0monaco-style:';
const styleSuffix = '.js';
const adoptStyle = fileURLToPath(new URL('./adopt-style.ts', import.meta.url));

export function monacoStylesOnDemand(): AstroVitePlugin {
  return {
    name: 'request-journey:monaco-styles-on-demand',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!source.endsWith('.css') || !importer || !monacoModule.test(importer)) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved && `${stylePrefix}${resolved.id}${styleSuffix}`;
    },
    load(id) {
      if (!id.startsWith(stylePrefix)) return null;
      const stylesheet = `${id.slice(stylePrefix.length, -styleSuffix.length)}?inline`;
      return [
        `import css from ${JSON.stringify(stylesheet)};`,
        `import { adoptStyle } from ${JSON.stringify(adoptStyle)};`,
        'adoptStyle(css);',
      ].join('\n');
    },
  };
}
