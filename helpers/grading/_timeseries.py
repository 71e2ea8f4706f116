"""Checks on time series of volumes (exercise 05): the recording made of a file's pages,
its counts, reductions and selections, one time series per pixel, ΔF/F and the mask of
active neurons, and the same checks of a student's functions called on hidden recordings
made at grading time.

Axes are (time, z, y, x), the order of scikit-image. A *series* is (pixels, time): one row
per pixel of a volume, row ``k`` being pixel ``np.unravel_index(k, dims)``, as Thunder's
``toSeries`` gave.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from itertools import combinations
from typing import Any, Literal

import numpy as np

from ._failure import as_array, describe, fail, shape_text
from ._hidden import hidden_rng
from ._scores import foreground_dice
from ._segmentation import check_foreground
from ._variants import _call_on, _objects, _prefixed, _where, hidden_variant

#: The names of the axes of a recording, in order.
AXES = ("time", "z", "y", "x")

#: Relative agreement asked of floating-point answers (work in float32 is accepted).
RTOL = 1e-5

#: How much a pixel's implied baseline F / (1 + ΔF/F) may vary over time and still be one
#: number: far above float32 rounding (1e-7), far below any real change of baseline.
BASELINE_RTOL = 1e-4

#: The share of pixels whose baseline may break a rule (above the median...) by rounding.
BASELINE_SLACK = 0.01

How = Literal["max", "min", "mean", "std"]

_WHAT = {"max": "maximum", "min": "minimum", "mean": "mean", "std": "standard deviation"}


def _axis_text(axis: int, ndim: int) -> str:
    """``axis 1 (z)`` for a recording, ``axis 1`` for anything else."""
    return f"axis {axis} ({AXES[axis]})" if ndim == len(AXES) else f"axis {axis}"


def _close(student: np.ndarray, expected: np.ndarray) -> bool:
    """The same values, to float32 precision."""
    if student.shape != expected.shape:
        return False
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    return bool(
        np.allclose(student.astype(np.float64), expected, rtol=RTOL, atol=RTOL * scale + 1e-12)
    )


def _whole_number(value: Any, name: str) -> int:
    """``value`` as an int, or a message saying why it is not a count."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(f"{name} should be a whole number (int), but it is {describe(value)}.")
    if not isinstance(value, numbers.Integral):
        if float(value).is_integer():
            fail(f"{name} is {value!r}, a {type(value).__name__}; convert it with int(...).")
        fail(f"{name} is {value!r}; a count is a whole number.")
    return int(value)


def _shape_of(value: Any, name: str) -> tuple[int, ...]:
    """A shape given as a tuple (or list) of whole numbers."""
    if isinstance(value, numbers.Number):
        fail(f"{name} is one number; give the shape of one volume, a tuple (z, y, x).")
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = tuple(value.tolist())
    if not isinstance(value, tuple | list):
        fail(
            f"{name} should be a tuple of whole numbers, such as images.shape[1:], but it is {describe(value)}."
        )
    return tuple(_whole_number(n, f"each number of {name}") for n in value)


# ------------------------------------------------------------------ the recording and its counts


def check_counts(n_images: Any, dims: Any, shape: Sequence[int]) -> float:
    """Check the number of time points and the shape of one volume of a recording.

    Thunder called them ``nimages`` and ``dims``.

    Parameters
    ----------
    n_images : int
        The student's number of time points (volumes).
    dims : tuple of int
        The student's shape of one volume, ``(z, y, x)``.
    shape : sequence of int
        The true ``(time, z, y, x)`` shape of the recording.

    Returns
    -------
    float
        1.0 when both are right.

    Raises
    ------
    GradingError
        Naming the mistake: the number of pages instead of volumes, the time axis in
        ``dims``, Thunder's (x, y, z) order, a single plane.

    Examples
    --------
    >>> check_counts(20, (2, 76, 87), (20, 2, 76, 87))
    1.0
    >>> check_counts(40, (2, 76, 87), (20, 2, 76, 87))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: n_images is 40, the number of pages (2D planes) in the file; each time point is a volume of 2 planes, so the recording has 40 / 2 = 20 time points.
    >>> check_counts(20, (87, 76, 2), (20, 2, 76, 87))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: dims is (87, 76, 2), Thunder's order (x, y, z); in NumPy and scikit-image a volume is (z, y, x) = (2, 76, 87), which is images.shape[1:].
    """
    full = tuple(int(n) for n in shape)
    t, volume = full[0], full[1:]
    n = _whole_number(n_images, "n_images")
    if n != t:
        if volume and n == t * volume[0]:
            fail(
                f"n_images is {n}, the number of pages (2D planes) in the file; each time point "
                f"is a volume of {volume[0]} planes, so the recording has {n} / {volume[0]} = {t} "
                "time points."
            )
        axes = [k for k, size in enumerate(full) if size == n]
        hint = (
            f" {n} is the size of {_axis_text(axes[0], len(full))}; the number of time points "
            "is the size of axis 0, images.shape[0]."
            if axes
            else ""
        )
        fail(f"n_images is {n}, expected {t}.{hint}")
    got = _shape_of(dims, "dims")
    if got == volume:
        return 1.0
    want = f"(z, y, x) = {shape_text(volume)}"
    if got == full:
        fail(
            f"dims is {got}, which includes the time axis; dims is the shape of one volume, {want}: images.shape[1:]."
        )
    if got == volume[::-1]:
        fail(
            f"dims is {got}, Thunder's order (x, y, z); in NumPy and scikit-image a volume is "
            f"{want}, which is images.shape[1:]."
        )
    if got == volume[1:]:
        fail(f"dims is {got}, the shape of one plane; a volume has its planes too: {want}.")
    fail(f"dims is {got}, expected the shape of one volume, {want}: images.shape[1:].")


