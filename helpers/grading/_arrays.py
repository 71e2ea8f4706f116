"""Checks on images as arrays: dimensions, drawing, grey conversion, unit float, brighten."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ._failure import as_array, describe, fail, shape_text
from ._student_code import call_student_function

#: Weights of :func:`skimage.color.rgb2gray` (ITU-R BT.709 luma).
GREY_WEIGHTS = (0.2125, 0.7154, 0.0721)


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
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            if isinstance(value, tuple | list):
                fail(f"{name} is a {type(value).__name__} {value!r}; give one whole number.")
            fail(f"{name} should be a whole number (int), but it is {describe(value)}.")
        if not isinstance(value, numbers.Integral):
            if float(value).is_integer():
                fail(f"{name} is {value!r}, a {type(value).__name__}; convert it with int(...).")
            fail(f"{name} is {value!r}; a count of planes or pixels is a whole number.")
    if (int(height), int(width)) == (x, y) and x != y:
        fail(
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
                else f" The stack's shape is (Z, Y, X) = {shape_text(shape)}."
            )
            fail(f"{name} is {got}, expected {want}.{hint}")
    return 1.0


def _h_mask() -> np.ndarray:
    """The letter as a mask of 24 rows x 20 columns: two uprights and a bar, 3 pixels wide.

    Written as a shape, not as the drawing code the exercise asks for: this package is in
    the students' hands (``stacks release`` refuses to ship a solution's lines).
    """
    rows, columns = np.ogrid[:24, :20]
    return (columns < 3) | (columns >= 17) | ((rows >= 11) & (rows < 14))


def _reference_h(image: np.ndarray, coords: tuple[int, int], color: Any) -> np.ndarray:
    """The reference drawing for :func:`check_draw_h` (kept out of the docstrings)."""
    out = image.copy()
    r, c = coords
    window = out[r : r + 24, c : c + 20]  # clipped at the image's edges, as a slice is
    window[_h_mask()[: window.shape[0], : window.shape[1]]] = color
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
        out = call_student_function(draw_h, "draw_h", image.copy(), coords, color)
        out_array = as_array(out, f"the result of {what}")
        expected = _reference_h(original, coords, color)
        if out_array.shape != expected.shape:
            fail(
                f"{what} returned shape {out_array.shape}; expected the image's shape {expected.shape}."
            )
        if not np.array_equal(out_array, expected):
            fail(f"{what} is wrong: {_explain_h(out_array, original, expected, coords, color)}")
        # the input must not change unless in_place=True
        given = original.copy()
        call_student_function(draw_h, "draw_h", given, coords, color)
        if not np.array_equal(given, original):
            fail(
                f"{what} changed the image it was given although in_place=False; "
                "draw on a copy (image.copy()) and return it."
            )
        given = original.copy()
        call_student_function(draw_h, "draw_h", given, coords, color, in_place=True)
        if not np.array_equal(given, expected):
            fail(
                f"with in_place=True, {what} did not draw into the image it was given; "
                "modify `image` itself when in_place is True."
            )
    return 1.0


def _explain_h(
    out: np.ndarray,
    original: np.ndarray,
    expected: np.ndarray,
    coords: tuple[int, int],
    color: Any,
) -> str:
    """Say how a wrong drawing of the H differs from the expected one."""
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
    >>> def rgb_to_grey(rgb):
    ...     return rgb.mean(axis=-1)
    >>> check_rgb_to_grey(rgb_to_grey)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: rgb_to_grey averages the three channels with equal weights. Our eyes are most sensitive to green: use the weights (0.2125, 0.7154, 0.0721) for (R, G, B).
    """
    from skimage.util import img_as_float

    rng = np.random.default_rng(1)
    cases: list[np.ndarray] = [
        rng.integers(0, 256, (7, 11, 3), dtype=np.uint8),
        rng.random((5, 9, 3)),
    ]
    weights = np.array(GREY_WEIGHTS)
    # messages name the function as the student wrote it (the exercise calls it rgb_to_grey)
    name = getattr(to_grey, "__name__", "your function")
    for rgb in cases:
        what = f"{name} on a {rgb.dtype} image of shape {rgb.shape}"
        out = as_array(call_student_function(to_grey, name, rgb.copy()), f"the result of {what}")
        as_float = img_as_float(rgb).astype(np.float64)
        expected = as_float @ weights
        if out.shape == rgb.shape:
            fail(
                f"{what} returned shape {out.shape}: remove the channel axis (the last one), e.g. with `rgb @ weights`."
            )
        if out.shape != expected.shape:
            fail(f"{what} returned shape {out.shape}; expected {expected.shape} (rows, columns).")
        out = out.astype(np.float64)
        if np.allclose(out, expected, atol=1e-6):
            continue
        raw = rgb.astype(np.float64)
        if np.allclose(out, as_float.mean(axis=-1), atol=1e-6) or np.allclose(
            out, raw.mean(axis=-1), atol=1e-3
        ):
            fail(
                f"{name} averages the three channels with equal weights. Our eyes are most "
                f"sensitive to green: use the weights {GREY_WEIGHTS} for (R, G, B)."
            )
        if np.allclose(out, as_float @ weights[::-1], atol=1e-6) or np.allclose(
            out, raw @ weights[::-1], atol=1e-3
        ):
            fail(
                f"{name} applies the weights in the order (B, G, R); the channels of an RGB image are (R, G, B)."
            )
        if rgb.dtype == np.uint8 and np.allclose(out, raw @ weights, atol=1e-3):
            fail(
                f"{what} gives values up to {out.max():.0f}; rgb2gray gives floats in [0, 1]. "
                "Convert with skimage.util.img_as_float(rgb) first."
            )
        diff = np.abs(out - expected).max()
        fail(f"{what} differs from skimage.color.rgb2gray by up to {diff:.3g}.")
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
    out = as_array(
        call_student_function(to_float, "to_float", image.copy()), "the result of to_float"
    )
    expected = image / 255.0
    if out.shape != image.shape:
        fail(f"to_float returned shape {out.shape}; expected the input's shape {image.shape}.")
    if out.dtype.kind != "f":
        fail(
            f"to_float returned dtype {out.dtype}; expected floats. Integer division or "
            "astype(int) throws the fractions away."
        )
    if np.allclose(out, expected, atol=1e-6):
        return 1.0
    if np.allclose(out, image, atol=1e-6):
        fail(
            f"to_float kept the values in 0-255 (maximum {out.max():.1f}); a float image in "
            "scikit-image runs from 0 to 1: divide by 255 or use skimage.util.img_as_float."
        )
    if np.allclose(out, image / image.max(), atol=1e-6):
        fail(
            "to_float divided by the image's own maximum; divide by the largest value the "
            "dtype can hold (255 for uint8) so that every image uses the same scale."
        )
    fail(f"to_float differs from img_as_float by up to {np.abs(out - expected).max():.3g}.")


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
        out = as_array(
            call_student_function(brighten, "brighten", image.copy(), amount),
            "the result of brighten",
        )
        expected = np.clip(image.astype(np.int64) + amount, 0, 255).astype(np.uint8)
        if out.shape != image.shape:
            fail(f"brighten returned shape {out.shape}; expected the input's shape {image.shape}.")
        wrapped = (image + np.uint8(amount)).astype(np.uint8)
        if amount and np.array_equal(out.astype(np.int64), wrapped.astype(np.int64)):
            fail(
                f"uint8 overflow: 200 + {amount} gave {int(wrapped[1, 2])}, because uint8 wraps "
                "around after 255. Convert to a wider type before adding (e.g. "
                "image.astype(np.int16)), clip to 0-255, then convert back to uint8."
            )
        if not np.array_equal(out.astype(np.float64), expected.astype(np.float64)):
            if out.max() > 255:
                fail(f"brighten gave values up to {out.max()}; clip the result to 0-255 (np.clip).")
            bad = np.argwhere(out.astype(np.float64) != expected)[0]
            fail(
                f"brighten(image, {amount}) gives {out[tuple(bad)]} for the pixel value "
                f"{image[tuple(bad)]}; expected {expected[tuple(bad)]}."
            )
        if out.dtype != np.uint8:
            fail(
                f"brighten returned dtype {out.dtype}; convert the clipped result back with .astype(np.uint8)."
            )
    return 1.0
