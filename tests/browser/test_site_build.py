"""The site's build is strict: a broken link between pages fails it (real conf.py).

Run with the browser check (``make browser``), not in the fast unit run: it starts
Sphinx on a tiny two-notebook site, which takes a few seconds.
"""

from __future__ import annotations

import nbformat
import pytest

from ci import build_site

# Sphinx runs in this process, and the theme and MyST still use APIs that a later
# Sphinx removes: its pending-deprecation notices are not this test's business.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*Check CHANGES for Sphinx API modifications")


def notebook(number: str, title: str, body: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {number} · {title} · 标题\n\n"
                                      "[Contents](../README.md)"),
        nbformat.v4.new_markdown_cell("**What you will learn**\n- Link pages.\n\n"
                                      "runs on CPU in about 3 s"),
        nbformat.v4.new_markdown_cell(f"## 1. 链接 · Links\n\n{body}\n\n"
                                      "> **Erratum (勘误)** — the note wrote `x`."),
    ]
    return nb


def build(tmp_path, second_body: str) -> int:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(notebook("01", "One", "Math $a^2$ and [next](02_two.ipynb)."),
                   folder / "01_one.ipynb")
    nbformat.write(notebook("02", "Two", second_body), folder / "02_two.ipynb")
    return build_site.main(["--notebooks", str(folder), "--src", str(tmp_path / "src"),
                            "--out", str(tmp_path / "out"), "--languages", "en"])


def test_broken_links_between_pages_fail_the_build(tmp_path, capfd):
    body = ("[gone](03_gone.ipynb), [no heading](01_one.ipynb#no-such-heading) "
            "and [no label](#erratum-09-1).")
    assert build(tmp_path, body) == 1
    err = capfd.readouterr().err
    warnings = [line for line in err.splitlines() if "WARNING" in line]
    assert len(warnings) == 3, err
    for target in ("03_gone.ipynb", "no-such-heading", "erratum-09-1"):
        assert any(target in line for line in warnings), (target, err)
    assert "site build FAILED" in err


def test_the_same_site_with_good_links_builds(tmp_path, capfd):
    body = ("[one](01_one.ipynb), [its section](01_one.ipynb#1-链接--links), "
            "[its erratum](#erratum-01-1).")
    assert build(tmp_path, body) == 0, capfd.readouterr().err
    page = (tmp_path / "out" / "02_two.html").read_text(encoding="utf-8")
    assert 'href="01_one.html#erratum-01-1"' in page
    errata = (tmp_path / "out" / "errata.html").read_text(encoding="utf-8")
    assert 'href="02_two.html#erratum-02-1"' in errata


def chinese_build(tmp_path, heading: str, more: dict[str, str] | None = None,
                  languages: tuple[str, ...] = ("zh_CN",)) -> int:
    """Build the tiny site's Chinese edition, its 01_one.po translating one heading
    (and the ``more`` messages)."""
    import shutil

    from ci import translations

    site = tmp_path / "site"
    shutil.copytree(build_site.SITE, site, ignore=shutil.ignore_patterns("locale"))
    folder = site / "locale" / translations.LANGUAGE / "LC_MESSAGES"
    catalog = translations.Catalog(locale=translations.LANGUAGE)
    catalog.add("1. 链接 · Links", heading)
    for msgid, msgstr in (more or {}).items():
        catalog.add(msgid, msgstr)
    translations.write_catalog(folder / "01_one.po", catalog)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(notebook("01", "One", "Math $a^2$."), notebooks / "01_one.ipynb")
    return build_site.main(["--notebooks", str(notebooks), "--site", str(site),
                            "--src", str(tmp_path / "src"),
                            "--out", str(tmp_path / "out"), "--languages", *languages])


def test_the_chinese_edition_shows_the_translation(tmp_path, capfd):
    assert chinese_build(tmp_path, "1\\. 链接") == 0, capfd.readouterr().err
    page = (tmp_path / "out" / "zh_CN" / "01_one.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN"' in page and "<h2>1. 链接<a" in page
    assert 'href="../01_one.html" hreflang="en"' in page  # the English page's link


def test_a_translation_the_page_cannot_use_fails_the_build(tmp_path, capfd):
    """Unescaped, "1. 链接" is a numbered list: Sphinx would keep the English."""
    assert chinese_build(tmp_path, "1. 链接") == 1
    err = capfd.readouterr().err
    assert "the catalog translates this message but the page kept the English" in err
    assert "1. 链接 · Links" in err


def test_the_run_box_links_the_repository_in_both_languages(tmp_path, monkeypatch):
    """CI names the repository: both editions link it, in their own words, from
    the one message the catalog translates."""
    monkeypatch.setenv(build_site.REPO_ENV, "https://github.com/someone/pytorch-notes")
    english = next(line for line in build_site.run_box("01_one").splitlines()
                   if "clone of" in line)[2:]
    chinese = ("**在 JupyterLab 中打开**：在{{ repository }}的克隆中运行 `make lab`，"
               "它会建好 `.venv` 并在 `notebooks/` 上打开 JupyterLab；在那里打开 "
               "`01_one.ipynb`，选择 *Run › Run All Cells*。")
    languages = ("en", "zh_CN")
    assert chinese_build(tmp_path, "1\\. 链接", {english: chinese}, languages) == 0
    link = '<a class="reference external" href="https://github.com/someone/pytorch-notes">'
    assert f"{link}the repository</a>" in (tmp_path / "out" / "01_one.html").read_text()
    page = (tmp_path / "out" / "zh_CN" / "01_one.html").read_text(encoding="utf-8")
    assert f"在{link}仓库</a>的克隆中" in page
