"""How a check fails: :class:`GradingError`, and answers turned into arrays or messages.

Every check stops through :func:`fail`, so that a failure is always a
:class:`GradingError` whose message is written for the student.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np


class GradingError(AssertionError):
    """A check failed; the message says what is wrong and what to try.

    Examples
    --------
    >>> raise GradingError("expected shape (512, 512), got (40, 512)")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: expected shape (512, 512), got (40, 512)
    """

    # Tracebacks and doctests name the class where students import it from, and the
    # IPython display of helpers.grading finds it by that name.
    __module__ = "helpers.grading"


def fail(message: str) -> NoReturn:
    """Stop the check with a :class:`GradingError` carrying ``message``.

    Examples
    --------
    >>> fail("max_z is None.")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: max_z is None.
    """
    raise GradingError(message)


def describe(value: Any) -> str:
    """Say what a value is, briefly, for messages such as 'max_z is a list'.

    Examples
    --------
    >>> describe([1, 2])
    'a list'
    >>> describe(np.zeros((2, 3), np.uint8))
    'an array of shape (2, 3) and dtype uint8'
    """
    if value is None:
        return "None"
    # a value that could not leave the student's kernel says itself what it was
    told = value.__dict__.get("grading_description") if hasattr(value, "__dict__") else None
    if isinstance(told, str):
        return told
    if callable(value) and not isinstance(value, np.ndarray):
        return f"a function ({getattr(value, '__name__', 'callable')})"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def shape_text(shape: tuple[int, ...]) -> str:
    """Write a shape as plain ints, whatever integer type its numbers have.

    Examples
    --------
    >>> shape_text((np.int64(40), 512))
    '(40, 512)'
    """
    return str(tuple(int(n) for n in shape))


def as_array(value: Any, name: str) -> np.ndarray:
    """Turn an answer into a numeric ndarray or explain why it cannot be one.

    Examples
    --------
    >>> as_array([[1, 2]], "max_z")
    array([[1, 2]])
    >>> as_array(None, "max_z")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: max_z is None. If it comes from a function, check that the function ends with `return ...`.
    """
    if value is None:
        fail(
            f"{name} is None. If it comes from a function, check that the function "
            "ends with `return ...`."
        )
    if callable(value) and not hasattr(value, "__array__"):
        fail(f"{name} is a function, not an image: call it, e.g. {name} = f(stack).")
    told = value.__dict__.get("grading_description") if hasattr(value, "__dict__") else None
    if isinstance(told, str):
        fail(f"{name} {told}" + ("" if told.endswith((".", "?", "!")) else "."))
    try:
        array = np.asarray(value)
    except Exception as error:  # any conversion failure is the student's to fix
        fail(f"{name} cannot be turned into a NumPy array ({error}); it is {describe(value)}.")
    if array.dtype == object:
        fail(
            f"{name} is {describe(value)} holding Python objects, not numbers; "
            "build it from NumPy arrays (e.g. np.stack or np.asarray)."
        )
    if array.dtype.kind not in "biuf":
        fail(f"{name} has dtype {array.dtype}; an image holds integers or floats.")
    return array
