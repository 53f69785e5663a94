"""The Chinese edition's catalogs: the completeness check refuses what is missing,
fuzzy, stale or broken, and ``update`` merges, marks and fills in as documented."""

from __future__ import annotations

import nbformat
import pytest
from babel.messages.catalog import Catalog

from ci import translations as tr

LEARN = "Create tensors with `torch.tensor` and see [the docs](https://pytorch.org)."
ERRATUM = "**Erratum (勘误)** — the note wrote `ones` is \"单位矩阵\"; it is `eye`."
HEADING = "1.3 Factory functions"
GOOD = {
    LEARN: "用 `torch.tensor` 创建张量，并参阅[文档](https://pytorch.org)。",
    ERRATUM: "**勘误 (Erratum)** — 原笔记说 `ones` 是“单位矩阵”；其实是 `eye`。",
    HEADING: "1.3 工厂函数",
}


def template(*msgids: str) -> Catalog:
    catalog = Catalog()
    for msgid in msgids:
        catalog.add(msgid)
    return catalog


def po(folder, page: str, translated: dict[str, str], fuzzy: tuple[str, ...] = ()):
    catalog = Catalog(locale=tr.LANGUAGE)
    for msgid, msgstr in translated.items():
        catalog.add(msgid, msgstr, flags=["fuzzy"] if msgid in fuzzy else [])
    tr.write_catalog(folder / f"{page}.po", catalog)


def problems(folder, templates) -> list[str]:
    return [str(problem) for problem in tr.check(templates, folder)]


def test_a_complete_catalog_passes(tmp_path):
    po(tmp_path, "01_tensors", GOOD)
    assert problems(tmp_path, {"01_tensors": template(*GOOD)}) == []


def test_an_untranslated_message_is_named_with_its_catalog(tmp_path):
    po(tmp_path, "01_tensors", {**GOOD, HEADING: ""})
    found = problems(tmp_path, {"01_tensors": template(*GOOD)})
    assert found == [f'{tmp_path}/01_tensors.po: untranslated: "{HEADING}"']


def test_a_fuzzy_message_fails_even_when_translated(tmp_path):
    po(tmp_path, "01_tensors", GOOD, fuzzy=(HEADING,))
    found = problems(tmp_path, {"01_tensors": template(*GOOD)})
    assert len(found) == 1, found
    assert "01_tensors.po: fuzzy" in found[0] and HEADING in found[0]


def test_a_stale_catalog_fails_both_ways(tmp_path):
    """The page gained a message the catalog lacks, and lost one the catalog has."""
    po(tmp_path, "01_tensors", GOOD)
    new = "A paragraph the English page gained."
    found = problems(tmp_path, {"01_tensors": template(LEARN, ERRATUM, new)})
    assert any("lacks" in p and new in p for p in found), found
    assert any("no longer has" in p and HEADING in p for p in found), found
    assert len(found) == 2


def test_a_missing_catalog_and_a_catalog_without_a_page_fail(tmp_path):
    po(tmp_path, "01_tensors", GOOD)
    po(tmp_path, "99_gone", {"Old text here.": "旧文本。"})
    templates = {"01_tensors": template(*GOOD), "index": template("Hi there")}
    found = problems(tmp_path, templates)
    assert any(p.startswith(f"{tmp_path}/index.po: no catalog") for p in found), found
    assert any(p.startswith(f"{tmp_path}/99_gone.po: catalog of a page") for p in found)


@pytest.mark.parametrize(("english", "chinese", "lost"), [
    ("See [the docs](https://pytorch.org) now.", "见[文档](https://pytorch.orgx)。",
     "link target"),
    ("See [the docs](01_tensors.ipynb) now.", "见文档。", "link target"),
    ("Use `x.view(2, 3)` here.", "这里用 `x.view(3, 2)`。", "code span"),
    ("**Download** {download}`a.ipynb <a.ipynb>` here.",
     "**下载** `a.ipynb <a.ipynb>`。", "role"),
    ("The rate is $\\eta_t$ at step $t$.", "第 t 步的学习率是 $\\eta_t$。", "math"),
    ("The rate is $\\eta_t$ here.", "学习率是 $\\eta_t 。", "math"),
    ("The rate is **not** fixed.", "学习率**不是固定的。", "bold"),
    (ERRATUM, "**勘误** — 原笔记说 `ones` 是“单位矩阵”；其实是 `eye`。",
     "erratum callout"),
    ("In a clone of {{ repository }} run it.", "在仓库的克隆中运行。", "substitution"),
    ("2. Model · 模型", "2. 模型", "escape it: `2\\.`"),
    ("- A list item here.", "- 列表项。", "escape it: `\\-`"),
])
def test_a_translation_that_breaks_markup_fails(tmp_path, english, chinese, lost):
    po(tmp_path, "01_tensors", {english: chinese})
    found = problems(tmp_path, {"01_tensors": template(english)})
    assert len(found) == 1 and "markup" in found[0] and lost in found[0], found


