"""Checks on contrast stretching, spacing-aware smoothing and the choice of a threshold.

The smoothing check does not compare pixels with a reference filter: it smooths a single
bright voxel and measures how far the result spreads along each axis, in µm. A Gaussian
whose sigma follows the voxel size spreads the same physical distance along every axis,
whatever filter function made it; a sigma given in voxels, or one sigma for all axes of an
anisotropic volume, does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ._failure import as_array, fail, shape_text
from ._scores import foreground_dice
from ._student_code import call_student_function
from ._variants import _call_on, _prefixed, _where, hidden_variant

#: The threshold methods of skimage.filters that the threshold check knows, by the name
#: students give them.
THRESHOLD_METHODS = ("otsu", "li", "triangle", "yen", "mean", "isodata")


def _reference_stretch(volume: np.ndarray, low: float, high: float) -> np.ndarray:
    lo, hi = np.percentile(volume, (low, high))
    return np.clip((volume.astype(np.float64) - lo) / (hi - lo), 0.0, 1.0)


def _stretch_stage(out: Any, volume: np.ndarray, low: float, high: float, name: str) -> float:
    """Compare a stretched volume with the percentile stretch, saying what differs."""
    result = as_array(out, name)
    if result.shape != volume.shape:
        fail(
            f"{name} has shape {shape_text(result.shape)}; the volume has {shape_text(volume.shape)}."
        )
    if result.dtype.kind != "f":
        fail(
            f"{name} is {result.dtype}; a stretched volume holds fractions between 0 and 1, "
            "so it must be floating point (e.g. float32)."
        )
    if not np.all(np.isfinite(result)):
        fail(f"{name} holds NaN or infinite values; did the two percentiles come out equal?")
    lowest, highest = float(result.min()), float(result.max())
    if lowest < -1e-6 or highest > 1 + 1e-6:
        fail(
            f"{name} runs from {lowest:.3g} to {highest:.3g}: values below the low percentile "
            "must become 0 and values above the high one 1 (clip them)."
        )
    expected = _reference_stretch(volume, low, high)
    if np.allclose(result, expected, atol=2e-3):
        return 1.0
    v = volume.astype(np.float64)
    if np.allclose(result, (v - v.min()) / max(np.ptp(v), 1e-12), atol=2e-3):
        fail(
            f"{name} maps the minimum to 0 and the maximum to 1; map the {low}th percentile "
            f"to 0 and the {high}th to 1 instead (np.percentile), so that a few extreme "
            "voxels do not decide the contrast."
        )
    if not np.allclose(_reference_stretch(volume, 0.5, 99.5), expected) and np.allclose(
        result, _reference_stretch(volume, 0.5, 99.5), atol=2e-3
    ):
        fail(f"{name} ignores low and high: it used 0.5 and 99.5 instead of {low} and {high}.")
    error = float(np.abs(result - expected).max())
    fail(
        f"{name} differs from the percentile stretch by up to {error:.3f}: value v should "
        f"become (v - p_low) / (p_high - p_low), clipped to [0, 1], where p_low and p_high are "
        f"the {low}th and {high}th percentiles of the volume."
    )


def check_stretch(
    student: Any, volume: Any, *, low: float = 0.5, high: float = 99.5, name: str = "stretched"
) -> float:
    """Check a volume stretched so that its percentiles ``low`` and ``high`` become 0 and 1.

    Parameters
    ----------
    student : array_like
        The student's stretched volume.
    volume : array_like
        The volume it was made from.
    low, high : float
        The percentiles that should become 0 and 1 (values beyond are clipped).
    name : str
        How the message calls the student's volume.

    Returns
    -------
    float
        1.0 when the stretch is right.

    Raises
    ------
    GradingError
        Not floats, not clipped, min-max instead of percentiles, or otherwise off.

    Examples
    --------
    >>> volume = np.arange(1000, dtype=np.uint16).reshape(10, 10, 10)
    >>> check_stretch(np.clip((volume - 99.9) / 799.2, 0, 1), volume, low=10, high=90)
    1.0
    >>> check_stretch(volume / 999, volume, low=10, high=90)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: stretched maps the minimum to 0 and the maximum to 1; map the 10th percentile to 0 and the 90th to 1 instead (np.percentile), so that a few extreme voxels do not decide the contrast.
    """
    return _stretch_stage(student, as_array(volume, "volume"), low, high, name)


def check_stretch_function(
    func: Callable[..., Any],
    dataset: str = "cells",
    *,
    shape: Sequence[int] | None = None,
    low: float = 2.0,
    high: float = 98.0,
) -> float:
    """Call a student's ``stretch(volume, low, high)`` on a hidden variant of ``dataset``.

    The result must be the volume rescaled so that its ``low``-th percentile becomes 0 and
    its ``high``-th percentile 1, clipped to [0, 1], as floats.

    Parameters
    ----------
    func : callable
        The student's function of a volume and two percentiles.
    dataset : str
        The dataset whose physics the hidden volume has.
    shape : sequence of int, optional
        The hidden volume's shape (default: the dataset's own).
    low, high : float
        The percentiles passed to ``func``; not the defaults of the exercise, so that a
        function that ignores them fails.

    Returns
    -------
    float
        1.0 when the stretch is right.

    Raises
    ------
    GradingError
        Not floats, not clipped, min-max instead of percentiles, percentiles ignored.

    Examples
    --------
    >>> def stretch(volume, low=0.5, high=99.5):
    ...     p_low, p_high = np.percentile(volume, (low, high))
    ...     return np.clip((volume - p_low) / (p_high - p_low), 0, 1).astype(np.float32)
    >>> check_stretch_function(stretch, shape=(20, 64, 64))
    1.0
    >>> check_stretch_function(lambda v, low, high: v / v.max(), shape=(20, 64, 64))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden cells volume of shape (20, 64, 64) (made at grading time): <lambda>(volume, 2.0, 98.0) differs from the percentile stretch by up to ...
    """
    image, _ = hidden_variant(dataset, shape)
    fname = getattr(func, "__name__", "your function")
    out = _call_on(func, image, low, high)
    with _prefixed(_where(dataset, image.shape)):
        return _stretch_stage(out, image, low, high, f"{fname}(volume, {low}, {high})")


def _impulse(shape: tuple[int, ...]) -> np.ndarray:
    volume = np.zeros(shape, dtype=np.float32)
    volume[tuple(n // 2 for n in shape)] = 1.0
    return volume


def _spread(response: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """The standard deviation of a non-negative response along each axis, in µm."""
    weights = np.clip(response.astype(np.float64), 0, None)
    total = weights.sum()
    spreads = []
    for axis, step in enumerate(spacing):
        others = tuple(a for a in range(weights.ndim) if a != axis)
        profile = weights.sum(axis=others) / total
        x = (np.arange(profile.size) - profile.size // 2) * step
        mean = (profile * x).sum()
        spreads.append(np.sqrt((profile * (x - mean) ** 2).sum()))
    return np.array(spreads)


def check_denoise_function(
    func: Callable[..., Any],
    *,
    spacing: Sequence[float] = (2.0, 0.5, 0.5),
    sigma_um: float = 1.0,
    tolerance: float = 0.1,
) -> float:
    """Check that ``func(volume, spacing, sigma_um)`` smooths the same µm along every axis.

    ``func`` smooths a volume of zeros with one bright voxel in the middle; the result is
    the filter's impulse response. Its spread (standard deviation) along each axis, in µm,
    must be ``sigma_um`` within ``tolerance`` (relative): a Gaussian whose sigma in voxels
    is ``sigma_um / spacing`` for each axis.

    Parameters
    ----------
    func : callable
        The student's function of a volume, its voxel spacing (Z, Y, X) and a sigma in µm.
    spacing : sequence of float
        The voxel size given to ``func``, in µm; make it anisotropic.
    sigma_um : float
        The sigma given to ``func``, in µm.
    tolerance : float
        Accepted relative error of the spread along each axis.

    Returns
    -------
    float
        1.0 when the spread is right along every axis.

    Raises
    ------
    GradingError
        Sigma in voxels, the same sigma on every axis, spacing used the wrong way round, no
        smoothing, intensity not kept.

    Examples
    --------
    >>> from scipy import ndimage as ndi
    >>> def denoise(volume, spacing, sigma_um=0.5):
    ...     return ndi.gaussian_filter(volume.astype(np.float32), sigma_um / np.asarray(spacing))
    >>> check_denoise_function(denoise)
    1.0
    >>> check_denoise_function(lambda volume, spacing, sigma_um: ndi.gaussian_filter(volume, sigma_um))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: <lambda>(volume, (2.0, 0.5, 0.5), 1.0) spreads a single bright voxel over 2.00 µm along Z, 0.50 µm along Y and 0.50 µm along X; with sigma_um = 1.0 it should spread 1.0 µm along each. It uses the same sigma in voxels (1.00) along every axis, but the voxels are not cubes: divide sigma_um by the spacing of each axis.
    """
    steps = np.asarray(spacing, dtype=np.float64)
    # room for 5 sigma either side along each axis, in voxels, whether the student divides
    # sigma_um by the spacing (right), ignores it or multiplies by it
    half = int(np.ceil(5 * sigma_um * max(1.0, *(1 / steps), *steps)))
    shape = (2 * half + 1,) * len(steps)
    volume = _impulse(shape)
    fname = getattr(func, "__name__", "your function")
    name = f"{fname}(volume, {tuple(float(s) for s in steps)}, {sigma_um})"
    out = _call_on(func, volume, tuple(float(s) for s in steps), sigma_um)
    result = as_array(out, name)
    if result.shape != volume.shape:
        fail(f"{name} has shape {shape_text(result.shape)}; the volume has {shape_text(shape)}.")
    if result.dtype.kind != "f":
        fail(f"{name} is {result.dtype}: keep floats (a smoothed value lies between grey levels).")
    total = float(np.clip(result, 0, None).sum())
    if not np.isclose(total, 1.0, rtol=0.05):
        fail(
            f"{name} turns one voxel of value 1 into a total of {total:.3g}: smoothing moves "
            "intensity around and keeps its sum (use filters.gaussian or ndi.gaussian_filter "
            "on the values as they are, without rescaling)."
        )
    spreads = _spread(result, steps)
    if np.all(np.abs(spreads / sigma_um - 1) <= tolerance):
        return 1.0
    axes = "ZYX"[-len(spreads) :] if len(spreads) <= 3 else "".join(map(str, range(len(spreads))))
    said = ", ".join(f"{s:.2f} µm along {a}" for s, a in zip(spreads, axes, strict=True))
    said = " and ".join(said.rsplit(", ", 1))
    head = (
        f"{name} spreads a single bright voxel over {said}; with sigma_um = {sigma_um} it "
        f"should spread {sigma_um} µm along each."
    )
    in_voxels = spreads / steps
    if np.allclose(in_voxels, in_voxels[0], rtol=tolerance):
        fail(
            f"{head} It uses the same sigma in voxels ({in_voxels[0]:.2f}) along every axis, but "
            "the voxels are not cubes: divide sigma_um by the spacing of each axis."
        )
    if np.allclose(spreads, sigma_um * steps**2, rtol=tolerance):
        fail(f"{head} Divide sigma_um by the spacing; do not multiply.")
    if spreads.max() < 0.5 * steps.min():
        fail(f"{head} It hardly smooths at all.")
    fail(f"{head} The sigma of each axis, in voxels, is sigma_um divided by that axis's spacing.")


def _scores_stage(
    scores: Any, smoothed: np.ndarray, truth: np.ndarray, methods: Sequence[str], name: str
) -> float:
    """Compare a table of Dice scores with the thresholds' own, saying what is off."""
    from skimage import filters

    if not isinstance(scores, Mapping):
        fail(
            f"{name} should be a dict such as {{'otsu': 0.91, ...}}, got a {type(scores).__name__}."
        )
    for method in methods:
        if method not in scores:
            fail(
                f"{name} has no entry for {method!r}; it needs one Dice value per method: {', '.join(methods)}."
            )
    true = np.asarray(truth) > 0
    for method in methods:
        try:
            value = float(scores[method])
        except (TypeError, ValueError):
            fail(f"{name}[{method!r}] should be a number, got {scores[method]!r}.")
        threshold = getattr(filters, f"threshold_{method}")(smoothed)
        expected = foreground_dice(smoothed > threshold, true)
        if abs(value - expected) <= 0.01:
            continue
        hint = ""
        if abs(value - foreground_dice(smoothed <= threshold, true)) <= 0.01:
            hint = " It looks like the Dice of the background side: compare smoothed > threshold."
        fail(
            f"{name}[{method!r}] is {value:.3f}, but smoothed > threshold_{method}(smoothed) "
            f"overlaps the true foreground with Dice {expected:.3f}.{hint} Dice = "
            "2 |A and B| / (|A| + |B|) of the two foregrounds."
        )
    return 1.0


