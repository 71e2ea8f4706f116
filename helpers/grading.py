"""Checks that the exercise tests call.

Every ``check_*`` function compares a student's answer with what is expected and either
returns a plain Python ``float`` score in [0, 1] or raises :class:`GradingError`, an
``AssertionError`` whose message tells the student what is wrong in words they can act on
("axis 1 was reduced; the projection is over Z (axis 0)", "this is a binary mask; label the
connected objects").

Why plain ``float``: nbgrader reads the last value shown by a test cell as partial credit.
numpy 2 shows a numpy scalar as ``np.float64(1.0)``, which nbgrader cannot parse and then
silently awards full marks. Test cells in this course never end with a bare value anyway
(``stacks build`` refuses them), but callers can rely on the type.

When imported inside IPython, this module makes a :class:`GradingError` display as its one
message instead of a traceback through the checking code: the message is what the student
needs, and the checking code is not theirs to read.

The checks are grouped by exercise: images as arrays (00), projections (01) and
segmentation (02).
"""

from __future__ import annotations

import numbers
import sysconfig
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "GradingError",
    "SegmentationScores",
    "check_brighten",
    "check_count",
    "check_dimensions",
    "check_draw_h",
    "check_filtered",
    "check_foreground",
    "check_labels",
    "check_objects",
    "check_projection",
    "check_projection_function",
    "check_rgb_to_grey",
    "check_unit_float",
    "check_volumes",
    "segmentation_scores",
]

#: Weights of :func:`skimage.color.rgb2gray` (ITU-R BT.709 luma).
GREY_WEIGHTS = (0.2125, 0.7154, 0.0721)

#: Tolerance for medians: ``np.median`` of an even number of integer planes ends in .5,
#: so an answer cast back to integers differs by exactly 0.5 and is still right.
MEDIAN_ATOL = 0.5


class GradingError(AssertionError):
    """A check failed; the message says what is wrong and what to try.

    Examples
    --------
    >>> raise GradingError("expected shape (512, 512), got (40, 512)")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: expected shape (512, 512), got (40, 512)
    """


# --------------------------------------------------------------------------------------
# shared helpers


def _fail(message: str) -> None:
    raise GradingError(message)


def _describe(value: Any) -> str:
    """Say what a value is, briefly, for messages such as 'max_z is a list'."""
    if value is None:
        return "None"
    if callable(value) and not isinstance(value, np.ndarray):
        return f"a function ({getattr(value, '__name__', 'callable')})"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _as_array(value: Any, name: str, *, hint: str = "") -> np.ndarray:
    """Turn an answer into a numeric ndarray or explain why it cannot be one."""
    if value is None:
        _fail(
            f"{name} is None. If it comes from a function, check that the function "
            f"ends with `return ...`.{hint}"
        )
    if callable(value) and not hasattr(value, "__array__"):
        _fail(f"{name} is a function, not an image: call it, e.g. {name} = f(stack).")
    try:
        array = np.asarray(value)
    except Exception as error:  # any conversion failure is the student's to fix
        _fail(f"{name} cannot be turned into a NumPy array ({error}); it is {_describe(value)}.")
    if array.dtype == object:
        _fail(
            f"{name} is {_describe(value)} holding Python objects, not numbers; "
            "build it from NumPy arrays (e.g. np.stack or np.asarray)."
        )
    if array.dtype.kind not in "biuf":
        _fail(f"{name} has dtype {array.dtype}; an image holds integers or floats.")
    return array


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(int(n) for n in shape))


# --------------------------------------------------------------------------------------
# 00 images are arrays


def check_dimensions(n_images: Any, height: Any, width: Any, shape: tuple[int, int, int]) -> float:
    """Check the plane count and plane size read from a (Z, Y, X) stack.

    Parameters
    ----------
    n_images, height, width : int
        The student's answers: number of planes, rows per plane, columns per plane.
    shape : tuple of int
        The true (Z, Y, X) shape of the stack.

    Returns
    -------
    float
        1.0 when all three are right.

    Raises
    ------
    GradingError
        Naming the wrong value, e.g. when height and width are swapped.

    Examples
    --------
    >>> check_dimensions(40, 512, 600, (40, 512, 600))
    1.0
    >>> check_dimensions(40, 600, 512, (40, 512, 600))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: height and width are swapped: NumPy images are indexed image[row, column], so the shape of a plane is (height, width) = (512, 600).
    """
    z, y, x = (int(n) for n in shape)
    answers = {"n_images": n_images, "height": height, "width": width}
    for name, value in answers.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Number):
            if isinstance(value, tuple | list):
                _fail(f"{name} is a {type(value).__name__} {value!r}; give one whole number.")
            _fail(f"{name} should be a whole number (int), but it is {_describe(value)}.")
        if not isinstance(value, numbers.Integral):
            if float(value).is_integer():
                _fail(f"{name} is {value!r}, a {type(value).__name__}; convert it with int(...).")
            _fail(f"{name} is {value!r}; a count of planes or pixels is a whole number.")
    if (int(height), int(width)) == (x, y) and x != y:
        _fail(
            "height and width are swapped: NumPy images are indexed image[row, column], "
            f"so the shape of a plane is (height, width) = ({y}, {x})."
        )
    expected = {"n_images": z, "height": y, "width": x}
    axes = {"n_images": 0, "height": 1, "width": 2}
    for name, want in expected.items():
        got = int(answers[name])
        if got != want:
            where = [axes[n] for n, v in expected.items() if v == got]
            hint = (
                f" {got} is the size of axis {where[0]}; {name} is axis {axes[name]} of the "
                "stack's (Z, Y, X) shape."
                if where
                else f" The stack's shape is (Z, Y, X) = {_shape_text(shape)}."
            )
            _fail(f"{name} is {got}, expected {want}.{hint}")
    return 1.0


