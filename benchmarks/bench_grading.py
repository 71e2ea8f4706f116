"""Benchmark ``stacks grade``: grade N copies of an exercise's solution, print s per submission.

Usage::

    .venv/bin/python benchmarks/bench_grading.py [--assignment 01_projections] [--copies 20] [--jobs N]

Each copy is a separate student, so every one gets its own kernel, gradebook rows and
feedback page: the number is the cost of grading a class, start-up included.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _cpu_seconds() -> float:
    """User + system CPU of this process and of every descendant it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01_projections")
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep-plots", action="store_true")
    parser.add_argument("--no-fork", action="store_true", help="plain kernel start-up, for comparison")
    args = parser.parse_args(argv)

    from stacks import _build, course

    source = _build.source_notebook(args.assignment)  # build outside the timed part
    with tempfile.TemporaryDirectory(prefix="stacks-bench-") as tmp:
        submissions = Path(tmp) / "submissions"
        for i in range(args.copies):
            folder = submissions / f"student{i:03d}"
            folder.mkdir(parents=True)
            shutil.copyfile(_build.Paths().course / "source" / args.assignment / f"{args.assignment}.ipynb",
                            folder / f"{args.assignment}.ipynb")
        load = os.getloadavg()[0]
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        rows = course.grade(submissions, args.assignment, Path(tmp) / "out", jobs=args.jobs, progress=False,
                            keep_plots=args.keep_plots, fork=not args.no_fork)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    full = sum(r.score == r.max_score for r in rows)
    del source
    n = len(rows)
    cores = os.cpu_count() or 1
    print(f"{args.assignment}: {n} submissions in {seconds:.1f} s = {seconds / n:.2f} s per submission "
          f"({full} with full marks; {cores} CPUs, load average {load:.1f} at start)")
    # The machine may be shared: the CPU time the grading used (this process, the kernels
    # and their zygote) says what it costs on idle cores, whatever the others were doing.
    print(f"CPU time {cpu:.1f} s = {cpu / n:.2f} CPU-s per submission; on {cores} idle cores "
          f"about {cpu / n / cores:.2f} s per submission")
    return 0 if full == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
