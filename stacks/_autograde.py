"""Autograde a folder of submissions with the course's nbgrader preprocessors, in parallel.

``nbgrader autograde`` grades one notebook after another in one process. Here the same
preprocessors, listed and configured once in :mod:`stacks._config`, run in this process
for every submission, and the kernels of several submissions run at once:

1. read: a file that is not a notebook gets a row that says so;
2. sanitize (``_config.SANITIZE``): outputs cleared, test cells restored from a private
   copy of the gradebook;
3. autograde (``_config.AUTOGRADE``): executed with time limits, stderr dropped from test
   cells, scores saved to the gradebook;
4. report: the graded notebook, a feedback page with the exercise's pictures, and one row
   of ``grades.csv`` per student folder (written atomically).

One broken or endless submission only ever costs its own row.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from stacks import _build, _config, _feedback, _figures, _results, _roster, _sandbox, _secret
from stacks._errors import GradeError
from stacks._exercise import Exercise
from stacks._io import write_atomic
from stacks._kernels import FORK_KERNEL, NATIVE_KERNEL
from stacks._paths import Paths, exercise_names
from stacks.preprocessors import mark_not_run

__all__ = ["CSV_COLUMNS", "Row", "find_submissions", "grade", "write_csv"]

CSV_COLUMNS = ("student", "assignment", "score", "max_score", "status", "message", "sandbox")


@dataclass
class Row:
    """One line of ``grades.csv``.

    Examples
    --------
    >>> Row("alice", "01_projections", 9.0, 9.0)
    Row(student='alice', assignment='01_projections', score=9.0, max_score=9.0, status='graded', message='', sandbox='bubblewrap')
    """

    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    #: graded | timeout | limit | kernel-died | missing | invalid-notebook | error
    status: str = "graded"
    message: str = ""
    #: how the kernel ran: "bubblewrap" (stacks._sandbox), or "none" with --no-sandbox
    sandbox: str = "bubblewrap"


@dataclass
class _Submission:
    row: Row
    path: Path | None
    notebook: NotebookNode | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    questions: list[_results.Question] = field(default_factory=list)
    data: Path | None = None  # the student's own variant of the data (a roster), or None


#: Entries of a submissions folder that are not students: made by tools, not people.
NOT_STUDENTS = frozenset({".ipynb_checkpoints", ".DS_Store", "__MACOSX", ".git", "Thumbs.db"})
#: Largest notebook file read, in bytes: a bigger one is refused with a row that says why.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


def find_submissions(folder: Path, assignment: str) -> list[_Submission]:
    """One entry per student folder in ``folder``, whatever it holds.

    ``<student>/<assignment>.ipynb`` is the layout; nbgrader's own
    ``<student>/<assignment>/<assignment>.ipynb`` (its ``submitted/`` folder) works too.
    A notebook lying directly in ``folder`` gets a row saying where it should be. Every
    student folder gets exactly one row, whatever its name (a leading ``_`` or ``.``,
    spaces, any script); only the folders that tools make (:data:`NOT_STUDENTS`) are not
    students. A symbolic link is never followed: it could point at another student's work
    or at a file of the grader's.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     (Path(folder) / "alice").mkdir()
    ...     (Path(folder) / "_bob").mkdir()
    ...     [(s.row.student, s.row.status) for s in find_submissions(Path(folder), "01_projections")]
    [('_bob', 'missing'), ('alice', 'missing')]
    """
    if not folder.is_dir():
        raise GradeError(f"no submissions folder {folder}")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name in NOT_STUDENTS:
            continue
        if entry.is_symlink():
            row = Row(entry.name, assignment, status="invalid-notebook")
            row.message = (
                f"{entry.name} is a symbolic link; submissions are read from real folders only"
            )
            found.append(_Submission(row, None))
        elif entry.is_file() and entry.suffix == ".ipynb":
            row = Row(
                entry.stem,
                assignment,
                status="missing",
                message=f"found {entry.name} directly in the submissions folder; expected {entry.stem}/{assignment}.ipynb",
            )
            found.append(_Submission(row, None))
        elif entry.is_dir():
            found.append(_student_folder(entry, assignment))
    if not found:
        raise GradeError(
            f"no student folders in {folder}; expected {folder}/<student>/{assignment}.ipynb"
        )
    return found


def _student_folder(entry: Path, assignment: str) -> _Submission:
    row = Row(entry.name, assignment)
    name = f"{assignment}.ipynb"
    path = entry / name
    nested = entry / assignment / name
    if not os.path.lexists(path) and os.path.lexists(nested):
        path = nested
    problem = None
    if path.is_symlink():
        problem = f"{name} is a symbolic link, not a notebook file; submit the file itself"
    elif path.is_dir():
        problem = f"{name} is a folder, not a notebook file"
    elif path.is_file() and path.stat().st_size > MAX_NOTEBOOK_BYTES:
        size = path.stat().st_size / 1024 / 1024
        problem = (
            f"{name} is {size:.1f} MB, larger than the {MAX_NOTEBOOK_BYTES // 1024 // 1024} MB "
            "a notebook may be; clear the outputs (Edit > Clear Outputs of All Cells) and submit again"
        )
    if problem is not None:
        row.status, row.message = "invalid-notebook", problem
        return _Submission(row, None)
    if not path.is_file():
        others = sorted(p.name for p in entry.iterdir() if p.name not in NOT_STUDENTS)
        row.status = "missing"
        row.message = f"no {name} in {entry.name}/" + (
            f" (found: {', '.join(others[:5])})" if others else " (folder is empty)"
        )
        return _Submission(row, None)
    return _Submission(row, path)


_BOM = b"\xef\xbb\xbf"


def _read(item: _Submission) -> None:
    """Read and validate a submission; mark it invalid with a reason if it is not a notebook.

    The reason never quotes the file: a file that is not a notebook may be anything.
    """
    import nbformat

    assert item.path is not None
    name = item.path.name
    try:
        data = item.path.read_bytes()
        if data.startswith(_BOM):  # editors on Windows add one; JSON allows none
            data = data[len(_BOM) :]
            item.resources.setdefault("stacks", {}).setdefault("notes", []).append(
                "the file started with a byte-order mark, which was ignored"
            )
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except UnicodeDecodeError:
        item.row.status = "invalid-notebook"
        item.row.message = f"{name} is not a Jupyter notebook (not UTF-8 text)"
        return
    except ValueError as error:
        # json.JSONDecodeError and nbformat's NotJSONError are ValueErrors
        item.row.status = "invalid-notebook"
        item.row.message = (
            f"{name} is not a Jupyter notebook (not JSON); was the right file submitted?"
            if "JSON" in type(error).__name__
            else f"{name} is not a valid notebook: {_first_line(error)}"[:300]
        )
        return
    except Exception as error:  # nbformat raises several validation error types
        item.row.status = "invalid-notebook"
        item.row.message = f"{name} is not a valid notebook: {_first_line(error)}"[:300]
        return
    item.notebook = nb


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _zero(db_url: str, assignment: str, student: str) -> None:
    """Record a zero for a submission that could not be graded (as nbgrader does for missing notebooks)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