def check_movie(
    student: Any,
    reference: np.ndarray,
    *,
    name: str = "images",
    reference_name: str = "the recording",
) -> float:
    """Check a (time, z, y, x) recording made from the pages of a file.

    The pages of a multi-page TIFF of volumes come one volume after the other: time 0
    plane 0, time 0 plane 1, ..., time 1 plane 0, ... The check names the ways of putting
    them in the wrong places.

    Parameters
    ----------
    student : array_like
        The student's recording (a NumPy or dask array).
    reference : numpy.ndarray
        The true recording, (time, z, y, x).
    name, reference_name : str
        How the messages call the two recordings.

    Returns
    -------
    float
        1.0 when the recording is right (any dtype holding the same values).

    Raises
    ------
    GradingError
        E.g. the pages left as they are, time and z swapped, or the pages dealt into the
        planes in the wrong order.

    Examples
    --------
    >>> movie = np.arange(3 * 2 * 4 * 5).reshape(3, 2, 4, 5)
    >>> pages = movie.reshape(6, 4, 5)
    >>> check_movie(pages.reshape(3, 2, 4, 5), movie)
    1.0
    >>> check_movie(pages.reshape(2, 3, 4, 5).transpose(1, 0, 2, 3), movie)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: images takes the first 3 pages as plane 0 of every volume, but the file holds the planes of each time point together (time 0 plane 0, time 0 plane 1, time 1 plane 0, ...). Reshape the pages straight to (time, z, y, x), pages.reshape(-1, 2, 4, 5), without going through (z, time, y, x).
    """
    reference = np.asarray(reference)
    t, z, y, x = reference.shape
    array = as_array(student, name)
    want = f"(time, z, y, x) = {shape_text(reference.shape)}"
    if array.shape != reference.shape:
        if array.shape == (t * z, y, x):
            fail(
                f"{name} has shape {shape_text(array.shape)}: these are still the {t * z} pages of "
                f"the file. Give it the shape {want}, e.g. pages.reshape(-1, {z}, {y}, {x})."
            )
        if array.shape == (z, t, y, x):
            fail(
                f"{name} has shape {shape_text(array.shape)}, (z, time, y, x); time comes "
                f"first: {want}."
            )
        fail(f"{name} should have the shape {want}, got {shape_text(array.shape)}.")
    if np.array_equal(array, reference):
        return 1.0
    pages = reference.reshape(t * z, y, x)
    if z > 1 and np.array_equal(array, pages.reshape(z, t, y, x).transpose(1, 0, 2, 3)):
        fail(
            f"{name} takes the first {t} pages as plane 0 of every volume, but the file holds "
            "the planes of each time point together (time 0 plane 0, time 0 plane 1, time 1 "
            f"plane 0, ...). Reshape the pages straight to (time, z, y, x), "
            f"pages.reshape(-1, {z}, {y}, {x}), without going through (z, time, y, x)."
        )
    if z > 1 and np.array_equal(array, reference[:, ::-1]):
        fail(
            f"the planes of each volume of {name} are in reverse order; page 0 of a volume is plane 0."
        )
    wrong = array.astype(np.float64) != reference
    fail(
        f"{name} has the shape of {reference_name} but differs from it at {int(wrong.sum())} of "
        f"{wrong.size} values: build it from the pages with a reshape only, without sorting, "
        "scaling or converting the values."
    )


