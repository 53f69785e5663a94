"""The maintainer's loop: sync a notebook with its py:percent pair and re-execute it.

    python -m ci.execute 01_tensors        # or: make execute NB=01_tensors

The ``.py`` pair is the source (if the ``.ipynb`` was edited more recently, e.g. in
JupyterLab without the jupytext extension, jupytext --sync brings the edit over first).
The notebook is executed top to bottom in a fresh kernel with cwd ``notebooks/`` (in
the first numerical environment of ``ci.nbval``, on the CPU) and written back with its
real outputs, so execution counts read 1..n. Then strict nbval re-runs it in both
environments: the command fails unless the recorded outputs hold in each.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ci import nbval
from ci.catalog import NOTEBOOKS

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def pair_of(name: str, folder: Path = NOTEBOOKS) -> tuple[Path, Path]:
    """Return ``(py, ipynb)`` for a name like ``05_gru`` (or either file's path)."""
    stem = Path(name).name.removesuffix(".ipynb").removesuffix(".py")
    return folder / f"{stem}.py", folder / f"{stem}.ipynb"


def sync(py: Path, ipynb: Path) -> None:
    """Bring the newer of the pair over to the other (the ``.py`` wins a tie)."""
    if not py.exists():
        raise FileNotFoundError(f"{py} is missing: the py:percent file is the source")
    if ipynb.exists() and ipynb.stat().st_mtime > py.stat().st_mtime:
        edited = jupytext.read(ipynb)
        jupytext.write(edited, py, fmt="py:percent")


def coalesce_streams(nb: nbformat.NotebookNode) -> None:
    """Merge consecutive stream chunks of one name: flush timing splits them."""
    for cell in nb.cells:
        merged: list = []
        for out in cell.get("outputs", []):
            prev = merged[-1] if merged else None
            if (
                out.output_type == "stream"
                and prev is not None
                and prev.output_type == "stream"
                and prev.name == out.name
            ):
                prev.text += out.text
            else:
                merged.append(out)
        if "outputs" in cell:
            cell.outputs = merged


def keep_cell_ids(nb: nbformat.NotebookNode, old: nbformat.NotebookNode) -> None:
    """Give ``nb``'s cells the ids they had in ``old``: jupytext reads a ``.py`` with
    fresh random ids, which would rewrite every id of the ``.ipynb`` on each run.

    Unchanged cells keep theirs, and so do edited ones where as many cells stand
    between the same neighbours; only inserted cells get new ones.
    """
    def key(cell):
        return cell.cell_type, cell.source

    matcher = difflib.SequenceMatcher(None, [key(c) for c in old.cells],
                                      [key(c) for c in nb.cells], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for old_cell, cell in zip(old.cells[i1:i2], nb.cells[j1:j2], strict=True):
                if "id" in old_cell:
                    cell.id = old_cell.id


def execute_pair(name: str, timeout: int = 900, folder: Path = NOTEBOOKS) -> Path:
    """Sync, execute in a fresh kernel and write the ``.ipynb``; return its path."""
    py, ipynb = pair_of(name, folder)
    sync(py, ipynb)
    nb = jupytext.read(py)
    if ipynb.exists():
        keep_cell_ids(nb, nbformat.read(ipynb, as_version=4))
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(py.parent)}},
    )
    try:
        client.execute(env=nbval.environment("first"))
    finally:
        # Written even on failure, so the error can be read in place.
        coalesce_streams(nb)
        nbformat.write(nb, ipynb)
    return ipynb


def main(argv: list[str] | None = None) -> int:
    """Execute each named notebook in place; exit 1 at the first that fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", help="names like 01_tensors")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the nbval runs after executing"
    )
    args = parser.parse_args(argv)
    for name in args.notebooks:
        try:
            path = execute_pair(name, args.timeout)
        except CellExecutionError as err:
            print(
                f"{name}: a cell failed; the notebook holds the traceback\n{err}",
                file=sys.stderr,
            )
            return 1
        print(f"executed {path.relative_to(NOTEBOOKS.parent)}")
        if args.no_verify:
            continue
        failed = [
            env for env in nbval.ENVIRONMENTS if nbval.run(env, [str(path)], 1) != 0
        ]
        if failed:
            where = " and ".join(failed)
            print(
                f"{name}: the recorded outputs do not hold in the {where} "
                "environment: print fewer digits, or mark the number with ≈ "
                "(see CONTRIBUTING.md)",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
