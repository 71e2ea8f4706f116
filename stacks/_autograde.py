"""Autograde a folder of submissions with nbgrader's own preprocessors, in parallel.

``nbgrader autograde`` grades one notebook after another in one process (about 1.5 s
each, most of it waiting for a kernel). Here the same nbgrader preprocessors run in this
process around our own execution step, which runs several kernels at once:

1. sanitize (nbgrader): ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells
   (locked test cells restored from the gradebook, deleted ones added back), CheckCellMetadata;
2. execute (:mod:`stacks._execute`): per-cell timeout, cells that never ran get an error;
3. grade (nbgrader): stderr dropped from test cells (:mod:`stacks._results`),
   LimitOutput, SaveAutoGrades into a private copy of the gradebook;
4. report: ``grades.csv`` with one row per student folder, and one feedback page each.

One broken or endless submission only ever costs its own row.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from stacks import _build, _execute, _feedback, _results, _zygote
from stacks._markup import nbgrader_meta

CSV_COLUMNS = ("student", "assignment", "score", "max_score", "status", "message")


class GradeError(RuntimeError):
    """Grading cannot start (bad folder, unknown assignment); the message says why."""


@dataclass
class Row:
    """One line of ``grades.csv``."""

    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    status: str = "graded"  # graded | timeout | kernel-died | missing | invalid-notebook | error
    message: str = ""


@dataclass
class _Work:
    row: Row
    path: Path | None
    notebook: NotebookNode | None = None
    resources: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    questions: list[_results.Question] = field(default_factory=list)
    execution: _execute.Execution | None = None


def find_submissions(folder: Path, assignment: str) -> list[_Work]:
    """One entry per student folder in ``folder``.

    ``<student>/<assignment>.ipynb`` is the layout; nbgrader's own
    ``<student>/<assignment>/<assignment>.ipynb`` (its ``submitted/`` folder) works too.
    A notebook lying directly in ``folder`` gets a row saying where it should be.
    """
    if not folder.is_dir():
        raise GradeError(f"no submissions folder {folder}")
    work = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            row = Row(
                entry.stem,
                assignment,
                status="missing",
                message=f"found {entry.name} directly in the submissions folder; expected {entry.stem}/{assignment}.ipynb",
            )
            work.append(_Work(row, None))
        elif entry.is_dir():
            path = entry / f"{assignment}.ipynb"
            if not path.is_file() and (entry / assignment / f"{assignment}.ipynb").is_file():
                path = entry / assignment / f"{assignment}.ipynb"
            row = Row(entry.name, assignment)
            if not path.is_file():
                others = sorted(p.name for p in entry.iterdir() if not p.name.startswith("."))
                row.status = "missing"
                row.message = f"no {assignment}.ipynb in {entry.name}/" + (
                    f" (found: {', '.join(others[:5])})" if others else " (folder is empty)"
                )
                work.append(_Work(row, None))
            else:
                work.append(_Work(row, path))
    if not work:
        raise GradeError(
            f"no student folders in {folder}; expected {folder}/<student>/{assignment}.ipynb"
        )
    return work


def _read(item: _Work) -> None:
    """Read and validate a submission; mark it invalid with a reason if it is not a notebook."""
    assert item.path is not None
    try:
        nb = nbformat.read(item.path, as_version=4)
        nbformat.validate(nb)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, UnicodeDecodeError) as error:
        item.row.status, item.row.message = (
            "invalid-notebook",
            f"{item.path.name} is not a Jupyter notebook (not JSON: {error})"[:300],
        )
        return
    except Exception as error:  # nbformat raises several validation error types
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        item.row.status, item.row.message = (
            "invalid-notebook",
            f"{item.path.name} is not a valid notebook: {first}"[:300],
        )
        return
    item.notebook = nb


def _sanitize(item: _Work, db_url: str) -> None:
    """nbgrader's sanitize step; notes what it restored."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    nb = item.notebook
    assignment, student = item.row.assignment, item.row.student
    item.resources = {
        "nbgrader": {
            "notebook": assignment,
            "assignment": assignment,
            "student": student,
            "db_url": db_url,
        }
    }
    before = {
        nbgrader_meta(c).get("grade_id"): c.source
        for c in nb.cells
        if nbgrader_meta(c).get("grade_id")
    }
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(student)
        gb.update_or_create_submission(assignment, student)
        source = {c.name: c for c in gb.find_notebook(assignment, assignment).source_cells}
    overwrite = OverwriteCells(add_missing_cells=True)
    for pre in (
        ClearOutput(),
        DeduplicateIds(),
        OverwriteKernelspec(),
        overwrite,
        CheckCellMetadata(),
    ):
        nb, item.resources = pre.preprocess(nb, item.resources)
    _give_ids(nb)
    item.notebook = nb
    # a student's copy of a test cell never had the hidden tests: compare with what they got
    restored = sorted(
        g
        for g, cell in source.items()
        if cell.locked
        and g in before
        and before[g].strip() not in (cell.source.strip(), _visible(cell.source).strip())
    )
    after = {nbgrader_meta(c).get("grade_id") for c in nb.cells}
    added = sorted(g for g in after if g and g not in before)
    if added:
        item.notes.append(f"restored deleted cells: {', '.join(added)}")
    if restored:
        item.notes.append(f"restored edited test cells: {', '.join(restored)}")


