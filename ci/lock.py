"""Make and prove ci/requirements.txt: one pin file for every supported target.

The targets are CPython 3.11 (from 3.11.2, Debian 12's own), 3.12, 3.13 and 3.14 on
Linux x86-64 (glibc 2.28+) and macOS arm64 (14+). The file pins every package of the
``.[dev,site]`` closure once per target; environment markers pick the pin where the
versions must differ. torch is PyTorch's ``+cpu`` wheel on Linux (from the CPU index
that the file names itself) and PyPI's wheel on macOS.

    python -m ci.lock compile   # regenerate the file with uv's universal resolver
    python -m ci.lock check     # ask pip, target by target, what it would install
    python -m ci.lock lint      # the offline consistency checks (tests/test_lock.py)

``compile`` runs ``uv pip compile --universal --python-version 3.11`` on pyproject.toml
with the extras, the current file as preferences (pins move only when they must, or
with ``--upgrade``/``-P PKG``) and torch constrained as above. uv is taken from
``--uv``, else ``uv`` on PATH, else ``python -m uv``; nothing is installed for you:
``python -m pip install uv==0.13.9`` (the version this was made with), best into a
venv of its own. The ``+cpu`` wheel's metadata comes from the CPU index (uv then
takes the best match over PyPI and that index, as pip does). Where the index cannot
be reached, give a folder holding the wheel with ``--find-links DIR`` (one cp311
wheel is enough: uv reads one wheel's metadata for every Python).

``check`` asks pip, for each target, ``pip install --dry-run --ignore-installed
--only-binary=:all: --python-version X --platform ... --report`` twice: on ``-r`` the
file (the Makefile's install: it resolves and nothing unpinned comes along), and on
the project's own requirements with ``-c`` the file (the pins are exactly what the
project needs: none is stale). Each time the set pip would install must equal the
file's pins for that target (markers evaluated with ``packaging``): same names, same
versions, nothing extra. pip evaluates environment markers against the interpreter
it runs on, not against ``--python-version`` and ``--platform``, so its process gets
the target's marker environment (the report's ``environment`` shows it and is
verified). The machine's pip configuration is ignored (``PIP_CONFIG_FILE=/dev/null``,
index and find-links variables dropped): only PyPI, the file's index and
``--find-links`` are used. Where the CPU index cannot be reached, a Linux target
whose ``+cpu`` wheel lies in a ``--find-links`` folder is still checked exactly; any
other Linux target is checked with torch from PyPI at the same version, its CUDA-only
dependencies (nvidia-*, cuda-*, triton, as reached from torch) left out of the
comparison, and a line says that the ``+cpu`` wheel itself was not checked there.

Only the standard library and ``packaging`` are imported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, cpython_tags
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "ci" / "requirements.txt"
PYPROJECT = ROOT / "pyproject.toml"

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
INDEX_LINE = f"--extra-index-url {CPU_INDEX}"
TORCH_VERSION = "2.13.0"
UV_VERSION = "0.13.9"
EXTRAS = ("dev", "site")
LOCK_PYTHON = "3.11"  # uv's --python-version: the floor of requires-python

# The claim: every Python here, on both systems. x.y means x.y.0, the strictest
# point of that minor for Requires-Python; 3.11.2 is Debian 12's /usr/bin/python3.
PYTHONS = ("3.11.2", "3.11.9", "3.12", "3.13", "3.14")
SYSTEMS = ("linux", "darwin")
GLIBC_FLOOR = 28  # manylinux_2_28 (torch's own floor) and older tags
MACOS = "macosx_14_0_arm64"  # pip widens this to older macOS and universal2 tags

# Packages that only PyPI's (CUDA) torch for Linux pulls in.
CUDA_ONLY = re.compile(r"^(nvidia-.+|cuda-.+|triton)$")
# Pins PyPI has as a source archive only (jieba: the Chinese search). pip cannot check
# an sdist for another platform (--platform needs --only-binary=:all:), so `check`
# first builds each into a wheel here, a pure-Python py3-none-any one that fits every
# target, and hands pip that folder too.
SDIST_ONLY = ("jieba",)
# The pip variables check keeps (network, cache); it drops every other PIP_*, since
# those may change where packages come from or which are chosen.
PIP_ENV_KEEP = {
    "PIP_CERT",
    "PIP_CLIENT_CERT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_TIMEOUT",
    "PIP_RETRIES",
    "PIP_PROXY",
    "PIP_TRUSTED_HOST",
    "PIP_CACHE_DIR",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
}

HEADER = """\
# Exact versions CI installs (make setup, .ci/run): ONE file for every supported target,
# CPython 3.11 (3.11.2+), 3.12, 3.13, 3.14 on Linux x86-64 and macOS arm64 (14+).
# Markers pick the pin where versions differ; torch is the +cpu wheel from PyTorch's CPU
# index (below) on Linux and PyPI's wheel on macOS. pyproject.toml keeps loose ranges.
# Regenerate (do not edit by hand): python -m ci.lock compile, a uv universal resolution
# of .[dev,site] for Python >= 3.11 that keeps the pins below where they still fit.
# Prove: python -m ci.lock check (pip, per target). python -m ci.lock --help tells more.
"""

# Run as `python -c BOOTSTRAP ENV_JSON pip-args...`: pip with the target's markers.
BOOTSTRAP = """\
import json, sys
import pip._vendor.packaging.markers as markers
env = json.loads(sys.argv[1])
markers.default_environment = lambda: dict(env)
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


