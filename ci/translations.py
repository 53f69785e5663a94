"""The Chinese edition's catalogs: a ``.po`` a page, ``site/locale/zh_CN/LC_MESSAGES/``.

    python -m ci.translations update    # make translations: after an English change
    python -m ci.translations check     # in make test: fails when anything is missing
    python -m ci.translations stats     # messages and translated ones, per page

The English pages are the one source. ``update`` assembles them as the site build does
(``ci.build_site.assemble``), extracts their messages with Sphinx's gettext builder into
``build/gettext/<page>.pot`` and merges each template into its catalog with Babel (the
merge msgmerge and sphinx-intl do): a new message comes in untranslated; a changed one
keeps its old translation, marked fuzzy, with the previous English beside it
(``#| msgid``); a removed one goes. Then it fills in what needs no translator:

- the same English message in a notebook's catalog (a goal in the landing page's course
  table) or the same message about another notebook's own file (the run box every
  notebook page has): that translation, copied;
- a message with no prose (display math, a number, code alone): the message itself;
- an entry of the errata page: the translations of its heading and of its callout.

``check`` extracts the templates afresh and fails, naming the catalog and the English
message, on a missing catalog, a stale one (messages the pages no longer have, or lack),
an untranslated or fuzzy message, a translation that loses markup (a code span, a link
target, a role, a substitution, a math span, bold) or starts like a list or heading
(Sphinx would drop it), an erratum callout without its Chinese mark, and a copied
translation that differs from its source.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import denormalize, read_po, write_po

from ci.catalog import NOTEBOOKS, ROOT

SITE = ROOT / "site"
BUILD = ROOT / "build"
LANGUAGE = "zh_CN"
LOCALE = SITE / "locale"
CATALOGS = LOCALE / LANGUAGE / "LC_MESSAGES"
ERRATUM_MARK = "**Erratum (勘误)**"
ERRATUM_MARK_ZH = "**勘误 (Erratum)**"
# sphinx.po: the labels of the templates (site/_templates, which gettext extracts into
# sphinx.pot) and these of the theme's own templates, which it does not scan and whose
# catalogs lack them.
THEME = "sphinx"
THEME_ONLY = ("System Settings", "Color mode")
SITE_PAGES = ("index", "errata", "glossary")  # after the notebooks, the copies' sources

CODE_RE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
ROLE_RE = re.compile(r"\{[a-z][\w:-]*\}(?=`)")
SUBSTITUTION_RE = re.compile(r"\{\{\s*\w+\s*\}\}")  # MyST: {{ repository }}
LINK_TARGET_RE = re.compile(r"\]\(\s*([^)\s]*)\s*\)")
MATH_RE = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.DOTALL)
TEX_COMMAND_RE = re.compile(r"\\[A-Za-z]+(\{[^{}]*\})?")
WORD_RE = re.compile(r"[A-Za-z]{3,}")
# Sphinx parses a translation as Markdown and keeps it only if it is one paragraph: a
# heading "2. 模型" would be a numbered list (and stay English); "2\. 模型" is not.
BLOCK_START_RE = re.compile(r"^(\d+)([.)])(?=\s)|^[-+*>#](?=\s)")
ERRATA_ENTRY_RE = re.compile(r"^\[(?P<heading>.+)\]\((?P<target>#erratum-\d\d-\d+)\) — "
                             r"(?P<text>.+)$", re.DOTALL)


def read_catalog(path: Path) -> Catalog:
    """Read a ``.po`` or ``.pot`` file, with the previous English (``#| msgid``) of
    each fuzzy message, which Babel's reader skips."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=LANGUAGE if path.suffix == ".po" else None)
    for message in catalog:  # Babel reads `#| msgid` lines as translator comments
        message.user_comments = [c for c in message.user_comments
                                 if not c.startswith("|")]
    for msgid, previous in _previous_ids(path.read_text(encoding="utf-8")).items():
        if (message := catalog.get(msgid)) is not None and message.fuzzy:
            message.previous_id = [previous]
    return catalog


def _previous_ids(text: str) -> dict[str, str]:
    """Return ``{msgid: previous msgid}`` from a PO file's ``#| msgid`` comments."""
    found: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("#| msgid "):
            i += 1
            continue
        previous = [lines[i].removeprefix("#| msgid ")]
        i += 1
        while i < len(lines) and lines[i].startswith('#| "'):
            previous.append(lines[i].removeprefix("#| "))
            i += 1
        while i < len(lines) and not lines[i].startswith("msgid "):
            i += 1
        if i == len(lines):
            break
        current = [lines[i].removeprefix("msgid ")]
        i += 1
        while i < len(lines) and lines[i].startswith('"'):
            current.append(lines[i])
            i += 1
        found[denormalize("\n".join(current))] = denormalize("\n".join(previous))
    return found


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Write a catalog without line wrapping (one line a message: short diffs)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, no_location=True, ignore_obsolete=True,
             include_previous=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def extract_templates(out: Path = BUILD / "gettext", notebooks: Path = NOTEBOOKS,
                      site: Path = SITE) -> dict[str, Catalog]:
    """Assemble the English pages and extract their messages: ``{page: template}``."""
    from sphinx.cmd.build import build_main

    from ci.build_site import assemble

    src = out.parent / f"{out.name}_src"
    assemble(notebooks, site, src, language="en")
    if out.exists():
        shutil.rmtree(out)
    status = build_main(["-b", "gettext", "-W", "--keep-going", "-q", "-E",
                         "-d", str(out.parent / f"{out.name}_doctrees"),
                         str(src), str(out)])
    if status:
        raise SystemExit(f"sphinx-build -b gettext failed (exit {status})")
    return {path.stem: read_catalog(path) for path in sorted(out.glob("*.pot"))}


def messages(catalog: Catalog) -> dict[str, str]:
    """Return ``{English: translation}`` of a catalog (header and obsolete left out)."""
    return {m.id: m.string for m in catalog if m.id}


def needs_translator(msgid: str) -> bool:
    """Whether a message has prose in it: a word of three letters outside code/math."""
    text = MATH_RE.sub(" ", CODE_RE.sub(" ", msgid))
    text = LINK_TARGET_RE.sub("]", TEX_COMMAND_RE.sub(" ", text))
    return bool(WORD_RE.search(text))


def page_order(pages: Iterable[str]) -> list[str]:
    """Notebook pages first (the sources of copies), then the site's own pages."""
    return sorted(pages, key=lambda page: (page in SITE_PAGES, page))


def memory(catalogs: dict[str, Catalog]) -> dict[str, tuple[str, str]]:
    """Return ``{key: (page, translation)}`` of every finished translation, where the
    key is the English with the page's own notebook name replaced by ``{stem}``; the
    first page in :func:`page_order` that has a message is its source."""
    found: dict[str, tuple[str, str]] = {}
    for page in page_order(catalogs):
        for message in catalogs[page]:
            if message.id and message.string and not message.fuzzy:
                found.setdefault(_key(message.id, page),
                                 (page, _key(message.string, page)))
    return found


def _key(msgid: str, page: str) -> str:
    return msgid.replace(page, "{stem}") if re.match(r"\d\d_", page) else msgid


def derived(msgid: str, page: str, known: dict[str, tuple[str, str]]) -> \
        tuple[str, str] | None:
    """Return ``(source page, translation)`` of a message a translator need not write:
    a copy of the same message elsewhere, an errata entry, a message without prose."""
    if page == "errata" and (entry := ERRATA_ENTRY_RE.match(msgid)):
        heading = known.get(entry["heading"])
        callout = known.get(f"{ERRATUM_MARK} — {entry['text']}")
        if heading and callout and callout[1].startswith(ERRATUM_MARK_ZH):
            text = callout[1][len(ERRATUM_MARK_ZH):].lstrip(" —")
            return callout[0], f"[{heading[1]}]({entry['target']}) — {text}"
        return None
    if (source := known.get(_key(msgid, page))) and source[0] != page:
        stem = page if re.match(r"\d\d_", page) else source[0]
        return source[0], source[1].replace("{stem}", stem)
    if not needs_translator(msgid):
        return "(no prose)", msgid
    return None


def update(templates: dict[str, Catalog],
           folder: Path = CATALOGS) -> dict[str, Counter]:
    """Merge each template into its catalog, fill in the derived messages, write the
    catalogs, and return per page the counts of translated, fuzzy and empty messages."""
    catalogs: dict[str, Catalog] = {}
    for page, template in templates.items():
        path = folder / f"{page}.po"
        if path.is_file():
            catalog = read_catalog(path)
        else:
            catalog = Catalog(locale=LANGUAGE, project="PyTorch Notes", version="",
                              copyright_holder="the pytorch-notes authors",
                              msgid_bugs_address="", fuzzy=False,
                              last_translator="the pytorch-notes authors",
                              language_team="zh_CN",
                              header_comment=f"# PyTorch Notes, Chinese edition: the "
                              f"page {page}.\n# Kept by `make translations` "
                              "(ci/translations.py); see CONTRIBUTING.md.")
        previous = {m.id: m.previous_id for m in catalog if m.id and m.previous_id}
        theme_only = {m.id: m.string for m in catalog if m.id in THEME_ONLY}
        catalog.update(template, update_creation_date=False)
        catalog.obsolete.clear()
        for msgid in THEME_ONLY if page == THEME else ():
            catalog.add(msgid, theme_only.get(msgid, ""))
        for message in catalog:  # still fuzzy from an earlier update: keep its mark
            if message.fuzzy and not message.previous_id and message.id in previous:
                message.previous_id = previous[message.id]
        catalogs[page] = catalog
    known = memory(catalogs)
    for page in page_order(catalogs):
        for message in catalogs[page]:
            if not message.id:
                continue
            found = derived(message.id, page, known)
            if found and (found[0] != "(no prose)" or not message.string
                          or message.fuzzy):  # a fuzzy guess at a message of no prose
                message.string = found[1]
                message.flags.discard("fuzzy")
                message.previous_id = []
    for stale in folder.glob("*.po"):
        if stale.stem not in templates:
            stale.unlink()
    counts = {}
    for page, catalog in catalogs.items():
        write_catalog(folder / f"{page}.po", catalog)
        counts[page] = Counter("fuzzy" if m.fuzzy else "done" if m.string else "empty"
                               for m in catalog if m.id)
    return counts


@dataclass
class Problem:
    """One thing the check refuses, with the catalog and the English message."""

    catalog: str
    kind: str
    msgid: str = ""

    def __str__(self) -> str:
        english = self.msgid.replace("\n", " ")
        english = f': "{english[:100]}{"…" * (len(english) > 100)}"' if english else ""
        return f"{self.catalog}: {self.kind}{english}"


def _escape_start(match: re.Match) -> str:
    if match.group(1):
        return f"{match.group(1)}\\{match.group(2)}"
    return f"\\{match.group(0)}"


def markup_problems(msgid: str, msgstr: str) -> list[str]:
    """Return what the translation lost or changed of the message's markup."""
    problems = []
    for name, pattern, group in (("code span", CODE_RE, 0), ("link target",
                                 LINK_TARGET_RE, 1), ("role", ROLE_RE, 0),
                                ("substitution", SUBSTITUTION_RE, 0)):
        want = Counter(m.group(group) for m in pattern.finditer(msgid))
        have = Counter(m.group(group) for m in pattern.finditer(msgstr))
        if want != have:
            lost = list((want - have).elements())
            added = list((have - want).elements())
            problems.append(f"{name} changed (lost {lost}, added {added})")
    prose = CODE_RE.sub(" ", msgid), CODE_RE.sub(" ", msgstr)
    want, have = (Counter(m.group(0) for m in MATH_RE.finditer(p)) for p in prose)
    if want != have or prose[0].count("$") != prose[1].count("$"):
        problems.append(f"math changed (lost {list((want - have).elements())}, "
                        f"added {list((have - want).elements())})")
    if prose[0].count("**") != prose[1].count("**"):
        problems.append(f"bold markers: {prose[0].count('**')} in the English, "
                        f"{prose[1].count('**')} in the translation")
    if msgstr != msgid and (start := BLOCK_START_RE.match(msgstr)):
        problems.append(f"starts with `{start.group(0)}`, which Markdown reads as a "
                        "list, heading or quote, so Sphinx drops the translation: "
                        f"escape it: `{_escape_start(start)}`")
    if msgid.startswith(ERRATUM_MARK) and not msgstr.startswith(ERRATUM_MARK_ZH):
        problems.append(f"an erratum callout must start with {ERRATUM_MARK_ZH}")
    return problems


def check(templates: dict[str, Catalog], folder: Path = CATALOGS) -> list[Problem]:
    """Return every problem of the catalogs in ``folder`` against the templates."""
    problems: list[Problem] = []
    shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    catalogs: dict[str, Catalog] = {}
    for page in page_order(templates):
        path = folder / f"{page}.po"
        if not path.is_file():
            problems.append(Problem(str(shown / path.name), "no catalog for this page "
                                    "(run make translations)"))
            continue
        catalogs[page] = read_catalog(path)
    for path in sorted(folder.glob("*.po")):
        if path.stem not in templates:
            problems.append(Problem(str(shown / path.name), "catalog of a page the "
                                    "site no longer has (run make translations)"))
    known = memory(catalogs)
    for page, catalog in catalogs.items():
        name = str(shown / f"{page}.po")
        want, have = set(messages(templates[page])), set(messages(catalog))
        want |= set(THEME_ONLY) if page == THEME else set()
        problems += [Problem(name, "stale: the page has a message the catalog lacks "
                             "(run make translations)", m) for m in sorted(want - have)]
        problems += [Problem(name, "stale: the catalog has a message the page no "
                             "longer has (run make translations)", m)
                     for m in sorted(have - want)]
        for message in catalog:
            if not message.id or message.id not in want:
                continue
            if message.fuzzy:
                problems.append(Problem(name, "fuzzy (the English changed: check the "
                                        "translation, then remove the fuzzy flag)",
                                        message.id))
                continue  # its markup is checked once it is translated again
            if not message.string:
                problems.append(Problem(name, "untranslated", message.id))
                continue
            problems += [Problem(name, f"markup: {issue}", message.id)
                         for issue in markup_problems(message.id, message.string)]
            source = derived(message.id, page, known)
            if source and source[0] != "(no prose)" and source[1] != message.string:
                problems.append(Problem(name, f"differs from its source {source[0]}.po "
                                        "(run make translations)", message.id))
    return problems


def translations(page: str, folder: Path = CATALOGS) -> dict[str, str]:
    """Return ``{English: Chinese}`` of a page's finished (non-fuzzy) translations."""
    path = folder / f"{page}.po"
    if not path.is_file():
        return {}
    return {m.id: m.string for m in read_catalog(path)
            if m.id and m.string and not m.fuzzy}


def translate_markdown(source: str, table: dict[str, str],
                       links: tuple[str, str] = ("", "")) -> tuple[str, list[str]]:
    """Translate a Markdown cell block by block (paragraph, heading, list item, table
    cell: the units Sphinx extracts as messages), keeping each block's prefix (``## ``,
    ``- ``, ``> ``). ``links`` is (as in the notebook, as on the site) for a link target
    the site rewrites. Return the text and the prose blocks without a translation."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    lines = source.split("\n")
    missing: list[str] = []
    edits: list[tuple[int, int, str, str]] = []  # first line, end, English, Chinese
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.map:
            continue
        english = token.content.replace("\n", " ").strip()
        key = english.replace(*links) if links[0] else english
        if key not in table:
            if needs_translator(english) and not english.startswith("$$"):
                missing.append(english)
            continue
        chinese = table[key].replace(links[1], links[0]) if links[0] else table[key]
        kind = tokens[index - 1].type
        edits.append((*token.map, token.content, chinese)
                     if kind not in ("th_open", "td_open") else
                     (token.map[0], -1, english, chinese))
    for start, end, english, chinese in sorted(edits, key=lambda e: -e[0]):
        if end == -1:  # a table cell: replace it inside its row
            row = lines[start]
            at = row.find(english)
            lines[start] = row[:at] + chinese + row[at + len(english):]
            continue
        first = english.split("\n", 1)[0]
        at = lines[start].find(first)
        prefix = lines[start][:at] if at >= 0 else ""
        lines[start:end] = [prefix + chinese.replace("\n", " ")]
    return "\n".join(lines), missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["update", "check", "stats"])
    parser.add_argument("--catalogs", type=Path, default=CATALOGS)
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    parser.add_argument("--templates", type=Path, metavar="DIR",
                        help="check against these .pot files, not fresh ones")
    parser.add_argument("--pages", nargs="+", metavar="PAGE",
                        help="check only these catalogs (e.g. 01_tensors glossary)")
    args = parser.parse_args(argv)
    if args.command == "stats":
        for path in sorted(args.catalogs.glob("*.po")):
            catalog = read_catalog(path)
            counts = Counter("fuzzy" if m.fuzzy else "done" if m.string else "empty"
                             for m in catalog if m.id)
            print(f"{path.stem:22} {sum(counts.values()):4} messages, "
                  f"{counts['done']:4} translated, {counts['fuzzy']} fuzzy, "
                  f"{counts['empty']} untranslated")
        return 0
    if args.templates and args.command == "check":
        templates = {p.stem: read_catalog(p)
                     for p in sorted(args.templates.glob("*.pot"))}
    else:
        with tempfile.TemporaryDirectory(dir=BUILD if BUILD.is_dir() else None) as tmp:
            out = BUILD / "gettext" if args.command == "update" \
                else Path(tmp) / "gettext"
            templates = extract_templates(out, args.notebooks)
    if args.command == "update":
        counts = update(templates, args.catalogs)
        todo = 0
        for page, count in counts.items():
            todo += count["fuzzy"] + count["empty"]
            print(f"{page:22} {sum(count.values()):4} messages, "
                  f"{count['fuzzy']} fuzzy, "
                  f"{count['empty']} untranslated")
        print(f"{todo} messages to translate or check in {args.catalogs}"
              if todo else "every message is translated")
        return 0
    problems = check(templates, args.catalogs)
    if args.pages:
        problems = [p for p in problems if Path(p.catalog).stem in args.pages]
    for problem in problems:
        print(problem, file=sys.stderr)
    total = sum(len(messages(t)) for t in templates.values())
    if problems:
        print(f"translations: {len(problems)} problems (see CONTRIBUTING.md, "
              "'Both languages')", file=sys.stderr)
        return 1
    print(f"translations: {len(templates)} catalogs, {total} messages, complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
