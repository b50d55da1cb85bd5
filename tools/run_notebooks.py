#!/usr/bin/python3
"""Execute notebooks headless and fail on any error, including the ones tslab hides.

    /usr/bin/python3 tools/run_notebooks.py [options] NOTEBOOK.ipynb|FOLDER ...

Runs each notebook in a fresh kernel (the kernelspec named in its metadata, tslab for this project) started in
the notebook's own folder, with QUICK=1 in the kernel's environment (notebooks read `process.env.QUICK`;
`--full` removes QUICK instead). It prints one line per notebook with its wall time, then the problems, and
exits 1 when any notebook failed (with --expect-fail: when any notebook passed). Needs Debian's Jupyter
(python3-nbclient, jupyter-nbconvert) and the project's kernelspec (node scripts/setup-kernel.mjs), which it
finds in .jupyter/share/jupyter without JUPYTER_PATH being set.

A notebook FAILS when
  * a cell's execute_reply is not "ok": tslab's runtime errors AND type errors both give "error" (tslab puts
    the message on the cell's stderr stream, not in ename/evalue, so the stderr text is what is reported);
    "abort" (tslab drops requests that arrive within 200 ms after an error) fails too;
  * any output has output_type "error" (other kernels);
  * an asynchronous error happened: an unhandled promise rejection, or an exception thrown from a timer
    callback, after the cell that caused it had already "finished". tslab only console.error()s these into
    whichever request is current, usually one whose output nbclient has stopped reading, so they are
    invisible in the notebook. Detection (tslab/jslab kernels):
      - a hidden PRELUDE cell, run before the notebook's first cell, adds process-level listeners for
        'unhandledRejection' and 'uncaughtException' that record each error with its time (tslab's own
        listeners stay: the kernel keeps running after an async error, as before);
      - a hidden SENTINEL cell, run after the last cell (and after a failed cell), waits until no ref'ed timer
        is pending (at most --settle-ms), then prints the recorded errors as one JSON line, which this runner
        parses. Each error is attributed to the cell that was running or had last run at its time;
      - as a second net, stderr text starting with tslab's "UncaughtException:" / "UnhandledPromiseRejection:"
        in any cell's output fails the notebook too.
    Neither hidden cell is part of the saved or exported notebook, and cell numbers are the notebook's own.
  * a cell runs longer than --timeout seconds, or the kernel dies (its log is printed).

Cells tagged `raises-exception` must fail (and then do not fail the notebook).

Options: --jobs N (notebooks in parallel), --html DIR (export each executed notebook to DIR/<name>.html with
tools/nbconvert/sampling-lab.html.j2: SVG outputs kept, Vega-Lite outputs rendered offline with vega-embed),
--save-executed DIR, --json FILE (results for tools), --expect-fail (failure fixtures).
"""
import argparse
import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_KERNELS = ROOT / ".jupyter" / "share" / "jupyter"
TEMPLATE = ROOT / "tools" / "nbconvert" / "sampling-lab.html.j2"
DEBIAN_PACKAGES = "jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel"

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from jupyter_client.kernelspec import NoSuchKernel
except ImportError as err:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        f"run_notebooks: Jupyter is not installed for {sys.executable} ({err}).\n"
        f"  Install Debian's: sudo apt-get install --no-install-recommends {DEBIAN_PACKAGES}\n"
        "  then register the kernel: node scripts/setup-kernel.mjs\n")
    sys.exit(2)

GUARDED_KERNELS = ("tslab", "jslab")
REPORT_MARKER = "SAMPLING_LAB_RUNNER_REPORT "
READY_MARKER = "SAMPLING_LAB_RUNNER_READY"
TSLAB_ASYNC_PREFIXES = ("UncaughtException:", "UnhandledPromiseRejection:")
ABORT_WINDOW_S = 0.3  # tslab aborts requests arriving within 200 ms after an error

