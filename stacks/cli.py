"""The ``stacks`` command: generate data, build exercises, check and grade notebooks.

Every sub-command turns expected failures (bad arguments, missing files, malformed
sources), which the pipeline raises as :class:`stacks.StacksError`, into a one-line message
on stderr and exit code 2, never a traceback.

Examples
--------
In a terminal::

    stacks data                                    # generate the course datasets
    stacks build                                   # solutions/*.md -> exercises/*.ipynb
    stacks start                                   # a student's own copies in work/
    stacks check work/01_projections.ipynb         # a student checks their work
    stacks update 01_projections                   # merge a newer release, keep the answers
    stacks grade submissions --assignment 01_projections --out grades/01
    stacks selfcheck                               # solutions get full marks, blanks 0
    stacks release ../student-release              # what students get, without the answers
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from stacks._errors import StacksError

__all__ = ["build_parser", "main"]


def _number(
    kind: Callable[[str], float], minimum: float, example: str, *, strict: bool
) -> Callable[[str], float]:
    """An argparse type: a number of at least (or, when strict, above) ``minimum``."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {example}, not {text!r}") from None
        if value < minimum or (strict and value == minimum):
            bound = f"more than {minimum:g}" if strict else f"{minimum:g} or more"
            raise argparse.ArgumentTypeError(f"must be {bound}, not {text}")
        return value

    return parse


