"""The catalogue and the README table come from the notebooks, not from typing."""

import nbformat
import pytest

from ci import readme_table
from ci.catalog import catalog, read_entry
from tests.conftest import make_notebook


def write(tmp_path, name, first_cell, more=""):
    nb = make_notebook([("markdown", more)] if more else [])
    nb.cells[0].source = first_cell
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_reads_title_goals_and_cpu_time(tmp_path):
    first = (
        "# 07 · LR Schedulers · 调节学习率\n\nnav\n\n**What you will learn**\n"
        "- Implement each rule\n  from scratch.\n- Plot them.\n\n"
        "**Prerequisites**: 01; runs on CPU\nin about 12 s; uses CUDA when present."
    )
    entry = read_entry(write(tmp_path, "07_lr_schedulers", first))
    assert (entry.number, entry.title, entry.title_zh) == (
        "07",
        "LR Schedulers",
        "调节学习率",
    )
    assert entry.goals == ["Implement each rule from scratch.", "Plot them."]
    assert entry.cpu_seconds == 12


def test_goals_may_sit_in_a_later_cell(tmp_path):
    path = write(
        tmp_path, "03_x", "# 03 · X · 线", "**What you will learn**\n- Fit a line."
    )
    assert read_entry(path).goals == ["Fit a line."]
    assert read_entry(path).cpu_seconds is None


@pytest.mark.parametrize(
    ("name", "first", "message"),
    [
        ("05_gru", "# GRU without a number", "lacks"),
        ("05_gru", "# 06 · GRU · 门控\n**What you will learn**\n- x", "does not match"),
        ("05_gru", "# 05 · GRU · 门控\n\nno goals here", "What you will learn"),
    ],
)
def test_malformed_notebooks_are_errors(tmp_path, name, first, message):
    with pytest.raises(ValueError, match=message):
        read_entry(write(tmp_path, name, first))


def test_catalog_is_in_course_order_and_skips_other_files(tmp_path):
    for name in ("02_b", "01_a"):
        write(
            tmp_path, name, f"# {name[:2]} · T · 中\n\n**What you will learn**\n- Go."
        )
    write(tmp_path, "scratch", "# not a course notebook")
    assert [e.stem for e in catalog(tmp_path)] == ["01_a", "02_b"]


def test_readme_table_replaces_only_the_marked_block():
    text = f"intro\n{readme_table.START}\nold table\n{readme_table.END}\noutro\n"
    updated = readme_table.update(text, "| new |")
    assert (
        updated == f"intro\n{readme_table.START}\n| new |\n{readme_table.END}\noutro\n"
    )
    with pytest.raises(ValueError):
        readme_table.update("no markers", "| new |")


def test_readme_check_fails_when_stale(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"{readme_table.START}\nstale\n{readme_table.END}\n")
    assert readme_table.main(["--check", "--readme", str(readme)]) == 1
    assert readme_table.main(["--readme", str(readme)]) == 0
    assert readme_table.main(["--check", "--readme", str(readme)]) == 0
    assert "| 01 | [Tensors](notebooks/01_tensors.ipynb)" in readme.read_text()
