"""Strict nbval under two numerical environments: the stored outputs must hold in both.

    python -m ci.nbval                      # every notebook, both environments
    python -m ci.nbval 05_gru --env second  # one notebook, one environment

Each environment re-executes the notebooks in fresh kernels and compares every stored
text output (after ``ci/nbval_sanitize.cfg``). The *first* is the machine's own
instruction set with one intra-op thread per kernel; the *second* caps ATen at its
portable ``default`` kernels, oneDNN at SSE4.1 and MKL at its compatible code path, and
uses two threads. Both run on the CPU whatever the machine has (``DEVICE="auto"``
would pick a GPU or Apple's MPS, whose digits differ). The variables must be set
before torch is imported, so they go into the environment that pytest and its kernels
inherit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from ci.catalog import NOTEBOOKS, ROOT, catalog

SANITIZE = ROOT / "ci" / "nbval_sanitize.cfg"
COMMON = {"PYTORCH_NOTES_DEVICE": "cpu"}
ENVIRONMENTS: dict[str, dict[str, str]] = {
    "first": {"OMP_NUM_THREADS": "1"},
    "second": {
        "ATEN_CPU_CAPABILITY": "default",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "MKL_CBWR": "COMPATIBLE",
        "OMP_NUM_THREADS": "2",
        # two kernels x two threads on two cores: idle threads sleep instead of
        # spinning (45 s instead of 60 s here; the numbers are the same)
        "OMP_WAIT_POLICY": "PASSIVE",
    },
}


def environment(name: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment for one numerical environment (``first``/``second``)."""
    if name not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {name!r}; use {', '.join(ENVIRONMENTS)}")
    env = dict(os.environ if base is None else base)
    for key in {k for spec in ENVIRONMENTS.values() for k in spec}:
        env.pop(key, None)  # nothing of the other environment leaks in
    return {**env, **COMMON, **ENVIRONMENTS[name]}


def notebook_args(names: list[str], folder: Path = NOTEBOOKS) -> list[str]:
    """Paths for pytest: the named notebooks (``05_gru`` or a path), else every
    notebook, the longest first (by the CPU time each states), so that the kernels
    run in parallel finish together, not one alone with the last long notebook."""
    if not names:
        entries = catalog(folder)
        entries.sort(key=lambda e: -(e.cpu_seconds or 0))
        return [str(folder / f"{e.stem}.ipynb") for e in entries]
    paths = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb").removesuffix(".py")
        path = folder / f"{stem}.ipynb"
        if not path.is_file():
            raise SystemExit(f"no notebook named {name!r} in {folder}")
        paths.append(str(path))
    return paths


def command(paths: list[str], jobs: int) -> list[str]:
    """The pytest command line of one strict nbval run."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    cmd += ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE)]
    if jobs > 1:
        cmd += ["-n", str(jobs), "--dist", "loadfile"]
    return cmd + paths


def run(name: str, paths: list[str], jobs: int) -> int:
    """Run strict nbval in one environment; return pytest's exit status."""
    spec = " ".join(f"{k}={v}" for k, v in ENVIRONMENTS[name].items())
    print(f"nbval, {name} environment ({spec}):", flush=True)
    start = time.perf_counter()
    status = subprocess.call(command(paths, jobs), cwd=ROOT, env=environment(name))
    print(f"nbval, {name} environment: exit {status} in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run nbval in the chosen environments; exit 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="names like 05_gru (default: all)")
    parser.add_argument(
        "--env", choices=[*ENVIRONMENTS, "both"], default="both",
        help="which numerical environment (default: both, one after the other)",
    )
    parser.add_argument("-n", "--jobs", type=int, default=2, help="kernels at once")
    args = parser.parse_args(argv)
    paths = notebook_args(args.notebooks)
    names = list(ENVIRONMENTS) if args.env == "both" else [args.env]
    failed = [name for name in names if run(name, paths, args.jobs) != 0]
    if failed:
        print(f"nbval failed in: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
