"""Checks on measuring labelled objects: clearing the border, a table of measurements in
physical units, and a summary of the objects of a volume.

The function checks run on the ground truth of a hidden variant, so that only the
measuring is under test, not the segmentation that came before it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._failure import as_array, fail, shape_text
from ._hidden import hidden_rng
from ._variants import _call_on, _prefixed, _where, hidden_variant

#: The columns of a table of measurements, and what each holds.
MEASUREMENT_COLUMNS = {
    "label": "the object's label",
    "volume": "its volume in µm³",
    "z": "the z of its centroid in µm",
    "y": "the y of its centroid in µm",
    "x": "the x of its centroid in µm",
}


def _touching_border(labels: np.ndarray) -> set[int]:
    faces = set()
    for axis in range(labels.ndim):
        for index in (0, -1):
            faces.update(np.unique(np.take(labels, index, axis=axis)).tolist())
    faces.discard(0)
    return {int(v) for v in faces}


def _shuffled_labels(truth: np.ndarray) -> np.ndarray:
    """The truth with its labels renumbered at random (gaps included), from the hidden seed."""
    values = np.unique(truth)
    values = values[values != 0]
    new = hidden_rng("labels").choice(np.arange(1, 4 * len(values) + 1), len(values), replace=False)
    lookup = np.zeros(int(truth.max()) + 1, dtype=np.int32)
    lookup[values] = new
    out = lookup[truth]
    out.flags.writeable = False
    return out


def _border_stage(out: Any, labels: np.ndarray, name: str) -> float:
    result = as_array(out, name)
    if result.shape != labels.shape:
        fail(
            f"{name} has shape {shape_text(result.shape)}; the labels have {shape_text(labels.shape)}."
        )
    if result.dtype.kind not in "iu":
        fail(f"{name} is {result.dtype}; a label image holds integers.")
    touching = _touching_border(result)
    if touching:
        fail(
            f"{name} still has {len(touching)} object(s) touching a face of the volume (e.g. "
            f"label {min(touching)}); remove every object that touches any of the six faces "
            "(segmentation.clear_border)."
        )
    kept = [v for v in np.unique(labels) if v != 0 and int(v) not in _touching_border(labels)]
    found = np.unique(result)
    found = found[found != 0]
    if len(found) < len(kept):
        fail(
            f"{name} has {len(found)} objects, but {len(kept)} objects of the labels do not touch "
            "the border: only those that touch a face should go."
        )
    if len(found) > len(kept):
        fail(
            f"{name} has {len(found)} objects, more than the {len(kept)} inner objects of the labels."
        )
    if not np.array_equal(found, np.arange(1, len(found) + 1)):
        fail(
            f"{name} keeps the right objects, but its labels are not 1, 2, ..., {len(found)}: "
            "number them again without gaps (segmentation.relabel_sequential)."
        )
    # every kept object is the same set of voxels as before, whatever its new number
    inner = np.isin(labels, kept)
    pairs = np.unique(np.stack([labels[inner], result[inner]]), axis=1)
    if pairs.shape[1] != len(kept) or not np.array_equal(result > 0, inner):
        fail(f"{name} changed the shapes of the objects it kept; only renumber them.")
    return 1.0


def check_border_function(
    func: Callable[[np.ndarray], Any],
    dataset: str = "cells",
    *,
    shape: Sequence[int] | None = None,
) -> float:
    """Call a student's ``inner(labels)`` on hidden labels; objects on the border must go.

    The labels are the ground truth of a hidden variant of ``dataset``, numbered at random
    with gaps. The result must keep every object that touches none of the faces of the
    volume, unchanged, drop the others, and number the kept ones 1, 2, ..., n.

    Parameters
    ----------
    func : callable
        The student's function of a label image.
    dataset : str
        The dataset whose ground truth gives the labels.
    shape : sequence of int, optional
        The hidden volume's shape (default: the dataset's own).

    Returns
    -------
    float
        1.0 when the result is right.

    Raises
    ------
    GradingError
        Objects on the border kept, inner ones dropped, labels with gaps, shapes changed.

    Examples
    --------
    >>> from skimage import segmentation
    >>> def inner(labels):
    ...     return segmentation.relabel_sequential(segmentation.clear_border(labels))[0]
    >>> check_border_function(inner, shape=(30, 128, 128))
    1.0
    >>> check_border_function(segmentation.clear_border, shape=(30, 128, 128))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden cells volume of shape (30, 128, 128) (made at grading time): clear_border(labels) keeps the right objects, but its labels are not 1, 2, ..., ...
    """
    _, truth = hidden_variant(dataset, shape)
    labels = _shuffled_labels(truth)
    fname = getattr(func, "__name__", "your function")
    out = _call_on(func, labels, what="labels")
    with _prefixed(_where(dataset, labels.shape)):
        return _border_stage(out, labels, f"{fname}(labels)")


def _columns(table: Any, name: str) -> dict[str, np.ndarray]:
    """The table's columns as float arrays, from a DataFrame or a dict of sequences."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        columns = {str(c): np.asarray(table[c]) for c in table.columns}
    elif isinstance(table, dict):
        columns = {str(k): np.asarray(v) for k, v in table.items()}
    else:
        fail(
            f"{name} should be a table (a pandas DataFrame or a dict of columns), got a "
            f"{type(table).__name__}."
        )
    missing = [c for c in MEASUREMENT_COLUMNS if c not in columns]
    if missing:
        wanted = "; ".join(f"{c}: {what}" for c, what in MEASUREMENT_COLUMNS.items())
        fail(f"{name} has no column {', '.join(map(repr, missing))}. It needs {wanted}.")
    lengths = {len(columns[c]) for c in MEASUREMENT_COLUMNS}
    if len(lengths) != 1:
        fail(f"{name}'s columns have different lengths: {sorted(lengths)}.")
    return {c: columns[c].astype(np.float64) for c in MEASUREMENT_COLUMNS}


