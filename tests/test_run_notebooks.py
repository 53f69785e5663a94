"""run_notebooks: papermill per notebook, a floor in the same run, failures named."""

import json

import nbformat
import pytest
import torch

from ci import run_notebooks
from ci.run_notebooks import Result, first_error, report, resolve
from tests.conftest import make_notebook


def write(tmp_path, name, code):
    nb = make_notebook([("code", code)], executed=False)
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_runs_passes_parameters_reports_and_names_the_failing_cell(tmp_path, capsys):
    good = write(tmp_path, "01_good", "print(SEED + 1, DEVICE)")
    bad = write(tmp_path, "02_bad", "x = 1\nraise ValueError('boom')")
    out, rep = tmp_path / "out", tmp_path / "report"
    code = run_notebooks.main(
        [
            str(good),
            str(bad),
            "-p",
            "SEED",
            "41",
            "--device",
            "cpu",
            "--out",
            str(out),
            "--report-dir",
            str(rep),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert (
        "FAILED notebooks/02_bad.ipynb: code cell 4 (`x = 1`): ValueError: boom" in err
    )

    executed = (out / "01_good.ipynb").read_text()
    assert "42 cpu" in executed  # SEED and DEVICE were injected

    data = json.loads((rep / "timing.json").read_text())
    rows = {r["notebook"]: r for r in data["notebooks"]}
    assert rows["01_good"]["ok"] and not rows["02_bad"]["ok"]
    assert data["floor"]["ok"] and data["floor"]["seconds"] > 0
    assert data["floor"]["peak_rss_mb"] > 50  # the kernel imported torch
    good_row = rows["01_good"]
    assert good_row["beyond_floor_s"] == pytest.approx(
        good_row["seconds"] - data["floor"]["seconds"], abs=0.011
    )
    assert 0 < good_row["solutions_s"] < good_row["seconds"]  # its 3 solution cells
    assert "| 02_bad | FAILED |" in (rep / "timing.md").read_text()


def test_a_bad_parameter_stops_a_real_notebook_with_one_line(tmp_path):
    src = run_notebooks.NOTEBOOKS / "02_mlp_training.ipynb"
    dst = tmp_path / "02_mlp_training.ipynb"
    result = run_notebooks.execute(src, dst, [("NUM_EPOCHS", "-5")], src.parent, 60)
    message = "ParameterError: NUM_EPOCHS must be a positive int, got -5"
    assert not result.ok and message in result.error
    nb = nbformat.read(dst, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert [e.traceback for e in errors] == [[message]]  # one line, no traceback


def test_a_cell_writing_to_stderr_fails_the_notebook(tmp_path):
    src = write(tmp_path, "03_noisy", "import warnings\nwarnings.warn('old API')")
    result = run_notebooks.execute(src, tmp_path / "out.ipynb", [], tmp_path, 60)
    assert not result.ok
    assert result.error.startswith("code cell 3 wrote to stderr:")
    assert "UserWarning: old API" in result.error


def test_require_device_fails_at_once_when_absent(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code = run_notebooks.main(["--require-device", "cuda", "--out", str(tmp_path)])
    assert code == 2
    assert "--require-device cuda" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was executed


def test_resolve_accepts_names_and_paths(tmp_path):
    path = write(tmp_path, "05_gru", "x = 1")
    assert resolve(["05_gru"], tmp_path) == [path]
    assert resolve(["05_gru.ipynb"], tmp_path) == [path]
    assert resolve([str(path)], tmp_path) == [path]
    with pytest.raises(SystemExit, match="no notebook named '06_x'"):
        resolve(["06_x"], tmp_path)


def test_first_error_without_an_error_cell(tmp_path):
    path = write(tmp_path, "01_ok", "x = 1")
    assert first_error(path).startswith("no cell holds an error")
    assert first_error(tmp_path / "missing.ipynb").startswith("could not read")


def test_report_table_and_totals(tmp_path):
    floor = Result("_floor", 3.0, 300.0, True)
    rows = [Result("01_a", 4.5, 310.0, True, solutions_s=0.5),
            Result("02_b", 10.25, 900.0, True, solutions_s=1.25)]
    meta = {
        "device": "cpu",
        "cpus": 2,
        "torch": "2.x",
        "python": "3.11",
        "available": ["cpu"],
        "parameters": [],
    }
    text = report(rows, floor, meta, tmp_path)
    assert "| 01_a | ok | 4.50 | 1.50 | 0.50 | 310 |" in text
    assert "| 02_b | ok | 10.25 | 7.25 | 1.25 | 900 |" in text
    assert "Total: 14.8 s for 2 notebook(s), 1.8 s of it in solutions." in text