def check_movie_function(
    func: Callable[[np.ndarray, int], Any],
    dataset: str = "timelapse",
    *,
    shape: Sequence[int] | None = None,
) -> float:
    """Call a student's ``to_movie(pages, n_planes)`` on the pages of a hidden recording.

    The hidden recording has the physics of ``dataset`` and its own shape (another number
    of planes per volume, so that a function that assumes 2 fails).

    Parameters
    ----------
    func : callable
        The student's function of a (pages, y, x) array and the number of planes per
        volume, returning (time, z, y, x).
    dataset : str
        The dataset whose physics the hidden recording has.
    shape : sequence of int, optional
        The hidden recording's (time, z, y, x) shape (default: the dataset's own).

    Returns
    -------
    float
        1.0 when the recording is right.

    Raises
    ------
    GradingError
        As :func:`check_movie` does, saying that the pages were hidden ones.

    Examples
    --------
    >>> def to_movie(pages, n_planes):
    ...     return pages.reshape(-1, n_planes, *pages.shape[1:])
    >>> check_movie_function(to_movie, shape=(6, 3, 20, 24))
    1.0
    >>> check_movie_function(lambda pages, n: pages.reshape(-1, 2, 20, 24), shape=(6, 3, 20, 24))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden timelapse volume of shape (18, 20, 24) (made at grading time): <lambda>(pages, 3) should have the shape (time, z, y, x) = (6, 3, 20, 24), got (9, 2, 20, 24).
    """
    movie, _ = hidden_variant(dataset, shape)
    t, z, y, x = movie.shape
    pages = movie.reshape(t * z, y, x)
    fname = getattr(func, "__name__", "your function")
    out = _call_on(func, pages, z, what="pages")
    with _prefixed(_where(dataset, pages.shape)):
        return check_movie(out, movie, name=f"{fname}(pages, {z})", reference_name="the recording")


# ------------------------------------------------------------------ reductions and selections


def _reduce(movie: np.ndarray, how: str, axis: tuple[int, ...], ddof: int = 0) -> np.ndarray:
    values = movie.astype(np.float64)
    if how == "std":
        return np.asarray(values.std(axis=axis, ddof=ddof))
    return np.asarray(getattr(values, how)(axis=axis))


def _axes_of(axis: int | Sequence[int], ndim: int) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes))


def _axes_words(axes: tuple[int, ...], ndim: int) -> str:
    return " and ".join(_axis_text(a, ndim) for a in axes)


def check_reduction(
    student: Any,
    movie: np.ndarray,
    how: How = "max",
    axis: int | Sequence[int] = 0,
    *,
    name: str = "result",
    movie_name: str = "images",
) -> float:
    """Check a maximum, minimum, mean or standard deviation of a recording along an axis.

    A standard deviation may use ``ddof=0`` (NumPy's and dask's default) or ``ddof=1``.

    Parameters
    ----------
    student : array_like
        The student's result (a NumPy or dask array).
    movie : numpy.ndarray
        The recording it was computed from, (time, z, y, x).
    how : {"max", "min", "mean", "std"}
        Which reduction was asked for.
    axis : int or sequence of int
        The axis (or axes) it reduces: 0 is time, 1 is z.
    name, movie_name : str
        How the messages call the result and the recording.

    Returns
    -------
    float
        1.0 when the result is right.

    Raises
    ------
    GradingError
        Naming the axis that was reduced instead, or the reduction computed instead.

    Examples
    --------
    >>> movie = np.random.default_rng(0).integers(0, 100, (5, 2, 3, 4))
    >>> check_reduction(movie.max(axis=0), movie, "max", 0, name="time_max")
    1.0
    >>> check_reduction(movie.max(axis=1), movie, "max", 0, name="time_max")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: time_max has shape (5, 3, 4): you reduced axis 1 (z), but the maximum asked for is over axis 0 (time): images.max(axis=0), of shape (2, 3, 4).
    >>> check_reduction(movie.mean(axis=0), movie, "max", 0, name="time_max")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: time_max is the mean over axis 0 (time), not the maximum: images.max(axis=0).
    """
    if how not in _WHAT:
        raise ValueError(f"how must be one of {', '.join(_WHAT)}, not {how!r}")
    movie = np.asarray(movie)
    axes = _axes_of(axis, movie.ndim)
    axis_code = axes[0] if len(axes) == 1 else axes
    expected = _reduce(movie, how, axes)
    code = f"{movie_name}.{how}(axis={axis_code})"
    what = f"the {_WHAT[how]} asked for is over {_axes_words(axes, movie.ndim)}: {code}"
    array = as_array(student, name)
    if array.dtype == bool:
        fail(f"{name} is boolean (True/False); the {_WHAT[how]} keeps the intensities of the data.")
    if array.shape != expected.shape:
        got = shape_text(array.shape)
        if array.ndim == 0:
            fail(f"{name} is a single number: {what}, which keeps the other axes.")
        if array.shape == movie.shape:
            fail(f"{name} still has the shape of {movie_name}, {got}: {what}.")
        for k in range(1, movie.ndim):
            for others in combinations(range(movie.ndim), k):
                if others != axes and np.delete(movie.shape, others).tolist() == list(array.shape):
                    fail(
                        f"{name} has shape {got}: you reduced {_axes_words(others, movie.ndim)}, "
                        f"but {what}, of shape {shape_text(expected.shape)}."
                    )
        fail(f"{name} should have the shape {shape_text(expected.shape)}, got {got}: {what}.")
    if _close(array, expected) or (how == "std" and _close(array, _reduce(movie, how, axes, 1))):
        return 1.0
    for other in _WHAT:
        if other != how and _close(array, _reduce(movie, other, axes)):
            fail(
                f"{name} is the {_WHAT[other]} over {_axes_words(axes, movie.ndim)}, not the "
                f"{_WHAT[how]}: {code}."
            )
    difference = np.abs(array.astype(np.float64) - expected)
    fail(
        f"{name} has the right shape but differs from {code} by up to {difference.max():.4g} "
        f"(at {int((difference > RTOL * np.abs(expected).max()).sum())} of {difference.size} "
        "pixels). Compute it from the recording itself, with no conversion to a smaller dtype."
    )


