"""Build the static site into ``build/site/`` from the committed notebooks.

    python -m ci.build_site                       # or: make site
    python -m ci.build_site --notebooks DIR --out DIR

The Sphinx source folder is assembled under ``build/site_src/`` (the repository stays
clean): ``site/`` (``conf.py``, the hand-written pages, static files), a copy of every
``notebooks/NN_*.ipynb`` with a "run it yourself" box, an anchor before each erratum
callout and the code of its worked solutions folded (closed dropdowns), the landing
page with the course table from ``ci.catalog``, and the errata index collected from
the callouts. Sphinx then runs with ``-W --keep-going -n``: any
warning, a broken link between pages included, fails the build. The notebooks are not
executed again (their committed outputs are what nbval verified).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ci.catalog import LEARN_HEADING, NOTEBOOKS, ROOT, Entry, catalog, notebook_paths
from ci.check_notebooks import SOLUTION_FIRST_LINE, is_solution
from ci.translations import LANGUAGE, translate_markdown, translations

SITE = ROOT / "site"
BUILD = ROOT / "build"
ERRATUM_MARK = "**Erratum (勘误)**"
CALLOUT_START = f"> {ERRATUM_MARK}"
TABLE_MARKER = "<!-- course-table -->"
TOCTREE_MARKER = "<!-- course-toctree -->"
DOWNLOADS = "_ipynb"  # originals for the download links; not Sphinx sources
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
README_LINK_RE = re.compile(r"\]\(\.\./README\.md(?:#[^)\s]*)?\)")
REPO_ENV = "PYTORCH_NOTES_REPO_URL"
HIDE_SOLUTION = "hide-input"  # MyST-NB folds the cell's code into a closed dropdown
CHINESE = LANGUAGE  # the Chinese edition: build/site/zh_CN/, from site/locale/zh_CN
# The labels the build writes itself (the page text comes from the catalogs).
SOLUTION_PROMPTS = {"en": ("Show the solution{to}", "Hide the solution{to}",
                           " to exercise {n}"),
                    CHINESE: ("显示{to}参考解答", "隐藏{to}参考解答", "练习 {n} 的")}


@dataclass
class Erratum:
    """One erratum callout: where it is (notebook, cell, line, heading), its words."""

    stem: str
    number: str
    ordinal: int
    cell: int
    line: int
    section: str
    text: str

    @property
    def label(self) -> str:
        """Return the Sphinx label placed right before the callout."""
        return f"erratum-{self.number}-{self.ordinal}"


def _callout_text(lines: list[str]) -> str:
    """Return the callout's words without the ``>`` markers and the ``Erratum`` mark."""
    text = " ".join(line.strip()[1:].strip() for line in lines)
    return text.split(ERRATUM_MARK, 1)[1].strip().lstrip("—–-:").strip()


def collect_errata(nb: nbformat.NotebookNode, stem: str, number: str) -> list[Erratum]:
    """Return the notebook's erratum callouts in order, with their nearest heading."""
    errata: list[Erratum] = []
    section = ""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        in_fence = False
        i = 0
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(("```", "~~~")):
                in_fence = not in_fence
            elif not in_fence and (heading := HEADING_RE.match(stripped)):
                section = heading.group(2)
            elif not in_fence and stripped.startswith(CALLOUT_START):
                end = i + 1
                while end < len(lines) and lines[end].strip().startswith(">") \
                        and lines[end].strip() != ">":
                    end += 1
                errata.append(Erratum(stem, number, len(errata) + 1, index, i, section,
                                      _callout_text(lines[i:end])))
                i = end
                continue
            i += 1
    return errata


def repository_url() -> str | None:
    """Return the repository's web address when CI names it, else ``None``."""
    if os.environ.get(REPO_ENV):
        return os.environ[REPO_ENV]
    server = os.environ.get("GITHUB_SERVER_URL")
    repo = os.environ.get("GITHUB_REPOSITORY")
    return f"{server}/{repo}" if server and repo else None


def run_box(stem: str) -> str:
    """Return the MyST admonition that says how to download and open the notebook.
    ``{{ repository }}`` is a MyST substitution (site/conf.py): a link to the
    repository where CI names it, in the edition's language; the text stays the same
    message for the translations wherever it is built."""
    clone = "{{ repository }}"
    return "\n".join([
        ":::{admonition} Run this notebook yourself",
        ":class: tip run-yourself",
        "",
        f"- **Download** {{download}}`{stem}.ipynb </{DOWNLOADS}/{stem}.ipynb>`, "
        "with the outputs shown on this page.",
        f"- **Open it in JupyterLab**: in a clone of {clone}, `make lab` sets up "
        f"`.venv` and opens JupyterLab on `notebooks/`; open `{stem}.ipynb` there "
        "and choose *Run › Run All Cells*.",
        "- **In your own environment**: the notebook imports the repository's small "
        "`helpers` package, so run `pip install -e .` at the repository root, then "
        f"`jupyter lab notebooks/{stem}.ipynb`.",
        ":::",
    ])


