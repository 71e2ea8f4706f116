"""One submission graded from start to finish, in whatever process runs it.

This is the part of ``stacks grade`` that runs on a worker (:mod:`stacks._executors`): the
same code in the grader's own process or on a dask worker of another machine. What travels
to it is small and data only: the :class:`Context` of the batch (the assignment's gradebook
and source notebook, the settings, the seed of the hidden data), once per worker, and one
:class:`Job` per submission (the file's bytes, the seed of the student's data). What comes
back is an :class:`Outcome`: the row, the scores per question, the graded notebook and the
feedback page as text. Datasets are regenerated on the worker from their seeds and cached.

Steps per submission, each policy an nbgrader preprocessor listed in :mod:`stacks._config`:

1. read: a file that is not a notebook gets a row that says so;
2. sanitize (``_config.SANITIZE``): outputs cleared, metadata and test cells restored from
   the worker's private copy of the gradebook;
3. autograde (``_config.AUTOGRADE``): executed with limits in the sandbox, tests judged
   outside the kernel, scores saved to that gradebook;
4. report: the score, the questions, the exercise's pictures and the feedback page.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from stacks import _config, _feedback, _figures, _results, _roster
from stacks._exercise import Exercise
from stacks._io import process_folder
from stacks._kernels import FORK_KERNEL, NATIVE_KERNEL
from stacks._paths import Paths
from stacks._submissions import Row, parse_notebook
from stacks.preprocessors import mark_not_run

__all__ = ["Context", "Job", "Outcome", "grade_job", "run_job", "worker_name"]


@dataclass(frozen=True)
class Context:
    """What every submission of a batch is graded with; sent once to each worker."""

    assignment: str
    #: the bytes of the course's gradebook.db and of the source notebook (hidden tests in it)
    gradebook: bytes
    source: bytes
    exercise: Exercise
    timeout: float
    fork: bool
    sandbox: bool
    keep_plots: bool
    #: the seed of the hidden test data, derived from the course secret by the grader
    hidden_seed: int

    @property
    def digest(self) -> str:
        """Names this context: a worker prepares each context once."""
        parts = [self.gradebook, self.source, repr(self.settings()).encode()]
        return hashlib.sha256(b"\x00".join(parts)).hexdigest()[:16]

    def settings(self) -> dict[str, Any]:
        """Everything but the files: what changes a grade besides the exercise."""
        return {
            "assignment": self.assignment,
            "exercise": asdict(self.exercise),
            "timeout": self.timeout,
            "sandbox": self.sandbox,
            "keep_plots": self.keep_plots,
            "hidden_seed": self.hidden_seed,
        }


@dataclass(frozen=True)
class Job:
    """One submission to grade: the file's bytes and where its data come from."""

    row: Row  # as found: the student, the sandbox, notes made on the way (a roster)
    notebook: bytes
    file_name: str
    #: the seed of the student's own data (a roster), or None for the shared data
    data_seed: int | None = None


@dataclass
class Outcome:
    """What a worker sends back for one submission."""

    row: Row
    questions: list[_results.Question] = field(default_factory=list)
    graded: str = ""  # the notebook as graded, or "" when it could not run
    feedback: str = ""  # the feedback page
    seconds: float = 0.0
    worker: str = "local"


@dataclass
class _State:
    """A context made ready in one process: its course folder, configuration and scores."""

    folder: Path
    db_url: str
    configuration: Any
    max_score: float
    harvest: dict[str, str | None]


_STATES: dict[str, _State] = {}
_DATA_READY: set[tuple[Path | None, str, int | None]] = set()


def _state_for(context: Context) -> _State:
    """The context made ready in this process, once: later jobs reuse it (and its zygotes)."""
    state = _STATES.get(context.digest)
    if state is not None:
        return state
    from stacks import _sandbox

    if context.sandbox:
        _sandbox.require()
    quiet_gradebook()
    folder = process_folder("stacks-grade-")
    course = folder / "course"
    source = course / "source" / context.assignment
    source.mkdir(parents=True)
    (course / "gradebook.db").write_bytes(context.gradebook)
    (source / f"{context.assignment}.ipynb").write_bytes(context.source)
    configuration = _config.config(
        course,
        timeout=context.timeout,
        ExecuteWithLimits={
            # stacks-fork's provisioner also starts sandboxed kernels without the zygote
            "kernel_name": FORK_KERNEL if context.fork or context.sandbox else NATIVE_KERNEL,
            "fork": context.fork,
            "sandbox": context.sandbox,
            "limits": dict(context.exercise.limits),
            "kernel_env": {
                **_config.nbgrader_settings(folder)["ExecuteWithLimits"]["kernel_env"],
                **({} if context.keep_plots else {"MPLBACKEND": "Agg"}),
            },
            # pyplot is imported in the zygote before the kernel starts, so ask for the
            # inline backend explicitly when the students' figures are wanted
            "kernel_arguments": ["--matplotlib=inline"] if context.keep_plots else [],
            "hidden_seed": context.hidden_seed,
        },
    )
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    state = _State(
        folder,
        db_url,
        configuration,
        _max_score(db_url, context.assignment),
        {h.name: h.plane for h in context.exercise.harvest},
    )
    _STATES[context.digest] = state
    return state


def worker_name() -> str:
    """The dask worker running this task, or "local" in the grader's own process."""
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):
        return "local"


def run_job(context: Context, job: Job) -> Outcome:
    """Grade one submission in this process (a dask task): blocking, never raises for bad work."""
    outcome = asyncio.run(grade_job(context, job))
    outcome.worker = worker_name()
    return outcome