def check_threshold_scores(
    scores: Any,
    smoothed: Any,
    truth: np.ndarray,
    *,
    methods: Sequence[str] = ("otsu", "li", "triangle", "yen"),
    name: str = "scores",
) -> float:
    """Check a table of threshold methods and the Dice score of each with the truth.

    ``scores`` maps each method name to the Dice coefficient of ``smoothed > threshold``
    (the threshold from ``skimage.filters.threshold_<method>(smoothed)``) with the true
    foreground ``truth > 0``.

    Parameters
    ----------
    scores : mapping of str to float
        The student's table.
    smoothed : array_like
        The volume the thresholds are computed on.
    truth : numpy.ndarray
        Ground-truth labels or mask.
    methods : sequence of str
        The methods the table must hold (names from ``THRESHOLD_METHODS``).
    name : str
        How the messages call the table.

    Returns
    -------
    float
        1.0 when the table is right (within 0.01 for each method).

    Raises
    ------
    GradingError
        A missing method, a value that is not a number, a Dice that is off.

    Examples
    --------
    >>> truth = np.zeros((4, 20, 20), int); truth[:, 5:15, 5:15] = 1
    >>> smoothed = truth + np.linspace(0, 0.4, 20)
    >>> check_threshold_scores({"otsu": 1.0, "li": 1.0}, smoothed, truth, methods=("otsu", "li"))
    1.0
    >>> check_threshold_scores({"otsu": 1.0}, smoothed, truth, methods=("otsu", "li"))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: scores has no entry for 'li'; it needs one Dice value per method: otsu, li.
    """
    volume = as_array(smoothed, "smoothed").astype(np.float64)
    if volume.shape != np.shape(truth):
        fail(
            f"smoothed has shape {shape_text(volume.shape)}; the data has {shape_text(np.shape(truth))}."
        )
    return _scores_stage(scores, volume, truth, methods, name)


