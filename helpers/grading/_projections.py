"""Checks on projections along Z (answers and functions) and on filtered images."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np

from ._failure import as_array, fail, shape_text
from ._hidden import hidden_rng
from ._student_code import call_student_function

#: Tolerance for medians: ``np.median`` of an even number of integer planes ends in .5,
#: so an answer cast back to integers differs by exactly 0.5 and is still right.
MEDIAN_ATOL = 0.5

How = Literal["max", "median"]


def _refuse_unknown_projection(how: str) -> None:
    """Stop an exercise author who asks for a projection these checks do not know."""
    if how not in ("max", "median"):
        raise ValueError(f"how must be 'max' or 'median', not {how!r}")


def _reference_projection(stack: np.ndarray, how: How) -> np.ndarray:
    """The right answer: NumPy's own projection over Z."""
    if how == "max":
        return stack.max(axis=0)
    return np.median(stack, axis=0)


def _same(student: np.ndarray, expected: np.ndarray, how: How) -> bool:
    """Maxima must be exact; medians may be cast to integers (off by 0.5 at most)."""
    if student.shape != expected.shape:
        return False
    s = student.astype(np.float64)
    e = expected.astype(np.float64)
    if how == "max":
        return bool(np.array_equal(s, e))
    return bool(np.all(np.abs(s - e) <= MEDIAN_ATOL + 1e-9))


def _dtype_problem(result: np.ndarray, stack: np.ndarray, how: How) -> str | None:
    """What is wrong with the dtype of a projection of ``stack``, if anything.

    A maximum is one of the stack's values: it keeps the stack's dtype. A median of an
    integer stack may be cast back to integers (it is off by 0.5 at most); of a float stack
    it has decimals, which a cast to integers throws away.
    """
    if how == "max" and result.dtype != stack.dtype:
        return (
            f"returns {result.dtype} for a {stack.dtype} stack; a maximum is one of the "
            "stack's own values, so keep its dtype (no astype, no conversion to float)"
        )
    if how == "median" and stack.dtype.kind == "f" and result.dtype.kind in "iub":
        return (
            f"returns {result.dtype} for a {stack.dtype} stack: a median of floats has "
            "decimals; cast back only to the stack's own dtype (result.astype(stack.dtype)), "
            "or not at all"
        )
    return None


def _shape_problem(
    shape: tuple[int, ...],
    expected: tuple[int, ...],
    stack_shape: tuple[int, ...] | None,
    name: str,
) -> str | None:
    """Explain a wrong output shape, naming the reduced axis when it can be told."""
    if tuple(shape) == tuple(expected):
        return None
    got = shape_text(shape)
    want = shape_text(expected)
    if len(shape) == 0:
        return f"{name} is a single number; pass axis=0 so that only the Z axis is reduced."
    if stack_shape is not None:
        z, y, x = stack_shape
        if tuple(shape) == tuple(stack_shape):
            return (
                f"{name} still has the stack's shape {got}: a projection reduces the Z axis, "
                f"e.g. stack.max(axis=0), giving one image of shape {want}."
            )
        if len(set(stack_shape)) == 3:
            if tuple(shape) == (z, x):
                return f"axis 1 was reduced; the projection is over Z (axis 0). Expected shape {want}, got {got}."
            if tuple(shape) == (z, y):
                return f"axis 2 was reduced; the projection is over Z (axis 0). Expected shape {want}, got {got}."
            if tuple(shape) == (x, y):
                return f"{name} is transposed: expected shape (rows, columns) = {want}, got {got}."
            if tuple(shape) in ((z,), (y,), (x,)):
                return f"{name} has shape {got}: only axis 0 (Z) should be reduced, pass axis=0."
    if len(shape) == 3:
        return f"{name} has 3 dimensions {got}: a projection reduces the Z axis (axis 0) to one 2D image of shape {want}."
    return f"expected shape {want}, got {got}."


