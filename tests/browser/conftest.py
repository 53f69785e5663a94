"""Keep the site and browser checks out of the fast unit run (``pytest tests``).

They run when ``tests/browser`` (or a file in it) is named on the command line, as
``make browser`` does after ``make site``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Ignore this folder's test files unless the command line names this folder."""
    if collection_path.parent != HERE or collection_path.name == "conftest.py":
        return None
    base = config.invocation_params.dir
    asked = [(base / arg.split("::")[0]).resolve() for arg in config.args]
    if any(path == HERE or HERE in path.parents for path in asked):
        return None
    return True
