"""Autograde a folder of submissions: incremental, resumable, here or on dask workers.

``nbgrader autograde`` grades one notebook after another in one process and starts over
each time. ``stacks grade`` runs the same preprocessors (listed once in
:mod:`stacks._config`) per submission (:mod:`stacks._task`), either in this process with
several kernels at once or as one task per submission on dask.distributed workers
(:mod:`stacks._executors`), and keeps one record per student in the output folder
(:mod:`stacks._ledger`):

1. find: one entry per student folder; links, folders and oversized files get their row
   here and never reach a worker (:mod:`stacks._submissions`);
2. select: only submissions whose key (file, data seed, exercise, settings, code) changed
   since the last run, or the students named with ``--student``;
3. grade: each job's outcome is written as it arrives (feedback page, graded notebook,
   record, ``grades.csv``, a line of ``grading.log``);
4. export: the Canvas and Gradescope files, nbgrader's gradebook and the class report
   (:mod:`stacks._exports`, :mod:`stacks._report`).

One broken or endless submission only ever costs its own row.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from stacks import _build, _exports, _report, _roster, _sandbox, _secret
from stacks._errors import GradeError
from stacks._executors import cluster, run_here, run_on_dask
from stacks._exercise import Exercise
from stacks._io import process_folder, write_atomic
from stacks._ledger import Ledger, Record, code_digest, grading_key, log_line
from stacks._paths import Paths, exercise_names
from stacks._submissions import (
    CSV_COLUMNS,
    MAX_NOTEBOOK_BYTES,
    Row,
    Submission,
    find_submissions,
    write_csv,
)
from stacks._task import Context, Job, Outcome, _max_score, feedback_page

__all__ = [
    "CSV_COLUMNS",
    "MAX_NOTEBOOK_BYTES",
    "Row",
    "Summary",
    "find_submissions",
    "grade",
    "write_csv",
]


class Summary(list[Row]):
    """The rows of ``grades.csv`` (a list), and how many of them this run graded."""

    graded: int = 0
    kept: int = 0


def grade(
    submissions: Path,
    assignment: str,
    out: Path,
    *,
    timeout: float = 60,
    jobs: int | None = None,
    paths: Paths = Paths(),
    progress: bool = True,
    keep_plots: bool = False,
    fork: bool = True,
    sandbox: bool = True,
    roster: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    students: list[str] | None = None,
    regrade: bool = False,
    log: Callable[[str], None] = lambda s: None,
) -> Summary:
    """Autograde ``submissions/<student>/<assignment>.ipynb`` into ``out``.

    Parameters
    ----------
    submissions : Path
        Folder with one folder per student.
    assignment : str
        Exercise name, e.g. ``"01_projections"``.
    out : Path
        Receives ``grades.csv``, ``feedback/<student>.html``, ``autograded/<student>.ipynb``,
        ``grading.log``, the exports and ``report.html``; a folder graded before is updated.
    timeout : float
        Seconds each cell may run.
    jobs : int, optional
        Notebooks run at once in this process (default: one more than the number of CPUs,
        because a kernel spends part of its start-up and shutdown waiting, not computing).
    paths : Paths
        Where the exercise sources and the nbgrader course folder are.
    progress : bool
        Show a progress bar on stderr.
    keep_plots : bool
        Render the students' own matplotlib figures (slower); by default kernels use the
        non-drawing Agg backend and the feedback shows the exercise's pictures instead.
    fork : bool
        Start kernels by forking a pre-loaded process (kernelspec ``stacks-fork``); much
        faster, same isolation.
    sandbox : bool
        Run each kernel in the sandbox of :mod:`stacks._sandbox` (bubblewrap). False only
        for trusted notebooks; every row records it.
    roster : Path, optional
        A CSV with a ``student`` column: each student listed is graded on their own
        variant of the data (:mod:`stacks._roster`), made from the course secret;
        a student not listed is graded on the shared data, and the row says so.
    workers : int, optional
        Grade on a dask ``LocalCluster`` of this many worker processes.
    scheduler : str, optional
        Grade on the dask cluster whose scheduler is at this address (``tcp://HOST:PORT``).
    students : list of str, optional
        Grade only these students (whether or not their submission changed); the other
        rows stay as they are.
    regrade : bool
        Grade every submission again, changed or not.
    log : callable
        Receives notices (e.g. a zygote that could not start).

    Returns
    -------
    Summary
        The rows of ``grades.csv``, sorted by student (those of earlier runs included).

    Raises
    ------
    GradeError
        For a missing folder, an unknown assignment or student, or a folder that another
        run is writing.
    SandboxError
        When ``sandbox`` is True and bubblewrap cannot start here; the message says how
        to install it.

    Examples
    --------
    >>> rows = grade(Path("submissions"), "01_projections", Path("grades"))  # doctest: +SKIP
    >>> rows[0].student, rows[0].score, rows[0].max_score, rows[0].status  # doctest: +SKIP
    ('alice', 9.0, 9.0, 'graded')
    """
    known = exercise_names(paths)
    if assignment not in known:
        raise GradeError(
            f"unknown assignment {assignment!r}; the exercises are: {', '.join(known) or 'none'}"
        )
    if workers is not None and scheduler:
        raise GradeError("give --workers (a cluster on this machine) or --scheduler, not both")
    exercise = _build.read_exercise(assignment, paths)
    if sandbox and not scheduler:  # a remote worker checks for itself, and says so
        _sandbox.require()
    found = find_submissions(submissions, assignment)
    _check_students(students, found, submissions)
    for item in found:
        item.row.sandbox = "bubblewrap" if sandbox else "none"
    seeds = _assign_variants(found, _roster.read_roster(roster), paths) if roster else {}
    ledger = Ledger(out)
    summary = Summary()
    with ledger.locked():
        scratch = process_folder("stacks-batch-")
        try:
            db_url = _build.course_copy(assignment, scratch / "course", paths)
            course = scratch / "course"
            context = Context(
                assignment,
                (course / "gradebook.db").read_bytes(),
                (course / "source" / assignment / f"{assignment}.ipynb").read_bytes(),
                exercise,
                timeout,
                fork,
                sandbox,
                keep_plots,
                # hidden tests make their data from the course secret; only the seed travels
                _secret.hidden_seed(assignment, paths, log=_tell),
            )
            batch = hashlib.sha256(
                context.source + repr(context.settings()).encode() + code_digest().encode()
            ).hexdigest()
            max_score = _max_score(db_url, assignment)
            todo, decided, keys = _select(found, seeds, batch, ledger, students, regrade)
            changed = bool(todo or decided)
            with _Writer(ledger, out, keys, len(todo) + len(decided), progress) as writer:
                for item in decided:
                    item.row.max_score = max_score
                    writer(None, Outcome(item.row, feedback=feedback_page(item.row, [], [], None)))
                if todo and (workers is not None or scheduler):
                    with cluster(workers, scheduler) as client:
                        run_on_dask(client, context, todo, writer)
                elif todo:
                    _prepare_data(exercise, seeds.values())
                    run_here(context, todo, jobs or (os.cpu_count() or 1) + 1, writer)
            summary.graded = len(todo) + len(decided)
            ledger.write_grades()
            if changed or not _exports.complete(out):
                _exports.write_all(ledger, out, context, course)
                _report.write(ledger, out, assignment)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    summary.extend(ledger.rows())
    summary.kept = len(summary) - summary.graded
    return summary


def _check_students(students: list[str] | None, found: list[Submission], folder: Path) -> None:
    if not students:
        return
    names = {item.row.student for item in found}
    unknown = [s for s in students if s not in names]
    if unknown:
        raise GradeError(
            f"no folder for {', '.join(map(repr, unknown))} in {folder}; "
            f"the students there are: {', '.join(sorted(names)[:10])}"
            + (", ..." if len(names) > 10 else "")
        )


def _select(
    found: list[Submission],
    seeds: dict[str, int],
    batch: str,
    ledger: Ledger,
    students: list[str] | None,
    regrade: bool,
) -> tuple[list[Job], list[Submission], dict[str, str]]:
    """The jobs to run, the rows decided without a kernel, and every key, by student."""
    todo, decided, keys = [], [], {}
    for item in found:
        student = item.row.student
        raw = None
        if item.path is not None:
            try:
                raw = item.path.read_bytes()
            except OSError as error:
                item.row.status = "invalid-notebook"
                item.row.message = f"{item.path.name} could not be read: {error.strerror}"
        key = grading_key(batch, item.row, raw, seeds.get(student))
        keys[student] = key
        if students:
            if student not in students:
                continue
        elif not regrade and ledger.unchanged(student, key):
            continue
        if raw is None:
            decided.append(item)
        else:
            todo.append(Job(item.row, raw, item.path.name if item.path else "", seeds.get(student)))
    return todo, decided, keys


class _Writer:
    """Writes each outcome as it arrives: pages, then the record, then ``grades.csv``."""

    def __init__(self, ledger: Ledger, out: Path, keys: dict[str, str], total: int, progress: bool):
        from tqdm import tqdm

        self.ledger, self.out, self.keys = ledger, out, keys
        self.bar = tqdm(
            total=total, desc="grading", unit="notebook", disable=not progress or not total
        )

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def __call__(self, job: Job | None, outcome: Outcome) -> None:
        row = outcome.row
        write_atomic(self.out / "feedback" / f"{row.student}.html", outcome.feedback)
        graded = self.out / "autograded" / f"{row.student}.ipynb"
        if outcome.graded:
            write_atomic(graded, outcome.graded)
        else:
            graded.unlink(missing_ok=True)  # from an earlier run: no longer what was graded
        record = Record(
            row, self.keys[row.student], outcome.questions, outcome.seconds, outcome.worker
        )
        self.ledger.save(record)
        self.ledger.write_grades()
        self.ledger.log([log_line(record)])
        self.bar.update(1)


def _tell(line: str) -> None:
    print(f"stacks grade: {line}", file=sys.stderr)


def _assign_variants(found: list[Submission], students: list[str], paths: Paths) -> dict[str, int]:
    """The data seed of each listed student; the others' rows say they use the shared data."""
    secret = _secret.read_or_make(paths, log=_tell)
    listed = set(students)
    seeds = {}
    for item in found:
        if item.row.student in listed:
            seeds[item.row.student] = _roster.data_seed(secret, item.row.student)
        else:
            note = "not on the roster: graded on the shared data"
            item.row.message = f"{item.row.message}; {note}" if item.row.message else note
    return seeds


def _prepare_data(exercise: Exercise, seeds: Iterable[int]) -> None:
    """Generate the datasets the exercise declares (and each student's variant of them)
    before kernels start here, so that no two kernels generate them at once and no kernel
    spends its time limit on it. (A dask worker makes what it needs itself.)"""
    from helpers import datasets

    for name in exercise.datasets:
        datasets.path(name)
    for seed in sorted(set(seeds)):
        with datasets.use_data(_roster.variant_folder(seed)):
            for name in exercise.datasets:
                datasets.variant(name, seed)
