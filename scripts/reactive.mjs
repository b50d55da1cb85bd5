#!/usr/bin/env node
// Build the reactive notebooks (notebooks/reactive/*.html, Observable Notebook Kit) into a static site and serve it
// on 127.0.0.1 with Vite's preview server. Everything the pages load is bundled from node_modules, so the site works offline.
//
//   node scripts/reactive.mjs                 build, then serve on http://127.0.0.1:4173/ (Ctrl-C stops)
//   node scripts/reactive.mjs --build-only    build only
//   options: --port <n> (0 = any free port; default 4173), --out <dir> (default build/reactive)
//
// Once listening it prints one line `serving <url>` (the test in test/browser/reactive.test.ts reads it).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'notebooks', 'reactive');
const NOTEBOOKS_BIN = join(ROOT, 'node_modules', '@observablehq', 'notebook-kit', 'dist', 'bin', 'notebooks.js');
const HOST = '127.0.0.1';

function usageError(message) {
  console.error(`reactive: ${message}\nusage: node scripts/reactive.mjs [--build-only] [--port <n>] [--out <dir>]`);
  process.exit(2);
}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'build-only': { type: 'boolean', default: false },
        port: { type: 'string', default: '4173' },
        out: { type: 'string', default: join('build', 'reactive') },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    usageError(err.message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log('usage: node scripts/reactive.mjs [--build-only] [--port <n>] [--out <dir>]');
    process.exit(0);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    usageError(`option "--port" = ${JSON.stringify(values.port)}, expected an integer in [0, 65535] (0 = any free port)`);
  }
  return { buildOnly: values['build-only'], port, out: resolve(ROOT, values.out) };
}

/** The notebook pages: every .html file directly in notebooks/reactive. */
export function notebookPages() {
  return readdirSync(SOURCE).filter((name) => name.endsWith('.html')).sort();
}

/** Build every page with notebook-kit (Vite) into `out` (emptied first). Throws with the build log on failure. */
export function buildReactive(out) {
  if (!existsSync(NOTEBOOKS_BIN)) {
    throw new Error(`reactive: ${relative(ROOT, NOTEBOOKS_BIN)} is missing, expected @observablehq/notebook-kit in node_modules (npm install)`);
  }
  const pages = notebookPages();
  if (pages.length === 0) throw new Error(`reactive: no .html notebooks in ${relative(ROOT, SOURCE)}`);
  const started = Date.now();
  // --out is relative to --root for notebook-kit; --empty clears the old build.
  const args = [NOTEBOOKS_BIN, 'build', '--root', SOURCE, '--out', relative(SOURCE, out), '--empty', '--', ...pages.map((p) => join(SOURCE, p))];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`reactive: notebook build failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  for (const page of pages) {
    if (!existsSync(join(out, page))) throw new Error(`reactive: the build did not write ${relative(ROOT, join(out, page))}`);
  }
  return { pages, ms: Date.now() - started, externalized: externalizedModules(`${result.stdout}\n${result.stderr}`) };
}

/**
 * Node built-ins that Vite replaced by an empty browser stub, with the file that imports each: any use of them
 * in the browser throws. (lib/samplers/runChain.ts loads node:fs/promises and node:path lazily for checkpoints,
 * which the pages never write, so those two are expected.)
 */
export function externalizedModules(log) {
  const found = [];
  const pattern = /Module "([^"]+)" has been externalized for browser compatibility, imported by "([^"]+)"/g;
  for (const [, module, importer] of log.matchAll(pattern)) found.push({ module, importer: relative(ROOT, importer) });
  return found;
}

function indexPage(pages) {
  const links = pages.map((p) => `<li><a href="./${p}">${p.replace(/\.html$/, '')}</a></li>`).join('\n');
  return `<!doctype html><meta charset="utf-8"><title>sampling-lab reactive notebooks</title>\n<h1>Reactive notebooks</h1>\n<ul>\n${links}\n</ul>\n`;
}

/** What Vite's preview server lacks: a list of the pages at `/` (the build has no index.html), no favicon is no error. */
function pagesPlugin(dir, pages) {
  return {
    name: 'sampling-lab-reactive-pages',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
        if (pathname === '/' && !existsSync(join(dir, 'index.html'))) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(indexPage(pages));
        } else if (pathname === '/favicon.ico' && !existsSync(join(dir, 'favicon.ico'))) {
          res.writeHead(204).end(); // browsers ask for it on their own
        } else next();
      });
    },
  };
}

/**
 * Serve the built site `dir` on 127.0.0.1 with Vite's preview server (the Vite that notebook-kit builds with:
 * content types, .wasm included, caching headers and path checks are Vite's); resolves with the server and its
 * base URL, with the list of `pages` at `/`. Port 0 takes any free port; another port must be free (strictPort).
 */
export async function serveStatic(dir, port, pages = notebookPages()) {
  const kit = createRequire(join(ROOT, 'node_modules', '@observablehq', 'notebook-kit', 'package.json'));
  const { preview } = await import(pathToFileURL(kit.resolve('vite')).href);
  let server;
  try {
    server = await preview({
      configFile: false,
      root: dir,
      appType: 'mpa',
      plugins: [pagesPlugin(dir, pages)],
      logLevel: 'silent',
      build: { outDir: dir },
      preview: { host: HOST, port, strictPort: port !== 0, open: false },
    });
  } catch (err) {
    if (err.code === 'EADDRINUSE' || /already in use/i.test(err.message)) throw new Error(`reactive: port ${port} is in use; pass --port <n> (0 = any free port)`);
    throw err;
  }
  const address = server.httpServer.address();
  return { server, url: `http://${HOST}:${address.port}/` };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const { pages, ms, externalized } = buildReactive(options.out);
  console.log(`built ${pages.length} notebook(s) into ${relative(ROOT, options.out)} in ${(ms / 1000).toFixed(1)} s: ${pages.join(', ')}`);
  for (const { module, importer } of externalized) {
    console.log(`externalized: ${module} (imported by ${importer}; a browser stub that throws if used)`);
  }
  if (options.buildOnly) return;
  const { server, url } = await serveStatic(options.out, options.port, pages);
  for (const page of pages) console.log(`  ${url}${page}`);
  console.log(`serving ${url}`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err.message ?? err);
    process.exit(1);
  });
}
