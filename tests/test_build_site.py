"""The site's generated pages: errata from the callouts, anchors, landing table."""

import nbformat
import pytest

from ci import build_site
from ci.build_site import collect_errata, course_table, errata_page, prepare_notebook
from ci.catalog import Entry
from tests.conftest import make_notebook

CALLOUT = "> **Erratum (勘误)** — the note wrote `torch.optimum`; see `torch.optim`."


def tiny(*markdown: str) -> nbformat.NotebookNode:
    """A notebook with a title cell, a goals cell, then one code and one markdown cell
    per ``markdown`` source."""
    cells = [("markdown", "**What you will learn**\n- Fix the note.\n\n"
              "**Prerequisites**: none; runs on CPU in about 3 s.")]
    for source in markdown:
        cells += [("code", "print(1)"), ("markdown", source)]
    nb = make_notebook(cells, params=False, solutions=False)
    nb.cells[0].source = "# 08 · Optimizers · 选择optimizer\n\n[Contents](../README.md)"
    return nb


def entry(stem="08_optimizers", number="08") -> Entry:
    return Entry(stem, number, "Optimizers", "选择optimizer",
                 ["Implement SGD.", "Compare with `torch.optim`."], 12.0)


def test_a_callout_becomes_an_entry_with_its_section():
    nb = tiny("## 2. 动量法 · Momentum\n\nText.", CALLOUT)
    [erratum] = collect_errata(nb, "08_optimizers", "08")
    assert erratum.label == "erratum-08-1"
    assert erratum.section == "2. 动量法 · Momentum"
    assert erratum.text == "the note wrote `torch.optimum`; see `torch.optim`."
    assert (erratum.cell, erratum.line) == (5, 0)


def test_a_notebook_without_callouts_has_no_errata():
    nb = tiny("## 1. SGD\n\n> A quote that is not an erratum.\n\n**Erratum** in prose.")
    assert collect_errata(nb, "08_optimizers", "08") == []


def test_several_callouts_in_one_cell_and_wrapped_lines():
    source = (f"## 1. SGD\n\nText before.\n{CALLOUT}\n> and the line goes on.\n\n"
              "### 1.1 Adam\n\n```\n> **Erratum (勘误)** inside a fence\n```\n\n"
              "> **Erratum (勘误)**: the second one.\n>\n> A new quote paragraph.")
    errata = collect_errata(tiny(source), "08_optimizers", "08")
    assert [(e.ordinal, e.line, e.section) for e in errata] == [
        (1, 3, "1. SGD"), (2, 12, "1.1 Adam")]
    assert errata[0].text.endswith("`torch.optim`. and the line goes on.")
    assert errata[1].text == "the second one."


def test_prepared_notebook_has_anchors_run_box_and_site_links():
    nb = tiny("## 1. SGD\nText right above.\n" + CALLOUT)
    errata = collect_errata(nb, "08_optimizers", "08")
    site_nb = prepare_notebook(nb, "08_optimizers", errata)
    assert nb.cells[0].source.endswith("(../README.md)"), "the original is untouched"
    assert site_nb.cells[0].source.endswith("[Contents](index.md)")
    assert len(site_nb.cells) == len(nb.cells), "no cell added: locations stay true"
    goals, box = site_nb.cells[1].source.split("\n\n:::", 1)
    assert goals == nb.cells[1].source
    assert box.startswith("{admonition} Run this notebook yourself")
    link = "{download}`08_optimizers.ipynb </_ipynb/08_optimizers.ipynb>`"
    assert link in box
    assert "JupyterLab" in box and "make lab" in box
    lines = site_nb.cells[-1].source.splitlines()
    assert lines[2:5] == ["", "(erratum-08-1)=", CALLOUT]


def test_ci_names_the_repository_and_the_run_box_stays_one_message(monkeypatch):
    """The address comes in through a substitution (site/conf.py), so the box's
    words, which the catalogs translate, are the same wherever the site is built."""
    monkeypatch.delenv(build_site.REPO_ENV, raising=False)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "someone/pytorch-notes")
    assert build_site.repository_url() == "https://github.com/someone/pytorch-notes"
    box = build_site.run_box("01_x")
    assert "in a clone of {{ repository }}," in box and "github" not in box


def test_errata_page_links_every_callout_to_its_anchor():
    nb = tiny("## 2. 动量法 · Momentum", CALLOUT, CALLOUT.replace("optimum", "optimus"))
    errata = {"08_optimizers": collect_errata(nb, "08_optimizers", "08"),
              "01_tensors": []}
    entries = [entry("01_tensors", "01"), entry()]
    page = errata_page(entries, errata)
    assert page.startswith("# Errata · 勘误")
    assert "2 errata in 1 of 2 notebooks." in page
    assert "## 08 · Optimizers · 选择optimizer" in page
    assert "## 01" not in page
    assert "1. [2. 动量法 · Momentum](#erratum-08-1) — the note wrote" in page
    assert "2. [2. 动量法 · Momentum](#erratum-08-2) — " in page