@dataclass(frozen=True)
class Target:
    """One supported (Python, platform) pair."""

    python: str
    system: str

    @property
    def full_version(self) -> str:
        """The Python version with its micro part (3.12 -> 3.12.0)."""
        parts = self.python.split(".")
        return ".".join(parts + ["0"] * (3 - len(parts)))

    @property
    def name(self) -> str:
        """A short label, e.g. linux-x86_64/py3.12."""
        arch = "x86_64" if self.system == "linux" else "arm64"
        return f"{self.system}-{arch}/py{self.python}"

    def environment(self) -> dict[str, str]:
        """The PEP 508 marker environment of this target."""
        full = self.full_version
        common = {
            "implementation_name": "cpython",
            "implementation_version": full,
            "os_name": "posix",
            "platform_python_implementation": "CPython",
            "python_full_version": full,
            "python_version": ".".join(full.split(".")[:2]),
            "sys_platform": self.system,
        }
        if self.system == "linux":
            return common | {
                "platform_machine": "x86_64",
                "platform_release": "6.1.0",
                "platform_system": "Linux",
                "platform_version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0",
            }
        return common | {
            "platform_machine": "arm64",
            "platform_release": "23.0.0",
            "platform_system": "Darwin",
            "platform_version": "Darwin Kernel Version 23.0.0",
        }

    def pip_platforms(self) -> list[str]:
        """pip's --platform values (pip matches manylinux tags exactly)."""
        if self.system == "darwin":
            return [MACOS]
        tags = [f"manylinux_2_{n}_x86_64" for n in range(GLIBC_FLOOR, 4, -1)]
        aliases = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        for minor, alias in aliases.items():
            tags.insert(
                tags.index(f"manylinux_2_{minor}_x86_64") + 1, f"{alias}_x86_64"
            )
        return tags + ["linux_x86_64"]

    def wheel_tags(self) -> set[Tag]:
        """The interpreter-specific wheel tags pip accepts for this target."""
        minor = tuple(int(p) for p in self.full_version.split(".")[:2])
        return set(cpython_tags(minor, platforms=self.pip_platforms()))


TARGETS = tuple(Target(p, s) for p in PYTHONS for s in SYSTEMS)


@dataclass(frozen=True)
class Pin:
    """One `name==version ; marker` line of the pin file."""

    name: NormalizedName
    version: Version
    marker: Marker | None
    lineno: int

    def applies(self, env: Mapping[str, str]) -> bool:
        """Whether this pin applies in the marker environment ``env``."""
        return self.marker is None or self.marker.evaluate(dict(env))


