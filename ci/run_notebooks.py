"""Execute notebooks with papermill and write a timing report beside a measured floor.

    python -m ci.run_notebooks                       # every notebook, device "auto"
    python -m ci.run_notebooks 05_gru -p NUM_EPOCHS 2
    python -m ci.run_notebooks --device cuda --require-device cuda

Each notebook runs in its own process (papermill, fresh kernel, cwd ``notebooks/``); the
executed copy goes to ``build/executed/``. The floor is a one-cell notebook that only
imports torch, executed the same way in the same run. A notebook fails when a cell
raises or writes to stderr (a warning, say). Exit status 1 names every notebook that
failed, with the cell and the error; 2 means the requested device is absent. The
report also gives the seconds spent in the cells tagged ``solution`` (papermill's
duration of each cell).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from ci.catalog import NOTEBOOKS, ROOT, notebook_paths
from ci.check_notebooks import is_solution

BUILD = ROOT / "build"
FLOOR_NAME = "_floor"


@dataclass
class Result:
    """One executed notebook: how long it took, its peak memory, and how it ended."""

    notebook: str
    seconds: float
    peak_rss_mb: float
    ok: bool
    error: str = ""
    solutions_s: float = 0.0


def resolve(names: list[str], folder: Path = NOTEBOOKS) -> list[Path]:
    """Map names (``05_gru``, ``05_gru.ipynb``, a path) to notebooks; all when empty."""
    if not names:
        return notebook_paths(folder)
    found = []
    for name in names:
        path = Path(name)
        candidates = [path, folder / path.name, folder / f"{path.name}.ipynb"]
        match = next(
            (c for c in candidates if c.suffix == ".ipynb" and c.is_file()), None
        )
        if match is None:
            raise SystemExit(f"no notebook named {name!r} in {folder}")
        found.append(match)
    return found


def first_error(path: Path) -> str:
    """Describe the first cell of an executed notebook that holds an error output."""
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as err:
        return f"could not read the executed notebook ({err})"
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first_line = (
                    cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                )
                return (
                    f"code cell {code_index} (`{first_line[:60]}`): "
                    f"{out.get('ename')}: {out.get('evalue')}"
                )
    return "no cell holds an error; see the papermill log above"


def stderr_cells(path: Path) -> list[str]:
    """Each code cell of an executed notebook that wrote to stderr, described."""
    nb = nbformat.read(path, as_version=4)
    found, code_index = [], 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", "")).strip()
                first = text.splitlines()[0] if text else ""
                found.append(f"code cell {code_index} wrote to stderr: {first[:200]}")
                break
    return found


def solution_seconds(path: Path) -> float:
    """Seconds papermill measured in the code cells tagged ``solution``."""
    nb = nbformat.read(path, as_version=4)
    return round(sum(
        cell.metadata.get("papermill", {}).get("duration") or 0.0
        for cell in nb.cells
        if is_solution(cell)
    ), 2)


def write_floor_notebook(path: Path) -> Path:
    """Write the one-cell notebook that measures the fixed cost of any notebook."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import torch")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def execute(
    src: Path, dst: Path, params: list[tuple[str, str]], cwd: Path, timeout: int
) -> Result:
    """Run papermill on ``src`` in a child process; measure wall time and peak RSS."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        str(src),
        str(dst),
        "--cwd",
        str(cwd),
        "-k",
        "python3",
        "--no-progress-bar",
        "--execution-timeout",
        str(timeout),
    ]
    for name, value in params:
        cmd += ["-p", name, value]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output, _ = proc.communicate()
    seconds = time.perf_counter() - start
    # ru_maxrss of RUSAGE_CHILDREN covers every waited-for descendant (the kernel too);
    # it is a running maximum, so run_isolated gives each notebook a process of its own.
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ok = proc.returncode == 0
    error = "" if ok else first_error(dst) if dst.exists() else output.strip()[-500:]
    solutions = 0.0
    if ok:
        noisy = stderr_cells(dst)
        ok, error = not noisy, "; ".join(noisy)
        solutions = solution_seconds(dst)
    return Result(src.stem, round(seconds, 2), round(peak_kb / 1024, 1), ok, error,
                  solutions)


def run_isolated(
    src: Path, dst: Path, params: list[tuple[str, str]], cwd: Path, timeout: int
) -> Result:
    """Execute one notebook in a fresh runner process so its peak memory is its own."""
    cmd = [
        sys.executable,
        "-m",
        "ci.run_notebooks",
        "--_single",
        str(src),
        str(dst),
        str(cwd),
        str(timeout),
        json.dumps(params),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return Result(src.stem, 0.0, 0.0, False, (proc.stderr or proc.stdout)[-500:])
    return Result(**json.loads(lines[-1]))


def report(results: list[Result], floor: Result, meta: dict, out_dir: Path) -> str:
    """Write ``timing.json`` and ``timing.md`` in ``out_dir``; return the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [
        {**asdict(r), "beyond_floor_s": round(r.seconds - floor.seconds, 2)}
        for r in results
    ]
    payload = {**meta, "floor": asdict(floor), "notebooks": rows}
    (out_dir / "timing.json").write_text(json.dumps(payload, indent=2) + "\n")
    lines = [
        f"Timing report: device `{meta['device']}`, {meta['cpus']} CPUs, "
        f"torch {meta['torch']}, Python {meta['python']}",
        "",
        f"Floor (a notebook that only imports torch): {floor.seconds:.2f} s, "
        f"peak {floor.peak_rss_mb:.0f} MB",
        "",
        "| notebook | status | wall s | beyond floor s | solutions s | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        status = "ok" if row["ok"] else "FAILED"
        lines.append(
            f"| {row['notebook']} | {status} | {row['seconds']:.2f} | "
            f"{row['beyond_floor_s']:.2f} | {row['solutions_s']:.2f} | "
            f"{row['peak_rss_mb']:.0f} |"
        )
    total = sum(r.seconds for r in results)
    solutions = sum(r.solutions_s for r in results)
    lines += ["", f"Total: {total:.1f} s for {len(results)} notebook(s), "
              f"{solutions:.1f} s of it in solutions."]
    text = "\n".join(lines) + "\n"
    (out_dir / "timing.md").write_text(text)
    return text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Execute notebooks with papermill and report timings."
    )
    parser.add_argument("notebooks", nargs="*", help="names like 05_gru (default: all)")
    parser.add_argument(
        "--device",
        default="auto",
        help="passed to each notebook as the DEVICE parameter",
    )
    parser.add_argument(
        "--require-device",
        choices=["cuda", "mps", "cpu"],
        help="fail at once unless this device is available",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="extra papermill parameter",
    )
    parser.add_argument("--out", type=Path, default=BUILD / "executed")
    parser.add_argument("--report-dir", type=Path, default=BUILD / "timing")
    parser.add_argument(
        "--timeout", type=int, default=900, help="seconds one cell may run"
    )
    parser.add_argument("--_single", nargs=5, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks; return 0 when all pass, 1 when any fails, 2 for no device."""
    args = parse_args(argv)
    if args._single:
        src, dst, cwd, timeout, params = args._single
        result = execute(
            Path(src),
            Path(dst),
            [tuple(p) for p in json.loads(params)],
            Path(cwd),
            int(timeout),
        )
        print(json.dumps(asdict(result)))
        return 0

    import torch

    from helpers.device import available_devices, get_device

    if args.require_device:
        try:
            get_device(args.require_device)
        except RuntimeError as err:
            print(
                f"run_notebooks: --require-device {args.require_device}: {err}",
                file=sys.stderr,
            )
            return 2
    paths = resolve(args.notebooks)
    params = [("DEVICE", args.device), *[tuple(p) for p in args.parameter]]
    meta = {
        "device": args.device,
        "available": available_devices(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "parameters": params,
    }

    floor_src = write_floor_notebook(args.out / f"{FLOOR_NAME}_input.ipynb")
    floor = run_isolated(
        floor_src, args.out / f"{FLOOR_NAME}.ipynb", [], NOTEBOOKS, args.timeout
    )
    print(f"floor: {floor.seconds:.2f} s", flush=True)
    results = []
    for path in paths:
        result = run_isolated(
            path, args.out / path.name, params, NOTEBOOKS, args.timeout
        )
        results.append(result)
        status = "ok" if result.ok else "FAILED"
        print(
            f"{path.stem}: {status} in {result.seconds:.2f} s "
            f"({result.seconds - floor.seconds:+.2f} s beyond the floor), "
            f"peak {result.peak_rss_mb:.0f} MB",
            flush=True,
        )
    print(report(results, floor, meta, args.report_dir))
    print(f"report: {args.report_dir / 'timing.md'}")
    failed = [r for r in results if not r.ok]
    if not floor.ok:
        print(f"FAILED the floor notebook: {floor.error}", file=sys.stderr)
        return 1
    for r in failed:
        print(f"FAILED notebooks/{r.notebook}.ipynb: {r.error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