def prepare_notebook(nb: nbformat.NotebookNode, stem: str, errata: list[Erratum],
                     language: str = "en") -> nbformat.NotebookNode:
    """Return a copy of ``nb`` for the site: erratum anchors, run box, site links,
    and each solution's code folded (MyST-NB's ``hide-input``: a closed dropdown
    above its output, as JupyterLab collapses it with ``source_hidden``)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_solution(cell):
            tags = cell.metadata.setdefault("tags", [])
            tags += [HIDE_SOLUTION] if HIDE_SOLUTION not in tags else []
            show, hide, exercise = SOLUTION_PROMPTS[language]
            number = SOLUTION_FIRST_LINE.match(cell.source.lstrip())
            to = exercise.format(n=number.group(1)) if number else ""
            cell.metadata.setdefault("mystnb", {}).update(
                code_prompt_show=show.format(to=to),
                code_prompt_hide=hide.format(to=to))
    by_cell: dict[int, list[Erratum]] = {}
    for erratum in errata:
        by_cell.setdefault(erratum.cell, []).append(erratum)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for erratum in sorted(by_cell.get(index, []), key=lambda e: -e.line):
            before = [""] if erratum.line and lines[erratum.line - 1].strip() else []
            lines[erratum.line:erratum.line] = [*before, f"({erratum.label})="]
        cell.source = README_LINK_RE.sub("](index.md)", "\n".join(lines))
    # The box closes the goals cell: no cell is added, so Sphinx's locations
    # (cell, line) point into the committed notebook's cells as they are.
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    learn = next((c for c in markdown if LEARN_HEADING in c.source), markdown[0])
    learn.source = f"{learn.source.rstrip()}\n\n{run_box(stem)}"
    return nb


def course_table(entries: list[Entry]) -> str:
    """Return the landing page's course table (a MyST list-table)."""
    rows = [":::{list-table}", ":header-rows: 1", ":widths: 6 24 58 12",
            ":class: course-table", "",
            "* - No.", "  - Notebook", "  - What you will learn", "  - CPU time"]
    for e in entries:
        cpu = f"~{e.cpu_seconds:g} s" if e.cpu_seconds is not None else "—"
        rows += [f"* - {e.number}", f"  - [{e.title}]({e.stem}.ipynb)", "",
                 f"    {e.title_zh}"]
        rows += [f"  - - {e.goals[0]}"] + [f"    - {goal}" for goal in e.goals[1:]]
        rows += [f"  - {cpu}"]
    return "\n".join([*rows, ":::"])


def course_toctree(entries: list[Entry]) -> str:
    """Return the hidden toctree that orders the notebook pages (previous/next)."""
    return "\n".join(["```{toctree}", ":hidden:", ":caption: Course · 课程", "",
                      *(e.stem for e in entries), "```"])


def landing_page(template: str, entries: list[Entry]) -> str:
    """Return ``site/index.md`` with the course table and toctree filled in."""
    for marker in (TABLE_MARKER, TOCTREE_MARKER):
        if marker not in template:
            raise ValueError(f"site/index.md lacks the marker {marker}")
    return template.replace(TABLE_MARKER, course_table(entries)) \
        .replace(TOCTREE_MARKER, course_toctree(entries))


def errata_page(entries: list[Entry], errata: dict[str, list[Erratum]]) -> str:
    """Return the errata index: the callouts by notebook, each linked to its place."""
    total = sum(len(v) for v in errata.values())
    with_errata = [e for e in entries if errata.get(e.stem)]
    lines = ["# Errata · 勘误", "",
             "Where the source note is wrong, the notebook that covers it fixes "
             "the code and says so in a callout that starts with "
             f"{ERRATUM_MARK}, right after the cell that shows the evidence. This "
             "page collects them; each link opens the callout in its notebook.", ""]
    if not total:
        return "\n".join([*lines, "No erratum callouts have been recorded yet.", ""])
    lines += [f"{total} errata in {len(with_errata)} of {len(entries)} notebooks.", ""]
    for entry in with_errata:
        lines += [f"## {entry.number} · {entry.title} · {entry.title_zh}", ""]
        for erratum in errata[entry.stem]:
            where = erratum.section or entry.title
            link = f"[{_link_text(where)}](#{erratum.label})"
            lines += [f"{erratum.ordinal}. {link} — {erratum.text}"]
        lines.append("")
    return "\n".join(lines)