def _reference_h(image: np.ndarray, coords: tuple[int, int], color: Any) -> np.ndarray:
    """The reference drawing for :func:`check_draw_h` (kept out of the docstrings)."""
    out = image.copy()
    r, c = coords
    canvas = out[r : r + 24, c : c + 20]
    canvas[:, :3] = color
    canvas[:, -3:] = color
    canvas[11:14] = color
    return out


def check_draw_h(draw_h: Callable[..., Any]) -> float:
    """Check a function ``draw_h(image, coords, color=(255, 0, 0), in_place=False)``.

    The letter H fills a box 24 rows high and 20 columns wide whose top-left corner is
    ``coords = (row, column)``: two vertical bars 3 columns wide at the left and right
    edges of the box, and a horizontal bar 3 rows high on rows 11-13 of the box.

    The function is called on RGB and grey images of several sizes; without ``in_place``
    it must return a new image and leave its input alone, with ``in_place=True`` it must
    draw into the image it was given.

    Parameters
    ----------
    draw_h : callable
        The student's function.

    Returns
    -------
    float
        1.0 when every case is right.

    Raises
    ------
    GradingError
        Saying which case failed and how (rows and columns swapped, letter misplaced,
        input modified, ...).

    Examples
    --------
    >>> def draw_h(image, coords, color=(255, 0, 0), in_place=False):
    ...     out = image if in_place else image.copy()
    ...     canvas = out[coords[0]:coords[0] + 24, coords[1]:coords[1] + 20]
    ...     canvas[:, :3] = canvas[:, -3:] = canvas[11:14] = color
    ...     return out
    >>> check_draw_h(draw_h)
    1.0
    """
    rng = np.random.default_rng(0)
    cases = [
        (rng.integers(0, 100, (60, 90, 3), dtype=np.uint8), (10, 40), (255, 0, 0)),
        (rng.integers(0, 100, (50, 45, 3), dtype=np.uint8), (20, 5), (0, 200, 50)),
        (rng.integers(0, 100, (40, 70), dtype=np.uint8), (3, 30), 255),
    ]
    for image, coords, color in cases:
        what = f"draw_h(image of shape {image.shape}, coords={coords}, color={color})"
        original = image.copy()
        out = _call(draw_h, "draw_h", image.copy(), coords, color)
        out_array = _as_array(out, f"the result of {what}")
        expected = _reference_h(original, coords, color)
        if out_array.shape != expected.shape:
            _fail(
                f"{what} returned shape {out_array.shape}; expected the image's shape {expected.shape}."
            )
        if not np.array_equal(out_array, expected):
            _fail(f"{what} is wrong: {_explain_h(out_array, original, expected, coords, color)}")
        # the input must not change unless in_place=True
        given = original.copy()
        _call(draw_h, "draw_h", given, coords, color)
        if not np.array_equal(given, original):
            _fail(
                f"{what} changed the image it was given although in_place=False; "
                "draw on a copy (image.copy()) and return it."
            )
        given = original.copy()
        _call(draw_h, "draw_h", given, coords, color, in_place=True)
        if not np.array_equal(given, expected):
            _fail(
                f"with in_place=True, {what} did not draw into the image it was given; "
                "modify `image` itself when in_place is True."
            )
    return 1.0


def _explain_h(out, original, expected, coords, color) -> str:
    changed = np.argwhere(
        np.any((out != original).reshape(out.shape[0], out.shape[1], -1), axis=-1)
    )
    if changed.size == 0:
        return "nothing was drawn."
    r0, c0 = changed.min(axis=0)
    r1, c1 = changed.max(axis=0) + 1
    r, c = coords
    if (r0, c0, r1 - r0, c1 - c0) == (c, r, 20, 24) or (r1 - r0, c1 - c0) == (20, 24):
        return (
            f"the drawing is {r1 - r0} rows x {c1 - c0} columns; rows and columns are "
            "swapped. NumPy indexes images as image[row, column]: the H is 24 rows high."
        )
    if (r0, c0) != (r, c):
        return f"the drawing starts at (row, column) = ({r0}, {c0}); expected {coords}."
    if (r1 - r0, c1 - c0) != (24, 20):
        return f"the drawing is {r1 - r0} rows x {c1 - c0} columns; the H is 24 rows x 20 columns."
    wrong = np.any((out != expected).reshape(out.shape[0], out.shape[1], -1), axis=-1)
    rows, cols = np.nonzero(wrong)
    return (
        f"{wrong.sum()} pixels differ from the expected H, e.g. at (row, column) = "
        f"({rows[0]}, {cols[0]}); the bars are 3 pixels thick, the middle bar on rows 11-13 "
        f"of the box, and every pixel of the letter gets the color {color}."
    )


