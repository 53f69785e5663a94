"""check_notebooks flags each problem on its own line and exits non-zero."""

import nbformat

from ci import check_notebooks
from tests.conftest import make_notebook


def problems_of(path):
    return check_notebooks.check_notebook(path)


def with_output(nb, index, output):
    nb.cells[index].outputs = [output]
    return nb


def test_a_clean_notebook_has_no_problems(write_pair):
    nb = make_notebook([("code", "print(1)")])
    with_output(nb, 3, nbformat.v4.new_output("stream", name="stdout", text="1\n"))
    path = write_pair(nb)
    assert problems_of(path) == []
    assert check_notebooks.main([str(path.parent)]) == 0


def test_stored_error_is_flagged_and_main_fails(write_pair, capsys):
    nb = make_notebook([("code", "1 / 0")])
    with_output(
        nb,
        3,
        nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[]
        ),
    )
    path = write_pair(nb)
    assert problems_of(path) == ["cell 4: stored error output (ZeroDivisionError)"]
    assert check_notebooks.main([str(path.parent)]) == 1
    assert "42_tiny.ipynb: cell 4: stored error output" in capsys.readouterr().out


def test_pair_out_of_sync_is_flagged(write_pair):
    path = write_pair(make_notebook([("code", "x = 1")]))
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].source = "x = 2"  # edited in the .ipynb only
    nbformat.write(nb, path)
    assert problems_of(path) == [
        "out of sync with 42_tiny.py: cell 4 differs (run `make execute NB=42_tiny`)"
    ]


def test_missing_pair_is_flagged(write_pair):
    path = write_pair(make_notebook([("code", "x = 1")]))
    path.with_suffix(".py").unlink()
    assert problems_of(path) == ["no py:percent pair 42_tiny.py"]


def test_missing_parameters_cell_is_flagged(write_pair):
    path = write_pair(make_notebook([("code", "x = 1")], params=False))
    assert problems_of(path) == ["no cell tagged 'parameters'"]


def test_parameters_cell_must_define_seed_and_device(write_pair):
    nb = make_notebook([])
    nb.cells[1].source = "SEED = 0\nLR = 0.1"
    nb.cells[2].source = "check_params(globals(), SEED=Seed(), LR=Float(gt=0))"
    assert problems_of(write_pair(nb)) == ["the parameters cell does not define DEVICE"]


def test_execution_counts_must_read_one_to_n(write_pair):
    nb = make_notebook([("code", "x = 1"), ("code", "y = 2")])
    nb.cells[3].execution_count, nb.cells[4].execution_count = 4, 3
    assert problems_of(write_pair(nb)) == [
        "execution counts are not 1..n: re-execute in a fresh kernel"
    ]
    unexecuted = make_notebook([("code", "x = 1")], executed=False)
    assert "execution counts" in problems_of(write_pair(unexecuted))[0]


def test_warning_on_stderr_is_flagged(write_pair):
    nb = make_notebook([("code", "import warnings")])
    with_output(
        nb,
        3,
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="UserWarning: Detected call of lr_scheduler.step()",
        ),
    )
    assert problems_of(write_pair(nb)) == ["cell 4: a warning on stderr: UserWarning"]


def test_machine_paths_and_local_or_remote_images_are_flagged(write_pair):
    nb = make_notebook(
        [
            ("markdown", "![diagram](https://example.org/gru.png)"),
            ("markdown", '<img src="C:\\Users\\ROG\\Desktop\\x.jpg">'),
            ("markdown", "![ours](figures/gru.svg)"),  # shipped in the repo: fine
            ("code", "open('/home/someone/data.csv')"),
        ]
    )
    with_output(
        nb,
        6,
        nbformat.v4.new_output(
            "stream", name="stdout", text="saved to /tmp/tmpabc/model.pt\n"
        ),
    )
    assert problems_of(write_pair(nb)) == [
        "cell 4: image from the network or a local disk",
        "cell 5: source names a machine-specific path",
        "cell 5: image from the network or a local disk",
        "cell 7: source names a machine-specific path",
        "cell 7: output shows a machine-specific path",
    ]


def test_size_budget(write_pair, monkeypatch):
    path = write_pair(make_notebook([("code", "x = 1")]))
    monkeypatch.setattr(check_notebooks, "MAX_NOTEBOOK_BYTES", 100)
    assert "exceeds" in problems_of(path)[0]


def test_kernelspec_language_is_required(write_pair):
    nb = make_notebook([])
    nb.metadata["kernelspec"].pop("language")
    assert problems_of(write_pair(nb)) == [
        "the kernelspec names no language (papermill needs it)"
    ]


def test_a_py_without_its_notebook_is_flagged(tmp_path, capsys):
    (tmp_path / "05_gru.py").write_text("# %%\nx = 1\n")
    assert check_notebooks.main([str(tmp_path)]) == 1
    assert "05_gru.py: no executed .ipynb beside it" in capsys.readouterr().out


def test_control_characters_are_flagged(write_pair):
    nb = make_notebook([("markdown", "learning rate $\x07lpha$")])
    assert problems_of(write_pair(nb)) == [
        "cell 4: control character in source (lost backslash?)"
    ]