def test_errata_page_says_so_when_there_are_none():
    page = errata_page([entry()], {"08_optimizers": []})
    assert "No erratum callouts have been recorded yet." in page
    assert "](#erratum" not in page


def test_course_table_has_number_link_goals_and_cpu_time():
    table = course_table([entry("01_tensors", "01"), entry()])
    assert table.startswith(":::{list-table}") and table.endswith(":::")
    assert "* - 08\n  - [Optimizers](08_optimizers.ipynb)\n\n    选择optimizer" in table
    assert "  - - Implement SGD.\n    - Compare with `torch.optim`.\n  - ~12 s" in table
    no_time = entry()
    no_time.cpu_seconds = None
    assert course_table([no_time]).splitlines()[-2] == "  - —"


def test_landing_page_needs_its_markers():
    template = "# Hi\n<!-- course-table -->\n<!-- course-toctree -->"
    page = build_site.landing_page(template, [entry()])
    assert "[Optimizers](08_optimizers.ipynb)" in page
    toctree = "```{toctree}\n:hidden:\n:caption: Course · 课程\n\n08_optimizers\n```"
    assert toctree in page
    with pytest.raises(ValueError, match="course-toctree"):
        build_site.landing_page("<!-- course-table -->", [entry()])


def test_assemble_writes_sources_and_keeps_the_original_for_download(tmp_path):
    notebooks, site = tmp_path / "notebooks", tmp_path / "site"
    notebooks.mkdir()
    site.mkdir()
    (site / "index.md").write_text("<!-- course-table -->\n<!-- course-toctree -->")
    (site / "conf.py").write_text("")
    nb = tiny("## 1. SGD", CALLOUT)
    nbformat.write(nb, notebooks / "08_optimizers.ipynb")
    nbformat.write(tiny("## 1. x"), notebooks / "notes.ipynb")  # not a course notebook
    entries, n_errata = build_site.assemble(notebooks, site, tmp_path / "src")
    src = tmp_path / "src"
    assert [e.stem for e in entries] == ["08_optimizers"] and n_errata == 1
    assert sorted(p.name for p in src.iterdir()) == [
        "08_optimizers.ipynb", "_ipynb", "conf.py", "errata.md", "index.md"]
    assert (src / "_ipynb" / "08_optimizers.ipynb").read_bytes() == \
        (notebooks / "08_optimizers.ipynb").read_bytes()
    assert "(erratum-08-1)=" in (src / "08_optimizers.ipynb").read_text()
    assert "erratum-08-1" in (src / "errata.md").read_text()


def test_errata_link_text_keeps_code_and_escapes_stray_brackets():
    nb = tiny("## 1.3 `x[0]` and the `*_like` family [sic", CALLOUT)
    page = errata_page([entry()], {"08_optimizers": collect_errata(nb, "08_optimizers",
                                                                   "08")})
    assert r"1. [1.3 `x[0]` and the `*_like` family \[sic](#erratum-08-1)" in page


def test_a_notebook_without_its_title_fails_with_its_name(tmp_path, capsys):
    (tmp_path / "site").mkdir()
    nb = tiny("## 1. x")
    nb.cells[0].source = "# Optimizers without a number"
    nbformat.write(nb, tmp_path / "08_optimizers.ipynb")
    args = ["--notebooks", tmp_path, "--site", tmp_path / "site",
            "--src", tmp_path / "src", "--out", tmp_path / "out"]
    status = build_site.main([str(arg) for arg in args])
    assert status == 1
    assert "site build FAILED: 08_optimizers.ipynb" in capsys.readouterr().err


def test_solutions_are_folded_on_the_site_and_nothing_else_is():
    nb = make_notebook([("code", "print(0)")])
    site_nb = prepare_notebook(nb, "42_tiny", [])
    folded = [i for i, c in enumerate(site_nb.cells)
              if "hide-input" in c.metadata.get("tags", [])]
    assert folded == [len(nb.cells) - 3, len(nb.cells) - 2, len(nb.cells) - 1]
    assert all(c.metadata["tags"] == ["solution", "hide-input"]
               for c in site_nb.cells[-3:])
    prompts = [c.metadata["mystnb"]["code_prompt_show"] for c in site_nb.cells[-3:]]
    assert prompts == [f"Show the solution to exercise {n}" for n in (1, 2, 3)]
    assert nb.cells[-1].metadata["tags"] == ["solution"], "the original is untouched"