def _expected_measurements(labels: np.ndarray, spacing: np.ndarray) -> dict[int, np.ndarray]:
    """Volume and centroid (z, y, x) in physical units of every object, by label."""
    from scipy import ndimage as ndi

    values = np.unique(labels)
    values = values[values != 0]
    counts = ndi.sum_labels(np.ones(labels.shape), labels, values)
    centroids = np.array(ndi.center_of_mass(np.ones(labels.shape), labels, values)) * spacing
    voxel = float(np.prod(spacing))
    return {
        int(v): np.array([c * voxel, *p]) for v, c, p in zip(values, counts, centroids, strict=True)
    }


def _measurement_stage(table: Any, labels: np.ndarray, spacing: np.ndarray, name: str) -> float:
    columns = _columns(table, name)
    expected = _expected_measurements(labels, spacing)
    got_labels = columns["label"].astype(np.int64)
    if sorted(got_labels.tolist()) != sorted(expected):
        fail(
            f"{name} has {len(got_labels)} rows for {len(expected)} objects; give one row per "
            "nonzero label, with its label in the column 'label'."
        )
    rows = {int(v): i for i, v in enumerate(got_labels)}
    voxel = float(np.prod(spacing))
    for label, (volume, *centre) in expected.items():
        i = rows[label]
        got_volume = columns["volume"][i]
        if not np.isclose(got_volume, volume, rtol=1e-3):
            if np.isclose(got_volume * voxel, volume, rtol=1e-3):
                fail(
                    f"{name}['volume'] is in voxels: multiply by the volume of a voxel "
                    f"({voxel:g} µm³), or measure with regionprops(labels, spacing=spacing)."
                )
            fail(
                f"{name}['volume'] of label {label} is {got_volume:g}; it should be {volume:g} µm³."
            )
        got_centre = np.array([columns[c][i] for c in "zyx"])
        if not np.allclose(got_centre, centre, atol=1e-3 * max(spacing)):
            if np.allclose(got_centre * spacing, centre, atol=1e-3 * max(spacing)):
                fail(
                    f"{name}'s centroids are in voxel indices: give them in µm (times the spacing "
                    "of each axis, or regionprops(labels, spacing=spacing))."
                )
            if np.allclose(got_centre[::-1], centre, atol=1e-3 * max(spacing)):
                fail(f"{name}'s columns z and x are swapped: an array's axes are (z, y, x).")
            where = ", ".join(f"{c:.2f}" for c in centre)
            fail(f"{name}: the centroid of label {label} should be ({where}) µm (z, y, x).")
    return 1.0