def _overflow_median(stack: np.ndarray) -> np.ndarray:
    """What a median computed with integer arithmetic in the stack's own dtype gives."""
    ordered = np.sort(stack, axis=0)
    z = stack.shape[0]
    if z % 2:
        return ordered[z // 2]
    with np.errstate(over="ignore"):
        return (ordered[z // 2 - 1] + ordered[z // 2]) // 2


def _diagnose(student: np.ndarray, stack: np.ndarray, how: How, name: str) -> str | None:
    """Name the mistake when the student's projection equals a known wrong answer."""
    z = stack.shape[0]
    guesses: list[tuple[str, Callable[[], np.ndarray]]] = []
    if how == "median":
        guesses.append(
            ("you computed the mean, not the median", lambda: stack.mean(axis=0, dtype=np.float64))
        )
        guesses.append(("you computed the maximum, not the median", lambda: stack.max(axis=0)))
    else:
        guesses.append(
            ("you computed the median, not the maximum", lambda: np.median(stack, axis=0))
        )
        guesses.append(
            ("you computed the mean, not the maximum", lambda: stack.mean(axis=0, dtype=np.float64))
        )
        guesses.append(
            ("you computed the sum, not the maximum", lambda: stack.sum(axis=0, dtype=np.float64))
        )
    guesses.append(("you computed the minimum", lambda: stack.min(axis=0)))
    if z > 1:
        guesses.append(
            (f"{name} is the first plane only; combine all {z} planes", lambda: stack[0])
        )
        guesses.append(
            (f"{name} is the last plane only; combine all {z} planes", lambda: stack[-1])
        )
    for message, compute in guesses:
        # a median may be off by 0.5 after an integer cast, so compare like one
        if _same(student, compute(), how):
            return message + "."
    if how == "median" and z % 2 == 0:
        if stack.dtype.kind in "iu" and np.array_equal(
            student.astype(np.float64), _overflow_median(stack).astype(np.float64)
        ):
            return (
                "uint8 overflow: with an even number of planes the median is the mean of the "
                f"two middle values, and adding them in {stack.dtype} wraps around (200 + 250 "
                "gives 194, halved 97). Convert to a wider type before adding, or use "
                "np.median, which returns float64."
            )
        ordered = np.sort(stack, axis=0)
        if _same(student, ordered[z // 2], "max") or _same(student, ordered[z // 2 - 1], "max"):
            return (
                f"with an even number of planes ({z}) the median is the mean of the two middle "
                "values, not one of them; np.median(stack, axis=0) does this for you."
            )
    return None


def _value_summary(
    student: np.ndarray, expected: np.ndarray, name: str, reference_name: str
) -> str:
    """Say where and by how much a wrong projection differs, and hint at a likely cause."""
    s = student.astype(np.float64)
    e = expected.astype(np.float64)
    diff = np.abs(s - e)
    wrong = diff > 0
    message = (
        f"{name} differs from {reference_name} at {int(wrong.sum())} of {wrong.size} pixels, "
        f"by up to {diff.max():g} (mean difference {diff[wrong].mean():.3g} where they differ)."
    )
    if e.max() > 1.5 and s.min() >= 0 and s.max() <= 1.0:
        message += (
            " Your values lie between 0 and 1: it looks like you converted to float "
            "(img_as_float); compare in the data's own units."
        )
    elif student.dtype == np.uint8 and np.mean(np.abs(diff[wrong] - 128) <= 1) > 0.5:
        message += " Many pixels are off by about 128: uint8 overflow: convert to a wider type before adding."
    return message


def check_projection(
    student: Any,
    reference: np.ndarray,
    how: How = "max",
    *,
    stack: np.ndarray | None = None,
    name: str = "your projection",
    reference_name: str = "the reference",
) -> float:
    """Compare a student's Z projection with a reference image.

    Maxima are compared exactly; medians in float64 with ``atol=0.5`` so that a median cast
    back to integers still counts as right.

    Parameters
    ----------
    student : array_like
        The student's 2D projection, e.g. ``max_z``.
    reference : numpy.ndarray
        The expected 2D image, e.g. read from ``MaxZ.tif``.
    how : {"max", "median"}
        Which projection was asked for.
    stack : numpy.ndarray, optional
        The (Z, Y, X) stack it was computed from. Only used on failure, to name the mistake
        (mean instead of median, wrong axis, uint8 overflow, a single plane).
    name, reference_name : str
        How the messages call the two images.

    Returns
    -------
    float
        1.0 when the projection is right.

    Raises
    ------
    GradingError
        With a message naming the problem, e.g. "axis 1 was reduced; the projection is
        over Z (axis 0)" or "you computed the mean, not the median".

    Examples
    --------
    >>> stack = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    >>> check_projection(stack.max(axis=0), stack.max(axis=0), how="max")
    1.0
    >>> check_projection(np.median(stack, axis=0).astype(np.uint8), np.median(stack, axis=0), how="median")
    1.0
    >>> check_projection(stack.max(axis=1), stack.max(axis=0), stack=stack, name="max_z")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: axis 1 was reduced; the projection is over Z (axis 0). Expected shape (3, 4), got (2, 4).
    """
    _refuse_unknown_projection(how)
    array = as_array(student, name)
    reference = np.asarray(reference)
    stack_shape = None if stack is None else tuple(np.shape(stack))
    problem = _shape_problem(array.shape, reference.shape, stack_shape, name)
    if problem:
        fail(problem)
    if array.dtype == bool:
        fail(f"{name} is boolean (True/False); a projection keeps the intensities of the data.")
    dtype_problem = None if stack is None else _dtype_problem(array, np.asarray(stack), how)
    same = _same(array, reference, how)
    if same and dtype_problem is None:
        return 1.0
    if not same and stack is not None:
        diagnosis = _diagnose(array, np.asarray(stack), how, name)
        if diagnosis:
            fail(diagnosis)
    if dtype_problem is not None:
        fail(f"{name} {dtype_problem}")
    fail(_value_summary(array, reference, name, reference_name))


def _test_stacks() -> Iterator[tuple[str, np.ndarray]]:
    """Small stacks whose shapes and values make wrong projections visible.

    Every axis has a different length, so a wrong axis cannot give the right shape; plane
    counts are odd, even and 1; uint8 values near 255 catch integer overflow. The values
    come from the hidden seed (:mod:`helpers.grading._hidden`), secret when graded.
    """
    rng = hidden_rng("projections")
    yield "an odd number of planes, uint8", rng.integers(0, 256, (5, 7, 9), dtype=np.uint8)
    yield "an even number of planes, uint8", rng.integers(0, 256, (6, 8, 5), dtype=np.uint8)
    yield (
        "an even number of planes, uint8 values near 255",
        rng.integers(190, 256, (4, 6, 11), dtype=np.uint8),
    )
    yield "uint16", rng.integers(0, 4096, (8, 3, 10), dtype=np.uint16)
    yield "float32", rng.normal(100, 20, (7, 10, 4)).astype(np.float32)
    yield "a single plane", rng.integers(0, 256, (1, 5, 6), dtype=np.uint8)


def check_projection_function(func: Callable[[np.ndarray], Any], how: How = "max") -> float:
    """Run a student's projection function on test stacks and compare with NumPy.

    The stacks have odd and even plane counts (including 1), non-square planes with a
    different length on each axis, and dtypes uint8 (values near 255), uint16 and float32.

    Parameters
    ----------
    func : callable
        The student's function of one (Z, Y, X) array, e.g. ``median_projection``.
    how : {"max", "median"}
        What it should compute: ``stack.max(axis=0)`` or ``np.median(stack, axis=0)``.

    Returns
    -------
    float
        1.0 when every stack gives the right projection.

    Raises
    ------
    GradingError
        Naming the stack that failed and the mistake (wrong axis, mean instead of median,
        uint8 overflow, input changed in place, an exception from the function).

    Examples
    --------
    >>> check_projection_function(lambda s: np.median(s, axis=0), how="median")
    1.0
    >>> check_projection_function(lambda s: s.mean(axis=0), how="median")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a stack of shape (5, 7, 9) (an odd number of planes, uint8), <lambda> is wrong: you computed the mean, not the median.
    """
    _refuse_unknown_projection(how)
    fname = getattr(func, "__name__", "your function")
    for label, stack in _test_stacks():
        where = f"on a stack of shape {stack.shape} ({label})"
        given = stack.copy()
        out = call_student_function(func, fname, given)
        array = as_array(out, f"the result of {fname} {where}")
        expected = _reference_projection(stack, how)
        if not np.array_equal(given, stack):
            fail(
                f"{where}, {fname} changed the stack it was given (sorted it in place?); "
                "work on a copy or use functions that return a new array (np.sort, np.median)."
            )
        problem = _shape_problem(array.shape, expected.shape, stack.shape, "the result")
        if problem:
            fail(f"{where}, {fname} gives the wrong shape: {problem}")
        dtype_problem = _dtype_problem(array, stack, how)
        same = _same(array, expected, how)
        if same and dtype_problem is None:
            continue
        diagnosis = None if same else _diagnose(array, stack, how, "the result")
        if diagnosis is None and dtype_problem is not None:
            fail(f"{where}, {fname} {dtype_problem}")
        if diagnosis is None:
            diagnosis = _value_summary(array, expected, "the result", f"np.{how}(stack, axis=0)")
        fail(f"{where}, {fname} is wrong: {diagnosis}")
    return 1.0


#: How much rougher than the image's own Sobel an edge image may be (measured on the
#: zebrafish MaxZ: Sobel, Prewitt and Scharr of the smoothed image 0.98-1.01, Sobel of the
#: unsmoothed image 1.5 (sigma 1) to 3 (sigma 3))
EDGE_ROUGHNESS = 1.25


def check_filtered(
    result: Any, image: np.ndarray, kind: Literal["smooth", "edges"], *, name: str = "result"
) -> float:
    """Lightly check a filtered image: same shape as ``image``, and smoother or edge-like.

    Parameters
    ----------
    result : array_like
        The student's filtered image.
    image : numpy.ndarray
        The image that was filtered.
    kind : {"smooth", "edges"}
        ``"smooth"``: a low-pass filter (e.g. Gaussian) must reduce the pixel-to-pixel
        variation. ``"edges"``: an edge filter (e.g. Sobel) must be large where the image
        changes and small where it is flat.
    name : str
        How the message calls the result.

    Returns
    -------
    float
        1.0 when the result looks like the asked filter.

    Raises
    ------
    GradingError
        If the shape differs, the result equals the input, or it does not behave like the
        asked filter.

    Examples
    --------
    >>> from skimage import filters
    >>> image = np.zeros((20, 30)); image[:, 15:] = 1.0
    >>> image += np.random.default_rng(0).normal(0, 0.1, image.shape)
    >>> check_filtered(filters.gaussian(image, sigma=2), image, "smooth")
    1.0
    >>> check_filtered(filters.sobel(image), image, "edges")
    1.0
    >>> smoothed = filters.gaussian(image, sigma=2)
    >>> check_filtered(filters.sobel(image), smoothed, "edges", name="edges")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: edges is much rougher than an edge filter of the image it should come from: was it computed from a noisier image (before smoothing)? Filter the smoothed image.
    """
    array = as_array(result, name).astype(np.float64)
    image = np.asarray(image, dtype=np.float64)
    if array.shape != image.shape:
        fail(f"{name} has shape {array.shape}; filtering keeps the image's shape {image.shape}.")
    if np.allclose(
        array / max(np.abs(array).max(), 1e-12), image / max(np.abs(image).max(), 1e-12)
    ):
        fail(f"{name} is the input image itself (up to scale); apply the filter to it.")

    def roughness(a: np.ndarray) -> float:
        scale = a.std() or 1.0
        return float(np.abs(np.diff(a, axis=-1)).mean() / scale)

    if kind == "smooth":
        if roughness(array) >= 0.8 * roughness(image):
            fail(
                f"{name} is not smoother than the input; a low-pass filter such as skimage.filters.gaussian(image, sigma=2) averages neighbouring pixels."
            )
    elif kind == "edges":
        gy, gx = np.gradient(image)
        grad = np.hypot(gy, gx)
        corr = np.corrcoef(np.abs(array).ravel(), grad.ravel())[0, 1]
        if not np.isfinite(corr) or corr < 0.3:
            fail(
                f"{name} does not follow the edges of the image; try skimage.filters.sobel(image)."
            )
        from skimage.filters import sobel

        # Edges of this image are about as smooth as its Sobel (Prewitt, Scharr: within 2 %);
        # edges of a noisier image (before smoothing) are 1.5-3 times rougher.
        if roughness(array) > EDGE_ROUGHNESS * roughness(sobel(image)):
            fail(
                f"{name} is much rougher than an edge filter of the image it should come from: "
                "was it computed from a noisier image (before smoothing)? Filter the smoothed image."
            )
    else:
        raise ValueError(f"kind must be 'smooth' or 'edges', not {kind!r}")
    return 1.0
