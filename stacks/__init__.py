"""The instructor's pipeline behind the ``stacks`` command.

``stacks`` imports :mod:`helpers` (the library the notebooks use); ``helpers`` never
imports ``stacks``. The public functions, one per sub-command of ``stacks``:

- :func:`build`: ``solutions/*.md`` -> student notebooks ``exercises/*.ipynb``;
- :func:`check`: run a student's notebook and report each question;
- :func:`grade`: autograde a folder of submissions into grades, feedback and graded notebooks;
- :func:`selfcheck`: solutions get full marks, blank notebooks 0, ``exercises/`` is fresh.

The grading policies are nbgrader preprocessors in :mod:`stacks.preprocessors`, configured
once in :mod:`stacks._config`. An exercise declares what the pipeline needs in its own
source (:func:`read_exercise`). Everything is loaded on first use, so ``stacks --help`` does
not wait for nbformat and nbgrader.

Examples
--------
>>> import stacks
>>> stacks.read_exercise("01_projections").datasets
('zebrafish',)
"""

from __future__ import annotations

import importlib
from typing import Any

from stacks._errors import BuildError, GradeError, MarkupError, StacksError
from stacks._paths import Paths, exercise_names

_LAZY = {
    "build": "stacks._build",
    "read_exercise": "stacks._build",
    "check": "stacks._check",
    "grade": "stacks._autograde",
    "Row": "stacks._autograde",
    "selfcheck": "stacks._selfcheck",
    "Exercise": "stacks._exercise",
}

__all__ = [
    "BuildError",
    "Exercise",
    "GradeError",
    "MarkupError",
    "Paths",
    "Row",
    "StacksError",
    "build",
    "check",
    "exercise_names",
    "grade",
    "read_exercise",
    "selfcheck",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stacks' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
