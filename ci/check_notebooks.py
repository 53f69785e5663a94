"""Check the committed notebooks for what a reader, nbval or the site trips over.

    python -m ci.check_notebooks [FOLDER]

One line per problem, exit 1 if there is any. Checked: the py:percent pair exists and
its cells equal the notebook's; a cell tagged ``parameters`` assigns ``SEED`` and
``DEVICE``; the kernelspec names a language; code cells were executed in order 1..n;
no error output and no warning on stderr; no machine-specific path; no image from the
network or a local disk; the notebook stays under a size budget.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import jupytext
import nbformat

from ci.catalog import NOTEBOOKS, notebook_paths

MAX_NOTEBOOK_BYTES = 1_000_000
MACHINE_PATH = re.compile(
    r"((?:/root|/home/[\w.-]+|/Users/[\w.-]+|/tmp|/work)/|site-packages/|[A-Z]:\\\\?Users)"
)
LOCAL_OR_REMOTE_IMAGE = re.compile(
    r"(!\[[^\]]*\]\(\s*<?(?:https?:|file:|/|[A-Za-z]:\\)"
    r"|<img[^>]+src=[\"'](?:https?:|file:|/|[A-Za-z]:\\))"
)
WARNING = re.compile(r"\b\w*Warning\b")
# A non-raw Python string turns "\alpha" into BEL + "lpha": text must not hold those.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def _assigned_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else ([node.target] if isinstance(node, ast.AnnAssign) else [])
        )
        for target in targets:
            names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _output_text(out: dict) -> str:
    text = out.get("text", "")
    plain = out.get("data", {}).get("text/plain", "")
    return "".join(text) + "".join(plain)


def check_pair(path: Path, nb: nbformat.NotebookNode) -> list[str]:
    """Problems with the py:percent pair of ``path``."""
    py = path.with_suffix(".py")
    if not py.exists():
        return [f"no py:percent pair {py.name}"]
    paired = jupytext.read(py)
    ours, theirs = _cells(nb), _cells(paired)
    if ours == theirs:
        return []
    for i, (a, b) in enumerate(zip(ours, theirs, strict=False), 1):
        if a != b:
            return [
                f"out of sync with {py.name}: cell {i} differs "
                f"(run `make execute NB={path.stem}`)"
            ]
    return [f"out of sync with {py.name}: {len(ours)} cells vs {len(theirs)}"]


def check_cells(nb: nbformat.NotebookNode) -> list[str]:
    """Problems inside the cells: parameters, order, errors, warnings, paths, images."""
    problems = []
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if not params:
        problems.append("no cell tagged 'parameters'")
    else:
        missing = {"SEED", "DEVICE"} - _assigned_names(params[0].source)
        if missing:
            problems.append(
                f"the parameters cell does not define {', '.join(sorted(missing))}"
            )
    if not nb.metadata.get("kernelspec", {}).get("language"):
        problems.append("the kernelspec names no language (papermill needs it)")
    counts = []
    for i, cell in enumerate(nb.cells, 1):
        if MACHINE_PATH.search(cell.source):
            problems.append(f"cell {i}: source names a machine-specific path")
        if CONTROL_CHARS.search(cell.source):
            problems.append(f"cell {i}: control character in source (lost backslash?)")
        if cell.cell_type == "markdown":
            if LOCAL_OR_REMOTE_IMAGE.search(cell.source):
                problems.append(f"cell {i}: image from the network or a local disk")
            continue
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        counts.append(cell.get("execution_count"))
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            body = _output_text(out)
            if kind == "error":
                problems.append(f"cell {i}: stored error output ({out.get('ename')})")
            if (
                kind == "stream"
                and out.get("name") == "stderr"
                and WARNING.search(body)
            ):
                problems.append(
                    f"cell {i}: a warning on stderr: {WARNING.search(body).group(0)}"
                )
            if MACHINE_PATH.search(body):
                problems.append(f"cell {i}: output shows a machine-specific path")
    if counts and counts != list(range(1, len(counts) + 1)):
        problems.append("execution counts are not 1..n: re-execute in a fresh kernel")
    return problems


def check_notebook(path: Path) -> list[str]:
    """Every problem of one notebook, each as a short sentence."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file is one finding
        return [f"cannot be read: {err}"]
    problems = []
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        problems.append(
            f"{size / 1e6:.2f} MB exceeds the {MAX_NOTEBOOK_BYTES / 1e6:g} MB "
            "budget (smaller or fewer figures)"
        )
    return problems + check_pair(path, nb) + check_cells(nb)


def main(argv: list[str] | None = None) -> int:
    """Check the notebooks in a folder; print one line per problem; exit 1 on any."""
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else NOTEBOOKS
    paths = notebook_paths(folder)
    orphans = [
        p
        for p in folder.glob("[0-9][0-9]_*.py")
        if not p.with_suffix(".ipynb").exists()
    ]
    lines = [f"{p.name}: no executed .ipynb beside it" for p in orphans]
    for path in paths:
        lines += [f"{path.name}: {problem}" for problem in check_notebook(path)]
    for line in lines:
        print(line)
    print(f"check_notebooks: {len(paths)} notebooks, {len(lines)} problems")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