def check_threshold_scores_function(
    func: Callable[[np.ndarray, np.ndarray], Any],
    dataset: str = "cells",
    *,
    shape: Sequence[int] | None = None,
    methods: Sequence[str] = ("otsu", "li", "triangle", "yen"),
) -> float:
    """Call a student's ``score_thresholds(smoothed, truth)`` on a hidden variant of ``dataset``.

    The hidden volume is stretched to [0, 1] and smoothed (a Gaussian of one voxel); the
    function gets it and the variant's ground truth, and must return the table that
    :func:`check_threshold_scores` checks.

    Parameters
    ----------
    func : callable
        The student's function of a smoothed volume and a label image or mask.
    dataset : str
        The dataset whose physics the hidden volume has.
    shape : sequence of int, optional
        The hidden volume's shape (default: the dataset's own).
    methods : sequence of str
        The methods the table must hold.

    Returns
    -------
    float
        1.0 when the table is right.

    Raises
    ------
    GradingError
        As :func:`check_threshold_scores` does, saying that the volume was a hidden one.

    Examples
    --------
    >>> from skimage import filters
    >>> def score_thresholds(smoothed, truth):
    ...     out = {}
    ...     for name in ("otsu", "li", "triangle", "yen"):
    ...         mask = smoothed > getattr(filters, "threshold_" + name)(smoothed)
    ...         out[name] = 2 * (mask & (truth > 0)).sum() / (mask.sum() + (truth > 0).sum())
    ...     return out
    >>> check_threshold_scores_function(score_thresholds, shape=(30, 128, 128))
    1.0
    """
    from scipy import ndimage as ndi

    image, truth = hidden_variant(dataset, shape)
    smoothed = ndi.gaussian_filter(_reference_stretch(image, 0.5, 99.5), 1.0)
    smoothed.flags.writeable = False
    fname = getattr(func, "__name__", "your function")
    out = call_student_function(func, fname, smoothed.copy(), truth.copy())
    with _prefixed(_where(dataset, image.shape)):
        return _scores_stage(out, smoothed, truth, methods, f"{fname}(smoothed, truth)")