def _visible(source: str) -> str:
    """A test cell as students see it: without its hidden-test region."""
    lines, hidden = [], False
    for line in source.splitlines():
        if "### BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "### END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def _give_ids(nb: NotebookNode) -> None:
    """Cells that OverwriteCells adds back have no id; nbformat 5.1+ wants one."""
    used = {cell.get("id") for cell in nb.cells}
    for index, cell in enumerate(nb.cells):
        if not cell.get("id"):
            candidate = str(nbgrader_meta(cell).get("grade_id") or f"cell-{index}")
            while candidate in used:
                candidate += "-restored"
            cell["id"] = candidate
            used.add(candidate)


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


def _save_grades(item: _Work) -> None:
    """nbgrader's grading step, after dropping stderr from test cells."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import LimitOutput, SaveAutoGrades

    nb = item.notebook
    _results.ignore_stderr_in_tests(nb)
    for pre in (LimitOutput(), SaveAutoGrades()):
        nb, item.resources = pre.preprocess(nb, item.resources)
    item.questions = _results.questions(nb)
    with Gradebook(item.resources["nbgrader"]["db_url"]) as gb:
        submission = gb.find_submission(item.row.assignment, item.row.student)
        item.row.score = float(submission.score)
        item.row.max_score = float(submission.max_score)


def _max_score(db_url: str, assignment: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return float(gb.find_assignment(assignment).max_score)


def _write_feedback(item: _Work, out: Path, pictures: list) -> None:
    body = ""
    if item.notebook is not None:
        try:
            body = _feedback.notebook_html(item.notebook)
        except Exception as error:  # the page without the notebook is still worth writing
            body = f"<p>(the notebook could not be rendered: {type(error).__name__})</p>"
    text = _feedback.page(
        student=item.row.student,
        assignment=item.row.assignment,
        score=item.row.score,
        max_score=item.row.max_score,
        status=item.row.status,
        message=item.row.message,
        questions=item.questions,
        pictures=pictures,
        notebook=body,
    )
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    (out / "feedback" / f"{item.row.student}.html").write_text(text, encoding="utf-8")


def write_csv(rows: list[Row], path: Path) -> None:
    """Write ``grades.csv``: one row per student, scores as plain numbers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            record = asdict(row)
            record["score"] = f"{row.score:g}"
            record["max_score"] = f"{row.max_score:g}"
            writer.writerow(record)