def _score(db_url: str, assignment: str, student: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        return float(submission.score), float(submission.max_score)


def _max_score(db_url: str, assignment: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return float(gb.find_assignment(assignment).max_score)


def write_csv(rows: list[Row], path: Path) -> None:
    """Write ``grades.csv`` atomically: one row per student, scores as plain numbers.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_csv([Row("alice", "01_projections", 9, 9)], Path(folder) / "grades.csv")
    ...     print((Path(folder) / "grades.csv").read_text().splitlines()[1])
    alice,01_projections,9,9,graded,,bubblewrap
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = asdict(row)
        record["score"] = f"{row.score:g}"
        record["max_score"] = f"{row.max_score:g}"
        writer.writerow(record)
    write_atomic(path, buffer.getvalue())


def _quiet_gradebook() -> None:
    """nbgrader's gradebook makes SQLAlchemy warn on every new submission; it is harmless
    (see the findings) and would bury the grader's own output."""
    try:
        from sqlalchemy.exc import SAWarning
    except ImportError:
        return
    warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.")


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
    log: Callable[[str], None] = lambda s: None,
) -> list[Row]:
    """Autograde ``submissions/<student>/<assignment>.ipynb`` into ``out``.

    Parameters
    ----------
    submissions : Path
        Folder with one folder per student.
    assignment : str
        Exercise name, e.g. ``"01_projections"``.
    out : Path
        Receives ``grades.csv``, ``feedback/<student>.html`` and ``autograded/<student>.ipynb``.
    timeout : float
        Seconds each cell may run.
    jobs : int, optional
        Notebooks run at once (default: one more than the number of CPUs, because a
        kernel spends part of its start-up and shutdown waiting, not computing).
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
        variant of the data (:mod:`stacks._roster`), made here from the course secret;
        a student not listed is graded on the shared data, and the row says so.
    log : callable
        Receives notices (e.g. a zygote that could not start).

    Returns
    -------
    list of Row
        The rows written to ``grades.csv``, sorted by student.

    Raises
    ------
    GradeError
        For a missing folder or an unknown assignment.
    SandboxError
        When ``sandbox`` is True and bubblewrap cannot start; the message says how to
        install it.

    Examples
    --------
    >>> rows = grade(Path("submissions"), "01_projections", Path("grades"))  # doctest: +SKIP
    >>> rows[0].student, rows[0].score, rows[0].max_score, rows[0].status  # doctest: +SKIP
    ('alice', 9.0, 9.0, 'graded')
    """
    from stacks import _provisioner

    known = exercise_names(paths)
    if assignment not in known:
        raise GradeError(
            f"unknown assignment {assignment!r}; the exercises are: {', '.join(known) or 'none'}"
        )
    exercise = _build.read_exercise(assignment, paths)
    if sandbox:
        _sandbox.require()
    work = find_submissions(submissions, assignment)
    for item in work:
        item.row.sandbox = "bubblewrap" if sandbox else "none"
    if roster is not None:
        _assign_variants(work, _roster.read_roster(roster), paths)
    _quiet_gradebook()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="stacks-grade-"))
    try:
        db_url = _build.course_copy(assignment, scratch / "course", paths)
        configuration = _config.config(
            scratch / "course",
            timeout=timeout,
            ExecuteWithLimits={
                # stacks-fork's provisioner also starts sandboxed kernels without the zygote
                "kernel_name": FORK_KERNEL if fork or sandbox else NATIVE_KERNEL,
                "fork": fork,
                "sandbox": sandbox,
                "limits": dict(exercise.limits),
                "kernel_env": {
                    **_config.nbgrader_settings(scratch)["ExecuteWithLimits"]["kernel_env"],
                    **({} if keep_plots else {"MPLBACKEND": "Agg"}),
                },
                # pyplot is imported in the zygote before the kernel starts, so ask for
                # the inline backend explicitly when the students' figures are wanted
                "kernel_arguments": ["--matplotlib=inline"] if keep_plots else [],
                # hidden tests make their data from the course secret, in this process only
                "hidden_seed": _secret.hidden_seed(assignment, paths, log=_tell),
            },
        )
        max_score = _max_score(db_url, assignment)
        _prepare_data(exercise, work)
        runnable = []
        for item in work:
            item.row.max_score = max_score
            if item.path is not None:
                _read(item)
            if item.notebook is not None:
                _sanitize(item, db_url, configuration)
            if item.notebook is None:
                _zero(db_url, assignment, item.row.student)
            else:
                runnable.append(item)
        try:
            asyncio.run(
                _run_all(
                    runnable,
                    work,
                    out,
                    scratch,
                    jobs or (os.cpu_count() or 1) + 1,
                    configuration,
                    exercise,
                    progress,
                )
            )
        finally:
            _provisioner.close_zygotes()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows = sorted((item.row for item in work), key=lambda r: r.student)
    write_csv(rows, out / "grades.csv")
    return rows


