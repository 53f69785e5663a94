"""ci/requirements.txt stays one pin file that serves every supported target.

Offline and fast: the file is parsed and its markers are evaluated with packaging for
each target (no pip, no network). `python -m ci.lock check` is the online proof.
"""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from ci import lock

# The claim, spelled out: these Pythons on these two systems.
CLAIMED_PYTHONS = ("3.11.2", "3.11.9", "3.12", "3.13", "3.14")
LINUX_312 = {
    "implementation_name": "cpython",
    "implementation_version": "3.12.0",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "platform_release": "6.1.0",
    "platform_system": "Linux",
    "platform_version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0",
    "python_full_version": "3.12.0",
    "python_version": "3.12",
    "sys_platform": "linux",
}
DARWIN_3112 = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.2",
    "os_name": "posix",
    "platform_machine": "arm64",
    "platform_python_implementation": "CPython",
    "platform_release": "23.0.0",
    "platform_system": "Darwin",
    "platform_version": "Darwin Kernel Version 23.0.0",
    "python_full_version": "3.11.2",
    "python_version": "3.11",
    "sys_platform": "darwin",
}

# A small pyproject and a pin text that passes for it, to break on purpose below.
MINI_PYPROJECT = {
    "project": {
        "requires-python": ">=3.11",
        "dependencies": ["torch>=2.2", "numpy>=1.24"],
        "optional-dependencies": {"dev": ["beautifulsoup4>=4"], "site": []},
    }
}
GOOD = f"""\
{lock.INDEX_LINE}
numpy==2.4.6
beautifulsoup4==4.15.0
soupsieve==2.10 ; python_full_version < '3.11.5'
soupsieve==4.1.3 ; python_full_version >= '3.11.5'
torch==2.13.0 ; sys_platform != 'linux'
torch==2.13.0+cpu ; sys_platform == 'linux'
"""


@pytest.fixture(scope="module")
def pyproject() -> dict[str, object]:
    return lock.load_pyproject()


@pytest.fixture(scope="module")
def text() -> str:
    return lock.LOCK.read_text(encoding="utf-8")


def test_targets_are_the_claim() -> None:
    assert [(t.python, t.system) for t in lock.TARGETS] == [
        (p, s) for p in CLAIMED_PYTHONS for s in ("linux", "darwin")
    ]
    by_name = {t.name: t.environment() for t in lock.TARGETS}
    assert by_name["linux-x86_64/py3.12"] == LINUX_312
    assert by_name["darwin-arm64/py3.11.2"] == DARWIN_3112


def test_the_pin_file_passes_every_rule(
    text: str, pyproject: dict[str, object]
) -> None:
    assert lock.lint(text, pyproject) == []


def test_every_target_gets_one_pin_per_package(text: str) -> None:
    pins = lock.parse_pins(text)
    assert pins.problems == []
    for target in lock.TARGETS:
        applying = lock.pins_for(pins.pins, target.environment())
        doubles = {n: len(p) for n, p in applying.items() if len(p) != 1}
        assert doubles == {}, target.name
        assert len(applying) > 100, target.name  # the whole closure, not a stub


def test_every_project_requirement_is_pinned_within_its_range(
    text: str, pyproject: dict[str, object]
) -> None:
    reqs = lock.project_requirements(pyproject)
    assert {canonicalize_name(r.name) for r in reqs} >= {"torch", "nbval", "sphinx"}
    pins = lock.parse_pins(text).pins
    for target in lock.TARGETS:
        applying = lock.pins_for(pins, target.environment())
        for req in reqs:
            (pin,) = applying[canonicalize_name(req.name)]
            assert req.specifier.contains(pin.version, prereleases=True), (
                target.name,
                str(req),
                str(pin.version),
            )


def test_torch_is_the_cpu_wheel_on_linux_and_pypis_on_macos(text: str) -> None:
    pins = lock.parse_pins(text).pins
    for target in lock.TARGETS:
        (torch,) = lock.pins_for(pins, target.environment())["torch"]
        want = "2.13.0+cpu" if target.system == "linux" else "2.13.0"
        assert torch.version == Version(want), target.name


def test_the_cpu_index_is_in_the_file(text: str) -> None:
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in (
        lock.parse_pins(text).options
    )


def test_debian_python_gets_a_soupsieve_it_can_install(text: str) -> None:
    pins = lock.parse_pins(text).pins
    debian = next(t for t in lock.TARGETS if t.python == "3.11.2").environment()
    newer = next(t for t in lock.TARGETS if t.python == "3.11.9").environment()
    assert lock.pins_for(pins, debian)["soupsieve"][0].version < Version("3")
    assert lock.pins_for(pins, newer)["soupsieve"][0].version == Version("4.1.3")


def test_requires_python_floor_is_the_lowest_claimed_python(
    pyproject: dict[str, object],
) -> None:
    lowest = min(Version(p) for p in CLAIMED_PYTHONS)
    floor = lock.requires_python_floor(pyproject)
    assert floor.release[:2] == lowest.release[:2] == (3, 11)
    assert Version(lock.LOCK_PYTHON) == floor  # what uv resolved for
    for python in CLAIMED_PYTHONS:
        assert SpecifierSet(pyproject["project"]["requires-python"]).contains(python)


def test_the_file_starts_with_the_generated_header(text: str) -> None:
    assert text.startswith(lock.HEADER + lock.INDEX_LINE + "\n")


def test_the_checker_passes_the_small_good_text() -> None:
    assert lock.lint(GOOD, MINI_PYPROJECT) == []


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (  # the old single pin: Debian's 3.11.2 would get it too
            GOOD.replace(
                "soupsieve==2.10 ; python_full_version < '3.11.5'\n",
                "soupsieve==2.10\n",
            ),
            "linux-x86_64/py3.11.9: soupsieve is pinned 2 times",
        ),
        (
            GOOD.replace("numpy==2.4.6\n", ""),
            "darwin-arm64/py3.14: numpy (numpy>=1.24) has no pin",
        ),
        (
            GOOD.replace("numpy==2.4.6", "numpy==1.20.0"),
            "linux-x86_64/py3.12: numpy==1.20.0 is outside numpy>=1.24",
        ),
        (
            GOOD.replace("torch==2.13.0+cpu", "torch==2.13.0"),
            "linux-x86_64/py3.13: torch is 2.13.0, must be 2.13.0+cpu",
        ),
        (GOOD.replace(lock.INDEX_LINE, ""), "the CPU index line is missing"),
        (GOOD + "tqdm>=4\n", "not an exact `name==version` pin: tqdm>=4"),
    ],
)
def test_the_checker_reports_a_broken_text(broken: str, expected: str) -> None:
    problems = lock.lint(broken, MINI_PYPROJECT)
    assert any(expected in p for p in problems), problems


def test_a_target_without_its_pin_is_reported() -> None:
    darwin_only = GOOD.replace(
        "numpy==2.4.6", "numpy==2.4.6 ; sys_platform == 'darwin'"
    )
    problems = lock.lint(darwin_only, MINI_PYPROJECT)
    linux = [p for p in problems if "numpy" in p]
    assert len(linux) == len(CLAIMED_PYTHONS)
    assert all(p.startswith("linux-x86_64/") for p in linux)


def test_every_sdist_only_name_is_pinned():
    """``make lock-check`` builds these from their sdist: each must be a pin."""
    from ci import lock

    text = (lock.ROOT / "ci" / "requirements.txt").read_text(encoding="utf-8")
    pinned = {pin.name for pin in lock.parse_pins(text).pins}
    assert set(map(lock.canonicalize_name, lock.SDIST_ONLY)) <= pinned