def test_the_cell_after_the_parameters_must_check_each_of_them(write_pair):
    nb = make_notebook([])
    nb.cells[2].source = "print(SEED)"
    assert problems_of(write_pair(nb)) == [
        "the code cell after the parameters cell does not call check_params"
    ]
    nb.cells[1].source = 'SEED = 0\nDEVICE = "auto"\nLR = 0.1'
    nb.cells[2].source = "check_params(globals(), SEED=Seed(), DEVICE=Device(), X=1)"
    assert problems_of(write_pair(nb)) == [
        "check_params does not name exactly the parameters "
        "(unchecked: LR; not parameters: X)"
    ]


def stdout(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_an_uncompared_cell_must_say_why_and_have_an_output(write_pair):
    marked = "# NBVAL_IGNORE_OUTPUT\nprint(torch.__version__)"
    nb = make_notebook([("code", marked), ("code", "# NBVAL_IGNORE_OUTPUT\nx = 1")])
    with_output(nb, 3, stdout("2.13.0\n"))
    assert problems_of(write_pair(nb)) == [
        "cell 4: not compared by nbval but gives no reason (add a line "
        "'# not compared: ...' after the marker)",
        "cell 5: not compared by nbval but gives no reason (add a line "
        "'# not compared: ...' after the marker)",
        "cell 5: marked not compared, yet it has no output",
    ]


def test_uncompared_cells_and_masked_numbers_are_listed(write_pair, capsys):
    reason = "# NBVAL_IGNORE_OUTPUT\n# not compared: versions differ\nprint(1)"
    nb = make_notebook([("code", reason), ("code", "print(2)")])
    with_output(nb, 3, stdout("2.13.0\n"))
    with_output(nb, 4, stdout("epoch 1 | loss ≈0.123 | acc ≈97.50% | lr 0.1\n"))
    tagged = nbformat.v4.new_code_cell("print(3)", metadata={"tags": ["nbval-skip"]})
    path = write_pair(nb)
    assert check_notebooks.uncompared(nb) == [(4, "versions differ")]
    assert check_notebooks.masked_numbers(nb) == 2
    assert check_notebooks.uncompared_reason(tagged) == ""
    assert check_notebooks.main([str(path.parent)]) == 0
    out = capsys.readouterr().out
    assert "42_tiny.ipynb: 1 cell(s) not compared, 2 number(s) after ≈" in out
    assert "    cell 4: versions differ" in out


def test_the_budget_of_uncompared_cells_is_enforced(write_pair, monkeypatch, capsys):
    reason = "# NBVAL_IGNORE_OUTPUT\n# not compared: versions differ\nprint(1)"
    nb = make_notebook([("code", reason)])
    with_output(nb, 3, stdout("1\n"))
    path = write_pair(nb)
    monkeypatch.setattr(check_notebooks, "MAX_UNCOMPARED_CELLS", 0)
    assert check_notebooks.main([str(path.parent)]) == 1
    assert "over the budget of 0" in capsys.readouterr().out


def test_a_notebook_needs_three_to_five_exercises(write_pair):
    nb = make_notebook([], solutions=False)
    few = "'## Exercises' lists {} exercises, not 3 to 5"
    assert problems_of(write_pair(nb)) == [few.format(0)]
    nb.cells.append(nbformat.v4.new_markdown_cell("## Exercises\n1. One.\n2. Two."))
    assert problems_of(write_pair(nb)) == [few.format(2)]


def test_the_exercises_need_a_solutions_section_after_them(write_pair):
    nb = make_notebook([])
    solutions = next(c for c in nb.cells if c.source == "## Solutions")
    solutions.source = "## Answers"
    missing = "no '## Solutions' section after the exercises"
    assert missing in problems_of(write_pair(nb))


def test_every_exercise_needs_a_solution_with_output(write_pair):
    nb = make_notebook([])
    del nb.cells[-1]  # exercise 3's solution
    nb.cells[-1].outputs = []  # exercise 2's shows nothing
    assert problems_of(write_pair(nb)) == [
        "exercise 2: its solution shows no output",
        "exercise 3 has no solution cell",
    ]


def test_a_solution_cell_is_tagged_collapsed_and_numbered(write_pair):
    nb = make_notebook([])
    first = len(nb.cells) - 3
    del nb.cells[first].metadata["jupyter"]
    nb.cells[first + 1].source = "print('no number')"
    nb.cells.append(nbformat.v4.new_code_cell("# Exercise 3\nprint(3)"))
    nb.cells[-1].execution_count = nb.cells[-2].execution_count + 1
    assert problems_of(write_pair(nb)) == [
        f"cell {first + 1}: a solution not collapsed in JupyterLab "
        '(add jupyter={"source_hidden": true})',
        f"cell {first + 2}: a solution must start with '# Exercise N', N from 1 to 3",
        f"cell {len(nb.cells)}: a code cell in '## Solutions' without the tag "
        "'solution'",
        "exercise 2 has no solution cell",
    ]


def test_solutions_come_last_and_only_there(write_pair):
    nb = make_notebook([("code", "x = 1")])
    nb.cells[3].metadata["tags"] = ["solution"]
    nb.cells.append(nbformat.v4.new_markdown_cell("## Further reading"))
    assert problems_of(write_pair(nb)) == [
        "cell 4: tagged 'solution' outside '## Solutions'",
        f"cell {len(nb.cells)}: a section after '## Solutions', which must be the last",
    ]