def _tell(line: str) -> None:
    print(f"stacks grade: {line}", file=sys.stderr)


def _sanitize(item: _Submission, db_url: str, configuration: Any) -> None:
    assert item.notebook is not None
    assignment, student = item.row.assignment, item.row.student
    item.resources = {
        **item.resources,  # notes made while reading
        "nbgrader": {
            "notebook": assignment,
            "assignment": assignment,
            "student": student,
            "db_url": db_url,
        },
    }
    from nbgrader.api import Gradebook

    try:
        with Gradebook(db_url) as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student)
        nb = item.notebook
        for pre in _config.preprocessors(_config.SANITIZE, configuration):
            nb, item.resources = pre(nb, item.resources)
        item.notebook = nb
    except Exception as error:
        item.row.status = "invalid-notebook"
        item.row.message = f"cannot restore the test cells: {error}"[:300]
        item.notebook = None


def _assign_variants(work: list[_Submission], students: list[str], paths: Paths) -> None:
    """Point each listed student's submission at their variant of the data."""
    secret = _secret.read_or_make(paths, log=_tell)
    listed = set(students)
    for item in work:
        if item.row.student in listed:
            item.data = _roster.variant_folder(_roster.data_seed(secret, item.row.student), paths)
        else:
            note = "not on the roster: graded on the shared data"
            item.row.message = f"{item.row.message}; {note}" if item.row.message else note


def _prepare_data(exercise: Exercise, work: list[_Submission]) -> None:
    """Generate the datasets the exercise declares (and each student's variant of them)
    before kernels start, so that no two kernels generate them at once and no kernel
    spends its time limit on it."""
    from helpers import datasets

    for name in exercise.datasets:
        datasets.path(name)
    for folder in sorted({item.data for item in work if item.data is not None}):
        with datasets.use_data(folder):
            for name in exercise.datasets:
                datasets.variant(name, int(folder.name))


