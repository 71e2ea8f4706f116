"""Running a student's function: its exceptions become a message about their own code."""

from __future__ import annotations

import os
import sysconfig
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from ._failure import GradingError, describe, fail

#: Where a traceback frame is not the student's: installed libraries, the standard
#: library and this package.
_NOT_STUDENT_CODE = (
    sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["stdlib"],
    os.path.join(os.path.dirname(__file__), ""),
)


def call_student_function(func: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function; turn its exceptions into a message about their code.

    Examples
    --------
    >>> call_student_function(len, "count", [1, 2, 3])
    3
    >>> def stub(stack):
    ...     raise NotImplementedError()
    >>> call_student_function(stub, "stub", np.zeros(2))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: stub is not written yet: replace `raise NotImplementedError()` with your code.
    """
    if not callable(func):
        fail(f"{name} should be a function, but it is {describe(func)}.")
    try:
        return func(*args, **kwargs)
    except GradingError:
        raise
    except NotImplementedError:
        fail(f"{name} is not written yet: replace `raise NotImplementedError()` with your code.")
    except Exception as error:
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if not frame.filename.startswith(_NOT_STUDENT_CODE)
        ]
        # a function run in another process (the grader's judge) brings its own location
        where = str(getattr(error, "student_where", ""))
        if frames and not where:
            last = frames[-1]
            where = f" in line {last.lineno}" + (f" ({last.line.strip()})" if last.line else "")
        shapes = ", ".join(
            f"shape {a.shape} {a.dtype}" if isinstance(a, np.ndarray) else repr(a) for a in args
        )
        fail(
            f"{name}({shapes}) raised {type(error).__name__}: {error}{where}. "
            "Run your function on a small array to find out why."
        )