def _full_index(index: Any, ndim: int) -> tuple[Any, ...]:
    key = index if isinstance(index, tuple) else (index,)
    return (*key, *([slice(None)] * (ndim - len(key))))


def _index_text(key: tuple[Any, ...]) -> str:
    """``[:, 1]`` for ``(slice(None), 1, slice(None), slice(None))``."""
    parts = list(key)
    while parts and parts[-1] == slice(None):
        parts.pop()

    def one(item: Any) -> str:
        if not isinstance(item, slice):
            return str(item)
        text = (
            f"{'' if item.start is None else item.start}:{'' if item.stop is None else item.stop}"
        )
        return text + ("" if item.step is None else f":{item.step}")

    return "[" + ", ".join(one(p) for p in parts) + "]" if parts else "[...]"


def _selection_mistakes(
    key: tuple[Any, ...], shape: tuple[int, ...]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Selections a student could make instead of ``key``, and what each says is wrong."""
    ndim = len(shape)
    for p, item in enumerate(key):
        if item == slice(None):
            continue
        for q in range(ndim):
            if (
                q == p
                or key[q] != slice(None)
                or (not isinstance(item, slice) and item >= shape[q])
            ):
                continue
            moved = list(key)
            moved[p], moved[q] = slice(None), item
            yield (
                tuple(moved),
                f"that selects along {_axis_text(q, ndim)}, not along {_axis_text(p, ndim)}.",
            )
        if isinstance(item, numbers.Integral):
            for other in (int(item) - 1, int(item) + 1):
                if 0 <= other < shape[p]:
                    moved = list(key)
                    moved[p] = other
                    yield (
                        tuple(moved),
                        f"that is index {other} of {_axis_text(p, ndim)}, not {item}: Python "
                        "counts from 0, so the first plane is index 0.",
                    )
        elif isinstance(item, slice) and item.step and item.step > 1 and not item.start:
            for start in range(1, item.step + 1):
                moved = list(key)
                moved[p] = slice(start, item.stop, item.step)
                yield (
                    tuple(moved),
                    f"that starts at index {start}; start from the first one, index 0.",
                )
            if p == 0 and ndim == len(AXES):
                space = (slice(None), slice(None), item, item)
                yield (
                    space,
                    "that subsamples in space, as Thunder's subsample did; here every "
                    f"{item.step}th time point is asked for.",
                )


def check_selection(
    student: Any,
    movie: np.ndarray,
    index: Any,
    *,
    name: str = "result",
    movie_name: str = "images",
) -> float:
    """Check a selection of a recording: planes, time points, every n-th volume...

    Parameters
    ----------
    student : array_like
        The student's selection (a NumPy or dask array).
    movie : numpy.ndarray
        The recording it was taken from, (time, z, y, x).
    index : int, slice or tuple of them
        The selection asked for, as NumPy writes it, e.g. ``np.s_[:, 1]`` (plane 1 of every
        volume) or ``np.s_[::3]`` (every third volume).
    name, movie_name : str
        How the messages call the selection and the recording.

    Returns
    -------
    float
        1.0 when the selection is right.

    Raises
    ------
    GradingError
        Naming the selection made instead: another axis, an index off by one, a start
        other than 0, subsampling in space instead of time.

    Examples
    --------
    >>> movie = np.arange(7 * 2 * 3 * 4).reshape(7, 2, 3, 4)
    >>> check_selection(movie[:, 1], movie, np.s_[:, 1], name="plane_1")
    1.0
    >>> check_selection(movie[1], movie, np.s_[:, 1], name="plane_1")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: plane_1 is images[1]: that selects along axis 0 (time), not along axis 1 (z). The selection asked for is images[:, 1], of shape (7, 3, 4).
    >>> check_selection(movie[1::3], movie, np.s_[::3], name="every_third")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: every_third is images[1::3]: that starts at index 1; start from the first one, index 0. The selection asked for is images[::3], of shape (3, 2, 3, 4).
    """
    movie = np.asarray(movie)
    key = _full_index(index, movie.ndim)
    expected = movie[key]
    array = as_array(student, name)
    if array.shape == expected.shape and np.array_equal(array, expected):
        return 1.0
    asked = f"The selection asked for is {movie_name}{_index_text(key)}, of shape {shape_text(expected.shape)}."
    for candidate, why in _selection_mistakes(key, movie.shape):
        made = movie[candidate]
        if made.shape == array.shape and np.array_equal(array, made):
            fail(f"{name} is {movie_name}{_index_text(candidate)}: {why} {asked}")
    if array.shape != expected.shape:
        fail(f"{name} has shape {shape_text(array.shape)}. {asked}")
    fail(
        f"{name} has the right shape but not the values of the selection: select with indices "
        f"and slices only, without changing the values. {asked}"
    )


# ------------------------------------------------------------------ one time series per pixel


def check_series(student: Any, movie: np.ndarray, *, name: str = "series") -> float:
    """Check the series of a recording: one row per pixel, time along axis 1.

    Row ``k`` must be the time course of pixel ``np.unravel_index(k, movie.shape[1:])``:
    ``movie.reshape(t, -1).T``.

    Parameters
    ----------
    student : array_like
        The student's series (a NumPy or dask array).
    movie : numpy.ndarray
        The recording, (time, z, y, x).
    name : str
        How the messages call the series.

    Returns
    -------
    float
        1.0 when the series is right.

    Raises
    ------
    GradingError
        E.g. time along axis 0, or rows that mix time points and pixels
        (``movie.reshape(-1, t)``).

    Examples
    --------
    >>> movie = np.arange(4 * 2 * 3 * 5).reshape(4, 2, 3, 5)
    >>> check_series(movie.reshape(4, -1).T, movie)
    1.0
    >>> check_series(movie.reshape(-1, 4), movie)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: the rows of series mix time points and pixels: movie.reshape(-1, 4) puts 4 neighbouring values of one frame in a row. Move the time axis to the end first, e.g. movie.reshape(4, -1).T.
    """
    movie = np.asarray(movie)
    t = movie.shape[0]
    n = int(np.prod(movie.shape[1:]))
    expected = movie.reshape(t, n).T
    array = as_array(student, name)
    want = f"(pixels, time) = ({n}, {t})"
    if array.shape != (n, t):
        got = shape_text(array.shape)
        if array.shape == (t, n):
            fail(
                f"{name} has shape {got}, one row per time point. A series has one row per pixel "
                f"and time along axis 1, {want}: transpose it (.T)."
            )
        if array.shape == (*movie.shape[1:], t):
            fail(
                f"{name} has shape {got}: put the pixels of a volume on one axis, {want}, "
                "with a reshape."
            )
        if array.shape == movie.shape:
            fail(f"{name} still has the recording's shape {got}; a series is {want}.")
        fail(f"{name} should have the shape {want}, one row for each pixel of a volume, got {got}.")
    if np.array_equal(array, expected):
        return 1.0
    if np.array_equal(array, movie.reshape(n, t)):
        fail(
            f"the rows of {name} mix time points and pixels: movie.reshape(-1, {t}) puts {t} "
            "neighbouring values of one frame in a row. Move the time axis to the end first, "
            f"e.g. movie.reshape({t}, -1).T."
        )
    if np.array_equal(array, np.moveaxis(movie, 0, -1).reshape(n, t, order="F")):
        fail(
            f"the rows of {name} are in column-major (Fortran) order: row k should be pixel "
            "np.unravel_index(k, dims), with x changing fastest, NumPy's own (C) order."
        )
    fail(
        f"{name} has the right shape, but its row k is not the time course of pixel "
        f"np.unravel_index(k, dims): build it with movie.reshape({t}, -1).T."
    )


def check_series_function(
    func: Callable[[np.ndarray], Any],
    dataset: str = "timelapse",
    *,
    shape: Sequence[int] | None = None,
) -> float:
    """Call a student's ``to_series(movie)`` on a hidden recording; check its series.

    Parameters
    ----------
    func : callable
        The student's function of a (time, z, y, x) array, returning (pixels, time).
    dataset : str
        The dataset whose physics the hidden recording has.
    shape : sequence of int, optional
        The hidden recording's shape (default: the dataset's own).

    Returns
    -------
    float
        1.0 when the series is right.

    Raises
    ------
    GradingError
        As :func:`check_series` does, saying that the recording was a hidden one.

    Examples
    --------
    >>> check_series_function(lambda m: m.reshape(m.shape[0], -1).T, shape=(6, 3, 20, 24))
    1.0
    >>> check_series_function(lambda m: m.reshape(m.shape[0], -1), shape=(6, 3, 20, 24))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden timelapse volume of shape (6, 3, 20, 24) (made at grading time): <lambda>(movie) has shape (6, 1440), one row per time point. A series has one row per pixel and time along axis 1, (pixels, time) = (1440, 6): transpose it (.T).
    """
    movie, _ = hidden_variant(dataset, shape)
    fname = getattr(func, "__name__", "your function")
    out = _call_on(func, movie, what="recording")
    with _prefixed(_where(dataset, movie.shape)):
        return check_series(out, movie, name=f"{fname}(movie)")


# ------------------------------------------------------------------ ΔF/F


def _constant(values: np.ndarray) -> np.ndarray:
    """For each row (last axis), whether its values are one number to BASELINE_RTOL."""
    with np.errstate(invalid="ignore"):
        spread = np.ptp(values, axis=-1)
        size = np.abs(np.median(values, axis=-1))
        return np.asarray(np.isfinite(spread) & (spread <= BASELINE_RTOL * size + 1e-12))


def check_dff(
    student: Any, fluorescence: np.ndarray, *, name: str = "dff", time_axis: int = -1
) -> float:
    """Check ΔF/F = (F - F0) / F0, with one resting baseline F0 per pixel.

    Any baseline that is one number per pixel, computed from the pixel's own values and
    no higher than their median, is accepted (a low percentile, the minimum, the median).
    For each pixel, ``F / (1 + dff)`` is then that number at every time point; the check
    finds it and judges it.

    Parameters
    ----------
    student : array_like
        The student's ΔF/F, of the shape of ``fluorescence``.
    fluorescence : numpy.ndarray
        The fluorescence F it was computed from, e.g. a series (pixels, time).
    name : str
        How the messages call the student's ΔF/F.
    time_axis : int
        The time axis of ``fluorescence``: 1 (or -1) for a series, 0 for a recording.

    Returns
    -------
    float
        1.0 when ΔF/F is right.

    Raises
    ------
    GradingError
        E.g. no division by F0, F / F0, one F0 for all pixels, a baseline that changes
        with time (computed over the wrong axis, or chunk by chunk), a baseline raised by
        the transients (the mean), uint16 arithmetic that wrapped around.

    Examples
    --------
    >>> f = np.array([[100.0, 102, 98, 150, 101], [400, 404, 396, 800, 398]])
    >>> f0 = np.percentile(f, 20, axis=1, keepdims=True)
    >>> check_dff((f - f0) / f0, f)
    1.0
    >>> check_dff(f - f0, f)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: dff is F - F0, in counts: divide by the baseline too, (F - F0) / F0, so that pixels with more dye and pixels with less can be compared.
    >>> f0 = f.mean(axis=1, keepdims=True)
    >>> check_dff((f - f0) / f0, f)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: for 100% of the pixels, the baseline F0 of dff is above the median of the pixel's own values: it should be the resting level, which a transient must not raise. Use a low percentile (the 10th to the 30th) of each pixel's values over time, not their mean.
    """
    given = np.asarray(fluorescence)
    axis = time_axis % given.ndim
    array = as_array(student, name)
    want = shape_text(given.shape)
    if array.shape != given.shape:
        got = shape_text(array.shape)
        reduced = tuple(np.delete(given.shape, axis))
        kept = tuple(1 if k == axis else n for k, n in enumerate(given.shape))
        if array.shape in (reduced, kept):
            fail(
                f"{name} has shape {got}, one value per pixel: that looks like the baseline F0 "
                f"or a score. ΔF/F has a value for every pixel at every time point, "
                f"(F - F0) / F0, of shape {want}."
            )
        if given.ndim == 2 and array.shape == given.shape[::-1]:
            fail(f"{name} is transposed: ΔF/F keeps the layout of the series, {want}, not {got}.")
        fail(
            f"{name} should have the shape of the fluorescence it is computed from, {want}, got {got}."
        )
    if array.dtype == bool or array.dtype.kind in "iu":
        fail(
            f"{name} holds {array.dtype} values; ΔF/F is a fraction: compute it in floats "
            "(e.g. series.astype(np.float64) first)."
        )
    f = np.moveaxis(given.astype(np.float64), axis, -1)
    d = np.moveaxis(array.astype(np.float64), axis, -1)
    if not np.all(np.isfinite(d)):
        fail(f"{name} has NaN or infinite values: is F0 zero, or missing, for some pixels?")
    if _close(d, f):
        fail(
            f"{name} is the fluorescence itself: subtract each pixel's baseline F0 and divide by it, (F - F0) / F0."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        base = f / (1.0 + d)  # F0 of each pixel at each time point, if dff = F / F0 - 1
        ratio = f / d
    steady = _constant(base)
    if steady.all():
        f0 = np.median(base, axis=-1)
        if f0.size > 1 and _constant(f0.reshape(1, -1)).all():
            fail(
                f"{name} uses one baseline F0 = {float(f0.flat[0]):.4g} for every pixel, but each "
                "pixel has its own resting level (more or less dye, more or less light): compute "
                "F0 for each pixel from its own values over time."
            )
        # a baseline is the resting level: at or below the pixel's median, at or above its minimum
        high = np.mean(f0 > np.median(f, axis=-1) * (1 + BASELINE_RTOL))
        low = np.mean(f0 < f.min(axis=-1) * (1 - BASELINE_RTOL))
        if high > BASELINE_SLACK:
            fail(
                f"for {high:.0%} of the pixels, the baseline F0 of {name} is above the median of "
                "the pixel's own values: it should be the resting level, which a transient must "
                "not raise. Use a low percentile (the 10th to the 30th) of each pixel's values "
                "over time, not their mean."
            )
        if low > BASELINE_SLACK:
            fail(
                f"for {low:.0%} of the pixels, the baseline F0 of {name} is below every value "
                "the pixel takes: use a low percentile (the 10th to the 30th) of each pixel's "
                "own values over time."
            )
        return 1.0
    if _constant(f - d).all():
        fail(
            f"{name} is F - F0, in counts: divide by the baseline too, (F - F0) / F0, so that "
            "pixels with more dye and pixels with less can be compared."
        )
    if _constant(ratio).all():
        fail(f"{name} is F / F0: subtract 1, (F - F0) / F0, so that a pixel at rest is 0.")
    if given.dtype.kind == "u" and d.max() > 100:
        fail(
            f"{name} reaches {d.max():.4g}: subtracting F0 from unsigned integers "
            f"({given.dtype}) wraps around below 0. Convert the series to floats first, "
            "e.g. series.astype(np.float64)."
        )
    if np.allclose(d, 0, atol=1e-9):
        fail(
            f"{name} is 0 everywhere: each F0 was computed from a single value. With dask, "
            "map_blocks works chunk by chunk: rechunk so that each chunk holds whole time "
            "series (rechunk({1: -1}) for a series) before computing the baseline."
        )
    if d.ndim == 2 and _constant(base.T).all():
        fail(
            f"the baseline of {name} changes with time: it was computed over the pixels of "
            "each time point. Compute it for each pixel over time, the last axis of a series "
            "(axis=1)."
        )
    fail(
        f"{name} is not (F - F0) / F0 with one baseline F0 per pixel: for each pixel, "
        f"F / (1 + {name}) should be the same number F0 at every time point, but it changes. "
        "Compute F0 once per pixel, over the time axis, and use it for all time points. With "
        "dask's map_blocks, each chunk must hold whole time series (rechunk({1: -1}))."
    )


def check_dff_function(
    func: Callable[[np.ndarray], Any],
    dataset: str = "timelapse",
    *,
    shape: Sequence[int] | None = None,
) -> float:
    """Call a student's ``delta_f_over_f(series)`` on the series of a hidden recording.

    The series is (pixels, time), uint16 as the recording is, so that arithmetic in the
    recording's own dtype wraps around and shows.

    Parameters
    ----------
    func : callable
        The student's function of a (pixels, time) series, returning ΔF/F of its shape.
    dataset : str
        The dataset whose physics the hidden recording has.
    shape : sequence of int, optional
        The hidden recording's (time, z, y, x) shape (default: the dataset's own).

    Returns
    -------
    float
        1.0 when ΔF/F is right.

    Raises
    ------
    GradingError
        As :func:`check_dff` does, saying that the series was a hidden one.

    Examples
    --------
    >>> def delta_f_over_f(series):
    ...     f = series.astype(np.float64)
    ...     f0 = np.percentile(f, 20, axis=1, keepdims=True)
    ...     return (f - f0) / f0
    >>> check_dff_function(delta_f_over_f, shape=(10, 2, 20, 24))
    1.0
    >>> check_dff_function(lambda s: s / np.median(s, axis=1, keepdims=True), shape=(10, 2, 20, 24))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden timelapse volume of shape (960, 10) (made at grading time): <lambda>(series) is F / F0: subtract 1, (F - F0) / F0, so that a pixel at rest is 0.
    """
    movie, _ = hidden_variant(dataset, shape)
    series = np.ascontiguousarray(movie.reshape(movie.shape[0], -1).T)
    fname = getattr(func, "__name__", "your function")
    out = _call_on(func, series, what="series")
    with _prefixed(_where(dataset, series.shape)):
        return check_dff(out, series, name=f"{fname}(series)", time_axis=1)


# ------------------------------------------------------------------ active neurons

#: A mask that marks this share of the pixels or more marks "everything".
EVERYTHING = 0.95

#: The Dice of its opposite above which a mask that overlaps three times less is inverted
#: (a threshold of a skewed score, taken the wrong way round, leaves its opposite too large
#: to reach the Dice asked for: measured 0.5 against 0.07 on the course data).
INVERTED_DICE = 0.4


def check_active(
    student: Any,
    truth: np.ndarray,
    *,
    min_dice: float = 0.65,
    name: str = "active",
    objects: str = "active neurons",
    frames: int | None = None,
) -> float:
    """Check a mask of active neurons, (z, y, x), against the ground truth: Dice.

    Parameters
    ----------
    student : array_like
        The student's mask: boolean, or 0 and 1.
    truth : numpy.ndarray
        The true mask (nonzero on the pixels of neurons that fire).
    min_dice : float
        Smallest accepted Dice coefficient.
    name : str
        How the messages call the mask.
    objects : str
        What the messages call the objects (plural).
    frames : int, optional
        The number of time points of the recording, to recognise one mask per time point.

    Returns
    -------
    float
        The Dice coefficient (a plain float).

    Raises
    ------
    GradingError
        E.g. a score that was not thresholded, a mask per time point or per pixel of a
        series, a threshold below every score, an inverted mask, too small an overlap.

    Examples
    --------
    >>> truth = np.zeros((2, 20, 20), bool); truth[:, 5:9, 5:9] = True
    >>> check_active(truth, truth)
    1.0
    >>> check_active(~truth, truth)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: the foreground of active is inverted: the active neurons should be nonzero and the background 0 (try `~mask` or the opposite comparison with the threshold).
    >>> check_active(np.ones((2, 20, 20), bool), truth)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: active marks 100% of the pixels as active, but the active neurons cover about 4% of them: the threshold is below (nearly) every score. Choose it from the distribution of the scores, e.g. filters.threshold_otsu(score), not as a fixed number.
    """
    true = np.asarray(truth) > 0
    array = as_array(student, name)
    want = f"(z, y, x) = {shape_text(true.shape)}"
    if array.shape != true.shape:
        got = shape_text(array.shape)
        if frames is not None and array.shape == (frames, *true.shape):
            fail(
                f"{name} has shape {got}, one mask per time point. A neuron is active if it fires "
                f"at any time: give one mask of the volume, {want}, from one score per pixel "
                "computed over time."
            )
        if array.shape in ((true.size,), (true.size, 1)):
            fail(
                f"{name} has shape {got}, one value per row of a series: reshape it to the "
                f"volume, {want}, e.g. mask.reshape(dims)."
            )
        fail(f"{name} should have the shape of one volume, {want}, got {got}.")
    if array.dtype != bool and not np.isin(array, (0, 1)).all():
        fail(
            f"{name} holds values other than 0 and 1 ({array.dtype}, from {array.min():.4g} to "
            f"{array.max():.4g}): it looks like a score. A mask is True where a neuron is "
            "active: compare your score with a threshold, e.g. score > filters.threshold_otsu(score)."
        )
    found = array.astype(bool)
    dice, opposite = foreground_dice(found, true), foreground_dice(~found, true)
    if min_dice > opposite >= INVERTED_DICE and opposite >= 3 * dice:
        # (at min_dice and above, check_foreground says it is inverted)
        fail(
            f"{name} looks inverted: its opposite overlaps the {objects} far better (Dice "
            f"{opposite:.2f} against {dice:.2f}). True should mark the active pixels: keep the "
            "scores above the threshold (score > threshold), not those below it."
        )
    if opposite < min_dice and found.mean() >= EVERYTHING > true.mean():
        fail(
            f"{name} marks {found.mean():.0%} of the pixels as active, but the {objects} cover "
            f"about {true.mean():.0%} of them: the threshold is below (nearly) every score. "
            "Choose it from the distribution of the scores, e.g. filters.threshold_otsu(score), "
            "not as a fixed number."
        )
    return check_foreground(found, true, min_dice=min_dice, name=name, objects=objects)


def _brighter(movie: np.ndarray, gain: float) -> np.ndarray:
    """``movie`` as a detector with ``gain`` times the course data's gain counts it."""
    top = np.iinfo(movie.dtype).max if movie.dtype.kind in "iu" else np.inf
    return np.clip(np.round(movie * gain), 0, top).astype(movie.dtype)


