"""Benchmark ``stacks grade``: grade N copies of an exercise's solution, print s per submission.

Usage::

    .venv/bin/python benchmarks/bench_grading.py [--assignment 01_projections] [--copies 20]
                      [--jobs N] [--runs fork+sandbox,fork,native+sandbox,native]

Each copy is a separate student, so every one gets its own kernel, gradebook rows and
feedback page: the number is the cost of grading a class, start-up included. The ways of
starting kernels are measured in the same run: ``fork`` (the kernelspec ``stacks-fork``,
whose provisioner forks a pre-loaded zygote) or ``native`` (ipykernel started from scratch,
``stacks grade --no-fork``), each with the bubblewrap sandbox (``+sandbox``, the default of
``stacks grade``) or without (``--no-sandbox``).
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


def _grade_copies(
    assignment: str, copies: int, jobs: int | None, keep_plots: bool, fork: bool, sandbox: bool
) -> tuple[float, float, int, int]:
    import stacks

    solution = stacks.Paths().course / "source" / assignment / f"{assignment}.ipynb"
    with tempfile.TemporaryDirectory(prefix="stacks-bench-") as tmp:
        submissions = Path(tmp) / "submissions"
        for i in range(copies):
            folder = submissions / f"student{i:03d}"
            folder.mkdir(parents=True)
            shutil.copyfile(solution, folder / f"{assignment}.ipynb")
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        rows = stacks.grade(
            submissions,
            assignment,
            Path(tmp) / "out",
            jobs=jobs,
            progress=False,
            keep_plots=keep_plots,
            fork=fork,
            sandbox=sandbox,
        )
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    return seconds, cpu, len(rows), sum(r.score == r.max_score for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01_projections")
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep-plots", action="store_true")
    parser.add_argument(
        "--runs",
        default="fork+sandbox,fork,native+sandbox,native",
        help="comma-separated: fork or native, each with +sandbox or without",
    )
    args = parser.parse_args(argv)

    import stacks

    stacks.build([args.assignment], log=lambda line: None)  # outside the timed part
    cores = os.cpu_count() or 1
    per_submission = {}
    ok = True
    for kernels in args.runs.split(","):
        load = os.getloadavg()[0]
        seconds, cpu, n, full = _grade_copies(
            args.assignment,
            args.copies,
            args.jobs,
            args.keep_plots,
            fork=kernels.startswith("fork"),
            sandbox=kernels.endswith("+sandbox"),
        )
        per_submission[kernels] = seconds / n
        ok &= full == n
        print(
            f"{args.assignment}, {kernels}: {n} submissions in {seconds:.1f} s = {seconds / n:.2f} s per "
            f"submission ({full} with full marks; {cores} CPUs, load average {load:.1f} at start)"
        )
        # The machine may be shared: the CPU time the grading used (this process, the kernels
        # and their zygote) says what it costs on idle cores, whatever the others were doing.
        # Sandboxed kernels are killed with their sandbox, unwaited, so their CPU time
        # never reaches this process's accounting: only wall time means something there.
        if kernels.endswith("+sandbox"):
            continue
        print(
            f"  CPU time {cpu:.1f} s = {cpu / n:.2f} CPU-s per submission; on {cores} idle cores "
            f"about {cpu / n / cores:.2f} s per submission"
        )

    def ratio(slow: str, fast: str, what: str) -> None:
        if {slow, fast} <= set(per_submission):
            print(f"{what}: {per_submission[slow] / per_submission[fast]:.2f}x")

    ratio("native", "fork", "forked kernels, no sandbox: throughput over native ones")
    ratio(
        "native+sandbox", "fork+sandbox", "forked kernels, sandboxed: throughput over native ones"
    )
    ratio(
        "fork+sandbox", "fork", "the sandbox costs (forked kernels): time with it over time without"
    )
    ratio(
        "native+sandbox", "native", "the sandbox costs (native kernels): time with it over without"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