async def grade_job(context: Context, job: Job) -> Outcome:
    """Grade one submission; the kernel runs while other jobs of this process wait."""
    started = time.perf_counter()
    quiet_gradebook()  # per job: a caller (pytest) may have reset the filters since
    state = _state_for(context)
    row = copy.copy(job.row)
    row.max_score = state.max_score
    outcome = Outcome(row)
    nb, problem, notes = parse_notebook(job.notebook, job.file_name)
    resources: dict[str, Any] = {"stacks": {"notes": notes}}
    if nb is not None:
        nb, resources = _sanitize(nb, resources, row, state)
    elif problem:
        row.status, row.message = "invalid-notebook", problem
    pictures: list[_figures.Picture] = []
    if nb is None:
        _zero(state.db_url, row.assignment, row.student)
    else:
        with _data_for(context.exercise, job.data_seed):
            workdir = Path(tempfile.mkdtemp(prefix="run-", dir=state.folder))
            resources.setdefault("metadata", {})["path"] = str(workdir)
            try:
                nb, resources = await _autograde(nb, resources, row, state)
                pictures = _finish(nb, resources, outcome, state, context.exercise)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
    outcome.feedback = feedback_page(row, outcome.questions, pictures, nb)
    outcome.seconds = time.perf_counter() - started
    return outcome


@contextlib.contextmanager
def _data_for(exercise: Exercise, seed: int | None) -> Iterator[None]:
    """The student's data (their variant, or the shared one), made here if missing.

    A dask worker on another machine regenerates the datasets from their seeds; each is
    checked once per process.
    """
    from helpers import datasets

    folder = None if seed is None else _roster.variant_folder(seed, Paths())
    with datasets.use_data(folder) if folder is not None else contextlib.nullcontext():
        for name in exercise.datasets:
            if (folder, name, seed) not in _DATA_READY:
                if seed is None:
                    datasets.path(name)
                else:
                    datasets.variant(name, seed)
                _DATA_READY.add((folder, name, seed))
        yield


def _sanitize(
    nb: NotebookNode, resources: dict[str, Any], row: Row, state: _State
) -> tuple[NotebookNode | None, dict[str, Any]]:
    from nbgrader.api import Gradebook

    assignment, student = row.assignment, row.student
    resources["nbgrader"] = {
        "notebook": assignment,
        "assignment": assignment,
        "student": student,
        "db_url": state.db_url,
    }
    try:
        with Gradebook(state.db_url) as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(assignment, student)
        for pre in _config.preprocessors(_config.SANITIZE, state.configuration):
            nb, resources = pre(nb, resources)
    except Exception as error:
        row.status = "invalid-notebook"
        row.message = f"cannot restore the test cells: {error}"[:300]
        return None, resources
    return nb, resources


async def _autograde(
    nb: NotebookNode, resources: dict[str, Any], row: Row, state: _State
) -> tuple[NotebookNode, dict[str, Any]]:
    """Run the autograde preprocessors; the execution step awaits, so kernels overlap."""
    for pre in _config.preprocessors(_config.AUTOGRADE, state.configuration, harvest=state.harvest):
        if not pre.enabled:
            continue
        try:
            if hasattr(pre, "async_preprocess"):
                nb, resources = await pre.async_preprocess(nb, resources)
            else:
                nb, resources = pre(nb, resources)
        except Exception as error:  # never let one submission stop the batch
            row.status = "error"
            row.message = f"{type(pre).__name__} failed: {type(error).__name__}: {error}"[:300]
            # no outputs would read as full marks to nbgrader: every test must show the failure
            mark_not_run(nb, -1, f"this cell did not run: {row.message}")
            break
    return nb, resources


def _finish(
    nb: NotebookNode,
    resources: dict[str, Any],
    outcome: Outcome,
    state: _State,
    exercise: Exercise,
) -> list[_figures.Picture]:
    """Score an executed notebook and draw the exercise's pictures (never raises)."""
    import nbformat

    row = outcome.row
    stacks = resources.get("stacks", {})
    execution = stacks.get("execution", {})
    try:
        if execution.get("status", "ok") != "ok":
            row.status = execution["status"]
        notes = [execution.get("message", ""), *stacks.get("notes", [])]
        if row.status != "error":
            row.score, row.max_score = _score(state.db_url, row.assignment, row.student)
        outcome.questions = _results.questions(nb)
        row.message = "; ".join(n for n in [row.message, *notes] if n)[:500]
        outcome.graded = nbformat.writes(nb)
        arrays = stacks.get("arrays", {})
        return [_figures.draw(f.kind, arrays, f.options) for f in exercise.feedback]
    except Exception as error:
        row.status = "error"
        row.message = f"grading failed: {type(error).__name__}: {error}"[:500]
        return []


def feedback_page(
    row: Row,
    questions: list[_results.Question],
    pictures: list[_figures.Picture],
    nb: NotebookNode | None,
) -> str:
    """The student's feedback page; without their notebook when it cannot be rendered."""
    summary = _feedback.Summary(
        row.student, row.assignment, row.score, row.max_score, row.status, row.message
    )
    try:
        return _feedback.page(summary, questions=questions, pictures=pictures, notebook=nb)
    except Exception as error:  # the page without the notebook is still worth writing
        row.message = f"{row.message} (the notebook could not be rendered: {type(error).__name__})"
        summary = replace(summary, message=row.message)
        return _feedback.page(summary, questions=questions, pictures=pictures)


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


def quiet_gradebook() -> None:
    """nbgrader's gradebook makes SQLAlchemy warn on every new submission; it is harmless
    (see the findings) and would bury the grader's own output."""
    try:
        from sqlalchemy.exc import SAWarning
    except ImportError:
        return
    warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.")
