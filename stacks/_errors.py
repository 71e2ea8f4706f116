"""The one exception type that the ``stacks`` command turns into a message.

Every expected failure of the pipeline (a bad argument, a missing file, malformed markup,
an unknown exercise) raises a subclass of :class:`StacksError` whose message names the
file or argument and says what was expected. :mod:`stacks.cli` prints that message as one
line and exits with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["BuildError", "GradeError", "MarkupError", "StacksError"]


class StacksError(Exception):
    """An error whose message is meant for the person at the terminal.

    Examples
    --------
    >>> raise StacksError("no submissions folder hand-ins/")
    Traceback (most recent call last):
    ...
    stacks._errors.StacksError: no submissions folder hand-ins/
    """


class MarkupError(StacksError, ValueError):
    """The nbgrader markup or the ``stacks`` front matter of an exercise source is wrong.

    Examples
    --------
    >>> isinstance(MarkupError("solutions/01.md: missing schema_version"), StacksError)
    True
    """


class BuildError(StacksError):
    """Building an exercise failed; the message names the file.

    Examples
    --------
    >>> str(BuildError("no exercise named 99_x"))
    'no exercise named 99_x'
    """


class GradeError(StacksError):
    """Grading cannot start (bad folder, unknown assignment); the message says why.

    Examples
    --------
    >>> str(GradeError("no submissions folder hand-ins"))
    'no submissions folder hand-ins'
    """
