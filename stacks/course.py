"""The exercise commands of ``stacks``: build, check, grade and selfcheck.

``stacks.cli`` calls :func:`add_subcommands`; the work is done in private modules, one job
each: :mod:`stacks._markup` (nbgrader markup), :mod:`stacks._build` (student notebooks),
:mod:`stacks._execute` (kernels), :mod:`stacks._results` (scores per question),
:mod:`stacks._autograde` (batches) and :mod:`stacks._feedback` (pages and pictures).

Examples
--------
In a terminal::

    stacks build                                   # solutions/*.md -> exercises/*.ipynb
    stacks check exercises/01_projections.ipynb    # a student checks their work
    stacks grade submissions --assignment 01_projections --out grades/01
    stacks selfcheck                               # solutions get full marks, blanks 0
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from stacks import _build

__all__ = ["add_subcommands", "build", "check", "grade", "selfcheck"]


def _error(message: str) -> Exception:
    # imported here: stacks.cli imports this module while it builds its parser
    from stacks.cli import CommandError

    return CommandError(message)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds such as 60, not {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number such as 2, not {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


# ------------------------------------------------------------------------------ build


def build(
    names: list[str] | None = None, paths: _build.Paths = _build.Paths(), *, quiet: bool = False
) -> list[Path]:
    """Build the student notebooks ``exercises/*.ipynb`` from ``solutions/*.md``.

    Parameters
    ----------
    names : list of str, optional
        Exercises to build; default all.
    paths : stacks._build.Paths
        Source, output and nbgrader course folders.
    quiet : bool
        Print nothing.

    Returns
    -------
    list of Path
        The notebooks written (or already up to date).

    Raises
    ------
    stacks.cli.CommandError
        For a malformed source, naming the file and cell.

    Examples
    --------
    >>> from stacks import course
    >>> course.build(["01_projections"])  # doctest: +SKIP
    [PosixPath('.../exercises/01_projections.ipynb')]
    """
    from stacks._markup import MarkupError

    known = _build.exercise_names(paths)
    for name in names or []:
        if name not in known:
            raise _error(
                f"unknown exercise {name!r}; the sources in {paths.solutions} are: {', '.join(known) or 'none'}"
            )
    try:
        return _build.build(names, paths, log=(lambda s: None) if quiet else print)
    except (MarkupError, _build.BuildError) as error:
        raise _error(str(error)) from None


def _cmd_build(args: argparse.Namespace) -> int:
    build(args.names or None, quiet=args.quiet)
    return 0


# ------------------------------------------------------------------------------ check


def _reference_for(notebook: Path, paths: _build.Paths):
    """The pristine student notebook of the same exercise, to restore edited test cells."""
    import nbformat

    candidate = paths.exercises / notebook.name
    if candidate.is_file() and candidate.resolve() != notebook.resolve():
        return nbformat.read(candidate, as_version=4)
    return None


def _restore_tests(nb, reference) -> list[str]:
    """Put back test cells a student edited or deleted (grading does the same)."""
    from stacks._markup import is_test_cell, nbgrader_meta

    notes = []
    by_id = {
        nbgrader_meta(c).get("grade_id"): i
        for i, c in enumerate(nb.cells)
        if nbgrader_meta(c).get("grade_id")
    }
    previous = -1
    for cell in reference.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not grade_id:
            continue
        if grade_id in by_id:
            previous = by_id[grade_id]
            if is_test_cell(cell) and nb.cells[previous].source != cell.source:
                nb.cells[previous].source = cell.source
                notes.append(f"test cell {grade_id} was edited; checked with the original")
        elif is_test_cell(cell):
            nb.cells.insert(previous + 1, cell)
            previous += 1
            by_id = {
                nbgrader_meta(c).get("grade_id"): i
                for i, c in enumerate(nb.cells)
                if nbgrader_meta(c).get("grade_id")
            }
            notes.append(f"test cell {grade_id} was deleted; checked with the original")
    return notes


def check(
    notebook: Path, *, timeout: float = 120, paths: _build.Paths = _build.Paths(), out=print
) -> int:
    """Run a student's notebook and report each graded question; 0 when all visible tests pass.

    The notebook runs in a new kernel in its own folder; the file is not modified. Test
    cells that were edited or deleted are checked in their original form when the
    pristine exercise is found in ``exercises/``.

    Parameters
    ----------
    notebook : Path
        The student's ``.ipynb``.
    timeout : float
        Seconds each cell may run.
    paths : stacks._build.Paths
        Where to find the pristine exercises.
    out : callable
        Receives the report, one line at a time.

    Returns
    -------
    int
        0 when every visible test passes, 1 otherwise.

    Raises
    ------
    stacks.cli.CommandError
        When the path is not a readable notebook.

    Examples
    --------
    >>> from pathlib import Path
    >>> from stacks import course
    >>> course.check(Path("exercises/01_projections.ipynb"))  # doctest: +SKIP
    01_projections.ipynb: 0 of 6 tests pass, 0 of 9 points
      FAIL  0/1  Part 1: load the image sequence (1 point)
            not answered yet: an answer cell above still raises NotImplementedError()
    ...
    1
    """
    import nbformat

    from stacks import _execute, _results

    notebook = Path(notebook)
    if not notebook.exists():
        raise _error(f"no such file: {notebook}")
    if notebook.is_dir():
        raise _error(f"{notebook} is a folder; give the path of a notebook (.ipynb)")
    if notebook.suffix != ".ipynb":
        raise _error(f"{notebook} is not a notebook; give a .ipynb file")
    try:
        nb = nbformat.read(notebook, as_version=4)
        nbformat.validate(nb)
    except Exception as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise _error(f"{notebook} is not a valid Jupyter notebook: {first}") from None
    reference = _reference_for(notebook, paths)
    notes = _restore_tests(nb, reference) if reference is not None else []
    if not _results.questions(nb):
        raise _error(f"{notebook} has no graded test cells; is it one of the exercises?")
    started = time.perf_counter()
    env = _execute.kernel_env({"MPLBACKEND": "Agg"})  # nothing is drawn: the report is text
    execution = _execute.run_notebook_sync(
        nb, cwd=notebook.parent.resolve(), timeout=timeout, env=env
    )
    _results.ignore_stderr_in_tests(nb)
    questions = _results.questions(nb)
    passed = sum(q.passed for q in questions)
    points = sum(q.score for q in questions)
    total = sum(q.points for q in questions)
    out(
        f"{notebook.name}: {passed} of {len(questions)} tests pass, {points:g} of {total:g} points ({time.perf_counter() - started:.0f} s)"
    )
    for q in questions:
        out(
            f"  {'PASS' if q.passed else 'FAIL'}  {q.score:g}/{q.points:g}  {q.title} [{q.grade_id}]"
        )
        if q.message:
            out(f"        {q.message}")
    for note in notes:
        out(f"note: {note}")
    if execution.status != "ok":
        out(f"note: {execution.message}")
    out("Hidden tests run when your notebook is graded; passing here is necessary, not sufficient.")
    return 0 if passed == len(questions) else 1


def _cmd_check(args: argparse.Namespace) -> int:
    return check(Path(args.notebook), timeout=args.timeout)


# ------------------------------------------------------------------------------ grade


def grade(
    submissions: Path,
    assignment: str,
    out: Path,
    *,
    timeout: float = 60,
    jobs: int | None = None,
    paths: _build.Paths = _build.Paths(),
    progress: bool = True,
    keep_plots: bool = False,
    fork: bool = True,
):
    """Autograde a folder of submissions; see :func:`stacks._autograde.grade`.

    Returns
    -------
    list of stacks._autograde.Row
        One row per student folder, as written to ``out/grades.csv``.

    Raises
    ------
    stacks.cli.CommandError
        For a missing folder, an unknown assignment or a malformed exercise source.

    Examples
    --------
    >>> from pathlib import Path
    >>> from stacks import course
    >>> rows = course.grade(Path("submissions"), "01_projections", Path("grades"))  # doctest: +SKIP
    >>> rows[0].student, rows[0].score, rows[0].max_score, rows[0].status  # doctest: +SKIP
    ('alice', 9.0, 9.0, 'graded')
    """
    from stacks import _autograde
    from stacks._markup import MarkupError

    try:
        return _autograde.grade(
            Path(submissions),
            assignment,
            Path(out),
            timeout=timeout,
            jobs=jobs,
            paths=paths,
            progress=progress,
            keep_plots=keep_plots,
            fork=fork,
            log=lambda line: print(line, file=sys.stderr) if progress else None,
        )
    except (_autograde.GradeError, MarkupError, _build.BuildError) as error:
        raise _error(str(error)) from None


def _cmd_grade(args: argparse.Namespace) -> int:
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
    )
    seconds = time.perf_counter() - started
    width = max(len(r.student) for r in rows)
    for r in rows:
        extra = f"  {r.message}" if r.message else ""
        print(f"{r.student:<{width}}  {r.score:>5g} / {r.max_score:<4g} {r.status}{extra}")
    print(
        f"{len(rows)} submissions graded in {seconds:.1f} s ({seconds / len(rows):.2f} s each); "
        f"grades in {Path(args.out) / 'grades.csv'}, feedback in {Path(args.out) / 'feedback'}"
    )
    return 0


# ------------------------------------------------------------------------------ selfcheck


def selfcheck(
    names: list[str] | None = None,
    paths: _build.Paths = _build.Paths(),
    *,
    timeout: float = 120,
    out=print,
) -> int:
    """Grade every solution and every blank exercise; 0 when solutions get full marks and blanks 0.

    Also checks that ``exercises/`` is what a build produces now.

    Examples
    --------
    >>> from stacks import course
    >>> course.selfcheck()  # doctest: +SKIP
    exercise               solution   blank  exercises/ up to date
    00_images_are_arrays   7/7 ok     0 ok   yes
    ...
    0
    """
    import shutil

    from stacks import _markup

    names = names or _build.exercise_names(paths)
    ok = True
    out(f"{'exercise':<24} {'solution':<12} {'blank':<8} exercises/ up to date")
    for name in names:
        releases = _build.generate([name], paths)
        current = paths.exercises / f"{name}.ipynb"
        fresh = current.is_file() and current.read_text(encoding="utf-8") == _markup.dumps(
            releases[name]
        )
        with tempfile.TemporaryDirectory(prefix="stacks-selfcheck-") as tmp:
            submissions = Path(tmp) / "submissions"
            for student, source in (
                ("solution", paths.course / "source" / name / f"{name}.ipynb"),
                ("blank", current),
            ):
                (submissions / student).mkdir(parents=True)
                if source.is_file():
                    shutil.copyfile(source, submissions / student / f"{name}.ipynb")
            rows = {
                r.student: r
                for r in grade(
                    submissions,
                    name,
                    Path(tmp) / "out",
                    timeout=timeout,
                    paths=paths,
                    progress=False,
                )
            }
        solution, blank = rows["solution"], rows["blank"]
        good = (
            solution.score == solution.max_score
            and solution.status == "graded"
            and blank.score == 0
            and fresh
        )
        ok &= good
        out(
            f"{name:<24} {f'{solution.score:g}/{solution.max_score:g}':<6} {'ok' if solution.score == solution.max_score else 'LOW':<5} "
            f"{f'{blank.score:g}':<3} {'ok' if blank.score == 0 else 'HIGH':<4} {'yes' if fresh else 'NO: run stacks build'}"
        )
        if solution.score != solution.max_score:
            out(f"    solution: {solution.status} {solution.message}")
    return 0 if ok else 1


def _cmd_selfcheck(args: argparse.Namespace) -> int:
    return selfcheck(args.names or None, timeout=args.timeout)


# ------------------------------------------------------------------------------ parser


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Add ``build``, ``check``, ``grade`` and ``selfcheck`` to the ``stacks`` parser."""
    p = sub.add_parser(
        "build", help="build the student notebooks exercises/*.ipynb from solutions/*.md"
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="exercises to build (default: all)")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("check", help="run your exercise notebook and report each graded question")
    p.add_argument(
        "notebook",
        metavar="NOTEBOOK",
        help="path of your notebook, e.g. exercises/01_projections.ipynb",
    )
    p.add_argument(
        "--timeout", type=_positive, default=120, help="seconds each cell may run (default 120)"
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
        "--timeout", type=_positive, default=60, help="seconds each cell may run (default 60)"
    )
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        help="notebooks run at once (default: number of CPUs + 1)",
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
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser(
        "selfcheck", help="check that solutions get full marks and blank exercises 0"
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="exercises to check (default: all)")
    p.add_argument(
        "--timeout", type=_positive, default=120, help="seconds each cell may run (default 120)"
    )
    p.set_defaults(func=_cmd_selfcheck)