def check_active_function(
    func: Callable[[np.ndarray], Any],
    dataset: str = "timelapse",
    *,
    shape: Sequence[int] | None = None,
    min_dice: float = 0.65,
    gain: tuple[float, float] = (4.0, 16.0),
) -> float:
    """Call a student's ``active_cells(movie)`` on a hidden, brighter recording.

    The recording has the physics of ``dataset``, its own shape and neurons, and counts
    between ``gain[0]`` and ``gain[1]`` times larger (drawn from the hidden seed), as with
    a higher detector gain or a 16-bit digitiser where the course data have 12 bits (16
    times the counts): a threshold in counts tuned on the course data fails, one chosen
    from the data does not. (A factor of 2 to 3 is not enough: smoothed scores in counts
    spread so widely that a fixed threshold still separates them.)

    Parameters
    ----------
    func : callable
        The student's function of a (time, z, y, x) recording, returning a (z, y, x) mask.
    dataset : str
        The dataset whose physics the hidden recording has.
    shape : sequence of int, optional
        The hidden recording's shape (default: the dataset's own).
    min_dice : float
        Smallest accepted Dice coefficient with the true active neurons.
    gain : tuple of float
        The range of the factor applied to the counts (at most 16 keeps 12-bit values
        within uint16).

    Returns
    -------
    float
        The Dice coefficient.

    Raises
    ------
    GradingError
        As :func:`check_active` does, saying that the recording was a hidden one.

    Examples
    --------
    >>> everything = lambda movie: np.ones(movie.shape[1:], bool)
    >>> check_active_function(everything, shape=(10, 2, 30, 36))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden timelapse volume of shape (10, 2, 30, 36) (made at grading time), counts ... times those of the course data: <lambda>(movie) marks 100% of the pixels as active, ...
    """
    movie, truth = hidden_variant(dataset, shape)
    factor = float(hidden_rng("timeseries").uniform(*gain))
    brighter = _brighter(movie, factor)
    fname = getattr(func, "__name__", "your function")
    out = _call_on(func, brighter, what="recording")
    where = f"{_where(dataset, movie.shape)}, counts {factor:.1f} times those of the course data"
    with _prefixed(where):
        return check_active(
            out,
            truth,
            min_dice=min_dice,
            name=f"{fname}(movie)",
            objects=_objects(dataset),
            frames=movie.shape[0],
        )
