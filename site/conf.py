"""Sphinx configuration of the pytorch-notes site, built by ``python -m ci.build_site``.

``ci/build_site.py`` assembles the source folder (this file, the hand-written pages, the
notebooks and the generated pages) under ``build/site_src/`` and runs Sphinx there with
warnings as errors. The notebooks are not executed again: their committed outputs are
what nbval verified. The site is offline by construction: MathJax comes from the pinned
``sphinx-mathjax-offline`` wheel and is served from ``_static/mathjax/``.
"""

from __future__ import annotations

import os
import re
import shutil
from importlib.metadata import distribution
from pathlib import Path

project = "PyTorch Notes"
author = "the pytorch-notes authors (MIT License)"
language = "en"  # the Chinese edition: -D language=zh_CN (ci.build_site --language)

# Translations: one catalog a page, site/locale/zh_CN/LC_MESSAGES/<page>.po, kept by
# `make translations` (ci/translations.py) from the templates `sphinx-build -b gettext`
# extracts. No source locations in the catalogs: they would change with every edit.
locale_dirs = ["locale"]
gettext_compact = False
gettext_location = False
gettext_uuid = False
gettext_additional_targets = []  # code, outputs and math stay as they are

extensions = ["myst_nb"]
nb_execution_mode = "off"  # outputs are committed and verified by nbval
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "substitution"]
myst_dmath_double_inline = True  # `$$...$$` inside a paragraph is display math too
myst_heading_anchors = 4  # `[...](05_gru.ipynb#1-门控-gates)` links resolve

root_doc = "index"
exclude_patterns = ["_ipynb", "**/.ipynb_checkpoints"]
nitpicky = True  # a broken cross-reference is a warning, and warnings are errors

html_theme = "sphinx_book_theme"
html_title = "PyTorch Notes · PyTorch 笔记"
html_static_path = ["_static"]
templates_path = ["_templates"]
html_css_files = ["custom.css"]
html_favicon = "_static/favicon.svg"
html_copy_source = False  # the .ipynb download comes from the page's own link
html_show_sourcelink = False
html_last_updated_fmt = None
html_show_copyright = False  # the footer says "By the authors (MIT License)"
html_context = {"default_mode": "auto"}  # light or dark as the reader's system prefers
html_theme_options = {
    "article_header_end": ["language-switch.html", "article-header-buttons.html"],
    "home_page_in_toc": False,  # the site title above the menu leads home
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
}
REPOSITORY = os.environ.get("PYTORCH_NOTES_REPO_URL")  # set by ci.build_site in CI
if REPOSITORY:
    html_theme_options |= {"repository_url": REPOSITORY, "use_repository_button": True}
# "{{ repository }}" in the run box of every notebook page (ci.build_site.run_box).
REPOSITORY_TEXT = {"en": "the repository", "zh_CN": "仓库"}


def repository_substitution(language: str) -> dict[str, str]:
    """The words for the repository, a link to it where CI names it."""
    text = REPOSITORY_TEXT[language]
    return {"repository": f"[{text}]({REPOSITORY})" if REPOSITORY else text}


myst_substitutions = repository_substitution(language)

# The two editions: English at the site's root, Chinese in zh_CN/ (ci.build_site builds
# both). Every page links to the same page in the other edition (_templates/
# language-switch.html).
EDITIONS = {"en": ("", "English"), "zh_CN": ("zh_CN/", "中文")}

# Chinese search: jieba cuts the text into words; the glossary's Chinese terms are added
# to its dictionary, so 学习率 and 门控循环单元 are one word each.
GLOSSARY_TERM_RE = re.compile(r"^\|\s*([^|`]+?)\s*\|", re.MULTILINE)


def glossary_terms(glossary: Path) -> list[str]:
    """Each Chinese term of the glossary's first column (``权重 · 偏置`` and
    ``轮（轮次）`` give two terms each)."""
    terms: list[str] = []
    for cell in GLOSSARY_TERM_RE.findall(glossary.read_text(encoding="utf-8")):
        for term in re.split(r"[·（）()]", cell):
            term = term.strip()
            if re.fullmatch(r"[\u4e00-\u9fff]{2,}", term) and term not in terms:
                terms.append(term)
    return terms


def chinese_edition(app, config) -> None:
    """In the Chinese edition, add the glossary's terms to jieba's dictionary and give
    the search box a Chinese placeholder (the theme's other labels come translated)."""
    if not config.language.startswith("zh"):
        return
    config.html_theme_options = {**config.html_theme_options,
                                 "search_bar_text": "搜索……"}
    config.myst_substitutions = repository_substitution(config.language)
    reuse_default_settings()
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict..." on every build
    terms = Path(app.doctreedir) / "search_terms_zh.txt"  # jieba's user dictionary
    terms.parent.mkdir(parents=True, exist_ok=True)
    words = glossary_terms(Path(app.confdir) / "glossary.md")
    terms.write_text("".join(f"{word}\n" for word in words), encoding="utf-8")
    config.html_search_options = {"dict": str(terms)}