def test_markup_may_move_within_the_sentence():
    english = "Call `backward()` on `loss`, then read [the grad](#grad) and $g$."
    chinese = "读取 $g$ 和[梯度](#grad)之前，先在 `loss` 上调用 `backward()`。"
    assert tr.markup_problems(english, chinese) == []


def test_a_copied_translation_that_differs_from_its_source_fails(tmp_path):
    """A course goal appears on the landing page too: the notebook's catalog rules."""
    po(tmp_path, "01_tensors", GOOD)
    po(tmp_path, "index", {LEARN: "用 `torch.tensor` 建张量，见[文档](https://pytorch.org)。"})
    templates = {"01_tensors": template(*GOOD), "index": template(LEARN)}
    found = problems(tmp_path, templates)
    assert found == [f'{tmp_path}/index.po: differs from its source 01_tensors.po (run '
                     f'make translations): "{LEARN}"']


def test_update_merges_marks_changes_and_fills_in(tmp_path):
    """New: untranslated; changed: old translation kept, fuzzy, previous English;
    removed: gone; and the messages a translator need not write are filled in."""
    changed = "1.3 Factory functions: `zeros` and `ones`"
    run_box = "**Download** {download}`01_tensors.ipynb </_ipynb/01_tensors.ipynb>`."
    po(tmp_path, "01_tensors", {**GOOD, "Removed text here.": "删掉的文字。",
                                 run_box: "**下载** {download}`01_tensors.ipynb "
                                          "</_ipynb/01_tensors.ipynb>`。"})
    entry = f"[{HEADING}](#erratum-01-1) — " + ERRATUM.split(" — ", 1)[1]
    templates = {
        "01_tensors": template(LEARN, ERRATUM, HEADING, changed,
                               "Brand new prose here.", run_box),
        "02_mlp": template(run_box.replace("01_tensors", "02_mlp"),
                           "$$x^2 + \\text{y}$$"),
        "errata": template(entry),
        "index": template(LEARN, "01"),
    }
    counts = tr.update(templates, tmp_path)
    catalogs = {page: tr.read_catalog(tmp_path / f"{page}.po") for page in templates}
    first = {m.id: m for m in catalogs["01_tensors"] if m.id}
    assert "Removed text here." not in first
    assert first["Brand new prose here."].string == ""
    assert first[changed].fuzzy and first[changed].string == GOOD[HEADING]
    assert first[changed].previous_id == [HEADING]
    assert "#| msgid \"1.3 Factory functions\"" in \
        (tmp_path / "01_tensors.po").read_text(encoding="utf-8")
    assert counts["01_tensors"] == {"done": 4, "fuzzy": 1, "empty": 1}
    # A second update keeps the mark and the previous English (Babel's reader drops
    # `#| msgid`; read_catalog restores it).
    before = (tmp_path / "01_tensors.po").read_text(encoding="utf-8")
    tr.update(templates, tmp_path)
    assert (tmp_path / "01_tensors.po").read_text(encoding="utf-8") == before
    second = tr.messages(catalogs["02_mlp"])
    assert second == {run_box.replace("01_tensors", "02_mlp"): "**下载** {download}"
                      "`02_mlp.ipynb </_ipynb/02_mlp.ipynb>`。",
                      "$$x^2 + \\text{y}$$": "$$x^2 + \\text{y}$$"}
    assert tr.messages(catalogs["errata"]) == {
        entry: "[1.3 工厂函数](#erratum-01-1) — "
               "原笔记说 `ones` 是“单位矩阵”；其实是 `eye`。"}
    assert tr.messages(catalogs["index"]) == {LEARN: GOOD[LEARN], "01": "01"}
    # The filled-in catalogs pass, except for what a translator still has to do.
    left = problems(tmp_path, templates)
    assert len(left) == 2 and "fuzzy" in left[0] and "untranslated" in left[1], left


