"""Benchmark grading a class on dask workers, and the incremental rerun.

Usage::

    .venv/bin/python benchmarks/bench_scale.py [--assignment 01_projections] [--copies 200]
                      [--workers 1,2] [--here]

Grades ``--copies`` copies of the solution (each its own student) on a dask LocalCluster
of 1 and then 2 worker processes (``stacks grade --workers N``), in the sandbox, and prints
seconds per submission and the throughput of each relative to 1 worker. Then reruns the
last grading with nothing changed and prints how long deciding that took. ``--here`` also
measures grading in the grader's own process (the default without ``--workers``), which
overlaps several kernels in one process. Cluster start-up is included in every figure.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _submissions(folder: Path, assignment: str, copies: int) -> Path:
    import stacks

    solution = stacks.Paths().course / "source" / assignment / f"{assignment}.ipynb"
    for i in range(copies):
        student = folder / f"student{i:03d}"
        student.mkdir(parents=True)
        shutil.copyfile(solution, student / f"{assignment}.ipynb")
    return folder


def _grade(submissions: Path, assignment: str, out: Path, **options: object) -> tuple[float, list]:
    import stacks

    started = time.perf_counter()
    rows = stacks.grade(submissions, assignment, out, progress=False, **options)  # type: ignore[arg-type]
    return time.perf_counter() - started, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01_projections")
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--here", action="store_true", help="also grade in this process")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"grading {args.copies} copies of the {args.assignment} solution, sandboxed")
    with tempfile.TemporaryDirectory(prefix="stacks-bench-scale-") as tmp:
        submissions = _submissions(Path(tmp) / "submissions", args.assignment, args.copies)
        runs: list[tuple[str, dict]] = [
            (f"{n} worker{'s' if n > 1 else ''}", {"workers": n}) for n in counts
        ]
        if args.here:
            runs.append(("in this process", {}))
        base = None
        last_out = None
        for label, options in runs:
            out = Path(tmp) / f"out-{label.replace(' ', '-')}"
            seconds, rows = _grade(submissions, args.assignment, out, **options)
            wrong = [r for r in rows if r.score != r.max_score]
            per = seconds / args.copies
            base = base or per
            print(
                f"  {label:<16} {seconds:7.1f} s  {per:5.2f} s/submission  "
                f"throughput x{base / per:4.2f} of {runs[0][0]}"
                + (f"  ({len(wrong)} not full marks!)" if wrong else "")
            )
            last_out = out
        assert last_out is not None
        seconds, rows = _grade(submissions, args.assignment, last_out)
        print(
            f"  rerun, nothing changed: {seconds:.2f} s for {args.copies} "
            f"({rows.graded} graded, {rows.kept} kept)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