@dataclass
class PinFile:
    """The parsed pin file: pins, option lines and the lines that failed to parse."""

    pins: list[Pin] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_pins(text: str) -> PinFile:
    """Parse pin-file text: `name==version [; marker]` lines and `--option` lines."""
    out = PinFile()
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        if line.startswith("-"):
            out.options.append(" ".join(line.split()))
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            out.problems.append(f"line {lineno}: cannot parse {raw!r}: {exc}")
            continue
        specs = list(req.specifier)
        if req.url or req.extras or len(specs) != 1 or specs[0].operator != "==":
            out.problems.append(
                f"line {lineno}: not an exact `name==version` pin: {raw}"
            )
            continue
        pin = Pin(
            canonicalize_name(req.name), Version(specs[0].version), req.marker, lineno
        )
        out.pins.append(pin)
    return out


def pins_for(
    pins: Iterable[Pin], env: Mapping[str, str]
) -> dict[NormalizedName, list[Pin]]:
    """The pins that apply in ``env``, grouped by package name."""
    found: dict[NormalizedName, list[Pin]] = {}
    for pin in pins:
        if pin.applies(env):
            found.setdefault(pin.name, []).append(pin)
    return found


def project_requirements(pyproject: Mapping[str, object]) -> list[Requirement]:
    """The runtime requirements and those of the locked extras, from pyproject data."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    reqs = [Requirement(r) for r in project.get("dependencies", [])]
    extras = project.get("optional-dependencies", {})
    for extra in EXTRAS:
        reqs += [Requirement(r) for r in extras.get(extra, [])]
    return reqs


def requires_python_floor(pyproject: Mapping[str, object]) -> Version:
    """The lower bound of pyproject's requires-python (its `>=` clause)."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    floors = [
        Version(s.version)
        for s in SpecifierSet(project["requires-python"])
        if s.operator == ">="
    ]
    if len(floors) != 1:
        raise ValueError(
            f"requires-python needs one >= clause: {project['requires-python']}"
        )
    return floors[0]


def expected_torch(target: Target) -> Version:
    """The torch version the pin file must give ``target``."""
    local = "+cpu" if target.system == "linux" else ""
    return Version(TORCH_VERSION + local)


def lint(
    text: str, pyproject: Mapping[str, object], targets: Sequence[Target] = TARGETS
) -> list[str]:
    """Every way ``text`` fails the pin-file rules for ``targets``; empty when none."""
    parsed = parse_pins(text)
    problems = list(parsed.problems)
    if INDEX_LINE not in parsed.options:
        problems.append(f"the CPU index line is missing: {INDEX_LINE}")
    reqs = project_requirements(pyproject)
    for target in targets:
        env = target.environment()
        applying = pins_for(parsed.pins, env)
        for name, pins in sorted(applying.items()):
            if len(pins) > 1:
                lines = ", ".join(str(p.lineno) for p in pins)
                problems.append(
                    f"{target.name}: {name} is pinned {len(pins)} times (lines {lines})"
                )
        for req in reqs:
            if req.marker is not None and not req.marker.evaluate(env | {"extra": ""}):
                continue
            name = canonicalize_name(req.name)
            if name not in applying:
                problems.append(f"{target.name}: {name} ({req}) has no pin")
                continue
            for pin in applying[name]:
                if not req.specifier.contains(pin.version, prereleases=True):
                    problems.append(
                        f"{target.name}: {name}=={pin.version} is outside {req}"
                    )
        torch = [p.version for p in applying.get(canonicalize_name("torch"), [])]
        if torch and torch != [expected_torch(target)]:
            problems.append(
                f"{target.name}: torch is {', '.join(map(str, torch))}, "
                f"must be {expected_torch(target)}"
            )
    return problems


def load_pyproject(path: Path = PYPROJECT) -> dict[str, object]:
    """Read pyproject.toml."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


# --- compile -----------------------------------------------------------------------


def find_uv(explicit: str | None) -> list[str] | None:
    """The command that runs uv: --uv, else `uv` on PATH, else `python -m uv`."""
    if explicit:
        return [explicit]
    on_path = shutil.which("uv")
    if on_path:
        return [on_path]
    probe = subprocess.run(
        [sys.executable, "-m", "uv", "--version"], capture_output=True, text=True
    )
    return [sys.executable, "-m", "uv"] if probe.returncode == 0 else None


def reachable(url: str, timeout: float = 10.0) -> bool:
    """Whether ``url`` answers at all (any HTTP status counts)."""
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, method="HEAD"), timeout=timeout
        ):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def constraint_text() -> str:
    """The torch constraints handed to uv: +cpu on Linux, PyPI's wheel on macOS."""
    return (
        f'torch=={TORCH_VERSION}+cpu ; sys_platform == "linux"\n'
        f'torch=={TORCH_VERSION} ; sys_platform == "darwin"\n'
    )