def test_messages_without_prose_need_no_translator():
    assert not tr.needs_translator("$$x_i = \\text{start} + i \\cdot \\frac{a}{b}$$")
    assert not tr.needs_translator("`torch.zeros(2, 3)`, `x.shape`")
    assert not tr.needs_translator("~8 s")
    assert tr.needs_translator("The `steps` argument counts points.")
    assert tr.needs_translator("[Tensors](01_tensors.ipynb)")


def test_translate_markdown_keeps_each_blocks_prefix_and_reports_the_rest():
    source = "\n".join([
        "## 1.3 Factory functions", "",
        "Create tensors with `torch.tensor` and see",
        "[the docs](https://pytorch.org).", "",
        "- Create tensors with `torch.tensor` and see [the docs](https://pytorch.org).",
        "", "> **Erratum (勘误)** — the note wrote `ones` is \"单位矩阵\";",
        "> it is `eye`.", "",
        "| Name | Value |", "|---|---|", "| 1.3 Factory functions | `x` |", "",
        "$$x^2$$", "", "Back to [Contents](../README.md).", "",
        "A paragraph nobody translated yet.",
    ])
    table = {**GOOD,
             "Back to [Contents](index.md).": "回到[目录](index.md)。"}
    links = ("](../README.md)", "](index.md)")
    text, missing = tr.translate_markdown(source, table, links)
    lines = text.split("\n")
    assert lines[0] == "## 1.3 工厂函数"
    assert lines[2] == GOOD[LEARN]
    assert f"- {GOOD[LEARN]}" in lines
    assert f"> {GOOD[ERRATUM]}" in lines and "> it is `eye`." not in lines
    assert "| 1.3 工厂函数 | `x` |" in lines and "| Name | Value |" in lines
    assert "$$x^2$$" in lines and "回到[目录](../README.md)。" in lines
    assert missing == ["Name", "Value", "A paragraph nobody translated yet."]


def test_the_chinese_notebook_changes_markdown_only(tmp_path):
    from ci.build_site import translate_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"## {HEADING}\n\n{LEARN}"),
                nbformat.v4.new_code_cell("x = 1  # 1.3 Factory functions")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text=HEADING)]
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    po(folder, "01_tensors", GOOD)
    chinese = translate_notebook(nb, "01_tensors", tmp_path / "zh_CN")
    assert chinese.cells[0].source == f"## {GOOD[HEADING]}\n\n{GOOD[LEARN]}"
    assert chinese.cells[1] == nb.cells[1]
    assert nb.cells[0].source.startswith("## 1.3 Factory")  # the original is untouched


def test_the_theme_catalog_keeps_the_labels_gettext_cannot_see(tmp_path):
    """sphinx.po: our templates' labels (extracted) plus the theme's own (kept)."""
    po(tmp_path, tr.THEME, {"Toggle primary sidebar": "显示或隐藏导航栏",
                            "System Settings": "跟随系统"})
    templates = {tr.THEME: template("Toggle primary sidebar")}
    tr.update(templates, tmp_path)
    kept = tr.messages(tr.read_catalog(tmp_path / f"{tr.THEME}.po"))
    assert kept == {"Toggle primary sidebar": "显示或隐藏导航栏",
                    "System Settings": "跟随系统", "Color mode": ""}
    assert problems(tmp_path, templates) == [
        f'{tmp_path}/{tr.THEME}.po: untranslated: "Color mode"']


def test_a_message_without_prose_replaces_a_fuzzy_guess(tmp_path):
    """Babel's fuzzy match guesses a translation for a new table cell of code from a
    similar old one; a message with no prose is its own translation instead."""
    old = "`x.grad`, `requires_grad=True`"
    new = "`x.requires_grad`, `requires_grad=True`"
    po(tmp_path, "glossary", {old: old})
    templates = {"glossary": template(new)}
    tr.update(templates, tmp_path)
    assert tr.messages(tr.read_catalog(tmp_path / "glossary.po")) == {new: new}
    assert problems(tmp_path, templates) == []