def _quiet_gradebook() -> None:
    """nbgrader's gradebook makes SQLAlchemy warn on every new submission; it is harmless
    (docs/findings) and would bury the grader's own output."""
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
    paths: _build.Paths = _build.Paths(),
    progress: bool = True,
    keep_plots: bool = False,
    fork: bool = True,
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
    paths : stacks._build.Paths
        Where the exercise sources and the nbgrader course folder are.
    progress : bool
        Show a progress bar on stderr.
    keep_plots : bool
        Render the students' own matplotlib figures (slower); by default kernels use the
        non-drawing Agg backend and the feedback shows our pictures instead.
    fork : bool
        Start kernels by forking a process that has the libraries imported
        (:mod:`stacks._zygote`); much faster, same isolation.
    log : callable
        Receives progress lines (one per step).

    Returns
    -------
    list of Row
        The rows written to ``grades.csv``, sorted by student.
    """
    if assignment not in _build.exercise_names(paths):
        known = ", ".join(_build.exercise_names(paths)) or "none"
        raise GradeError(f"unknown assignment {assignment!r}; the exercises are: {known}")
    work = find_submissions(submissions, assignment)
    _quiet_gradebook()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="stacks-grade-"))
    try:
        db_url = _build.course_copy(assignment, scratch / "course", paths)
        max_score = _max_score(db_url, assignment)
        _prepare_data(_build.source_notebook(assignment, paths))
        runnable = []
        for item in work:
            item.row.max_score = max_score
            if item.path is not None:
                _read(item)
            if item.notebook is not None:
                try:
                    _sanitize(item, db_url)
                except Exception as error:
                    item.row.status, item.row.message = (
                        "invalid-notebook",
                        f"cannot restore the test cells: {error}"[:300],
                    )
                    item.notebook = None
            if item.notebook is None:
                _zero(db_url, assignment, item.row.student)
            else:
                runnable.append(item)
        jobs = jobs or (os.cpu_count() or 1) + 1
        env = _execute.kernel_env({} if keep_plots else {"MPLBACKEND": "Agg"})
        zygote = None
        if runnable and fork:
            try:
                zygote = _zygote.Zygote(env)
            except Exception as error:  # fall back to ordinary kernel start-up
                log(f"kernels start without the zygote: {error}")
        try:
            manager = _zygote.kernel_manager_class(zygote) if zygote else None
            # pyplot is imported before the kernel starts (zygote), so ask for the inline
            # backend explicitly when the students' figures are wanted
            extra = ["--matplotlib=inline"] if keep_plots else []
            asyncio.run(
                _run_all(runnable, work, out, scratch, timeout, jobs, env, progress, manager, extra)
            )
        finally:
            if zygote:
                zygote.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows = sorted((item.row for item in work), key=lambda r: r.student)
    write_csv(rows, out / "grades.csv")
    return rows


_DATASET_USE = re.compile(r"datasets\.(?:path|load|load_truth|describe)\(\s*[\"'](\w+)[\"']")


def _prepare_data(source: NotebookNode) -> None:
    """Generate the datasets an exercise uses before kernels start, so that no two kernels
    generate them at once and no kernel spends its time limit on it."""
    from helpers import datasets

    names = {match for cell in source.cells for match in _DATASET_USE.findall(cell.source)}
    for name in sorted(names):
        if name in datasets.NAMES:
            datasets.path(name)


async def _run_all(
    runnable, work, out, scratch, timeout, jobs, env, progress, manager, extra
) -> None:
    from tqdm import tqdm

    bar = tqdm(total=len(work), desc="grading", unit="notebook", disable=not progress, leave=True)
    spec = _feedback.spec(runnable[0].row.assignment) if runnable else _feedback.FeedbackSpec()
    for item in work:  # rows that cannot run get their page at once
        if item.notebook is None:
            _write_feedback(item, out, [])
            bar.update(1)
    gate = asyncio.Semaphore(jobs)

    async def one(item: _Work) -> None:
        async with gate:
            workdir = scratch / "run" / item.row.student
            workdir.mkdir(parents=True, exist_ok=True)
            try:
                item.execution = await _execute.run_notebook(
                    item.notebook,
                    cwd=workdir,
                    timeout=timeout,
                    harvest=spec.harvest,
                    env=env,
                    kernel_manager_class=manager,
                    kernel_arguments=extra,
                )
            except Exception as error:  # never let one submission stop the batch
                item.execution = None
                item.row.status, item.row.message = (
                    "error",
                    f"could not run the notebook: {type(error).__name__}: {error}"[:300],
                )
        _finish(item, out)
        bar.update(1)

    await asyncio.gather(*(one(item) for item in runnable))
    bar.close()


def _finish(item: _Work, out: Path) -> None:
    """Grade an executed notebook, save it and write the feedback page (never raises)."""
    try:
        execution = item.execution
        if execution is None:
            # no outputs would read as full marks to nbgrader: every test must show the failure
            _execute.mark_not_run(item.notebook, -1, f"this cell did not run: {item.row.message}")
        elif execution.status != "ok":
            item.row.status = execution.status
            item.notes.insert(0, execution.message)
        _save_grades(item)
        item.row.message = "; ".join(n for n in [item.row.message, *item.notes] if n)[:500]
        (out / "autograded").mkdir(parents=True, exist_ok=True)
        nbformat.write(item.notebook, out / "autograded" / f"{item.row.student}.ipynb")
        pictures = _feedback.figures(item.row.assignment, execution.arrays if execution else {})
    except Exception as error:
        item.row.status = "error"
        item.row.message = f"grading failed: {type(error).__name__}: {error}"[:500]
        pictures = []
    try:
        _write_feedback(item, out, pictures)
    except Exception as error:
        item.row.message = (
            item.row.message + f"; no feedback page: {type(error).__name__}: {error}"
        )[:500]