# Plain JavaScript that is also valid TypeScript for tslab (whose type-check is not strict), so it runs in both
# tslab and jslab kernels. No identifiers starting with "__" (tslab mangles them) and no top-level declarations
# (they would join the notebook's namespace).
PRELUDE = """{
  if (!Reflect.get(globalThis, "samplingLabRunner")) {
    const errors = [];
    const describe = (value) => {
      if (value instanceof Error) return value.stack || String(value);
      try { return typeof value === "string" ? value : JSON.stringify(value); } catch (e) { return String(value); }
    };
    process.on("unhandledRejection", (reason) => {
      errors.push({ kind: "unhandled promise rejection", time: Date.now(), text: describe(reason) });
    });
    process.on("uncaughtException", (error) => {
      errors.push({ kind: "exception thrown in a callback (uncaught)", time: Date.now(), text: describe(error) });
    });
    Reflect.set(globalThis, "samplingLabRunner", { errors });
  }
  console.log("%s");
}""" % READY_MARKER

SENTINEL = """{
  const state = Reflect.get(globalThis, "samplingLabRunner");
  const pendingTimers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const until = Date.now() + %d;
  await new Promise((resolve) => setTimeout(resolve, 50));
  while (pendingTimers() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  console.log("%s" + JSON.stringify({ errors: state ? state.errors : null, pendingTimers: pendingTimers() }));
}"""


def first_line(source, width=90):
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 3] + "..."
    return ""


def stream_text(cell, name):
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == name)


def indent(text, prefix="      "):
    return "\n".join(prefix + line for line in text.rstrip().splitlines())


def clip(text, limit=3000):
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters)"