def pin_summary(old: str, new: str) -> list[str]:
    """The packages whose pins differ between two pin texts, one line each."""

    def pins(text: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for p in parse_pins(text).pins:
            found.setdefault(p.name, []).append(
                f"{p.version}" + (f" ; {p.marker}" if p.marker else "")
            )
        return found

    a, b = pins(old), pins(new)
    return [
        f"{name}: {' | '.join(a.get(name, ['-']))} -> {' | '.join(b.get(name, ['-']))}"
        for name in sorted(a.keys() | b.keys())
        if sorted(a.get(name, [])) != sorted(b.get(name, []))
    ]


def compile_lock(args: argparse.Namespace) -> int:
    """Regenerate the pin file with uv's universal resolver."""
    uv = find_uv(args.uv)
    if uv is None:
        print(
            "uv not found: pass --uv PATH, put uv on PATH, or run "
            f"`{sys.executable} -m pip install uv=={UV_VERSION}`",
            file=sys.stderr,
        )
        return 2
    version = subprocess.run([*uv, "--version"], capture_output=True, text=True).stdout
    if UV_VERSION not in version.split():
        print(f"note: {version.strip()} (this file was made with uv {UV_VERSION})")
    index = None if args.no_cpu_index else args.cpu_index
    if index and not reachable(index):
        print(f"note: the CPU index {index} cannot be reached; not using it")
        index = None
    if index is None and not args.find_links:
        print(
            "the +cpu torch wheel's metadata needs the CPU index or --find-links DIR "
            "(a folder holding a torch-*+cpu wheel)",
            file=sys.stderr,
        )
        return 2
    output = Path(args.output)
    old = output.read_text(encoding="utf-8") if output.exists() else ""
    with tempfile.TemporaryDirectory(prefix="ci-lock-") as tmp:
        constraints = Path(tmp) / "torch.txt"
        constraints.write_text(constraint_text(), encoding="utf-8")
        body = Path(tmp) / "requirements.txt"
        if old and not args.upgrade:
            body.write_text(old, encoding="utf-8")  # uv keeps these pins where it can
        cmd = [*uv, "pip", "compile", "pyproject.toml", "--no-config"]
        cmd += [a for extra in EXTRAS for a in ("--extra", extra)]
        cmd += ["--universal", "--python-version", LOCK_PYTHON, "--no-header"]
        cmd += ["-c", str(constraints), "-o", str(body)]
        cmd += [a for d in args.find_links for a in ("--find-links", d)]
        if index:
            # pip, which installs the file, takes the best match over all indexes too.
            cmd += ["--extra-index-url", index, "--index-strategy", "unsafe-best-match"]
        cmd += ["--upgrade"] if args.upgrade else []
        cmd += [a for p in args.upgrade_package for a in ("--upgrade-package", p)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
        print("$ " + " ".join(cmd))
        # uv prints the result on stdout as well; its warnings go to stderr.
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        if done.returncode:
            return done.returncode
        text = body.read_text(encoding="utf-8").replace(
            f"-c {constraints}", "-c torch pins (ci/lock.py)"
        )
    new = f"{HEADER}{INDEX_LINE}\n\n{text}"
    problems = lint(new, load_pyproject())
    output.write_text(new, encoding="utf-8")
    changes = pin_summary(old, new)
    print(f"wrote {output}: {len(parse_pins(new).pins)} pins, {len(changes)} changed")
    for line in changes:
        print("  " + line)
    for problem in problems:
        print("LINT: " + problem)
    return 1 if problems else 0


# --- check -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What checking one target found."""

    target: Target
    ok: bool
    seconds: float
    lines: list[str]


def pip_env() -> dict[str, str]:
    """The environment for pip: machine-wide pip configuration ignored."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PIP_") or k in PIP_ENV_KEEP
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def local_cpu_wheel(target: Target, find_links: Sequence[str]) -> Path | None:
    """A torch +cpu wheel in the find-links folders that pip can use for ``target``."""
    want = expected_torch(target)
    tags = target.wheel_tags()
    for folder in find_links:
        for path in sorted(Path(folder).glob("torch-*.whl")):
            try:
                name, version, _, wheel_tags = parse_wheel_filename(path.name)
            except InvalidWheelFilename:
                continue
            if name == "torch" and version == want and wheel_tags & tags:
                return path
    return None


def without_local(text: str) -> str:
    """``text`` with torch's `+cpu` pins turned into PyPI's same version."""
    return re.sub(
        rf"^(torch==){re.escape(TORCH_VERSION)}\+cpu\b",
        rf"\g<1>{TORCH_VERSION}",
        text,
        flags=re.M,
    )


def torch_closure(report: Mapping[str, object], env: Mapping[str, str]) -> set[str]:
    """The names pip's report installs because of torch (extras followed)."""
    items = report["install"]
    assert isinstance(items, list)
    by_name = {canonicalize_name(i["metadata"]["name"]): i["metadata"] for i in items}
    seen: set[tuple[str, str]] = set()
    todo: list[tuple[str, str]] = [(canonicalize_name("torch"), "")]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen or name not in by_name:
            continue
        seen.add((name, extra))
        for raw in by_name[name].get("requires_dist", []):
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate(dict(env) | {"extra": extra}):
                dep = canonicalize_name(req.name)
                todo += [(dep, "")] + [(dep, canonicalize_name(e)) for e in req.extras]
    return {name for name, _ in seen}


def run_pip(
    target: Target, inputs: Sequence[str], find_links: Sequence[str], python: str
) -> tuple[dict[str, object] | None, list[str]]:
    """pip's dry-run report for ``inputs`` (-r/-c args) on ``target``, or its errors."""
    env = target.environment()
    with tempfile.TemporaryDirectory(prefix="ci-lock-report-") as tmp:
        report_file = Path(tmp) / "report.json"
        cmd = [python, "-c", BOOTSTRAP, json.dumps(env), "install", "--dry-run"]
        cmd += ["--ignore-installed", "--only-binary=:all:", "--quiet", "--no-input"]
        cmd += ["--implementation", "cp", "--python-version", target.full_version]
        cmd += [a for p in target.pip_platforms() for a in ("--platform", p)]
        cmd += [a for d in find_links for a in ("--find-links", d)]
        cmd += ["--report", str(report_file), *inputs]
        done = subprocess.run(cmd, capture_output=True, text=True, env=pip_env())
        if done.returncode:
            tail = [x for x in done.stderr.splitlines() if x.strip()][-4:]
            missing = re.findall(
                r"No matching distribution found for (\S+)", done.stderr
            )
            head = f"pip failed (exit {done.returncode})"
            if missing:
                head += f": no usable distribution for {', '.join(missing)}"
            return None, [head] + ["  pip: " + x for x in tail]
        report = json.loads(report_file.read_text(encoding="utf-8"))
    if report.get("environment") != env:
        return None, [f"pip evaluated markers for {report.get('environment')}"]
    return report, []


def compare(
    expected: Mapping[NormalizedName, Version],
    report: Mapping[str, object],
    env: Mapping[str, str],
    stand_in: bool,
) -> tuple[int, list[str], list[str]]:
    """(packages compared, notes, mismatches) of pip's report against ``expected``."""
    items = report["install"]
    assert isinstance(items, list)
    got = {
        canonicalize_name(i["metadata"]["name"]): Version(i["metadata"]["version"])
        for i in items
    }
    notes = []
    if stand_in:
        closure = torch_closure(report, env)
        skipped = sorted(
            n for n in got if n not in expected and CUDA_ONLY.match(n) and n in closure
        )
        for name in skipped:
            del got[name]
        torch = canonicalize_name("torch")
        if torch in expected and got.get(torch) == Version(TORCH_VERSION):
            got[torch] = expected[torch]  # 2.13.0 stood in for 2.13.0+cpu
        notes.append(
            f"{len(skipped)} left out (CUDA-only, PyPI torch): {' '.join(skipped)}"
        )
    bad = []
    for name in sorted(expected.keys() | got.keys()):
        if name not in got:
            bad.append(
                f"{name}=={expected[name]} is pinned but pip would not install it"
            )
        elif name not in expected:
            bad.append(f"{name}=={got[name]} would be installed but is not pinned")
        elif got[name] != expected[name]:
            bad.append(
                f"{name}: pip would install {got[name]}, pinned {expected[name]}"
            )
    return len(got), notes, bad


def check_target(
    target: Target,
    lock_text: str,
    *,
    project: Sequence[str],
    index_ok: bool,
    find_links: Sequence[str],
    python: str,
    tmp: Path,
) -> Outcome:
    """Resolve the pin file with pip for ``target`` and compare it with the pins.

    Two pip runs: the Makefile's ``-r ci/requirements.txt`` (it installs, and nothing
    unpinned comes along), then the project's own requirements ``project`` under
    ``-c`` of the file (the pins are exactly what the project needs: none is stale).
    """
    start = time.monotonic()
    env = target.environment()
    lines: list[str] = []
    expected = {
        name: pins[0].version
        for name, pins in pins_for(parse_pins(lock_text).pins, env).items()
    }
    text = lock_text
    stand_in = False
    if not index_ok:
        text = "\n".join(x for x in text.splitlines() if x.strip() != INDEX_LINE) + "\n"
        if target.system == "linux":
            wheel = local_cpu_wheel(target, find_links)
            if wheel is not None:
                lines.append(f"torch +cpu from {wheel} (CPU index unreachable)")
            else:
                stand_in = True
                text = without_local(text)
                lines.append(
                    f"NOT CHECKED: the torch=={TORCH_VERSION}+cpu wheel itself (CPU "
                    f"index unreachable); torch=={TORCH_VERSION} from PyPI stood in"
                )
    slug = target.name.replace("/", "-")
    pins_file = tmp / f"{slug}.txt"
    pins_file.write_text(text, encoding="utf-8")
    project_file = tmp / f"{slug}-project.txt"
    project_file.write_text("".join(f"{r}\n" for r in project), encoding="utf-8")
    index = ["--extra-index-url", CPU_INDEX] if index_ok else []
    runs = (
        ("-r pins", ["-r", str(pins_file)]),
        ("project -c pins", [*index, "-r", str(project_file), "-c", str(pins_file)]),
    )
    ok = True
    for label, inputs in runs:
        report, errors = run_pip(target, inputs, find_links, python)
        if report is None:
            lines += [f"{label}: {e}" for e in errors]
            ok = False
            continue
        count, notes, bad = compare(expected, report, env, stand_in)
        verdict = "match" if not bad else "DIFFER"
        lines.append(f"{label}: {count} packages, pins {verdict}")
        lines += [f"{label}: {x}" for x in bad]
        if label == "-r pins":
            lines += notes
        ok = ok and not bad
    return Outcome(target, ok, time.monotonic() - start, lines)


def select(names: Sequence[str]) -> list[Target]:
    """The targets whose names contain any of ``names`` (all when none given)."""
    if not names:
        return list(TARGETS)
    chosen = [t for t in TARGETS if any(n in t.name for n in names)]
    if not chosen:
        raise SystemExit(
            f"no target matches {names}; targets: {[t.name for t in TARGETS]}"
        )
    return chosen


def check(args: argparse.Namespace) -> int:
    """Prove with pip that the pin file installs, exactly, on every target."""
    lock_text = Path(args.lock).read_text(encoding="utf-8")
    pyproject = load_pyproject()
    problems = lint(lock_text, pyproject)
    for problem in problems:
        print("LINT: " + problem)
    index_ok = not args.no_cpu_index and reachable(CPU_INDEX)
    pip_version = subprocess.run(
        [args.python, "-m", "pip", "--version"], capture_output=True, text=True
    ).stdout.split(" from ")[0]
    print(f"{pip_version} ({args.python}); machine pip config ignored")
    print(f"CPU index {CPU_INDEX}: {'reachable' if index_ok else 'NOT reachable'}")
    targets = select(args.target)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="ci-lock-") as tmp,
        ThreadPoolExecutor(max_workers=args.jobs) as pool,
    ):
        built, errors = build_sdist_wheels(lock_text, Path(tmp) / "sdist-wheels",
                                           args.python)
        for line in errors:
            print(f"FAIL {line}")
        futures = [
            pool.submit(
                check_target,
                t,
                lock_text,
                project=[str(r) for r in project_requirements(pyproject)],
                index_ok=index_ok,
                find_links=[*args.find_links, *built],
                python=args.python,
                tmp=Path(tmp),
            )
            for t in targets
        ]
        outcomes = [f.result() for f in futures]
    for o in outcomes:
        print(f"{'PASS' if o.ok else 'FAIL'} {o.target.name} ({o.seconds:.1f} s)")
        for line in o.lines:
            print(f"    {line}")
    failed = [o.target.name for o in outcomes if not o.ok]
    total = time.monotonic() - started
    print(
        f"{len(outcomes) - len(failed)}/{len(outcomes)} targets pass in {total:.0f} s"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed or problems or errors else 0


def build_sdist_wheels(
    lock_text: str, folder: Path, python: str
) -> tuple[list[str], list[str]]:
    """Build a wheel of each ``SDIST_ONLY`` pin from PyPI's sdist into ``folder``:
    ``([folder], [])``, or the errors; each must come out ``py3-none-any``."""
    names = {canonicalize_name(name) for name in SDIST_ONLY}
    wanted = sorted({f"{pin.name}=={pin.version}" for pin in parse_pins(lock_text).pins
                     if pin.name in names})
    if not wanted:
        return [], []
    cmd = [python, "-m", "pip", "wheel", "--no-deps", "--quiet", "--no-input",
           "--no-binary", ",".join(SDIST_ONLY), "-w", str(folder), *wanted]
    done = subprocess.run(cmd, capture_output=True, text=True, env=pip_env())
    if done.returncode:
        tail = done.stderr.strip()[-300:]
        return [], [f"pip wheel {' '.join(wanted)} failed: {tail}"]
    wheels = sorted(p.name for p in folder.glob("*.whl"))
    errors = [f"{w} is not a pure-Python py3-none-any wheel" for w in wheels
              if not w.endswith("-py3-none-any.whl")]
    print(f"built from sdist for every target: {', '.join(wheels)}")
    return [str(folder)], errors


def lint_cmd(args: argparse.Namespace) -> int:
    """Run the offline pin-file rules."""
    problems = lint(Path(args.lock).read_text(encoding="utf-8"), load_pyproject())
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) over {len(TARGETS)} targets")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: compile, check or lint."""
    parser = argparse.ArgumentParser(
        prog="python -m ci.lock",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("compile", "regenerate the pin file with uv"),
        ("check", "prove the pin file with pip, per target"),
        ("lint", "offline rules only"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument(
            "--lock", default=str(LOCK), help="the pin file (default: %(default)s)"
        )
        if name == "lint":
            continue
        p.add_argument(
            "--find-links",
            action="append",
            default=[],
            metavar="DIR",
            help="also take wheels from DIR (e.g. one holding the torch +cpu wheel)",
        )
        p.add_argument(
            "--no-cpu-index",
            action="store_true",
            help="do not use the CPU index even if it answers",
        )
    compile_p = sub.choices["compile"]
    compile_p.add_argument("--uv", help="the uv executable (default: uv on PATH)")
    compile_p.add_argument(
        "--cpu-index", default=CPU_INDEX, help="default: %(default)s"
    )
    compile_p.add_argument("--upgrade", action="store_true", help="ignore current pins")
    compile_p.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="PKG",
        help="let PKG move to its newest fitting version",
    )
    check_p = sub.choices["check"]
    check_p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="TEXT",
        help="only targets whose name contains TEXT, e.g. darwin or py3.12",
    )
    check_p.add_argument("-j", "--jobs", type=int, default=2, help="pip runs at once")
    check_p.add_argument(
        "--python", default=sys.executable, help="the Python whose pip resolves"
    )
    args = parser.parse_args(argv)
    if args.command == "compile":
        args.output = args.lock
        return compile_lock(args)
    if args.command == "check":
        return check(args)
    return lint_cmd(args)


if __name__ == "__main__":
    sys.exit(main())
