"""Read the course catalogue out of the notebooks themselves (no table typed by hand).

Every notebook's first cell starts ``# NN · English title · 中文标题``; a markdown
cell holds ``**What you will learn**`` followed by ``- `` bullets, and the prerequisites
say ``runs on CPU in about N s``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAME_RE = re.compile(r"^(\d\d)_[a-z0-9_]+$")
TITLE_RE = re.compile(r"^#\s+(\d\d)\s+·\s+(.+?)\s+·\s+(.+?)\s*$", re.MULTILINE)
CPU_TIME_RE = re.compile(r"runs\s+on\s+CPU\s+in\s+about\s+(\d+(?:\.\d+)?)\s*s\b")
LEARN_HEADING = "**What you will learn**"


@dataclass
class Entry:
    """One notebook as the README table and the site's course table show it."""

    stem: str
    number: str
    title: str
    title_zh: str
    goals: list[str] = field(default_factory=list)
    cpu_seconds: float | None = None


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """Return the course notebooks ``NN_topic.ipynb`` in course order."""
    return sorted(p for p in folder.glob("*.ipynb") if NAME_RE.match(p.stem))


def _goals(text: str) -> list[str]:
    after = text.split(LEARN_HEADING, 1)[1]
    goals = []
    for line in after.splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith(("- ", "* ")):
            goals.append(stripped[2:].strip())
        elif goals and stripped and line.startswith((" ", "\t")):
            goals[-1] += " " + stripped  # a wrapped bullet continues
        elif goals:
            break
    return goals


def read_entry(path: Path) -> Entry:
    """Parse one notebook's title, goals and CPU time; ``ValueError`` if absent."""
    nb = nbformat.read(path, as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    if not markdown:
        raise ValueError(f"{path.name}: no markdown cells")
    match = TITLE_RE.search(markdown[0])
    if not match:
        raise ValueError(f"{path.name}: first cell lacks '# NN · Title · 中文标题'")
    number, title, title_zh = match.groups()
    if not path.stem.startswith(number):
        raise ValueError(
            f"{path.name}: title number {number} does not match the file name"
        )
    text = "\n\n".join(markdown)
    goals = _goals(text) if LEARN_HEADING in text else []
    if not goals:
        raise ValueError(f"{path.name}: no '{LEARN_HEADING}' bullet list")
    cpu = CPU_TIME_RE.search(text)
    return Entry(
        path.stem, number, title, title_zh, goals, float(cpu.group(1)) if cpu else None
    )


def catalog(folder: Path = NOTEBOOKS) -> list[Entry]:
    """Return every notebook's entry in course order."""
    return [read_entry(p) for p in notebook_paths(folder)]