# MathJax 3 (SVG output: no font files at all), from the pinned wheel, served locally.
MATHJAX_DIST = "sphinx-mathjax-offline"
MATHJAX_BUNDLE = "tex-svg.js"
# The bundle, the TeX packages it may autoload, and what its context menu loads lazily.
MATHJAX_PARTS = [MATHJAX_BUNDLE, "input/tex/extensions", "ui", "a11y",
                 "sre/mathmaps/base.json", "sre/mathmaps/en.json"]
mathjax_path = f"mathjax/{MATHJAX_BUNDLE}"
mathjax3_config = {"svg": {"fontCache": "global"}}


def mathjax_source() -> Path:
    """Return the folder of MathJax files shipped by the pinned wheel."""
    folder = Path(str(distribution(MATHJAX_DIST).locate_file(
        f"{MATHJAX_DIST}/static/mathjax")))
    if not (folder / MATHJAX_BUNDLE).is_file():
        raise RuntimeError(f"{folder / MATHJAX_BUNDLE} is missing: "
                           f"reinstall {MATHJAX_DIST} (make setup)")
    return folder


def copy_mathjax(app, exception) -> None:
    """Copy the MathJax parts the site uses into ``_static/mathjax`` of the output."""
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def trim_output(app, exception) -> None:
    """Drop what no reader requests: the theme's source maps, an empty ``_sources``."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    for source_map in (out / "_static").rglob("*.map"):
        source_map.unlink()
    sources = out / "_sources"
    if sources.is_dir() and not any(sources.iterdir()):
        sources.rmdir()


def reuse_default_settings() -> None:
    """Cache docutils' default settings for MyST (the Chinese edition builds 4 s
    faster). Sphinx re-parses every translated message as a document of its own, and
    MyST's renderer builds a throwaway document each time, default settings (a fresh
    OptionParser) included, even when it is handed one (``options.get("document",
    make_document())``): 1,500 messages, 1,500 OptionParsers. Each caller gets a
    copy, so no document shares another's settings."""
    import copy
    import functools

    from myst_parser.mdit_to_docutils import base

    cached = functools.cache(base.get_default_settings)
    base.get_default_settings = lambda *components: copy.copy(cached(*components))


def fix_chinese_stemmer(app) -> None:
    """Make the Chinese search page work under Sphinx 9.0: it names the JavaScript
    stemmer after the language ("ChineseStemmer"), but Chinese search ships the English
    one, so every search ends in "ChineseStemmer is not defined" (sphinx-doc/sphinx
    #14229, fixed in #14416 by taking the name from the stemmer's file). The subclass
    gives the name the JavaScript defines; a Sphinx with the fix ignores it."""
    from sphinx.search.zh import SearchChinese

    class SearchChineseEnglishStemmer(SearchChinese):
        language_name = "English"  # window.Stemmer = EnglishStemmer

    app.add_search_language(SearchChineseEnglishStemmer)


def translations_applied(app, doctree) -> None:
    """Warn (an error under -W) where a page's catalog translates a message but the
    page kept the English: Sphinx drops a translation it cannot parse as one paragraph
    (a heading "2. 模型" reads as a list) without a word."""
    if app.config.language == "en":
        return
    from sphinx import addnodes, locale
    from sphinx.util import logging
    from sphinx.util.i18n import docname_to_domain
    from sphinx.util.nodes import extract_messages

    domain = docname_to_domain(app.env.docname, app.config.gettext_compact)
    dirs = [Path(app.srcdir) / folder for folder in app.config.locale_dirs]
    catalog, found = locale.init(dirs, app.config.language, domain)
    if not found:
        return
    for node, message in extract_messages(doctree):
        if isinstance(node, addnodes.translatable):  # a toctree caption: translated
            continue                                  # in place, never marked
        if not node.get("translated") and catalog.gettext(message) not in ("", message):
            logging.getLogger(__name__).warning(
                "the catalog translates this message but the page kept the English: "
                "%r", message[:80], location=node)


def other_editions(app, pagename, templatename, context, doctree) -> None:
    """Give the page's template the links to the same page in the other editions."""
    here = app.config.language
    root = "../" * pagename.count("/") + ("../" if EDITIONS[here][0] else "")
    context["other_editions"] = [
        {"href": f"{root}{prefix}{pagename}.html", "label": label,
         "lang": code.replace("_", "-")}
        for code, (prefix, label) in EDITIONS.items() if code != here]


def setup(app) -> None:
    """Fail early when MathJax is absent; ship it with every build; trim the output;
    link every page to its other editions."""
    mathjax_source()
    app.connect("html-page-context", other_editions)
    app.connect("doctree-read", translations_applied)
    app.connect("config-inited", chinese_edition)
    fix_chinese_stemmer(app)
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", trim_output)
