#!/usr/bin/env node
/**
 * The project's patch of tslab 1.0.22 (the Jupyter kernel behind notebooks/*.ipynb). Idempotent; runs in
 * `postinstall`, and by hand: `node scripts/patch-tslab.cjs` (apply), `node scripts/patch-tslab.cjs --check`
 * (exit 1 unless the installed tslab carries exactly this patch).
 *
 * What it changes, and why (research/notebook-stack.md sections 1.3 and 1.4):
 *
 * 1. rootDir = the project root (yunabe/tslab#63). tslab compiles every cell with TypeScript's rootDir set to
 *    the kernel's cwd, which Jupyter sets to the notebook's folder, so `import { key } from '../lib/core/random.js'`
 *    from notebooks/ fails with "File '.../lib/core/random.ts' is not under 'rootDir' '.../notebooks'".
 *    The root becomes $TSLAB_ROOT_DIR when it is set (and contains the cwd), else the nearest ancestor of the
 *    cwd that holds node_modules/tslab (the project root), else the cwd (tslab's own behaviour). The cell's
 *    output path and the paths of compiled library files ("side outputs") are mapped against that root.
 *
 * 2. Directory imports (`import ... from '../lib/samplers/mcmc'` -> mcmc/index.ts). TypeScript resolves them,
 *    but tslab's require hook only tried `<specifier>.js`, so they failed at run time ("Cannot find module").
 *    The hook now tries `<path>` (when it already names a compiled .js file), `<path>.js`, `<path>/index.js`.
 *
 * 3. Library files compiled for the kernel are ESM turned into CommonJS, which breaks two ESM features the
 *    library uses:
 *    - `import.meta` (lib/core/nativeMatMul.ts: `new URL('../../build/native/sgemm.node', import.meta.url)`)
 *      stayed verbatim in the CommonJS code; Node then took the file for ESM (ESM syntax, in a "type": "module"
 *      package) and failed with "ReferenceError: exports is not defined in ES module scope", so nothing that
 *      imports lib/core/backend.ts could load. It now becomes `{ url, filename, dirname }` of the compiled
 *      file (same folder as the .ts).
 *    - `await import(name)` became `require(name)`, which throws ERR_REQUIRE_ASYNC_MODULE for ESM packages
 *      with top-level await (vega 6, vega-lite 6). A dynamic import of a package (or `node:` module) is now
 *      a real `import()` from the compiled module; a relative one (`import('./x.js')`, a library .ts file)
 *      still goes through tslab's require hook, which is where compiled library files live.
 *    Only library files are affected; notebook cells themselves are unchanged (a cell runs in
 *    `vm.runInThisContext`, where Node offers no dynamic import: import ESM-with-top-level-await packages
 *    through a library helper, e.g. lib/viz).
 *
 * 4. moduleResolution Bundler instead of Node10 for type-checking cells, as in the project's tsconfig.json.
 *    Node10 ignores package.json "exports", so packages typed only through "exports" had no types in a cell:
 *    `import type { TopLevelSpec } from 'vega-lite'` failed with "Cannot find module 'vega-lite' or its
 *    corresponding type declarations". Bundler (TypeScript 5.0+, tslab ships 5.0.4) reads "exports" and still
 *    maps `.js` to `.ts`, resolves directory and extension-less imports. Run time is unchanged: packages are
 *    loaded by Node's require from the kernel's cwd, library files by tslab's require hook.
 *
 * 5. Shorthand properties: `{ target }` in a cell, where `target` was declared in an earlier cell, stayed
 *    `{ target }` (tslab rewrites earlier-cell variables to `exports.target`, but not inside a shorthand
 *    property, whose name the type checker resolves to the property, not the variable), so it threw
 *    "ReferenceError: target is not defined". It now becomes `{ target: exports.target }`.
 *
 * 6. Stack traces name the cell: cell code runs under the file name `In[n]`, n being the cell's execution count
 *    (the number Jupyter shows as `In [n]`; tslab counts one per execute request, and so does this patch), so
 *    `at explode (In[3]:4:11)` instead of `evalmachine.<anonymous>:4:11` (line numbers are those of the
 *    compiled JavaScript). tools/run_notebooks.py uses it to name the cell an asynchronous error came from.
 *
 * `.js` specifiers (`import { key } from './random.js'` for random.ts) need no further patch: TypeScript maps
 * `.js` to `.ts` when type-checking (with Node10 as with Bundler), and the compiled copy of random.ts is
 * registered under `random.js`, the name the require hook looks up. test/notebooks/ checks it in a live kernel.
 *
 * Type errors in library files are not reported in a notebook (tslab drops diagnostics of files outside the
 * kernel's cwd, and tslab's TypeScript 5.0 is not the project's compiler); `npm run typecheck` checks lib/.
 *
 * Every edit replaces an exact string of tslab 1.0.22's dist/*.js, which must occur exactly once; with any
 * other tslab version or text, the script stops with exit code 1 and says which string is missing. The
 * pristine files are kept next to the patched ones (`*.js.sampling-lab-orig`), so a changed patch re-applies
 * cleanly from them; `npm ci` replaces the whole folder and the script then patches the fresh copy.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PATCH_ID = 'sampling-lab-tslab-patch v2';
const EXPECTED_VERSION = '1.0.22';
const ORIG_SUFFIX = '.sampling-lab-orig';
const ROOT = path.resolve(__dirname, '..');

// ---------------------------------------------------------------------------------------------------
// converter.js: rootDir, output paths, library files' CommonJS conversion

const CONVERTER_EDITS = [
  {
    what: 'cell output paths relative to the project root',
    from: `    const dstFilename = (0, tspath_1.normalizeJoin)(outDir, "__tslab__.js");
    const dstDeclFilename = (0, tspath_1.normalizeJoin)(outDir, "__tslab__.d.ts");`,
    to: `    /* ${PATCH_ID}: rootDir = project root (yunabe/tslab#63) */
    const projectRoot = samplingLabProjectRoot(cwd);
    const cwdRel = path_1.default.relative(projectRoot, cwd);
    const dstFilename = (0, tspath_1.normalizeJoin)(outDir, cwdRel, "__tslab__.js");
    const dstDeclFilename = (0, tspath_1.normalizeJoin)(outDir, cwdRel, "__tslab__.d.ts");`,
  },
  {
    what: 'compiler option moduleResolution',
    from: `        moduleResolution: ts.ModuleResolutionKind.Node10,`,
    to: `        moduleResolution: ts.ModuleResolutionKind.Bundler, /* ${PATCH_ID}: as in the project's tsconfig.json */`,
  },
  {
    what: 'compiler option rootDir',
    from: `        rootDir: cwd,`,
    to: `        rootDir: projectRoot,`,
  },
  {
    what: 'library outputs mapped back against the project root, converted with import.meta/import() support',
    from: `                    path: (0, tspath_1.normalizeJoin)(cwd, rel),
                    data: esModuleToCommonJSModule(data, transpileTarget),`,
    to: `                    path: (0, tspath_1.normalizeJoin)(projectRoot, rel),
                    data: samplingLabLibraryToCommonJS(data, transpileTarget),`,
  },
  {
    what: 'shorthand properties that name a variable of an earlier cell',
    from: `            if (!ts.isIdentifier(node)) {
                return ts.visitEachChild(node, wrapPrevIdentifier, nullTransformationContext);
            }`,
    to: `            /* ${PATCH_ID}: { target } where target is declared in an earlier cell -> { target: exports.target } */
            if (ts.isShorthandPropertyAssignment(node)) {
                const valueSymbol = checker.getShorthandAssignmentValueSymbol(node);
                const earlier = ((valueSymbol === null || valueSymbol === void 0 ? void 0 : valueSymbol.declarations) || [])
                    .some((decl) => decl.getSourceFile() === declsFile);
                if (earlier) {
                    return ts.factory.createPropertyAssignment(node.name.text,
                        ts.factory.createPropertyAccessExpression(ts.factory.createIdentifier("exports"), node.name.text));
                }
            }
            if (!ts.isIdentifier(node)) {
                return ts.visitEachChild(node, wrapPrevIdentifier, nullTransformationContext);
            }`,
  },
];

// Appended to converter.js (function declarations are hoisted, so the edits above can call them).
const CONVERTER_APPENDIX = `
/* ${PATCH_ID}: helpers (see scripts/patch-tslab.cjs in the sampling-lab project) */
function samplingLabProjectRoot(cwd) {
    const fs = require("fs");
    const inside = (root) => {
        const rel = path_1.default.relative(root, cwd);
        return rel === "" || (!rel.startsWith("..") && !path_1.default.isAbsolute(rel));
    };
    const fromEnv = process.env.TSLAB_ROOT_DIR;
    if (fromEnv) {
        const root = path_1.default.resolve(fromEnv);
        if (inside(root)) {
            return (0, tspath_1.normalizeSlashes)(root);
        }
        console.warn("tslab: TSLAB_ROOT_DIR=" + JSON.stringify(fromEnv) + " does not contain the kernel's cwd " +
            JSON.stringify(cwd) + "; using the cwd as rootDir");
        return cwd;
    }
    for (let dir = path_1.default.resolve(cwd);; dir = path_1.default.dirname(dir)) {
        if (path_1.default.basename(dir) !== "node_modules" &&
            fs.existsSync(path_1.default.join(dir, "node_modules", "tslab", "package.json"))) {
            return (0, tspath_1.normalizeSlashes)(dir);
        }
        if (path_1.default.dirname(dir) === dir) {
            return cwd;
        }
    }
}
const SAMPLING_LAB_IMPORT_META = "samplingLab$importMeta";
const SAMPLING_LAB_DYNAMIC_IMPORT = "samplingLab$dynamicImport";
/** esModuleToCommonJSModule for library files, keeping import.meta and dynamic import() working. */
function samplingLabLibraryToCommonJS(js, target) {
    const used = { meta: false, dynamicImport: false };
    const before = (context) => {
        const f = context.factory;
        const visit = (node) => {
            if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
                used.meta = true;
                return f.createIdentifier(SAMPLING_LAB_IMPORT_META);
            }
            if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
                used.dynamicImport = true;
                return f.createCallExpression(f.createIdentifier(SAMPLING_LAB_DYNAMIC_IMPORT), undefined,
                    ts.visitNodes(node.arguments, visit).slice(0, 1));
            }
            return ts.visitEachChild(node, visit, context);
        };
        return (sourceFile) => ts.visitNode(sourceFile, visit);
    };
    const out = ts.transpileModule(js, {
        fileName: "custom.js",
        compilerOptions: {
            module: ts.ModuleKind.CommonJS,
            esModuleInterop: true,
            target,
            newLine: ts.NewLineKind.LineFeed,
            noImplicitUseStrict: true,
        },
        transformers: { before: [before] },
    }).outputText;
    // The prefix goes on the first output line (no newline), so line numbers in stack traces stay right.
    let prefix = "";
    if (used.meta) {
        prefix += "var " + SAMPLING_LAB_IMPORT_META + " = { url: require(\\"url\\").pathToFileURL(__filename).href, " +
            "filename: __filename, dirname: __dirname }; ";
    }
    if (used.dynamicImport) {
        // Relative specifiers name library files, which exist only as tslab's in-memory compiled copies:
        // load them through the (hooked) require, shaped like a module namespace. Anything else is a
        // real dynamic import, which Node supports in code compiled by its CommonJS loader.
        prefix += "var " + SAMPLING_LAB_DYNAMIC_IMPORT + " = (s) => /^\\\\.{1,2}(\\\\/|$)/.test(String(s)) " +
            "? Promise.resolve().then(() => { const m = require(String(s)); " +
            "return m && m.__esModule ? m : Object.assign({ default: m }, m); }) : import(s); ";
    }
    return prefix + out;
}
`;

// ---------------------------------------------------------------------------------------------------
// executor.js: directory imports in the require hook

const EXECUTOR_EDITS = [
  {
    what: 'execution counter (the same number as Jupyter\'s In[n] prompt)',
    from: `    let prevDecl = "";
    let interrupted = new Error("Interrupted asynchronously");`,
    to: `    let prevDecl = "";
    /* ${PATCH_ID}: cells run under the file name In[n] */
    let samplingLabExecutions = 0;
    let interrupted = new Error("Interrupted asynchronously");`,
  },
  {
    what: 'count every execute call',
    from: `    async function execute(src) {
        const meta = (0, metadata_1.getCodeMetadata)(src);`,
    to: `    async function execute(src) {
        const samplingLabCell = ++samplingLabExecutions;
        const meta = (0, metadata_1.getCodeMetadata)(src);`,
  },
  {
    what: 'cell file name in stack traces',
    from: `            const ret = vm_1.default.runInThisContext(wrapped, {
                breakOnSigint: true,
            });`,
    to: `            const ret = vm_1.default.runInThisContext(wrapped, {
                breakOnSigint: true,
                filename: "In[" + samplingLabCell + "]",
            });`,
  },
  {
    what: 'require hook: <path>, <path>.js, <path>/index.js',
    from: `        let filename = (0, tspath_1.normalizeJoin)(dirname, id);
        if (path_1.default.extname(filename) === "") {
            filename += ".js";
        }`,
    to: `        /* ${PATCH_ID}: directory imports (<dir>/index.js) */
        const base = (0, tspath_1.normalizeJoin)(dirname, id);
        const candidates = path_1.default.extname(base) === ".js" ? [base] : [];
        candidates.push(base + ".js", (0, tspath_1.normalizeJoin)(base, "index.js"));
        const filename = candidates.find((f) => sideModules.has(f) || sideOutputs.has(f)) || candidates[0];`,
  },
];

// ---------------------------------------------------------------------------------------------------

function fail(message) {
  console.error(`patch-tslab: ${message}`);
  process.exit(1);
}

/** A path for messages: relative to the project when inside it. */
function show(file) {
  const rel = path.relative(ROOT, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function countOccurrences(text, needle) {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** The patched text of `file`, computed from its pristine copy. */
function patchedText(file, pristine, edits, appendix) {
  let text = pristine;
  for (const { what, from, to } of edits) {
    const n = countOccurrences(text, from);
    if (n !== 1) {
      fail(
        `${show(file)}: expected exactly one occurrence of the text for "${what}", found ${n}. ` +
          `This patch is written for tslab ${EXPECTED_VERSION}; update scripts/patch-tslab.cjs for the installed copy.\n` +
          `--- expected text ---\n${from}`,
      );
    }
    text = text.replace(from, () => to);
  }
  return text + appendix;
}

/** `--tslab-dir DIR` patches another copy (the tests patch a scratch copy); default node_modules/tslab. */
function tslabDirFromArgs(argv) {
  const i = argv.indexOf('--tslab-dir');
  if (i === -1) return path.join(ROOT, 'node_modules', 'tslab');
  const dir = argv[i + 1];
  if (dir === undefined || dir.startsWith('--')) fail('option --tslab-dir needs a directory (the tslab package folder)');
  return path.resolve(dir);
}

function main() {
  const checkOnly = process.argv.includes('--check');
  const tslabDir = tslabDirFromArgs(process.argv);
  const pkgFile = path.join(tslabDir, 'package.json');
  if (!fs.existsSync(pkgFile)) {
    fail(`${pkgFile} not found: tslab is a dependency of this project; run \`npm ci\` first`);
  }
  const version = JSON.parse(fs.readFileSync(pkgFile, 'utf8')).version;
  if (version !== EXPECTED_VERSION) {
    fail(
      `installed tslab is ${version}, this patch is written for tslab ${EXPECTED_VERSION} ` +
        '(pin "tslab": "1.0.22" in package.json, or update scripts/patch-tslab.cjs)',
    );
  }
  const files = [
    { file: path.join(tslabDir, 'dist', 'converter.js'), edits: CONVERTER_EDITS, appendix: CONVERTER_APPENDIX },
    { file: path.join(tslabDir, 'dist', 'executor.js'), edits: EXECUTOR_EDITS, appendix: '' },
  ];
  const changes = [];
  for (const { file, edits, appendix } of files) {
    const orig = file + ORIG_SUFFIX;
    const current = fs.readFileSync(file, 'utf8');
    let pristine;
    if (fs.existsSync(orig)) {
      pristine = fs.readFileSync(orig, 'utf8');
    } else if (current.includes('sampling-lab-tslab-patch')) {
      fail(
        `${show(file)} is patched but its pristine copy ${path.basename(orig)} is missing; ` +
          'reinstall tslab (`rm -rf node_modules/tslab && npm ci`) and run this script again',
      );
    } else {
      pristine = current;
    }
    const wanted = patchedText(file, pristine, edits, appendix);
    if (current !== wanted) changes.push({ file, orig, pristine, wanted });
  }
  if (checkOnly) {
    if (changes.length > 0) {
      fail(`tslab is not patched (${changes.map((c) => show(c.file)).join(', ')}); run node scripts/patch-tslab.cjs`);
    }
    console.log(`patch-tslab: tslab ${version} carries ${PATCH_ID}`);
    return;
  }
  for (const { file, orig, pristine, wanted } of changes) {
    if (!fs.existsSync(orig)) fs.writeFileSync(orig, pristine);
    fs.writeFileSync(file, wanted);
  }
  console.log(
    changes.length === 0
      ? `patch-tslab: tslab ${version} already carries ${PATCH_ID}`
      : `patch-tslab: patched tslab ${version} (${changes.map((c) => show(c.file)).join(', ')}) with ${PATCH_ID}`,
  );
}

main();
