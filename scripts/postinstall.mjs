#!/usr/bin/env node
// The package's postinstall. It never fails an install.
//
// In this repository (`npm ci` in a clone): build the optional native matmul, patch tslab and register the
// project-local notebook kernel (scripts/build-native.mjs, patch-tslab.cjs, setup-kernel.mjs).
//
// Installed as a dependency of another project (this folder sits under node_modules/): only the native matmul is
// built, into this package's own build/native/. tslab and the Jupyter kernel are this repository's notebook
// tooling (tslab is a devDependency, so it is not even installed there): patching a tslab the user may have, or
// writing a kernelspec into their project, would change files that are not ours. npm >= 11.19 runs this script
// only when the user approves it (`npm install-scripts approve sampling-lab`); without it the library runs on
// tfjs-wasm's own kernels.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** True when this package was installed into another project's node_modules. */
function installedAsDependency() {
  return ROOT.split(sep).includes('node_modules');
}

function runStep(script) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', script)], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) {
    console.warn(`sampling-lab: postinstall step ${script} exited with ${r.status ?? r.signal}; continuing`);
  }
  return r.status === 0;
}

const steps = installedAsDependency()
  ? ['build-native.mjs']
  : ['build-native.mjs', 'patch-tslab.cjs', 'setup-kernel.mjs'];
// In this repository a failed tslab patch must fail `npm ci` (the notebooks would not run); as a dependency
// nothing may fail the user's install.
let ok = true;
for (const step of steps) ok = runStep(step) && ok;
if (!ok && !installedAsDependency()) process.exit(1);