class NotebookRun:
    """One notebook: execute its cells one by one in a fresh kernel and collect the problems."""

    def __init__(self, path: Path, opts):
        self.path = path
        self.opts = opts
        self.problems = []
        self.cells_run = 0
        self.wall_s = 0.0
        self.nb = None
        self.requests = []

    def cell_label(self, index):
        cell = self.nb.cells[index]
        return f"cell {index + 1} (`{first_line(cell.source)}`)"

    async def run(self):
        t0 = time.monotonic()
        try:
            self.nb = nbformat.read(self.path, as_version=4)
        except Exception as err:  # unreadable JSON, wrong nbformat
            self.problems.append(f"cannot read the notebook: {err}")
            return self
        try:
            await self.execute()
        finally:
            self.wall_s = time.monotonic() - t0
        if self.opts.save_executed:
            out = Path(self.opts.save_executed) / self.out_name(".ipynb")
            out.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(self.nb, out)
        if self.opts.html:
            try:
                out = Path(self.opts.html) / self.out_name(".html")
                await asyncio.get_running_loop().run_in_executor(None, export_html, self.nb, self.path, out)
            except Exception as err:
                self.problems.append(f"HTML export failed: {type(err).__name__}: {err}")
        return self

    def out_name(self, suffix):
        return self.path.resolve().relative_to(self.opts.base).with_suffix(suffix)

    async def execute(self):
        nb = self.nb
        kernel = self.opts.kernel or nb.metadata.get("kernelspec", {}).get("name") or "tslab"
        guarded = kernel in GUARDED_KERNELS
        n = len(nb.cells)
        # The hidden cells sit past the notebook's end while it runs (nbclient stores each executed cell at its
        # index) and are removed afterwards, so the notebook's own cell numbers never shift.
        if guarded:
            nb.cells.append(nbformat.v4.new_code_cell(PRELUDE))
            nb.cells.append(nbformat.v4.new_code_cell(SENTINEL % (self.opts.settle_ms, REPORT_MARKER)))
        replies = {}

        def on_cell_executed(cell, cell_index, execute_reply):
            replies[cell_index] = execute_reply

        client = NotebookClient(
            nb, kernel_name=kernel, timeout=self.opts.timeout, startup_timeout=self.opts.startup_timeout,
            allow_errors=True, record_timing=False, on_cell_executed=on_cell_executed,
            resources={"metadata": {"path": str(self.path.parent.resolve())}})
        log_path = self.opts.log_dir / self.out_name(".kernel.log")
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # Every execute request, in order: (cell index or None for a hidden cell, start ms, end ms). The kernel
        # counts requests the same way (tslab's In[n], which the patched kernel puts in stack traces).
        self.requests = []
        try:
            with open(log_path, "w") as log:
                async with client.async_setup_kernel(stdout=log, stderr=log):
                    if guarded:
                        await self.execute_cell(client, n, None)
                        if READY_MARKER not in stream_text(nb.cells[n], "stdout"):
                            self.problems.append("the runner's prelude cell did not run:\n" + indent(clip(
                                stream_text(nb.cells[n], "stderr") or str(replies.get(n, {}).get("content")))))
                            return
                    count = 0
                    for i in range(n):
                        cell = nb.cells[i]
                        if cell.cell_type != "code" or not cell.source.strip():
                            continue
                        count += 1
                        try:
                            await self.execute_cell(client, i, i, execution_count=count)
                        except CellTimeoutError:
                            self.problems.append(f"{self.cell_label(i)}: still running after the per-cell "
                                                 f"timeout of {self.opts.timeout} s (--timeout)")
                            return
                        self.cells_run += 1
                        reply = replies.get(i)
                        if reply and reply["content"].get("status") == "error":
                            await asyncio.sleep(ABORT_WINDOW_S)  # or the kernel aborts the next request
                        if not self.check_cell(i, reply):
                            break
                    if guarded:
                        await self.execute_cell(client, n + 1, None)
                        self.check_sentinel(nb.cells[n + 1], replies.get(n + 1))
        except DeadKernelError as err:
            last = self.requests[-1][0] if self.requests else None
            where = f" while {self.cell_label(last)} ran" if last is not None else ""
            self.problems.append(f"the kernel died{where} ({err}); kernel log {log_path}:\n"
                                 + indent(clip(log_path.read_text()[-3000:] or "(empty)")))
        except NoSuchKernel:
            self.problems.append(f'no kernelspec "{kernel}" (JUPYTER_PATH={os.environ.get("JUPYTER_PATH", "")}); '
                                 "register it with: node scripts/setup-kernel.mjs")
        except RuntimeError as err:  # e.g. the kernel did not start within --startup-timeout
            self.problems.append(f"kernel problem: {err}; kernel log {log_path}:\n"
                                 + indent(clip(log_path.read_text()[-3000:])))
        finally:
            del nb.cells[n:]
        self.scan_outputs()

    async def execute_cell(self, client, index, cell_index, **kwargs):
        entry = [cell_index, time.time() * 1000.0, None]
        self.requests.append(entry)
        try:
            await client.async_execute_cell(self.nb.cells[index], index, **kwargs)
        finally:
            entry[2] = time.time() * 1000.0

    def locate_async_error(self, err):
        """Where an asynchronous error came from: the cell in its stack trace (In[n]), else the time it was seen."""
        for m in re.finditer(r"\bIn\[(\d+)\]:\d+", err["text"]):
            k = int(m.group(1))
            if 1 <= k <= len(self.requests) and self.requests[k - 1][0] is not None:
                idx, _, end = self.requests[k - 1]
                when = "after it had returned" if end is not None and err["time"] >= end else "while it ran"
                return f"from {self.cell_label(idx)}, raised {when}"
        t = err["time"]
        running = [(idx, start, end) for (idx, start, end) in self.requests if start <= t]
        if not running:
            return "before the first cell ran"
        idx, start, end = running[-1]
        if idx is None:
            return "after the last cell had finished (its origin is not in the stack trace)"
        when = "while" if end is None or t < end else "after"
        return (f"seen {when} {self.cell_label(idx)} ran (its origin is not in the stack trace: that cell or an "
                "earlier one)")

    def check_cell(self, i, reply):
        """Record the problems of cell i; False when the run must stop there."""
        cell = self.nb.cells[i]
        status = reply["content"].get("status") if reply else "missing"
        expects_error = "raises-exception" in cell.metadata.get("tags", [])
        if expects_error:
            if status == "error":
                return True
            self.problems.append(f"{self.cell_label(i)}: tagged raises-exception but its reply was {status!r}")
            return False
        if status == "ok":
            return True
        if status == "error":
            content = reply["content"]
            text = stream_text(cell, "stderr").strip()
            if content.get("ename") or content.get("evalue"):
                text = f"{content.get('ename', '')}: {content.get('evalue', '')}\n{text}".strip()
            self.problems.append(f"{self.cell_label(i)}: error\n" + indent(clip(text or "(the kernel sent no message)")))
        elif status == "abort":
            self.problems.append(f"{self.cell_label(i)}: aborted by the kernel (a previous request failed)")
        else:
            self.problems.append(f"{self.cell_label(i)}: execute_reply status {status!r}")
        return False

    def check_sentinel(self, cell, reply):
        out = stream_text(cell, "stdout")
        line = next((l for l in out.splitlines() if l.startswith(REPORT_MARKER)), None)
        if line is None:
            self.problems.append("the runner's sentinel cell gave no report (reply "
                                 f"{(reply or {}).get('content', {}).get('status')!r}):\n"
                                 + indent(clip(stream_text(cell, "stderr") or out or "(no output)")))
            return
        report = json.loads(line[len(REPORT_MARKER):])
        if report.get("errors") is None:
            self.problems.append("the runner's prelude state is gone (globalThis.samplingLabRunner was removed)")
            return
        for err in report["errors"]:
            self.problems.append(f"asynchronous error ({err['kind']}) {self.locate_async_error(err)}:\n"
                                 + indent(clip(err["text"])))
        if report.get("pendingTimers"):
            print(f"   note: {self.path}: {report['pendingTimers']} timer(s) still pending "
                  f"{self.opts.settle_ms} ms after the last cell; errors they throw later are not seen",
                  file=sys.stderr)

    def scan_outputs(self):
        already_async = any(p.startswith("asynchronous error") for p in self.problems)
        for i, cell in enumerate(self.nb.cells):
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error":
                    text = f"{o.get('ename', '')}: {o.get('evalue', '')}"
                    if not any(text in p for p in self.problems):
                        self.problems.append(f"{self.cell_label(i)}: error output\n" + indent(clip(text)))
                if (not already_async and o.get("output_type") == "stream" and o.get("name") == "stderr"
                        and any(line.startswith(TSLAB_ASYNC_PREFIXES) for line in o.get("text", "").splitlines())):
                    self.problems.append(f"asynchronous error reported by the kernel in {self.cell_label(i)}:\n"
                                         + indent(clip(o["text"])))
                    already_async = True


