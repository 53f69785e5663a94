"""ci.nbval: strict nbval in two numerical environments, with ≈-numbers masked."""

from __future__ import annotations

import re

import nbformat
import pytest

from ci import nbval
from tests.conftest import make_notebook


def test_the_two_environments_differ_and_both_run_on_the_cpu():
    first, second = (nbval.environment(n, base={}) for n in ("first", "second"))
    assert first["PYTORCH_NOTES_DEVICE"] == second["PYTORCH_NOTES_DEVICE"] == "cpu"
    assert first["OMP_NUM_THREADS"] != second["OMP_NUM_THREADS"]
    assert second["ATEN_CPU_CAPABILITY"] == "default"
    assert second["ONEDNN_MAX_CPU_ISA"] == "SSE41"
    assert "ATEN_CPU_CAPABILITY" not in first


def test_nothing_of_the_other_environment_leaks_in():
    base = {"ATEN_CPU_CAPABILITY": "avx2", "PATH": "/bin", "PYTORCH_NOTES_DEVICE": "x"}
    env = nbval.environment("first", base=base)
    assert "ATEN_CPU_CAPABILITY" not in env
    assert env["PATH"] == "/bin" and env["PYTORCH_NOTES_DEVICE"] == "cpu"
    with pytest.raises(ValueError, match="unknown environment 'third'"):
        nbval.environment("third")


def test_names_become_paths_and_unknown_names_stop(tmp_path):
    (tmp_path / "05_gru.ipynb").write_text("{}")
    assert nbval.notebook_args(["05_gru"], tmp_path) == [str(tmp_path / "05_gru.ipynb")]
    with pytest.raises(SystemExit, match="no notebook named '06_x'"):
        nbval.notebook_args(["06_x"], tmp_path)
    cmd = nbval.command(["a.ipynb"], jobs=2)
    assert "--nbval" in cmd and "--nbval-sanitize-with" in cmd
    assert cmd[-4:] == ["-n", "2", "--dist", "loadfile", "a.ipynb"][-4:]


def test_every_notebook_runs_longest_first(tmp_path):
    for stem, seconds in [("01_a", 8), ("02_b", 22), ("03_c", 13)]:
        nb = make_notebook([], solutions=False)
        nb.cells[0].source = (f"# {stem[:2]} · T · 题\n\n**What you will learn**\n"
                              f"- x\n\nruns on CPU in about {seconds} s")
        nbformat.write(nb, tmp_path / f"{stem}.ipynb")
    assert nbval.notebook_args([], tmp_path) == [
        str(tmp_path / f"{stem}.ipynb") for stem in ("02_b", "03_c", "01_a")]


def stored(path, source, text):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return str(path)


def test_masked_digits_pass_and_changed_ones_fail(tmp_path, capfd):
    jitter = "import random\nprint(f'loss ≈{random.random():.4f} | epochs 3')"
    masked = stored(tmp_path / "masked.ipynb", jitter, "loss ≈0.1234 | epochs 3\n")
    changed = stored(tmp_path / "changed.ipynb", "print('epochs', 2 + 2)", "epochs 3\n")
    assert nbval.run("second", [masked, changed], jobs=1) != 0
    out = capfd.readouterr().out
    assert "1 failed, 1 passed" in out
    assert re.search(r"^\.F\s", out, re.MULTILINE)  # masked passed, changed failed
