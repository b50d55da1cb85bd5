#!/usr/bin/python3
"""Jupyter messaging-protocol tests of the project's tslab kernel, with Debian's python3-jupyter-kernel-test.

    /usr/bin/python3 -m unittest discover -v -s test/notebooks -p test_tslab_kernel.py

(`-m unittest test/notebooks/...py` would not do: its module name would start with `test`, which is Python's own
test package. test/notebooks/kernel-protocol.test.ts runs this for `npm test`. The project's kernelspec folder
is added to JUPYTER_PATH here.)
The kernel starts in test/fixtures/notebooks, like a notebook there, so `../../../lib/...` imports exercise the
project's tslab patch (scripts/patch-tslab.cjs).

Known deviations of tslab 1.0.22 from the messaging spec, marked as expected failures (if tslab ever fixes
one, unittest reports an "unexpected success" and the run fails, so the marks cannot go stale):
  * kernel_info_reply has no "status" field                        -> test_kernel_info fails msgspec validation
  * an error execute_reply has no ename/evalue/traceback and no `error` iopub message is sent: the error text
    is a stderr stream                                              -> test_error
  * no execute_result: tslab console.log()s a cell's last value to stdout      -> test_execute_result
Other protocol features tslab does not implement are left out (history, pager, clear_output): the stock tests
skip them.
"""
import os
import queue
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL_KERNELS = ROOT / ".jupyter" / "share" / "jupyter"
if str(LOCAL_KERNELS) not in os.environ.get("JUPYTER_PATH", "").split(os.pathsep):
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(LOCAL_KERNELS), os.environ.get("JUPYTER_PATH")]))
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import jupyter_kernel_test as jkt  # noqa: E402  (after JUPYTER_PATH is set)
from jupyter_client.manager import start_new_kernel  # noqa: E402
from jupyter_client.utils import run_sync  # noqa: E402

FIXTURES = ROOT / "test" / "fixtures" / "notebooks"
# The first request type-checks with a fresh TypeScript program (several seconds on a busy 2-core CI box).
jkt.TIMEOUT = 90
# tslab aborts every request that arrives within 200 ms after a failed one (jupyter.js: execQueue.reset(200)).
ABORT_WINDOW_S = 0.3


class TslabKernelTests(jkt.KernelTests):
    kernel_name = "tslab"
    language_name = "typescript"
    file_extension = ".ts"

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, cwd=str(FIXTURES), startup_timeout=120)

    # ---- stock tests (jupyter_kernel_test.KernelTests) ----------------------------------------------------
    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("some error")'
    completion_samples = [{"text": "Math.fl", "matches": {"floor"}}]
    complete_code_samples = ["1 + 1", "const a = 1;", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const a = [", "if (true) {"]
    code_inspect_sample = "Math.max"
    code_display_data = [
        {"code": 'import * as tslab from "tslab"; tslab.display.html("<b>hi</b>")', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab"; tslab.display.svg("<svg xmlns=\'http://www.w3.org/2000/svg\'/>")',
         "mime": "image/svg+xml"},
        # lib/viz's show(): one display_data with Vega-Lite JSON + SVG rendered in Node
        {"code": 'import { show } from "../../../lib/viz/display.js"; '
                 'await show({ mark: "point", data: { values: [{ a: 1 }] }, '
                 'encoding: { x: { field: "a", type: "quantitative" } } });',
         "mime": "application/vnd.vegalite.v5+json"},
    ]
    code_generate_error = 'throw new Error("expected")'
    code_execute_result = [{"code": "6 * 7", "result": "42"}]

    @unittest.expectedFailure  # tslab: kernel_info_reply without "status"
    def test_kernel_info(self):
        super().test_kernel_info()

    @unittest.expectedFailure  # tslab: no ename/evalue/traceback, no `error` message
    def test_error(self):
        try:
            super().test_error()
        finally:
            time.sleep(ABORT_WINDOW_S)

    @unittest.expectedFailure  # tslab: the last value goes to stdout, no execute_result
    def test_execute_result(self):
        super().test_execute_result()

    # ---- the project's checks ----------------------------------------------------------------------------
    def run_code(self, code):
        """Execute without msgspec validation (tslab's error replies do not validate): (status, count, text)."""
        time.sleep(ABORT_WINDOW_S)
        for ch in (self.kc.iopub_channel, self.kc.shell_channel):  # drop leftovers of earlier tests
            try:
                while True:
                    run_sync(ch.get_msg)(timeout=0.1)
            except queue.Empty:
                pass
        msg_id = self.kc.execute(code)
        text = ""
        while True:
            msg = self.kc.get_iopub_msg(timeout=jkt.TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                text += msg["content"]["text"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        while True:
            reply = self.kc.get_shell_msg(timeout=jkt.TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        return reply["content"]["status"], reply["content"].get("execution_count"), text

    def test_runtime_error_fails_the_cell_with_its_message_on_stderr(self):
        status, _, text = self.run_code('throw new RangeError("expected-boom")')
        self.assertEqual(status, "error")
        self.assertIn("RangeError: expected-boom", text)

    def test_type_error_fails_the_cell(self):
        status, _, text = self.run_code('const n: number = "x";')
        self.assertEqual(status, "error")
        self.assertIn("1:7 - Type 'string' is not assignable to type 'number'.", text)

    def test_stack_traces_name_the_cell(self):
        # scripts/patch-tslab.cjs runs each cell under the file name In[<execution count>]
        status, count, text = self.run_code('function boom(): never { throw new Error("where"); }\nboom();')
        self.assertEqual(status, "error")
        self.assertIsInstance(count, int)
        self.assertIn(f"at boom (In[{count}]:", text)

    def test_library_import_with_js_specifiers(self):
        # random.ts imports its neighbours as './x.js'; the notebook folder is not the project root
        status, _, text = self.run_code(
            'import { key, split } from "../../../lib/core/random.js";\n'
            'console.log(JSON.stringify(split(key(0), 2)[0]));')
        self.assertEqual(status, "ok", text)
        self.assertIn("[4146024105,967050713]", text)

    def test_directory_import(self):
        status, _, text = self.run_code(
            'import * as mcmc from "../../../lib/samplers/mcmc";\nconsole.log("n=" + Object.keys(mcmc).length);')
        self.assertEqual(status, "ok", text)
        self.assertRegex(text, r"n=[1-9]")

    def test_types_from_package_exports(self):
        # vega-lite is typed only through package.json "exports" (moduleResolution Bundler in the patch)
        status, _, text = self.run_code(
            'import type { TopLevelSpec } from "vega-lite";\n'
            'const spec: TopLevelSpec = { mark: "point", data: { values: [] } };\nconsole.log("mark=" + spec.mark);')
        self.assertEqual(status, "ok", text)
        self.assertIn("mark=point", text)

    def test_environment_reaches_the_kernel(self):
        status, _, text = self.run_code('console.log("cwd=" + process.cwd());')
        self.assertEqual(status, "ok", text)
        self.assertIn(f"cwd={FIXTURES}", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
