"""``stacks selfcheck``: every solution gets full marks, every blank exercise 0, exercises/ is fresh."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from stacks import _autograde, _build, _sandbox
from stacks._paths import Paths, exercise_names

__all__ = ["selfcheck"]


def selfcheck(
    names: list[str] | None = None,
    paths: Paths = Paths(),
    *,
    timeout: float = 120,
    out: Callable[[str], None] = print,
) -> int:
    """Grade every solution and every blank student notebook; 0 when all is as it should be.

    "As it should be": the solution scores full marks with status ``graded``, the blank
    student notebook scores 0, and ``exercises/`` holds what a build produces now.

    Examples
    --------
    >>> selfcheck(["01_projections"])  # doctest: +SKIP
    exercise                 solution     blank    exercises/ up to date
    01_projections           9/9    ok    0   ok   yes
    0
    """
    names = names or exercise_names(paths)
    ok = True
    out(f"{'exercise':<24} {'solution':<12} {'blank':<8} exercises/ up to date")
    for name in names:
        release = _build.generate([name], paths)[name]
        current = paths.exercises / f"{name}.ipynb"
        fresh = current.is_file() and current.read_text(encoding="utf-8") == _build.student_text(
            name, release, paths
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
                row.student: row
                for row in _autograde.grade(
                    submissions,
                    name,
                    Path(tmp) / "out",
                    timeout=timeout,
                    paths=paths,
                    progress=False,
                    # the instructor's own notebooks: sandboxed where possible, so that a
                    # solution that only works unsandboxed is caught, but never required
                    sandbox=_sandbox.available() is None,
                )
            }
        solution, blank = rows["solution"], rows["blank"]
        full = solution.score == solution.max_score and solution.status == "graded"
        good = full and blank.score == 0 and fresh
        ok &= good
        out(
            f"{name:<24} {f'{solution.score:g}/{solution.max_score:g}':<6} {'ok' if full else 'LOW':<5} "
            f"{f'{blank.score:g}':<3} {'ok' if blank.score == 0 else 'HIGH':<4} "
            f"{'yes' if fresh else 'NO: run stacks build'}"
        )
        if not full:
            out(f"    solution: {solution.status} {solution.message}")
    return 0 if ok else 1
