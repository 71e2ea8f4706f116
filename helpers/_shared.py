"""Input checks shared by the subpackages of :mod:`helpers`.

Each check returns the value in the form the caller needs, or raises an error whose
message names the function that was called, the argument and what was expected, so a
student sees ``display() needs step to be a whole number of 1 or more, not 0.`` rather
than a traceback from deep inside NumPy. ``where`` is the name of the public function as
the student typed it, with its parentheses: ``"display()"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "numeric_array",
    "one_of",
    "positive_number",
    "spacing",
    "whole_number",
]


def positive_number(value: Any, name: str, where: str) -> float:
    """Return ``value`` as a finite float greater than 0.

    Examples
    --------
    >>> positive_number("2.5", "length", "scale_bar()")
    2.5
    >>> positive_number(-1, "length", "scale_bar()")
    Traceback (most recent call last):
    ...
    ValueError: scale_bar() needs length as a positive number, got -1.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{where} needs {name} as a positive number, got {value!r}.")
    return number


def whole_number(value: Any, name: str, where: str, minimum: int = 1) -> int:
    """Return ``value`` as an int of at least ``minimum``; bools and floats are refused.

    Examples
    --------
    >>> whole_number(3, "step", "display()")
    3
    >>> whole_number(0, "step", "display()")
    Traceback (most recent call last):
    ...
    ValueError: display() needs step to be a whole number of 1 or more, not 0.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(
            f"{where} needs {name} to be a whole number of {minimum} or more, not {value!r}."
        )
    return int(value)


def one_of(value: Any, choices: Iterable[str], name: str, where: str) -> str:
    """Return ``value`` if it is one of ``choices``.

    Examples
    --------
    >>> one_of("max", ("max", "median"), "how", "check_projection()")
    'max'
    >>> one_of("mean", ("max", "median"), "how", "check_projection()")
    Traceback (most recent call last):
    ...
    ValueError: check_projection() needs how to be one of 'max', 'median'; got 'mean'.
    """
    options = tuple(choices)
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"{where} needs {name} to be one of {listed}; got {value!r}.")
    return str(value)


def spacing(
    value: Any, ndim: int, where: str, example: str = "(0.29, 0.26, 0.26)"
) -> tuple[float, ...]:
    """Return a voxel spacing as ``ndim`` positive floats, one per axis in array order.

    Examples
    --------
    >>> spacing([2, 0.5, 0.5], 3, "surface_area()")
    (2.0, 0.5, 0.5)
    >>> spacing((1, 1), 3, "surface_area()")
    Traceback (most recent call last):
    ...
    ValueError: surface_area() needs spacing as 3 positive numbers, the distance between neighbouring pixels along each axis in array order, e.g. (0.29, 0.26, 0.26); got (1, 1).
    """
    try:
        values = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        values = ()
    if len(values) != ndim or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(
            f"{where} needs spacing as {ndim} positive numbers, the distance between "
            f"neighbouring pixels along each axis in array order, e.g. {example}; got {value!r}."
        )
    return values


def numeric_array(value: Any, where: str) -> np.ndarray:
    """Return ``value`` as an array of real numbers or booleans.

    Examples
    --------
    >>> numeric_array([[1, 2], [3, 4]], "show_plane()").dtype.kind
    'i'
    >>> numeric_array(["a", "b"], "show_plane()")
    Traceback (most recent call last):
    ...
    TypeError: show_plane() needs numbers or booleans, got dtype <U1.
    """
    array = np.asarray(value)
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{where} cannot draw complex numbers; pass np.abs(data) or data.real.")
    if not (array.dtype == bool or np.issubdtype(array.dtype, np.number)):
        raise TypeError(f"{where} needs numbers or booleans, got dtype {array.dtype}.")
    return array