def _call(func: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function; turn its exceptions into a message about their code."""
    if not callable(func):
        _fail(f"{name} should be a function, but it is {_describe(func)}.")
    try:
        return func(*args, **kwargs)
    except GradingError:
        raise
    except NotImplementedError:
        _fail(f"{name} is not written yet: replace `raise NotImplementedError()` with your code.")
    except Exception as error:
        # the student's own line, not one inside numpy or this module
        library = (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"], __file__)
        frames = [
            f
            for f in traceback.extract_tb(error.__traceback__)
            if not f.filename.startswith(library)
        ]
        where = ""
        if frames:
            last = frames[-1]
            where = f" in line {last.lineno}" + (f" ({last.line.strip()})" if last.line else "")
        shapes = ", ".join(
            f"shape {a.shape} {a.dtype}" if isinstance(a, np.ndarray) else repr(a) for a in args
        )
        _fail(
            f"{name}({shapes}) raised {type(error).__name__}: {error}{where}. "
            "Run your function on a small array to find out why."
        )


def check_rgb_to_grey(to_grey: Callable[[np.ndarray], Any]) -> float:
    """Check a function that converts an RGB image to grey like ``skimage.color.rgb2gray``.

    The expected result is ``img_as_float(rgb) @ (0.2125, 0.7154, 0.0721)``: luminance
    weighs green most, and a uint8 image is first scaled to [0, 1].

    Parameters
    ----------
    to_grey : callable
        The student's function of one (rows, columns, 3) array.

    Returns
    -------
    float
        1.0 when it matches ``rgb2gray`` within 1e-6 on uint8 and float images.

    Raises
    ------
    GradingError
        E.g. equal weights (a plain average), channel order reversed, values left in
        0-255, channel axis not removed.

    Examples
    --------
    >>> from skimage.color import rgb2gray
    >>> check_rgb_to_grey(rgb2gray)
    1.0
    >>> check_rgb_to_grey(lambda rgb: rgb.mean(axis=-1))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: to_grey averages the three channels with equal weights. Our eyes are most sensitive to green: use the weights (0.2125, 0.7154, 0.0721) for (R, G, B).
    """
    from skimage.util import img_as_float

    rng = np.random.default_rng(1)
    cases = [
        rng.integers(0, 256, (7, 11, 3), dtype=np.uint8),
        rng.random((5, 9, 3)),
    ]
    weights = np.array(GREY_WEIGHTS)
    for rgb in cases:
        what = f"to_grey on a {rgb.dtype} image of shape {rgb.shape}"
        out = _as_array(_call(to_grey, "to_grey", rgb.copy()), f"the result of {what}")
        as_float = img_as_float(rgb).astype(np.float64)
        expected = as_float @ weights
        if out.shape == rgb.shape:
            _fail(
                f"{what} returned shape {out.shape}: remove the channel axis (the last one), e.g. with `rgb @ weights`."
            )
        if out.shape != expected.shape:
            _fail(f"{what} returned shape {out.shape}; expected {expected.shape} (rows, columns).")
        out = out.astype(np.float64)
        if np.allclose(out, expected, atol=1e-6):
            continue
        raw = rgb.astype(np.float64)
        if np.allclose(out, as_float.mean(axis=-1), atol=1e-6) or np.allclose(
            out, raw.mean(axis=-1), atol=1e-3
        ):
            _fail(
                "to_grey averages the three channels with equal weights. Our eyes are most "
                f"sensitive to green: use the weights {GREY_WEIGHTS} for (R, G, B)."
            )
        if np.allclose(out, as_float @ weights[::-1], atol=1e-6) or np.allclose(
            out, raw @ weights[::-1], atol=1e-3
        ):
            _fail(
                "to_grey applies the weights in the order (B, G, R); the channels of an RGB image are (R, G, B)."
            )
        if rgb.dtype == np.uint8 and np.allclose(out, raw @ weights, atol=1e-3):
            _fail(
                f"{what} gives values up to {out.max():.0f}; rgb2gray gives floats in [0, 1]. "
                "Convert with skimage.util.img_as_float(rgb) first."
            )
        diff = np.abs(out - expected).max()
        _fail(f"{what} differs from skimage.color.rgb2gray by up to {diff:.3g}.")
    return 1.0


def check_unit_float(to_float: Callable[[np.ndarray], Any]) -> float:
    """Check a function that converts a uint8 image to floats in [0, 1] (``img_as_float``).

    Parameters
    ----------
    to_float : callable
        The student's function of one uint8 array.

    Returns
    -------
    float
        1.0 when it matches ``skimage.util.img_as_float``.

    Raises
    ------
    GradingError
        E.g. values still in 0-255, divided by the image's own maximum, integer division.

    Examples
    --------
    >>> from skimage.util import img_as_float
    >>> check_unit_float(img_as_float)
    1.0
    >>> check_unit_float(lambda image: image.astype(float))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: to_float kept the values in 0-255 (maximum 250.0); a float image in scikit-image runs from 0 to 1: divide by 255 or use skimage.util.img_as_float.
    """
    rng = np.random.default_rng(2)
    image = rng.integers(0, 200, (6, 8), dtype=np.uint8)
    image[0, 0] = 250
    out = _as_array(_call(to_float, "to_float", image.copy()), "the result of to_float")
    expected = image / 255.0
    if out.shape != image.shape:
        _fail(f"to_float returned shape {out.shape}; expected the input's shape {image.shape}.")
    if out.dtype.kind != "f":
        _fail(
            f"to_float returned dtype {out.dtype}; expected floats. Integer division or "
            "astype(int) throws the fractions away."
        )
    if np.allclose(out, expected, atol=1e-6):
        return 1.0
    if np.allclose(out, image, atol=1e-6):
        _fail(
            f"to_float kept the values in 0-255 (maximum {out.max():.1f}); a float image in "
            "scikit-image runs from 0 to 1: divide by 255 or use skimage.util.img_as_float."
        )
    if np.allclose(out, image / image.max(), atol=1e-6):
        _fail(
            "to_float divided by the image's own maximum; divide by the largest value the "
            "dtype can hold (255 for uint8) so that every image uses the same scale."
        )
    _fail(f"to_float differs from img_as_float by up to {np.abs(out - expected).max():.3g}.")


def check_brighten(brighten: Callable[[np.ndarray, int], Any]) -> float:
    """Check ``brighten(image, amount)`` on uint8 images: add, saturate at 255, stay uint8.

    Parameters
    ----------
    brighten : callable
        The student's function of a uint8 array and a non-negative int.

    Returns
    -------
    float
        1.0 when right for every case.

    Raises
    ------
    GradingError
        E.g. "uint8 overflow: convert to a wider type before adding".

    Examples
    --------
    >>> def brighten(image, amount):
    ...     return np.clip(image.astype(np.int16) + amount, 0, 255).astype(np.uint8)
    >>> check_brighten(brighten)
    1.0
    >>> check_brighten(lambda image, amount: image + amount)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: uint8 overflow: 200 + 100 gave 44, because uint8 wraps around after 255. Convert to a wider type before adding (e.g. image.astype(np.int16)), clip to 0-255, then convert back to uint8.
    """
    image = np.array([[0, 10, 100], [154, 155, 200], [250, 255, 7]], dtype=np.uint8)
    for amount in (100, 0, 3):
        out = _as_array(_call(brighten, "brighten", image.copy(), amount), "the result of brighten")
        expected = np.clip(image.astype(np.int64) + amount, 0, 255).astype(np.uint8)
        if out.shape != image.shape:
            _fail(f"brighten returned shape {out.shape}; expected the input's shape {image.shape}.")
        wrapped = (image + np.uint8(amount)).astype(np.uint8)
        if amount and np.array_equal(out.astype(np.int64), wrapped.astype(np.int64)):
            _fail(
                f"uint8 overflow: 200 + {amount} gave {int(wrapped[1, 2])}, because uint8 wraps "
                "around after 255. Convert to a wider type before adding (e.g. "
                "image.astype(np.int16)), clip to 0-255, then convert back to uint8."
            )
        if not np.array_equal(out.astype(np.float64), expected.astype(np.float64)):
            if out.max() > 255:
                _fail(
                    f"brighten gave values up to {out.max()}; clip the result to 0-255 (np.clip)."
                )
            bad = np.argwhere(out.astype(np.float64) != expected)[0]
            _fail(
                f"brighten(image, {amount}) gives {out[tuple(bad)]} for the pixel value "
                f"{image[tuple(bad)]}; expected {expected[tuple(bad)]}."
            )
        if out.dtype != np.uint8:
            _fail(
                f"brighten returned dtype {out.dtype}; convert the clipped result back with .astype(np.uint8)."
            )
    return 1.0


# --------------------------------------------------------------------------------------
# 01 projections

How = Literal["max", "median"]


def _reference_projection(stack: np.ndarray, how: How) -> np.ndarray:
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


def _shape_problem(
    shape: tuple[int, ...],
    expected: tuple[int, ...],
    stack_shape: tuple[int, ...] | None,
    name: str,
) -> str | None:
    """Explain a wrong output shape, naming the reduced axis when it can be told."""
    if tuple(shape) == tuple(expected):
        return None
    got = _shape_text(shape)
    want = _shape_text(expected)
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
        if _same(student, compute(), "median" if how == "median" else "max"):
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
    s = student.astype(np.float64)
    e = expected.astype(np.float64)
    diff = np.abs(s - e)
    wrong = diff > 0
    message = (
        f"{name} differs from {reference_name} at {int(wrong.sum())} of {wrong.size} pixels, "
        f"by up to {diff.max():g} (mean difference {diff[wrong].mean():.3g} where they differ)."
    )
    if e.max() > 1.5 and 0 <= s.min() and s.max() <= 1.0:
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
    if how not in ("max", "median"):
        raise ValueError(f"how must be 'max' or 'median', not {how!r}")
    array = _as_array(student, name)
    reference = np.asarray(reference)
    stack_shape = None if stack is None else tuple(np.shape(stack))
    problem = _shape_problem(array.shape, reference.shape, stack_shape, name)
    if problem:
        _fail(problem)
    if array.dtype == bool:
        _fail(f"{name} is boolean (True/False); a projection keeps the intensities of the data.")
    if _same(array, reference, how):
        return 1.0
    if stack is not None:
        diagnosis = _diagnose(array, np.asarray(stack), how, name)
        if diagnosis:
            _fail(diagnosis)
    _fail(_value_summary(array, reference, name, reference_name))


def _test_stacks() -> Iterator[tuple[str, np.ndarray]]:
    """Small stacks whose shapes and values make wrong projections visible.

    Every axis has a different length, so a wrong axis cannot give the right shape; plane
    counts are odd, even and 1; uint8 values near 255 catch integer overflow.
    """
    rng = np.random.default_rng(20240501)
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
    if how not in ("max", "median"):
        raise ValueError(f"how must be 'max' or 'median', not {how!r}")
    fname = getattr(func, "__name__", "your function")
    for label, stack in _test_stacks():
        where = f"on a stack of shape {stack.shape} ({label})"
        given = stack.copy()
        out = _call(func, fname, given)
        array = _as_array(out, f"the result of {fname} {where}")
        expected = _reference_projection(stack, how)
        if not np.array_equal(given, stack):
            _fail(
                f"{where}, {fname} changed the stack it was given (sorted it in place?); "
                "work on a copy or use functions that return a new array (np.sort, np.median)."
            )
        problem = _shape_problem(array.shape, expected.shape, stack.shape, "the result")
        if problem:
            _fail(f"{where}, {fname} gives the wrong shape: {problem}")
        if _same(array, expected, how):
            continue
        diagnosis = _diagnose(array, stack, how, "the result")
        if diagnosis is None:
            diagnosis = _value_summary(
                array,
                expected,
                "the result",
                f"np.{'max' if how == 'max' else 'median'}(stack, axis=0)",
            )
        _fail(f"{where}, {fname} is wrong: {diagnosis}")
    return 1.0


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
    """
    array = _as_array(result, name).astype(np.float64)
    image = np.asarray(image, dtype=np.float64)
    if array.shape != image.shape:
        _fail(f"{name} has shape {array.shape}; filtering keeps the image's shape {image.shape}.")
    if np.allclose(
        array / max(np.abs(array).max(), 1e-12), image / max(np.abs(image).max(), 1e-12)
    ):
        _fail(f"{name} is the input image itself (up to scale); apply the filter to it.")

    def roughness(a: np.ndarray) -> float:
        scale = a.std() or 1.0
        return float(np.abs(np.diff(a, axis=-1)).mean() / scale)

    if kind == "smooth":
        if roughness(array) >= 0.8 * roughness(image):
            _fail(
                f"{name} is not smoother than the input; a low-pass filter such as skimage.filters.gaussian(image, sigma=2) averages neighbouring pixels."
            )
    elif kind == "edges":
        gy, gx = np.gradient(image)
        grad = np.hypot(gy, gx)
        corr = np.corrcoef(np.abs(array).ravel(), grad.ravel())[0, 1]
        if not np.isfinite(corr) or corr < 0.3:
            _fail(
                f"{name} does not follow the edges of the image; try skimage.filters.sobel(image)."
            )
    else:
        raise ValueError(f"kind must be 'smooth' or 'edges', not {kind!r}")
    return 1.0


# --------------------------------------------------------------------------------------
# 02 segmentation


@dataclass(frozen=True)
class SegmentationScores:
    """How a label image compares with the ground truth.

    Attributes
    ----------
    dice : float
        Overlap of the foregrounds (``labels > 0`` against ``truth > 0``), 0 to 1.
    matched : int
        True objects paired (optimal one-to-one matching) with a found object at
        ``IoU >= iou_threshold``.
    mean_iou : float
        Mean over true objects of the IoU of its matched object (0 if unmatched).
    n_found, n_true : int
        Number of objects in the label image and in the ground truth.
    """

    dice: float
    matched: int
    mean_iou: float
    n_found: int
    n_true: int

    @property
    def matched_fraction(self) -> float:
        """Fraction of true objects that were matched."""
        return self.matched / self.n_true if self.n_true else 1.0


def _relabel(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Map label values onto 0..n (0 stays background), whatever values were used."""
    values, inverse = np.unique(labels, return_inverse=True)
    if values[0] != 0:
        inverse = inverse + 1
        n = len(values)
    else:
        n = len(values) - 1
    return inverse.reshape(labels.shape), n


def segmentation_scores(
    labels: np.ndarray, truth: np.ndarray, *, iou_threshold: float = 0.5
) -> SegmentationScores:
    """Score a label image against ground-truth labels, blind to label permutation.

    Objects are paired one to one by maximising the total IoU
    (:func:`skimage.metrics.contingency_table` +
    :func:`scipy.optimize.linear_sum_assignment`); any renumbering of the labels scores
    the same.

    Parameters
    ----------
    labels, truth : numpy.ndarray
        Integer label images of the same shape; 0 is background.
    iou_threshold : float
        Minimal IoU for a pair to count as matched.

    Returns
    -------
    SegmentationScores

    Examples
    --------
    >>> truth = np.repeat([[1, 1, 2, 2, 3, 3]], 4, axis=0)
    >>> s = segmentation_scores(truth * 7, truth)
    >>> s.dice, s.matched, s.mean_iou
    (1.0, 3, 1.0)
    >>> segmentation_scores(truth > 0, truth).matched  # a mask overlaps each bead by 1/3
    0
    """
    from scipy.optimize import linear_sum_assignment
    from skimage.metrics import contingency_table

    labels, n_found = _relabel(np.asarray(labels))
    truth, n_true = _relabel(np.asarray(truth))
    fg_l, fg_t = labels > 0, truth > 0
    total = int(fg_l.sum()) + int(fg_t.sum())
    dice = 2.0 * int(np.logical_and(fg_l, fg_t).sum()) / total if total else 1.0
    if n_true == 0 or n_found == 0:
        return SegmentationScores(float(dice), 0, 0.0, n_found, n_true)
    table = contingency_table(truth, labels).toarray().astype(np.float64)
    inter = table[1:, 1:]
    size_t = table.sum(axis=1)[1:, None]
    size_l = table.sum(axis=0)[None, 1:]
    iou = inter / (size_t + size_l - inter)
    rows, cols = linear_sum_assignment(iou, maximize=True)
    pair_iou = iou[rows, cols]
    matched = int((pair_iou >= iou_threshold).sum())
    mean_iou = float(pair_iou.sum() / n_true)
    return SegmentationScores(float(dice), matched, mean_iou, n_found, n_true)


def _as_labels(student: Any, truth: np.ndarray, name: str) -> np.ndarray:
    """Validate a label image: right shape, integers, not negative."""
    array = _as_array(student, name)
    if array.shape != truth.shape:
        extra = ""
        if array.ndim == truth.ndim - 1:
            extra = " It looks like a single plane: label the whole 3D volume."
        _fail(
            f"{name} should have the shape of the data {_shape_text(truth.shape)}, got {_shape_text(array.shape)}.{extra}"
        )
    if array.dtype == bool:
        _fail(
            f"{name} is a binary mask (True/False); label the connected objects "
            "(skimage.measure.label) and split touching beads with a watershed."
        )
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)):
            _fail(
                f"{name} holds non-integer values ({array.dtype}); a label image gives each "
                "bead one whole number. Did you pass a filtered image or a distance map?"
            )
        array = array.astype(np.int64)
    if array.min() < 0:
        _fail(f"{name} has negative values; background is 0 and each bead gets a positive label.")
    return array


def check_foreground(
    student: Any, truth: np.ndarray, *, min_dice: float = 0.9, name: str = "bead_labels"
) -> float:
    """Check that the foreground (``labels > 0``) overlaps the true beads.

    Parameters
    ----------
    student : array_like
        The student's label image (a mask is accepted here; only its foreground counts).
    truth : numpy.ndarray
        Ground-truth labels.
    min_dice : float
        Smallest accepted Dice coefficient of the foregrounds.
    name : str
        How the message calls the student's image.

    Returns
    -------
    float
        The Dice coefficient (a plain float).

    Raises
    ------
    GradingError
        If Dice is below ``min_dice``, saying whether the foreground is too large, too
        small, inverted or empty.

    Examples
    --------
    >>> truth = np.zeros((3, 8, 8), int); truth[:, 2:6, 2:6] = 1
    >>> check_foreground(truth, truth)
    1.0
    >>> check_foreground(truth == 0, truth, name="mask")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: the foreground of mask is inverted: the beads should be nonzero and the background 0 (try `~mask` or the opposite comparison with the threshold).
    """
    truth = np.asarray(truth)
    array = _as_array(student, name)
    if array.shape != truth.shape:
        _fail(
            f"{name} should have the shape of the data {_shape_text(truth.shape)}, got {_shape_text(array.shape)}."
        )
    fg, fg_t = array > 0, truth > 0
    total = int(fg.sum()) + int(fg_t.sum())
    dice = 2.0 * int(np.logical_and(fg, fg_t).sum()) / total if total else 1.0
    if dice >= min_dice:
        return float(dice)
    if not fg.any():
        _fail(f"{name} is empty (all zeros): no bead was found.")
    inverse = 2.0 * int(np.logical_and(~fg, fg_t).sum()) / (int((~fg).sum()) + int(fg_t.sum()))
    if inverse >= min_dice:
        _fail(
            f"the foreground of {name} is inverted: the beads should be nonzero and the "
            "background 0 (try `~mask` or the opposite comparison with the threshold)."
        )
    mine, theirs = fg.mean(), fg_t.mean()
    direction = "lower" if mine < theirs else "higher"
    _fail(
        f"the foreground of {name} overlaps the beads with Dice {dice:.2f} (at least "
        f"{min_dice} is expected). It covers {mine:.0%} of the volume, the beads cover about "
        f"{theirs:.0%}: try a {direction} threshold, or smooth the data before thresholding."
    )


def check_objects(
    student: Any,
    truth: np.ndarray,
    *,
    min_matched: float = 0.9,
    iou_threshold: float = 0.5,
    name: str = "bead_labels",
) -> float:
    """Check that each true bead is found as its own labelled object.

    True and found objects are paired one to one (optimal matching on IoU); a bead counts
    as found when its partner overlaps it with ``IoU >= iou_threshold``. Label values may
    be any permutation.

    Parameters
    ----------
    student : array_like
        The student's integer label image.
    truth : numpy.ndarray
        Ground-truth labels.
    min_matched : float
        Smallest accepted fraction of true beads that are found.
    iou_threshold : float
        IoU needed for a pair to count.
    name : str
        How the message calls the student's image.

    Returns
    -------
    float
        The fraction of beads found (a plain float).

    Raises
    ------
    GradingError
        E.g. "this is a binary mask; label the connected objects", merged or split beads.

    Examples
    --------
    >>> truth = np.zeros((2, 6, 9), int); truth[:, :, :4] = 1; truth[:, :, 5:] = 2
    >>> check_objects(3 - truth, truth)
    1.0
    >>> check_objects((truth > 0).astype(np.uint8), truth)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: bead_labels is a binary mask: every bead has the same value 1. Label the connected objects (skimage.measure.label) and split touching beads with a watershed.
    """
    truth = np.asarray(truth)
    array = _as_labels(student, truth, name)
    values = np.unique(array)
    nonzero = values[values != 0]
    if len(nonzero) == 0:
        _fail(f"{name} is empty (all zeros): no bead was labelled.")
    n_true = len(np.unique(truth[truth != 0]))
    if len(nonzero) == 1 and n_true > 1:
        _fail(
            f"{name} is a binary mask: every bead has the same value {nonzero[0]}. Label the "
            "connected objects (skimage.measure.label) and split touching beads with a watershed."
        )
    if len(nonzero) > 20 * max(n_true, 1):
        _fail(
            f"{name} has {len(nonzero)} objects for about {n_true} beads: heavily over-segmented. "
            "Remove small objects and use fewer watershed markers (larger min_distance)."
        )
    scores = segmentation_scores(array, truth, iou_threshold=iou_threshold)
    if scores.matched_fraction >= min_matched:
        return float(scores.matched_fraction)
    found = (
        f"{scores.matched} of {scores.n_true} beads are found as their own object "
        f"(IoU >= {iou_threshold}); at least {min_matched:.0%} are expected."
    )
    if scores.n_found < 0.8 * scores.n_true:
        _fail(
            f"{found} You have {scores.n_found} objects for {scores.n_true} beads: touching beads "
            "are merged. Split them with a watershed on the distance transform, one marker per bead."
        )
    if scores.n_found > 1.25 * scores.n_true:
        _fail(
            f"{found} You have {scores.n_found} objects for {scores.n_true} beads: beads are split "
            "into pieces. Use fewer markers (larger min_distance in peak_local_max) and remove small objects."
        )
    _fail(
        f"{found} The number of objects is about right, so check where the boundaries between beads fall."
    )


def check_count(
    student: Any, truth: np.ndarray, *, tolerance: float = 0.05, name: str = "bead_labels"
) -> float:
    """Check the number of labelled objects against the number of true beads.

    Parameters
    ----------
    student : array_like
        The student's integer label image.
    truth : numpy.ndarray
        Ground-truth labels.
    tolerance : float
        Accepted relative error of the count (at least one object either way).
    name : str
        How the message calls the student's image.

    Returns
    -------
    float
        1.0 when the count is within tolerance.

    Raises
    ------
    GradingError
        Saying whether there are too many or too few objects.

    Examples
    --------
    >>> truth = np.zeros((2, 6, 9), int); truth[:, :, :4] = 1; truth[:, :, 5:] = 2
    >>> check_count(truth, truth)
    1.0
    """
    truth = np.asarray(truth)
    array = _as_labels(student, truth, name)
    n_found = len(np.unique(array[array != 0]))
    n_true = len(np.unique(truth[truth != 0]))
    allowed = max(1, int(round(tolerance * n_true)))
    if abs(n_found - n_true) <= allowed:
        return 1.0
    if n_found <= 1 < n_true:
        _fail(
            f"{name} has {n_found} object(s) but the data holds about {n_true} beads: this is a "
            "binary mask; label the connected objects and split touching beads with a watershed."
        )
    if n_found < n_true:
        _fail(
            f"{name} has {n_found} objects but the data holds about {n_true} beads: some touching beads are still merged."
        )
    _fail(
        f"{name} has {n_found} objects but the data holds about {n_true} beads: some beads are "
        "split or noise is labelled; remove small objects and use fewer watershed markers."
    )


def check_labels(
    student: Any,
    truth: np.ndarray,
    *,
    min_dice: float = 0.9,
    min_matched: float = 0.9,
    iou_threshold: float = 0.5,
    count_tolerance: float = 0.05,
    name: str = "bead_labels",
) -> float:
    """Run :func:`check_foreground`, :func:`check_objects` and :func:`check_count` at once.

    Parameters
    ----------
    student : array_like
        The student's integer label image.
    truth : numpy.ndarray
        Ground-truth labels.
    min_dice, min_matched, iou_threshold, count_tolerance : float
        Passed on to the three checks.
    name : str
        How the messages call the student's image.

    Returns
    -------
    float
        The mean IoU of the true beads with their matched objects (a plain float).

    Raises
    ------
    GradingError
        From the first check that fails.

    Examples
    --------
    >>> truth = np.zeros((2, 6, 9), int); truth[:, :, :4] = 1; truth[:, :, 5:] = 2
    >>> check_labels(truth + 5 * (truth > 0), truth)
    1.0
    """
    check_foreground(student, truth, min_dice=min_dice, name=name)
    check_objects(student, truth, min_matched=min_matched, iou_threshold=iou_threshold, name=name)
    check_count(student, truth, tolerance=count_tolerance, name=name)
    return float(
        segmentation_scores(
            _as_labels(student, np.asarray(truth), name), truth, iou_threshold=iou_threshold
        ).mean_iou
    )


def check_volumes(
    volumes: Any, labels: Any, *, name: str = "bead_volumes", labels_name: str = "bead_labels"
) -> float:
    """Check one volume (in voxels) per labelled object, consistent with the label image.

    The order does not matter; the volumes are compared with the voxel counts of the
    nonzero labels of ``labels``.

    Parameters
    ----------
    volumes : array_like
        The student's volumes, one number per object.
    labels : array_like
        The student's label image the volumes were measured on.
    name, labels_name : str
        How the messages call the two.

    Returns
    -------
    float
        1.0 when the volumes match.

    Raises
    ------
    GradingError
        Wrong count of volumes, background included, physical units instead of voxels.

    Examples
    --------
    >>> labels = np.zeros((2, 4, 4), int); labels[:, :2] = 1; labels[:, 3, 3] = 5
    >>> check_volumes([16, 2], labels)
    1.0
    >>> check_volumes([16], labels)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: bead_volumes has 1 values but bead_labels has 2 objects; give one volume per object (e.g. [p.area for p in regionprops(bead_labels)]).
    """
    label_array = _as_array(labels, labels_name)
    if label_array.dtype.kind == "f" or label_array.dtype == bool:
        label_array = label_array.astype(np.int64)
    vols = _as_array(volumes, name).astype(np.float64).ravel()
    values, counts = np.unique(label_array, return_counts=True)
    expected = np.sort(counts[values != 0].astype(np.float64))
    background = counts[values == 0]
    if (
        len(vols) == len(expected) + 1
        and background.size
        and np.isclose(np.sort(vols), np.sort(np.append(expected, background))).all()
    ):
        _fail(f"{name} includes the background (label 0) as a volume; measure only the beads.")
    if len(vols) != len(expected):
        _fail(
            f"{name} has {len(vols)} values but {labels_name} has {len(expected)} objects; give one "
            f"volume per object (e.g. [p.area for p in regionprops({labels_name})])."
        )
    got = np.sort(vols)
    if np.allclose(got, expected, rtol=1e-6):
        return 1.0
    ratio = got / np.maximum(expected, 1)
    if np.allclose(ratio, ratio[0], rtol=1e-3) and not np.isclose(ratio[0], 1):
        _fail(
            f"{name} is {ratio[0]:.4g} times the voxel counts: give the volumes in voxels "
            "(region.area), not in physical units."
        )
    _fail(
        f"{name} does not match the voxel counts of the objects in {labels_name} (largest "
        f"difference {np.abs(got - expected).max():g} voxels); measure them on {labels_name} itself, "
        "e.g. with skimage.measure.regionprops."
    )


# --------------------------------------------------------------------------------------
# display in notebooks


def _show_grading_error(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None
) -> list[str]:
    """IPython handler: show a GradingError as its message alone, in red like an error."""
    stb = [f"\x1b[0;31m{etype.__name__}\x1b[0m: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def _install_ipython_handler() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to install
        return
    shell = get_ipython()
    if shell is None:
        return
    installed = getattr(shell, "custom_exceptions", ())
    if any(getattr(e, "__name__", "") != "GradingError" for e in installed):
        # someone else installed a handler: leave theirs alone
        return
    shell.set_custom_exc((GradingError,), _show_grading_error)


_install_ipython_handler()
