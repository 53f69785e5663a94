"""The maintainer's loop: the .py is executed in a fresh kernel into its .ipynb pair."""

import os

import jupytext
import nbformat

from ci.check_notebooks import check_notebook
from ci.execute import coalesce_streams, execute_pair, keep_cell_ids, sync
from tests.conftest import GOOD_PY


def test_execute_writes_outputs_in_order_and_passes_the_checks(tmp_path):
    (tmp_path / "42_tiny.py").write_text(GOOD_PY)
    path = execute_pair("42_tiny", folder=tmp_path)
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3, 4, 5, 6]
    assert [c.outputs[0].text for c in code[2:]] == ["1\n", "2\n", "3\n", "4\n"]
    assert all(c.metadata.jupyter.source_hidden for c in code[3:]), "kept from the .py"
    assert nb.metadata.kernelspec.language == "python"
    assert check_notebook(path) == []


def test_sync_brings_a_newer_ipynb_edit_into_the_py(tmp_path):
    py, ipynb = tmp_path / "42_tiny.py", tmp_path / "42_tiny.ipynb"
    py.write_text(GOOD_PY)
    nb = jupytext.read(py)
    nb.cells[-1].source = "print(SEED + 2)"  # edited in JupyterLab
    nbformat.write(nb, ipynb)
    os.utime(py, (1, 1))  # the .py is older
    sync(py, ipynb)
    assert "print(SEED + 2)" in py.read_text()


def test_coalesce_merges_only_neighbouring_chunks_of_one_stream():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    new = nbformat.v4.new_output
    cell.outputs = [
        new("stream", name="stdout", text="a"),
        new("stream", name="stdout", text="b\n"),
        new("stream", name="stderr", text="c\n"),
        new("stream", name="stdout", text="d\n"),
    ]
    nb.cells = [cell]
    coalesce_streams(nb)
    assert [(o.name, o.text) for o in cell.outputs] == [
        ("stdout", "ab\n"),
        ("stderr", "c\n"),
        ("stdout", "d\n"),
    ]


def test_a_rerun_keeps_the_cell_ids_and_new_cells_get_new_ones(tmp_path):
    py = tmp_path / "42_tiny.py"
    py.write_text(GOOD_PY)
    def executed_ids():
        return [c.id for c in nbformat.read(execute_pair("42_tiny", folder=tmp_path),
                                            as_version=4).cells]

    before = executed_ids()
    assert [c.id for c in jupytext.read(py).cells] != before, "jupytext: fresh ids"
    nb = jupytext.read(py)
    nb.cells[-1].source += "  # edited"
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A new cell."))
    jupytext.write(nb, py, fmt="py:percent")
    after = executed_ids()
    assert after[:1] + after[2:] == before, "unchanged and edited cells keep their ids"
    assert after[1] not in before


def test_keep_cell_ids_leaves_cells_that_replace_others_unevenly_new():
    old, nb = nbformat.v4.new_notebook(), nbformat.v4.new_notebook()
    old.cells = [nbformat.v4.new_code_cell(s) for s in ("a", "b", "c")]
    nb.cells = [nbformat.v4.new_code_cell(s) for s in ("a", "x", "y", "c")]
    fresh = [c.id for c in nb.cells]
    keep_cell_ids(nb, old)
    assert [c.id for c in nb.cells] == [old.cells[0].id, *fresh[1:3], old.cells[2].id]
