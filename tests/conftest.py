"""Shared fixtures: tiny notebooks written on the fly, and a headless matplotlib."""

from __future__ import annotations

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

GOOD_PY = """# %% [markdown]
# # 42 · Tiny · 小
#
# **What you will learn**
# - Print a number and
#   check it.
# - Nothing else.
#
# **Prerequisites**: none; runs on CPU in about 3 s; uses CUDA when present.

# %% tags=["parameters"]
SEED = 0
DEVICE = "auto"

# %%
from helpers import Device, Seed, check_params
check_params(globals(), SEED=Seed(), DEVICE=Device())

# %%
print(SEED + 1)

# %% [markdown]
# ## Exercises
# 1. Print `SEED + 2`.
# 2. Print `SEED + 3`.
# 3. Print `SEED + 4`.
#
# ## Solutions

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 1
print(SEED + 2)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 2
print(SEED + 3)

# %% tags=["solution"] jupyter={"source_hidden": true}
# Exercise 3
print(SEED + 4)
"""

CHECK_CELL = (
    "from helpers import Device, Seed, check_params\n"
    "check_params(globals(), SEED=Seed(), DEVICE=Device())"
)


def solution_cell(number: int, text: str = "ok") -> nbformat.NotebookNode:
    """A worked solution: tagged, collapsed, opened by ``# Exercise N``, with output."""
    cell = nbformat.v4.new_code_cell(f"# Exercise {number}\nprint({text!r})")
    cell.metadata["tags"] = ["solution"]
    cell.metadata["jupyter"] = {"source_hidden": True}
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{text}\n")]
    return cell


def make_notebook(cells, *, params=True, executed=True,
                  solutions=True) -> nbformat.NotebookNode:
    """Build a notebook from ``(kind, source)`` pairs after a title cell and, with
    ``params``, a parameters cell (index 1) and its ``check_params`` cell (index 2);
    with ``solutions``, three exercises and their solutions end it."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    built = [
        nbformat.v4.new_markdown_cell(
            "# 42 · Tiny · 小\n\n**What you will learn**\n- Print a number."
        )
    ]
    if params:
        cell = nbformat.v4.new_code_cell('SEED = 0\nDEVICE = "auto"')
        cell.metadata["tags"] = ["parameters"]
        built += [cell, nbformat.v4.new_code_cell(CHECK_CELL)]
    for kind, source in cells:
        maker = (
            nbformat.v4.new_code_cell
            if kind == "code"
            else nbformat.v4.new_markdown_cell
        )
        built.append(maker(source))
    if solutions:
        built.append(nbformat.v4.new_markdown_cell(
            "## Exercises\n1. One.\n2. Two.\n3. Three.\n\n## Further reading\n- x"))
        built.append(nbformat.v4.new_markdown_cell("## Solutions"))
        built += [solution_cell(n) for n in (1, 2, 3)]
    count = 0
    for cell in built:
        if cell.cell_type == "code" and executed:
            count += 1
            cell.execution_count = count
    nb.cells = built
    return nb


@pytest.fixture
def write_pair(tmp_path):
    """Write ``42_tiny.ipynb`` and its py:percent pair in ``tmp_path``; return it."""
    import jupytext

    def _write(nb: nbformat.NotebookNode, name: str = "42_tiny"):
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, path)
        jupytext.write(nb, tmp_path / f"{name}.py", fmt="py:percent")
        return path

    return _write
