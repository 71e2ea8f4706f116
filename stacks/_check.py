"""``stacks check``: run a student's notebook and report each graded question.

It runs the same policies as grading (:data:`stacks._config.CHECK`) on a copy of the
notebook in a new kernel; the student's file is never written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stacks import _config, _results, _workspace
from stacks._errors import StacksError
from stacks._kernels import GRADING_ENV
from stacks._paths import Paths

__all__ = ["check"]


def _read(notebook: Path) -> Any:
    import nbformat

    if not notebook.exists():
        raise StacksError(f"no such file: {notebook}")
    if notebook.is_dir():
        raise StacksError(f"{notebook} is a folder; give the path of a notebook (.ipynb)")
    if notebook.suffix != ".ipynb":
        raise StacksError(f"{notebook} is not a notebook; give a .ipynb file")
    try:
        # a byte-order mark (some Windows editors add one) is not part of the notebook
        nb = nbformat.reads(notebook.read_bytes().decode("utf-8-sig"), as_version=4)
        nbformat.validate(nb)
    except Exception as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise StacksError(f"{notebook} is not a valid Jupyter notebook: {first}") from None
    return nb


def _pristine(notebook: Path, paths: Paths) -> str:
    """The student notebook of the same exercise as built, to restore edited test cells from."""
    candidate = paths.exercises / notebook.name
    if candidate.is_file() and candidate.resolve() != notebook.resolve():
        return str(candidate)
    return ""


def check(
    notebook: Path,
    *,
    timeout: float = 120,
    paths: Paths = Paths(),
    out: Callable[[str], None] = print,
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
    paths : Paths
        Where to find the pristine exercises.
    out : callable
        Receives the report, one line at a time.

    Returns
    -------
    int
        0 when every visible test passes, 1 otherwise.

    Raises
    ------
    StacksError
        When the path is not a readable notebook of an exercise.

    Examples
    --------
    >>> check(Path("work/01_projections.ipynb"))  # doctest: +SKIP
    01_projections.ipynb: 0 of 6 tests pass, 0 of 9 points (3 s)
      FAIL  0/1  Part 1: load the image sequence (1 point) [test_load]
            not answered yet: an answer cell above still raises NotImplementedError()
    ...
    1
    """
    notebook = Path(notebook)
    nb = _read(notebook)
    # before the run changes the notebook
    newer = _workspace.newer_release(nb, paths)
    hidden = _workspace.hidden_tests(nb)
    pristine = _pristine(notebook, paths)
    if hidden is None and pristine:
        hidden = _workspace.hidden_tests(_read(Path(pristine)))
    if not _results.questions(nb) and not pristine:
        raise StacksError(f"{notebook} has no graded test cells; is it one of the exercises?")
    configuration = _config.config(
        paths.course,
        timeout=timeout,
        RestoreTestCells={"originals": pristine},
        RestoreCellMetadata={"originals": pristine},
        # nothing is drawn: the report is text
        ExecuteWithLimits={
            "kernel_env": {**GRADING_ENV, "MPLBACKEND": "Agg"},
            # the tests run as in grading, outside the kernel; their cells come from the
            # exercise as built (the notebook itself when it is that file)
            "judge_source": pristine or str(notebook),
            # a student checks their own work on their own machine: no sandbox needed
            "sandbox": False,
        },
    )
    started = time.perf_counter()
    resources: dict[str, Any] = {"metadata": {"path": str(notebook.parent.resolve())}}
    for pre in _config.preprocessors(_config.CHECK, configuration):
        nb, resources = pre(nb, resources)
    questions = _results.questions(nb)
    if not questions:
        raise StacksError(f"{notebook} has no graded test cells; is it one of the exercises?")
    passed = sum(q.passed for q in questions)
    points = sum(q.score for q in questions)
    total = sum(q.points for q in questions)
    seconds = time.perf_counter() - started
    out(
        f"{notebook.name}: {passed} of {len(questions)} tests pass, {points:g} of {total:g} points ({seconds:.0f} s)"
    )
    for q in questions:
        out(
            f"  {'PASS' if q.passed else 'FAIL'}  {q.score:g}/{q.points:g}  {q.title} [{q.grade_id}]"
        )
        if q.message:
            out(f"        {q.message}")
    stacks = resources.get("stacks", {})
    for note in stacks.get("notes", []):
        out(f"note: {note}")
    execution = stacks.get("execution", {})
    if execution.get("status", "ok") != "ok":
        out(f"note: {execution['message']}")
    if newer:
        out(f"note: {newer}")
    if hidden is None:  # a release from before the stamp listed them
        out(
            "Hidden tests may run when your notebook is graded; passing here is necessary, not sufficient."
        )
    elif hidden:
        out(
            f"Hidden tests of {', '.join(hidden)} run when your notebook is graded (on other "
            "data): passing here is necessary, not sufficient."
        )
    return 0 if passed == len(questions) else 1