async def _run_all(
    runnable: list[_Submission],
    work: list[_Submission],
    out: Path,
    scratch: Path,
    jobs: int,
    configuration: Any,
    exercise: Exercise,
    progress: bool,
) -> None:
    from tqdm import tqdm

    bar = tqdm(total=len(work), desc="grading", unit="notebook", disable=not progress, leave=True)
    for item in work:  # rows that cannot run get their page at once
        if item.notebook is None:
            _write_feedback(item, out, [])
            bar.update(1)
    gate = asyncio.Semaphore(jobs)
    harvest = {h.name: h.plane for h in exercise.harvest}

    async def one(item: _Submission) -> None:
        from helpers import datasets

        # each task has its own context: the kernel's data view, the judge's set-up cells
        # and the feedback pictures all see this student's variant of the data
        with datasets.use_data(item.data) if item.data is not None else contextlib.nullcontext():
            async with gate:
                workdir = scratch / "run" / item.row.student
                workdir.mkdir(parents=True, exist_ok=True)
                item.resources.setdefault("metadata", {})["path"] = str(workdir)
                await _autograde(item, configuration, harvest)
            _finish(item, out, exercise)
        bar.update(1)

    await asyncio.gather(*(one(item) for item in runnable))
    bar.close()


async def _autograde(item: _Submission, configuration: Any, harvest: dict[str, str | None]) -> None:
    """Run the autograde preprocessors; the execution step awaits, so kernels overlap."""
    nb, resources = item.notebook, item.resources
    assert nb is not None  # only readable, sanitized submissions are run
    for pre in _config.preprocessors(_config.AUTOGRADE, configuration, harvest=harvest):
        if not pre.enabled:
            continue
        try:
            if hasattr(pre, "async_preprocess"):
                nb, resources = await pre.async_preprocess(nb, resources)
            else:
                nb, resources = pre(nb, resources)
        except Exception as error:  # never let one submission stop the batch
            item.row.status = "error"
            item.row.message = f"{type(pre).__name__} failed: {type(error).__name__}: {error}"[:300]
            # no outputs would read as full marks to nbgrader: every test must show the failure
            mark_not_run(nb, -1, f"this cell did not run: {item.row.message}")
            break
    item.notebook, item.resources = nb, resources


def _finish(item: _Submission, out: Path, exercise: Exercise) -> None:
    """Score an executed notebook, save it and write the feedback page (never raises)."""
    import nbformat

    stacks = item.resources.get("stacks", {})
    execution = stacks.get("execution", {})
    pictures: list[_figures.Picture] = []
    try:
        if execution.get("status", "ok") != "ok":
            item.row.status = execution["status"]
        notes = [execution.get("message", ""), *stacks.get("notes", [])]
        nbgrader = item.resources["nbgrader"]
        if item.row.status != "error":
            item.row.score, item.row.max_score = _score(
                nbgrader["db_url"], nbgrader["assignment"], nbgrader["student"]
            )
        assert item.notebook is not None
        item.questions = _results.questions(item.notebook)
        item.row.message = "; ".join(n for n in [item.row.message, *notes] if n)[:500]
        write_atomic(
            out / "autograded" / f"{item.row.student}.ipynb", nbformat.writes(item.notebook)
        )
        arrays = stacks.get("arrays", {})
        pictures = [_figures.draw(f.kind, arrays, f.options) for f in exercise.feedback]
    except Exception as error:
        item.row.status = "error"
        item.row.message = f"grading failed: {type(error).__name__}: {error}"[:500]
    try:
        _write_feedback(item, out, pictures)
    except Exception as error:
        item.row.message = f"{item.row.message}; no feedback page: {type(error).__name__}: {error}"[
            :500
        ]


def _write_feedback(item: _Submission, out: Path, pictures: list[_figures.Picture]) -> None:
    row = item.row
    summary = _feedback.Summary(
        row.student, row.assignment, row.score, row.max_score, row.status, row.message
    )
    try:
        text = _feedback.page(
            summary, questions=item.questions, pictures=pictures, notebook=item.notebook
        )
    except Exception as error:  # the page without the notebook is still worth writing
        text = _feedback.page(
            _feedback.Summary(
                **{
                    **asdict(row),
                    "message": f"{row.message} (the notebook could not be rendered: {type(error).__name__})",
                }
            ),
            questions=item.questions,
            pictures=pictures,
        )
    write_atomic(out / "feedback" / f"{row.student}.html", text)