def vega_assets():
    """vega, vega-lite and vega-embed browser builds from node_modules (inlined: exports work offline)."""
    files = {"vega": "vega/build/vega.min.js", "vega_lite": "vega-lite/build/vega-lite.min.js",
             "vega_embed": "vega-embed/build/vega-embed.min.js"}
    assets = {}
    for key, rel in files.items():
        path = ROOT / "node_modules" / rel
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing (run npm ci): the HTML export inlines it to render Vega-Lite")
        # a literal "</script" inside an inline script would end it early
        assets[key] = path.read_text(encoding="utf8").replace("</script", "<\\/script")
    return assets


_exporter = None


def export_html(nb, source_path, out_path):
    global _exporter
    from nbconvert import HTMLExporter
    if _exporter is None:
        _exporter = HTMLExporter(template_file=str(TEMPLATE))
    uses_vega = any(mime.startswith(("application/vnd.vegalite.", "application/vnd.vega."))
                    for cell in nb.cells for o in cell.get("outputs", []) for mime in o.get("data", {}))
    resources = {"metadata": {"name": source_path.stem, "path": str(source_path.parent)},
                 "sampling_lab": {"vega": vega_assets() if uses_vega else None}}
    body, _ = _exporter.from_notebook_node(nb, resources=resources)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(body, encoding="utf8")