def _link_text(text: str) -> str:
    """Escape brackets outside code spans, which could end a link's text early."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(part if i % 2 else part.replace("[", r"\[").replace("]", r"\]")
                   for i, part in enumerate(parts))


def translate_notebook(nb: nbformat.NotebookNode, stem: str,
                       locale: Path) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` whose markdown cells are translated with the page's
    catalog; code cells and their outputs are unchanged."""
    table = translations(stem, locale / "LC_MESSAGES")
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = translate_markdown(cell.source, table,
                                             ("](../README.md)", "](index.md)"))[0]
    return nb


def assemble(notebooks: Path, site: Path, src: Path,
             language: str = "en") -> tuple[list[Entry], int]:
    """Write the Sphinx source folder; return the entries and the number of errata."""
    paths, entries = notebook_paths(notebooks), catalog(notebooks)
    if not entries:
        raise SystemExit(f"no notebooks NN_topic.ipynb in {notebooks}")
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(site, src, ignore=shutil.ignore_patterns("__pycache__", "_build"))
    (src / DOWNLOADS).mkdir()
    errata: dict[str, list[Erratum]] = {}
    for path, entry in zip(paths, entries, strict=True):
        nb = nbformat.read(path, as_version=4)
        errata[entry.stem] = collect_errata(nb, entry.stem, entry.number)
        nbformat.write(prepare_notebook(nb, entry.stem, errata[entry.stem], language),
                       src / path.name)
        if language == "en":
            shutil.copy2(path, src / DOWNLOADS / path.name)
        else:  # the download is the notebook in Chinese: its markdown translated
            chinese = translate_notebook(nb, entry.stem, site / "locale" / language)
            nbformat.write(chinese, src / DOWNLOADS / path.name)
    template = (site / "index.md").read_text(encoding="utf-8")
    (src / "index.md").write_text(landing_page(template, entries), encoding="utf-8")
    (src / "errata.md").write_text(errata_page(entries, errata), encoding="utf-8")
    return entries, sum(len(v) for v in errata.values())


def sphinx(src: Path, out: Path, doctrees: Path, language: str = "en") -> int:
    """Run sphinx-build in this process (warnings are errors, nitpicky); its status."""
    from sphinx.cmd.build import build_main

    if url := repository_url():
        os.environ[REPO_ENV] = url
    return build_main(["-b", "html", "-W", "--keep-going", "-n", "-q", "-E",
                       "-D", f"language={language}",
                       "-d", str(doctrees), str(src), str(out)])


def build_edition(language: str, notebooks: Path, site: Path, src: Path,
                  out: Path) -> tuple[int, int, int, str]:
    """Assemble and build one edition; return (notebooks, errata, Sphinx's status,
    the error that stopped the assembly or "")."""
    try:
        entries, n_errata = assemble(notebooks, site, src, language)
    except ValueError as err:  # a notebook without its title or goals (ci.catalog)
        return 0, 0, 1, str(err)
    doctrees = src.parent / f"{src.name}_doctrees"
    return len(entries), n_errata, sphinx(src, out, doctrees, language), ""


def main(argv: list[str] | None = None) -> int:
    """Assemble the sources, build both editions (two processes), say where to open
    them."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    parser.add_argument("--site", type=Path, default=SITE, help="conf.py and pages")
    parser.add_argument("--src", type=Path, default=BUILD / "site_src")
    parser.add_argument("--out", type=Path, default=BUILD / "site")
    parser.add_argument("--languages", nargs="+", default=["en", CHINESE],
                        choices=["en", CHINESE], help="the editions to build")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.out.exists():
        shutil.rmtree(args.out)
    jobs = {language: (language, args.notebooks, args.site,
                       args.src if language == "en" else
                       args.src.with_name(f"{args.src.name}_{language}"),
                       args.out if language == "en" else args.out / language)
            for language in args.languages}
    with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
        results = {language: pool.submit(build_edition, *job)
                   for language, job in jobs.items()}
        results = {language: future.result() for language, future in results.items()}
    seconds = time.perf_counter() - start
    if errors := sorted({result[3] for result in results.values() if result[3]}):
        print("\n".join(f"site build FAILED: {error}" for error in errors),
              file=sys.stderr)
        return 1
    failed = [language for language, result in results.items() if result[2]]
    if failed:
        src = jobs[failed[0]][3]
        print(f"site build FAILED ({', '.join(failed)}): fix the warnings above. "
              f"{src.name}/NN_topic.ipynb:CCLLLL is cell CC (from 1), line LLLL "
              "of notebooks/NN_topic.ipynb.", file=sys.stderr)
        return 1
    n_notebooks, n_errata, _, _ = next(iter(results.values()))
    print(f"site: {len(results)} editions ({', '.join(results)}), {n_notebooks} "
          f"notebooks, {n_errata} errata, built in {seconds:.1f} s")
    for job in jobs.values():
        index = job[4] / "index.html"
        shown = index.relative_to(ROOT) if index.is_relative_to(ROOT) else index
        print(f"open {shown}  (file://{index.resolve()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
