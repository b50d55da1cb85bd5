/**
 * `text/html` that renders a Vega-Lite spec interactively with vega-embed, without a CDN: the minified vega,
 * vega-lite and vega-embed bundles from node_modules (about 830 kB together) are inlined in the first output of
 * the session ("once") and reused by later outputs on the same page. Used by `show(spec, { html: true })`: the
 * classic notebook (trusted) and nbconvert HTML exports render it; JupyterLab and VS Code use the Vega-Lite mime.
 *
 * nbconvert's templates load RequireJS, on which the UMD bundles would register as anonymous AMD modules and set
 * no globals; `define` is hidden while they load.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkChoice, checkOptions } from './checks.js';

const BUNDLES: [pkg: string, file: string][] = [
  ['vega', 'vega.min.js'],
  ['vega-lite', 'vega-lite.min.js'],
  ['vega-embed', 'vega-embed.min.js'],
];

let librariesSent = false;
let counter = 0;

/**
 * A resolver for package files. In the tslab kernel lib files run as CommonJS with their own `require`; under
 * tsx / ESM there is none, and packages are resolved from the working directory (the project or a folder in it).
 */
function resolvePackageFile(pkg: string, file: string): string {
  const req = typeof require === 'function' ? require : createRequire(join(process.cwd(), 'noop.js'));
  // "<pkg>/package.json" is not exported by these packages; their main entry lives in build/, next to the bundles.
  return join(dirname(req.resolve(pkg)), file);
}

/** The three bundles as <script> tags (with `define` hidden while they load). */
export function vegaLibrariesHtml(): string {
  const scripts = BUNDLES.map(([pkg, file]) => {
    const source = readFileSync(resolvePackageFile(pkg, file), 'utf8').replace(/<\/script/gi, '<\\/script');
    return `<script>${source}</script>`;
  });
  return [
    '<script>window.__samplingLabDefine = window.define; window.define = undefined;</script>',
    ...scripts,
    '<script>window.define = window.__samplingLabDefine;</script>',
  ].join('\n');
}

export interface VegaEmbedHtmlOptions {
  /** Inline the libraries: 'once' per session (default), 'always', or 'never' (the page must have them). */
  inlineLibraries?: 'once' | 'always' | 'never';
}

/** HTML that embeds `spec` with vega-embed. */
export function vegaEmbedHtml(spec: object, options: VegaEmbedHtmlOptions = {}): string {
  const o = checkOptions<VegaEmbedHtmlOptions>('vegaEmbedHtml', options, ['inlineLibraries']);
  const mode = o.inlineLibraries === undefined ? 'once' : checkChoice('vegaEmbedHtml', 'inlineLibraries', o.inlineLibraries, ['once', 'always', 'never'] as const);
  let libraries = '';
  if (mode === 'always' || (mode === 'once' && !librariesSent)) {
    libraries = vegaLibrariesHtml();
    librariesSent = true;
  }
  const id = `sampling-lab-vega-${process.pid}-${++counter}-${Date.now().toString(36)}`;
  const json = JSON.stringify(spec).replace(/</g, '\\u003c');
  return `${libraries}
<div id="${id}"></div>
<script>(function () {
  function draw() {
    window.vegaEmbed("#${id}", ${json}, { actions: false }).catch(function (e) {
      document.getElementById("${id}").textContent = "vega-embed error: " + e;
    });
  }
  if (window.vegaEmbed) draw(); else window.addEventListener("load", draw);
})();</script>`;
}