def collect(paths):
    notebooks = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            notebooks.extend(sorted(path.glob("*.ipynb")))
        elif path.suffix == ".ipynb" and path.is_file():
            notebooks.append(path)
        else:
            raise SystemExit(f"run_notebooks: {p!r} is neither a .ipynb file nor a folder of notebooks")
    if not notebooks:
        raise SystemExit(f"run_notebooks: no notebooks in {paths}")
    return notebooks


async def run_all(notebooks, opts):
    sem = asyncio.Semaphore(opts.jobs)

    async def one(path):
        async with sem:
            result = await NotebookRun(path, opts).run()
            print_result(result, opts)
            return result

    return await asyncio.gather(*(one(p) for p in notebooks))


def print_result(r, opts):
    failed = bool(r.problems)
    unexpected = failed != opts.expect_fail
    status = ("FAIL" if failed else "ok") + (" (expected)" if opts.expect_fail and failed else "")
    print(f"{'!!' if unexpected else '  '} {status:15s} {r.wall_s:6.1f}s  {r.path}  ({r.cells_run} cells)", flush=True)
    for p in r.problems:
        print("    - " + p.replace("\n", "\n      "), flush=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="+", help=".ipynb files or folders of them")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="notebooks run in parallel")
    ap.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds (default 900)")
    ap.add_argument("--startup-timeout", type=int, default=120, help="kernel start timeout in seconds")
    ap.add_argument("--settle-ms", type=int, default=2000,
                    help="after the last cell, wait at most this long for pending timers (default 2000)")
    ap.add_argument("--full", action="store_true", help="do not set QUICK=1 (paper-scale configs)")
    ap.add_argument("--html", metavar="DIR", help="export executed notebooks to DIR/<name>.html")
    ap.add_argument("--save-executed", metavar="DIR", help="save executed notebooks to DIR/<name>.ipynb")
    ap.add_argument("--log-dir", metavar="DIR", default=str(ROOT / "build" / "notebook-logs"),
                    help="kernel process logs (default build/notebook-logs)")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON")
    ap.add_argument("--kernel", help="kernelspec name instead of the notebook's own")
    ap.add_argument("--expect-fail", action="store_true", help="every notebook must fail (failure fixtures)")
    opts = ap.parse_args(argv)
    for name in ("jobs", "timeout", "startup_timeout"):
        if getattr(opts, name) < 1:
            ap.error(f"--{name.replace('_', '-')} = {getattr(opts, name)}, expected an integer >= 1")
    if opts.settle_ms < 0:
        ap.error(f"--settle-ms = {opts.settle_ms}, expected an integer >= 0")
    return opts


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    notebooks = collect(opts.notebooks)
    resolved = [p.resolve() for p in notebooks]
    opts.base = Path(os.path.commonpath([p.parent for p in resolved]))
    opts.log_dir = Path(opts.log_dir)
    if opts.full:
        os.environ.pop("QUICK", None)
    else:
        os.environ["QUICK"] = "1"
    if LOCAL_KERNELS.is_dir():
        parts = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
        if str(LOCAL_KERNELS) not in parts:
            os.environ["JUPYTER_PATH"] = os.pathsep.join([str(LOCAL_KERNELS)] + parts)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # Debian's debugpy warning on every kernel start
    t0 = time.monotonic()
    results = asyncio.run(run_all(notebooks, opts))
    unexpected = [r for r in results if bool(r.problems) != opts.expect_fail]
    verdict = "failed as expected" if opts.expect_fail else "passed"
    print(f"{len(results) - len(unexpected)}/{len(results)} notebooks {verdict} "
          f"({time.monotonic() - t0:.1f}s wall, --jobs {opts.jobs}, "
          f"{'full' if opts.full else 'QUICK=1'})", flush=True)
    if opts.json:
        Path(opts.json).write_text(json.dumps([{
            "notebook": str(r.path), "ok": not r.problems, "problems": r.problems,
            "cells_run": r.cells_run, "wall_s": round(r.wall_s, 2)} for r in results], indent=2))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
