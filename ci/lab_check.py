"""Run every notebook the way a learner does: JupyterLab, *Run All*, in a real browser.

    python -m ci.lab_check                 # or: make lab-check
    python -m ci.lab_check 05_gru 07_lr_schedulers

JupyterLab serves a copy of the notebooks (outputs cleared, so stored prompts cannot
pass for a run; nothing is saved back) on 127.0.0.1, and headless Chromium, driven by
Playwright, opens each notebook in a workspace of its own, waits for a fresh kernel,
runs *Run All Cells* and reads the notebook's model (not the DOM, which JupyterLab
only partly renders). A notebook passes when every code cell ran, in order 1..n, with
no error output and nothing on stderr. Needs Chromium (``ci/ensure_chromium.sh``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat

from ci.catalog import NOTEBOOKS
from ci.run_notebooks import resolve

#: The system Chromium (Playwright never downloads a browser of its own here) and the
#: flags it runs headless with as root on a closed network; the site's browser check
#: (tests/browser) uses the same.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

# The notebook's model, read in the page: one entry per code cell.
CELLS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const cells = [];
  for (const cell of panel.content.model.cells) {
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs.toJSON();
    cells.push({
      count: cell.executionCount,
      errors: outputs.filter(o => o.output_type === 'error')
                     .map(o => o.ename + ': ' + o.evalue),
      stderr: outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr')
                     .map(o => [].concat(o.text).join('').slice(0, 200)),
    });
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {cells, status: kernel ? kernel.status : 'none'};
}"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cleared_copies(paths: list[Path], folder: Path) -> list[Path]:
    """Copy notebooks into ``folder`` with every output and count removed."""
    copies = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        copy = folder / path.name
        nbformat.write(nb, copy)
        copies.append(copy)
    return copies


def problems(cells: list[dict]) -> list[str]:
    """What a Run All left wrong: unrun or out-of-order cells, errors, stderr."""
    found = []
    counts = [c["count"] for c in cells]
    if counts != list(range(1, len(cells) + 1)):
        found.append(f"execution counts {counts}, not 1..{len(cells)}")
    for i, cell in enumerate(cells, 1):
        found += [f"code cell {i}: {err}" for err in cell["errors"]]
        found += [f"code cell {i} wrote to stderr: {text}" for text in cell["stderr"]]
    return found


def run_all(page, url: str, timeout_s: float) -> tuple[list[str], float]:
    """Open ``url``, Run All once the kernel is idle, wait, return problems and time."""
    page.goto(url, wait_until="domcontentloaded", timeout=120_000)
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session &&"
        " w.sessionContext.session.kernel &&"
        " w.sessionContext.session.kernel.status === 'idle'; }",
        timeout=120_000,
    )
    start = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    while time.perf_counter() - start < timeout_s:
        time.sleep(1.0)
        state = page.evaluate(CELLS_JS)
        if state is None:
            continue
        done = all(c["count"] is not None for c in state["cells"])
        if (done and state["status"] == "idle") or any(
            c["errors"] for c in state["cells"]
        ):
            return problems(state["cells"]), time.perf_counter() - start
    return [f"Run All did not finish within {timeout_s:.0f} s"], timeout_s


def main(argv: list[str] | None = None) -> int:
    """Serve copies in JupyterLab, Run All in each; exit 1 if any notebook fails."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="names like 05_gru (default: all)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a notebook")
    args = parser.parse_args(argv)
    paths = resolve(args.notebooks, NOTEBOOKS)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "notebooks"
        root.mkdir()
        copies = cleared_copies(paths, root)
        port, token = free_port(), secrets.token_hex(16)
        settings = Path(tmp) / "settings"
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser",
             f"--port={port}", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--LabApp.expose_app_in_browser=True",
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
                 "JUPYTERLAB_WORKSPACES_DIR": str(Path(tmp) / "workspaces")},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    status_url = f"{base}/api/status?token={token}"
                    urllib.request.urlopen(status_url, timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
                for copy in copies:
                    page = browser.new_page()
                    url = (f"{base}/lab/workspaces/{copy.stem}/tree/{copy.name}"
                           f"?reset&token={token}")
                    found, seconds = run_all(page, url, args.timeout)
                    page.close()
                    verdict = "ok" if not found else "FAILED"
                    print(f"{copy.stem}: {verdict} (Run All {seconds:.0f} s)")
                    for line in found:
                        print(f"    {line}")
                    failed += bool(found)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
            shutil.rmtree(root, ignore_errors=True)
    print(f"lab_check: {len(copies)} notebooks, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
