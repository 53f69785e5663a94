"""ci.lab_check: what a Run All in JupyterLab must leave, and cleared copies."""

import nbformat

from ci import lab_check
from tests.conftest import make_notebook


def cell(count, errors=(), stderr=()):
    return {"count": count, "errors": list(errors), "stderr": list(stderr)}


def test_a_clean_run_has_no_problems_and_each_fault_is_named():
    assert lab_check.problems([cell(1), cell(2)]) == []
    assert lab_check.problems([cell(1), cell(None)]) == [
        "execution counts [1, None], not 1..2"
    ]
    found = lab_check.problems(
        [cell(1, errors=["ValueError: boom"]), cell(2, stderr=["UserWarning: x"])]
    )
    assert found == ["code cell 1: ValueError: boom",
                     "code cell 2 wrote to stderr: UserWarning: x"]


def test_copies_are_cleared_so_stored_prompts_cannot_pass_for_a_run(tmp_path):
    nb = make_notebook([("code", "print(1)")])
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1")]
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(nb, src / "42_tiny.ipynb")
    (copy,) = lab_check.cleared_copies([src / "42_tiny.ipynb"], tmp_path)
    code = [c for c in nbformat.read(copy, as_version=4).cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