def check_measurements_function(
    func: Callable[[np.ndarray, tuple[float, ...]], Any],
    dataset: str = "cells",
    *,
    shape: Sequence[int] | None = None,
    spacing: Sequence[float] = (0.5, 0.2, 0.25),
) -> float:
    """Call a student's ``measure(labels, spacing)`` on hidden labels with another spacing.

    The result must be a table (a pandas DataFrame, or a dict of columns) with one row per
    object and the columns of :data:`MEASUREMENT_COLUMNS`: label, volume in µm³ and the
    centroid (z, y, x) in µm. The spacing is not the dataset's, and differs along all three
    axes, so that a function that ignores it, or mixes up the axes, fails.

    Parameters
    ----------
    func : callable
        The student's function of a label image and its voxel spacing (Z, Y, X).
    dataset : str
        The dataset whose ground truth gives the labels.
    shape : sequence of int, optional
        The hidden volume's shape (default: the dataset's own).
    spacing : sequence of float
        The voxel size passed to ``func``.

    Returns
    -------
    float
        1.0 when every measurement is right.

    Raises
    ------
    GradingError
        Missing columns, a row per object missing, volumes in voxels, centroids in voxels
        or with axes swapped.

    Examples
    --------
    >>> import pandas as pd
    >>> from skimage import measure
    >>> def measure_nuclei(labels, spacing):
    ...     t = measure.regionprops_table(labels, spacing=spacing, properties=("label", "area", "centroid"))
    ...     return pd.DataFrame({"label": t["label"], "volume": t["area"],
    ...                          "z": t["centroid-0"], "y": t["centroid-1"], "x": t["centroid-2"]})
    >>> check_measurements_function(measure_nuclei, shape=(30, 128, 128))
    1.0
    >>> check_measurements_function(lambda labels, spacing: measure_nuclei(labels, (1, 1, 1)),
    ...                             shape=(30, 128, 128))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden cells volume of shape (30, 128, 128) (made at grading time): <lambda>(labels, spacing)['volume'] is in voxels: multiply by the volume of a voxel (0.025 µm³), or measure with regionprops(labels, spacing=spacing).
    """
    _, truth = hidden_variant(dataset, shape)
    labels = _shuffled_labels(truth)
    steps = tuple(float(s) for s in spacing)
    fname = getattr(func, "__name__", "your function")
    out = _call_on(func, labels, steps, what="labels")
    with _prefixed(_where(dataset, labels.shape)):
        return _measurement_stage(out, labels, np.asarray(steps), f"{fname}(labels, spacing)")


def check_median_volume(
    value: Any,
    truth: np.ndarray,
    spacing: Sequence[float],
    *,
    tolerance: float = 0.1,
    name: str = "median_volume",
    objects: str = "nuclei",
) -> float:
    """Check the median volume of the objects that do not touch the border, in µm³.

    Parameters
    ----------
    value : float
        The student's median.
    truth : numpy.ndarray
        Ground-truth labels.
    spacing : sequence of float
        The voxel size (Z, Y, X) of the data.
    tolerance : float
        Accepted relative error.
    name, objects : str
        What the messages call the value and the objects.

    Returns
    -------
    float
        1.0 when the median is within tolerance.

    Raises
    ------
    GradingError
        Saying whether the value looks like voxels, includes the border, or is just off.

    Examples
    --------
    >>> truth = np.zeros((6, 10, 10), int); truth[1:4, 1:5, 1:5] = 1; truth[1:5, 5:9, 5:9] = 2
    >>> check_median_volume(28.0, truth, (0.5, 1, 1), objects="cubes")
    1.0
    >>> check_median_volume(56, truth, (0.5, 1, 1), objects="cubes")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: median_volume is 56 µm³; the true cubes that do not touch the border have a median volume of 28 µm³ (within 10% is accepted). It looks like a number of voxels: multiply by the volume of a voxel (0.5 µm³).
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        fail(f"{name} should be a number (µm³), got {value!r}.")
    labels = np.asarray(truth)
    steps = np.asarray(spacing, dtype=np.float64)
    inner = [v for v in np.unique(labels) if v != 0 and int(v) not in _touching_border(labels)]
    counts = np.array([np.count_nonzero(labels == v) for v in inner], dtype=np.float64)
    voxel = float(np.prod(steps))
    expected = float(np.median(counts)) * voxel
    if abs(number - expected) <= tolerance * expected:
        return 1.0
    head = (
        f"{name} is {number:.4g} µm³; the true {objects} that do not touch the border have a "
        f"median volume of {expected:.4g} µm³ (within {tolerance:.0%} is accepted)."
    )
    if abs(number * voxel - expected) <= tolerance * expected:
        fail(
            f"{head} It looks like a number of voxels: multiply by the volume of a voxel ({voxel:g} µm³)."
        )
    values = np.unique(labels)
    every = np.array([np.count_nonzero(labels == v) for v in values if v != 0], dtype=np.float64)
    if every.size and abs(number - float(np.median(every)) * voxel) <= tolerance * expected / 2:
        fail(
            f"{head} It looks like the median of all of them: leave out those that touch the border."
        )
    if number < expected:
        fail(f"{head} Too small: are {objects} split in pieces, or is the mask too tight?")
    fail(f"{head} Too large: are touching {objects} merged, or is the mask too loose?")
