"""ci.lanes: the lowest lane pins each lower bound, the newest lane must be newest."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from ci import lanes


def test_the_lowest_lane_pins_every_lower_bound_of_pyproject():
    reqs = lanes.runtime_requirements()
    assert {r.name for r in reqs} >= {"torch", "numpy", "matplotlib", "scikit-learn"}
    pins = lanes.lane_requirements("lowest", reqs)
    assert "torch==2.9" in pins and all("==" in pin for pin in pins)
    assert lanes.lane_requirements("newest", reqs) == [r.name for r in reqs]
    with pytest.raises(ValueError, match="exactly one lower bound"):
        lanes.lower_bound(Requirement("torch<3"))
    with pytest.raises(ValueError, match="unknown lane"):
        lanes.lane_requirements("middle", reqs)


def test_installed_versions_are_checked_against_the_lane():
    reqs = [Requirement("torch>=2.9"), Requirement("numpy>=1.24")]
    good = {"torch": Version("2.9.0+cpu"), "numpy": Version("1.24.0")}
    assert lanes.check_installed("lowest", good, reqs) == []
    bad = {"torch": Version("2.13.0"), "numpy": Version("1.24.0")}
    assert lanes.check_installed("lowest", bad, reqs) == [
        "torch: installed 2.13.0, lower bound 2.9"
    ]


def test_a_newest_lane_behind_pypi_fails(monkeypatch):
    monkeypatch.setattr(lanes, "newest_release", lambda name: Version("2.15.0"))
    reqs = [Requirement("torch>=2.9")]
    assert lanes.check_installed("newest", {"torch": Version("2.15.0+cpu")}, reqs) == []
    capped = lanes.check_installed("newest", {"torch": Version("2.14.1")}, reqs)
    assert capped and "PyPI's newest is 2.15.0" in capped[0]


def test_linux_takes_pytorchs_cpu_index_and_macos_pypi():
    assert lanes.index_args("linux") == ["--find-links", lanes.CPU_WHEELS]
    assert lanes.index_args("darwin") == []
