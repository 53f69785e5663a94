"""Version lanes: every notebook under the lowest and under the newest dependencies.

    python -m ci.lanes lowest --python python3.11   # or: make lane-lowest
    python -m ci.lanes newest --python python3.13   # or: make lane-newest

*lowest* installs each runtime dependency of ``pyproject.toml`` at the lower bound of
its range (``torch>=2.9`` -> ``torch==2.9.0``); *newest* installs the newest release of
everything, and checks against PyPI that it got it (a pip configuration that caps a
version makes the lane fail, not pass on old versions). Either lane then adds the
tools that execute notebooks (newest releases), the project itself, and runs every
notebook with ``ci.run_notebooks``: the asserts must hold and no cell may write to
stderr. Each lane has its own virtual environment, ``.venv-<lane>``, made anew.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

from ci.catalog import ROOT

LANES = ("lowest", "newest")
#: What executes the notebooks; not runtime dependencies, so always the newest.
TOOLS = ["papermill", "ipykernel", "nbclient", "nbformat", "jupytext"]
PYPI_JSON = "https://pypi.org/pypi/{name}/json"
#: On Linux, PyTorch's CPU builds (as in ci/requirements.txt), not PyPI's CUDA ones. A
#: find-links page is read once per install; an extra index would be asked about every
#: package, which costs retries for each where the index is out of reach.
CPU_WHEELS = "https://download.pytorch.org/whl/cpu/torch/"


PYPROJECT = ROOT / "pyproject.toml"


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[Requirement]:
    """The ``[project] dependencies`` of ``pyproject.toml``."""
    with pyproject.open("rb") as file:
        deps = tomllib.load(file)["project"]["dependencies"]
    return [Requirement(dep) for dep in deps]


def lower_bound(req: Requirement) -> str:
    """``name==X`` for a requirement whose range starts at ``>=X``."""
    lows = [s.version for s in req.specifier if s.operator in (">=", "==")]
    if len(lows) != 1:
        raise ValueError(f"{req}: expected exactly one lower bound (>=)")
    return f"{req.name}=={lows[0]}"


def lane_requirements(lane: str, reqs: list[Requirement]) -> list[str]:
    """What pip installs for the lane's runtime dependencies."""
    if lane == "lowest":
        return [lower_bound(r) for r in reqs]
    if lane == "newest":
        return [r.name for r in reqs]
    raise ValueError(f"unknown lane {lane!r}; use one of {', '.join(LANES)}")


def index_args(platform: str = sys.platform) -> list[str]:
    """Extra pip arguments: PyTorch's CPU wheels on Linux (macOS uses PyPI's builds)."""
    return ["--find-links", CPU_WHEELS] if platform.startswith("linux") else []


def newest_release(name: str) -> Version:
    """The newest non-pre-release version PyPI lists for ``name``."""
    with urllib.request.urlopen(PYPI_JSON.format(name=name), timeout=30) as resp:
        return Version(json.load(resp)["info"]["version"])


def installed_versions(python: Path, names: list[str]) -> dict[str, Version]:
    """Versions of ``names`` installed for the interpreter ``python``."""
    code = (
        "import importlib.metadata as m, json, sys; "
        "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    out = subprocess.run(
        [str(python), "-c", code, *names], check=True, capture_output=True, text=True
    ).stdout
    return {name: Version(v) for name, v in json.loads(out).items()}


def check_installed(
    lane: str, installed: dict[str, Version], reqs: list[Requirement]
) -> list[str]:
    """Problems: a lowest pin not honoured, or a newest lane behind PyPI."""
    problems = []
    for req in reqs:
        have = installed[req.name]
        if lane == "lowest":
            want = Version(lower_bound(req).split("==")[1])
            # a local build tag (2.9.0+cpu) is the same release
            if Version(have.public) != want:
                problems.append(f"{req.name}: installed {have}, lower bound {want}")
        else:
            newest = newest_release(req.name)
            if Version(have.public) < newest:
                problems.append(
                    f"{req.name}: installed {have}, but PyPI's newest is {newest} "
                    "(a pip configuration capping it? see README, Version lanes)"
                )
    return problems


def run(cmd: list[str]) -> None:
    """Run a command, echoed, failing loudly."""
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    """Build the lane's venv, install, verify the versions, run every notebook."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lane", choices=LANES)
    parser.add_argument("--python", default=sys.executable, help="interpreter to use")
    parser.add_argument("notebooks", nargs="*", help="names like 05_gru (default: all)")
    args = parser.parse_args(argv)

    venv = ROOT / f".venv-{args.lane}"
    shutil.rmtree(venv, ignore_errors=True)
    run([args.python, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    # --retries 1: an index out of reach (PyTorch's, behind a firewall) fails fast
    # instead of costing seconds of retries on every package
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "--retries", "1"]
    reqs = runtime_requirements()
    run([*pip, "--upgrade", "pip"])
    run([*pip, *index_args(), *lane_requirements(args.lane, reqs), *TOOLS])
    run([*pip, "--no-deps", "-e", "."])

    installed = installed_versions(python, [r.name for r in reqs])
    print(f"{args.lane} lane:", ", ".join(f"{n} {v}" for n, v in installed.items()))
    problems = check_installed(args.lane, installed, reqs)
    for problem in problems:
        print(f"lane {args.lane}: {problem}", file=sys.stderr)
    if problems:
        return 1
    out = ROOT / "build" / "lanes" / args.lane
    cmd = [str(python), "-m", "ci.run_notebooks", *args.notebooks, "--out", str(out),
           "--report-dir", str(out / "timing")]
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