_seconds = _number(float, 0, "a number of seconds such as 60", strict=True)
_jobs = _number(int, 1, "a whole number such as 2", strict=False)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seed must be a whole number such as 0 or 42, not {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be 0 or more, not {value}")
    return value


def _cmd_data(args: argparse.Namespace) -> int:
    from helpers import datasets

    for name in args.names:
        if name not in datasets.NAMES:
            raise StacksError(
                f"unknown dataset {name!r}; the known datasets are: {', '.join(datasets.NAMES)}"
            )
    seed = args.seed
    if args.student is not None:
        from stacks._roster import student_seed

        if args.seed is not None:
            raise StacksError("give --student or --seed, not both")
        seed = student_seed(args.student, datasets.data_root())
    for name in args.names or datasets.NAMES:
        if seed is None:
            # no seed asked for: keep what is there (a student's own variant stays theirs),
            # make what is missing, repair what is damaged
            folder = datasets.path(name)
        else:
            folder = datasets.variant(name, seed, progress=not args.quiet)
        info = datasets.describe(name)
        print(f"{name}: {info['shape']} {info['dtype']} -> {folder}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from stacks._build import build

    build(args.names or None, log=(lambda line: None) if args.quiet else print)
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    from stacks._workspace import start

    for found in start(args.names or None):
        print(found.advice())
    return 0


def _cmd_update(args: argparse.Namespace) -> int:
    from stacks._workspace import update

    found, notes = update(args.name)
    if found.kind in ("current", "new"):
        print(found.advice())
    else:
        print(f"merged the release of {args.name} into {found.copy}, keeping your answers")
    for note in notes:
        print(f"  {note}")
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from stacks._release import release

    release(Path(args.destination), roster=Path(args.roster) if args.roster else None)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from stacks._check import check

    return check(Path(args.notebook), timeout=args.timeout)


def _cmd_grade(args: argparse.Namespace) -> int:
    from stacks._autograde import grade

    started = time.perf_counter()
    rows = grade(
        Path(args.submissions),
        args.assignment,
        Path(args.out),
        timeout=args.timeout,
        jobs=args.jobs,
        progress=not args.quiet,
        keep_plots=args.keep_plots,
        fork=not args.no_fork,
        sandbox=not args.no_sandbox,
        roster=Path(args.roster) if args.roster else None,
        workers=args.workers,
        scheduler=args.scheduler,
        students=args.student,
        regrade=args.regrade,
    )
    seconds = time.perf_counter() - started
    width = max(len(r.student) for r in rows)
    if not args.quiet:
        for r in rows:
            extra = f"  {r.message}" if r.message else ""
            print(f"{r.student:<{width}}  {r.score:>5g} / {r.max_score:<4g} {r.status}{extra}")
    out = Path(args.out)
    each = f" ({seconds / rows.graded:.2f} s each)" if rows.graded else ""
    print(
        f"{rows.graded} submissions graded in {seconds:.1f} s{each}, {rows.kept} unchanged and kept; "
        f"grades in {out / 'grades.csv'}, feedback in {out / 'feedback'}, report in {out / 'report.html'}"
    )
    return 0


def _cmd_selfcheck(args: argparse.Namespace) -> int:
    from stacks._selfcheck import selfcheck

    return selfcheck(args.names or None, timeout=args.timeout)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``stacks`` command.

    Examples
    --------
    >>> build_parser().parse_args(["grade", "hand-ins", "--assignment", "01_projections",
    ...                            "--out", "grades"]).jobs is None
    True
    """
    parser = argparse.ArgumentParser(
        prog="stacks", description="Course toolkit for image sequences and 3D images."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("data", help="generate the simulated course datasets")
    p.add_argument("names", nargs="*", metavar="NAME", help="datasets to generate (default: all)")
    p.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="make the datasets from this seed (default: keep the data there; what is missing "
        "is made with seed 0)",
    )
    p.add_argument(
        "--student",
        metavar="ID",
        help="make your own variant of the data, with the seed your course gave your id",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser(
        "build", help="build the student notebooks exercises/*.ipynb from solutions/*.md"
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="exercises to build (default: all)")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "start", help="make your own copy of each exercise in work/ (never overwrites one)"
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="exercises (default: all)")
    p.set_defaults(func=_cmd_start)

    p = sub.add_parser(
        "update", help="merge a newer release of an exercise into your copy, keeping your answers"
    )
    p.add_argument("name", metavar="NAME", help="exercise name, e.g. 01_projections")
    p.set_defaults(func=_cmd_update)

    p = sub.add_parser(
        "release",
        help="write what students get into a new folder: no solutions, hidden tests or secret",
    )
    p.add_argument("destination", metavar="DIR", help="a new folder outside the course")
    p.add_argument(
        "--roster",
        metavar="CSV",
        help="a CSV with a 'student' column: ship each student's data seed (data/seeds.csv)",
    )
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("check", help="run your exercise notebook and report each graded question")
    p.add_argument(
        "notebook",
        metavar="NOTEBOOK",
        help="path of your notebook, e.g. work/01_projections.ipynb",
    )
    p.add_argument(
        "--timeout", type=_seconds, default=120, help="seconds each cell may run (default 120)"
    )
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("grade", help="autograde SUBMISSIONS/<student>/<NAME>.ipynb with nbgrader")
    p.add_argument("submissions", metavar="SUBMISSIONS", help="folder with one folder per student")
    p.add_argument(
        "--assignment", required=True, metavar="NAME", help="exercise name, e.g. 01_projections"
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder for grades.csv and feedback/"
    )
    p.add_argument(
        "--timeout", type=_seconds, default=60, help="seconds each cell may run (default 60)"
    )
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        help="notebooks run at once in this process, without --workers or --scheduler "
        "(default: number of CPUs + 1)",
    )
    p.add_argument(
        "--keep-plots",
        action="store_true",
        help="render the students' own figures in the feedback (slower)",
    )
    p.add_argument(
        "--no-fork",
        action="store_true",
        help="start every kernel from scratch instead of forking a pre-loaded one (slower)",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run kernels without the bubblewrap sandbox (trusted notebooks only; "
        "grades.csv records it)",
    )
    p.add_argument(
        "--roster",
        metavar="CSV",
        help="a CSV with a 'student' column: grade each student on their own variant of the data",
    )
    p.add_argument(
        "--workers",
        type=_jobs,
        default=None,
        metavar="N",
        help="grade on a dask LocalCluster of N worker processes on this machine",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a running dask cluster, e.g. tcp://10.0.0.1:8786 (see docs/cluster.md)",
    )
    p.add_argument(
        "--student",
        action="append",
        metavar="ID",
        help="grade only this student, changed or not (repeat for several); other rows stay",
    )
    p.add_argument(
        "--regrade",
        action="store_true",
        help="grade every submission again, also those unchanged since the last run",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar, no table of rows")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser(
        "selfcheck", help="check that solutions get full marks and blank exercises 0"
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="exercises to check (default: all)")
    p.add_argument(
        "--timeout", type=_seconds, default=120, help="seconds each cell may run (default 120)"
    )
    p.set_defaults(func=_cmd_selfcheck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stacks`` command; return its exit status.

    Examples
    --------
    >>> main(["data", "nosuchdata"])
    2
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except StacksError as error:
        print(f"stacks {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resume = (
            "; run the same command again to go on where it stopped"
            if args.command == "grade"
            else ""
        )
        print(f"stacks {args.command}: interrupted{resume}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
