"""Checks on segmentations: foreground, objects, count, all three at once, volumes, and
the same measures of a student's functions called on hidden volumes made at grading time.

Each check validates the student's image, then runs one or more stages; a stage takes
validated arrays and either passes or fails with the message for its measure.
:func:`check_labels` validates once and runs the three stages that the separate checks run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._failure import as_array, fail, shape_text
from ._scores import (
    SegmentationScores,
    compare_objects,
    foreground_dice,
    number_objects,
    object_labels,
)
from ._variants import _call_on, _objects, _prefixed, _spacing, _where, dimmed, hidden_variant


def _with_shape_of(
    student: Any, truth: np.ndarray, name: str, *, single_plane_hint: bool = False
) -> np.ndarray:
    """The student's image as a numeric array of the ground truth's shape.

    ``single_plane_hint`` is for label images: its advice speaks of labelling, which a
    foreground mask has not been asked to do.
    """
    array = as_array(student, name)
    if array.shape != truth.shape:
        hint = ""
        if single_plane_hint and array.ndim == truth.ndim - 1:
            hint = " It looks like a single plane: label the whole 3D volume."
        fail(
            f"{name} should have the shape of the data {shape_text(truth.shape)}, "
            f"got {shape_text(array.shape)}.{hint}"
        )
    return array


def _as_labels(array: np.ndarray, name: str, objects: str) -> np.ndarray:
    """Validate a label image's values: integers (whole-number floats too), not negative."""
    if array.dtype == bool:
        fail(
            f"{name} is a binary mask (True/False); label the connected objects "
            f"(skimage.measure.label) and split touching {objects} with a watershed."
        )
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)):
            fail(
                f"{name} holds non-integer values ({array.dtype}); a label image gives each "
                "object one whole number. Did you pass a filtered image or a distance map?"
            )
        array = array.astype(np.int64)
    if array.min() < 0:
        fail(f"{name} has negative values; background is 0 and each object gets a positive label.")
    return array


def _label_image(student: Any, truth: np.ndarray, name: str, objects: str) -> np.ndarray:
    """Validate a label image: right shape, integers, not negative."""
    return _as_labels(_with_shape_of(student, truth, name, single_plane_hint=True), name, objects)


def _merged_advice(objects: str) -> str:
    """What to try when touching objects stay merged, for a student with or without a watershed."""
    return (
        f"touching {objects} are merged. If you split them with a watershed already, it needs "
        "a marker in each of them: a smaller min_distance in peak_local_max, a distance "
        "transform of a cleaner mask, and exclude_border=False to keep the peaks near the "
        "edges; otherwise split them with a watershed on the distance transform."
    )


def _foreground_stage(
    array: np.ndarray, truth: np.ndarray, min_dice: float, name: str, objects: str
) -> float:
    """Return the foreground Dice if it reaches ``min_dice``, else say what is wrong."""
    found, true = array > 0, truth > 0
    dice = foreground_dice(found, true)
    if dice >= min_dice:
        return dice
    if not found.any():
        fail(f"{name} is empty (all zeros): none of the {objects} was found.")
    if foreground_dice(~found, true) >= min_dice:
        fail(
            f"the foreground of {name} is inverted: the {objects} should be nonzero and the "
            "background 0 (try `~mask` or the opposite comparison with the threshold)."
        )
    mine, theirs = found.mean(), true.mean()
    direction = "lower" if mine < theirs else "higher"
    fail(
        f"the foreground of {name} overlaps the {objects} with Dice {dice:.2f} (at least "
        f"{min_dice} is expected). It covers {mine:.0%} of the volume, the {objects} cover about "
        f"{theirs:.0%}: try a {direction} threshold, or smooth the data before thresholding."
    )


def _objects_stage(
    labels: np.ndarray,
    truth: np.ndarray,
    min_matched: float,
    iou_threshold: float,
    name: str,
    objects: str,
) -> SegmentationScores:
    """Return the scores if enough objects are matched, else say what is wrong."""
    found = number_objects(labels)
    if found.count == 0:
        fail(f"{name} is empty (all zeros): none of the {objects} was labelled.")
    true = number_objects(truth)
    if found.count == 1 and true.count > 1:
        fail(
            f"{name} is a binary mask: all the {objects} have the same value {found.labels[0]}. "
            f"Label the connected objects (skimage.measure.label) and split touching {objects} "
            "with a watershed."
        )
    # before the matching, whose table of overlaps grows with the number of objects
    if found.count > 20 * max(true.count, 1):
        fail(
            f"{name} has {found.count} objects for about {true.count} {objects}: heavily "
            "over-segmented. Remove small objects and use fewer watershed markers (larger "
            "min_distance)."
        )
    scores = compare_objects(found, true, iou_threshold)
    if scores.matched_fraction >= min_matched:
        return scores
    matched_text = (
        f"{scores.matched} of {scores.n_true} {objects} are found as their own object "
        f"(IoU >= {iou_threshold}); at least {min_matched:.0%} are expected."
    )
    have = f"You have {scores.n_found} objects for {scores.n_true} {objects}:"
    if scores.n_found < 0.8 * scores.n_true:
        fail(f"{matched_text} {have} {_merged_advice(objects)}")
    if scores.n_found > 1.25 * scores.n_true:
        fail(
            f"{matched_text} {have} {objects} are split into pieces. Use fewer markers (larger "
            "min_distance in peak_local_max) and remove small objects."
        )
    fail(
        f"{matched_text} The number of objects is about right, so check where the boundaries "
        f"between {objects} fall: the mask they are cut from, and how the markers are placed."
    )


def _count_stage(n_found: int, n_true: int, tolerance: float, name: str, objects: str) -> None:
    """Pass if the number of objects is within tolerance, else say what is wrong."""
    allowed = max(1, round(tolerance * n_true))
    if abs(n_found - n_true) <= allowed:
        return
    has = f"{name} has {n_found} object(s) but the data holds about {n_true} {objects}:"
    if n_found <= 1 < n_true:
        fail(
            f"{has} this is a binary mask; label the connected objects and split touching "
            f"{objects} with a watershed."
        )
    if n_found < n_true:
        fail(f"{has} {_merged_advice(objects)}")
    fail(
        f"{has} some are split in pieces or noise is labelled; remove small objects and use "
        "fewer watershed markers (a larger min_distance)."
    )


def check_foreground(
    student: Any,
    truth: np.ndarray,
    *,
    min_dice: float = 0.9,
    name: str = "bead_labels",
    objects: str = "beads",
) -> float:
    """Check that the foreground (``labels > 0``) overlaps the true objects.

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
    objects : str
        What the messages call the objects (plural), e.g. ``"nuclei"``.

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
    return _foreground_stage(_with_shape_of(student, truth, name), truth, min_dice, name, objects)


def _holes(mask: np.ndarray) -> int:
    """The number of background regions that the foreground encloses."""
    from scipy import ndimage as ndi

    return int(ndi.label(ndi.binary_fill_holes(mask) & ~mask)[1])


def check_clean_mask(
    student: Any,
    truth: np.ndarray,
    *,
    extra_holes: int = 10,
    extra_pieces: float = 1.0,
    name: str = "mask",
    objects: str = "objects",
) -> float:
    """Check that a mask has no specks of noise and no holes inside its objects.

    A mask can overlap the truth well (high Dice) and still be speckled: a threshold of a
    noisy image leaves single voxels on the wrong side. Such a mask cannot be labelled.
    Its connected pieces and its enclosed holes are counted and compared with the truth's.

    Parameters
    ----------
    student : array_like
        The student's mask (nonzero is foreground).
    truth : numpy.ndarray
        Ground-truth labels or mask.
    extra_holes : int
        How many more enclosed holes than the truth's are accepted.
    extra_pieces : float
        How many more connected pieces are accepted, as a fraction of the truth's (at least 5).
    name : str
        How the message calls the student's mask.
    objects : str
        What the messages call the objects (plural).

    Returns
    -------
    float
        1.0 when the mask is clean.

    Raises
    ------
    GradingError
        Saying how many specks or holes there are, and what removes them.

    Examples
    --------
    >>> truth = np.zeros((4, 20, 20), int); truth[:, 4:16, 4:16] = 1
    >>> check_clean_mask(truth, truth)
    1.0
    >>> holes = truth.copy(); holes[1:3, 6:14:2, 6:14:2] = 0
    >>> check_clean_mask(holes, truth, extra_holes=2, name="mask", objects="nuclei")
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: mask has 16 holes inside the nuclei (the true nuclei have 0): fill them (morphology.remove_small_holes, or ndi.binary_fill_holes), or smooth more before the threshold.
    """
    from scipy import ndimage as ndi

    mask = _with_shape_of(student, np.asarray(truth), name) > 0
    true = np.asarray(truth) > 0
    pieces, true_pieces = int(ndi.label(mask)[1]), int(ndi.label(true)[1])
    allowed = true_pieces + max(5, round(extra_pieces * true_pieces))
    if pieces > allowed:
        fail(
            f"{name} has {pieces} separate pieces where the true {objects} make "
            f"{true_pieces}: specks of noise. Smooth before the threshold and remove small "
            "objects (morphology.remove_small_objects)."
        )
    holes, true_holes = _holes(mask), _holes(true)
    if holes > true_holes + extra_holes:
        fail(
            f"{name} has {holes} holes inside the {objects} (the true {objects} have "
            f"{true_holes}): fill them (morphology.remove_small_holes, or "
            "ndi.binary_fill_holes), or smooth more before the threshold."
        )
    return 1.0


def check_objects(
    student: Any,
    truth: np.ndarray,
    *,
    min_matched: float = 0.9,
    iou_threshold: float = 0.5,
    name: str = "bead_labels",
    objects: str = "beads",
) -> float:
    """Check that each true object is found as its own labelled object.

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
    objects : str
        What the messages call the objects (plural), e.g. ``"nuclei"``.

    Returns
    -------
    float
        The fraction of true objects found (a plain float).

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
    helpers.grading.GradingError: bead_labels is a binary mask: all the beads have the same value 1. Label the connected objects (skimage.measure.label) and split touching beads with a watershed.
    """
    truth = np.asarray(truth)
    labels = _label_image(student, truth, name, objects)
    scores = _objects_stage(labels, truth, min_matched, iou_threshold, name, objects)
    return float(scores.matched_fraction)


def check_count(
    student: Any,
    truth: np.ndarray,
    *,
    tolerance: float = 0.05,
    name: str = "bead_labels",
    objects: str = "beads",
) -> float:
    """Check the number of labelled objects against the number of true objects.

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
    objects : str
        What the messages call the objects (plural), e.g. ``"nuclei"``.

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
    labels = _label_image(student, truth, name, objects)
    _count_stage(len(object_labels(labels)), len(object_labels(truth)), tolerance, name, objects)
    return 1.0


def check_labels(
    student: Any,
    truth: np.ndarray,
    *,
    min_dice: float = 0.9,
    min_matched: float = 0.9,
    iou_threshold: float = 0.5,
    count_tolerance: float = 0.05,
    name: str = "bead_labels",
    objects: str = "beads",
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
    objects : str
        What the messages call the objects (plural), e.g. ``"nuclei"``.

    Returns
    -------
    float
        The mean IoU of the true objects with their matched objects (a plain float).

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
    truth = np.asarray(truth)
    # validated as check_foreground does, which accepts a mask, before the label checks
    array = _with_shape_of(student, truth, name)
    _foreground_stage(array, truth, min_dice, name, objects)
    labels = _as_labels(array, name, objects)
    scores = _objects_stage(labels, truth, min_matched, iou_threshold, name, objects)
    _count_stage(scores.n_found, scores.n_true, count_tolerance, name, objects)
    return float(scores.mean_iou)


def check_volumes(
    volumes: Any,
    labels: Any,
    *,
    spacing: Sequence[float] | None = None,
    name: str = "bead_volumes",
    labels_name: str = "bead_labels",
) -> float:
    """Check one volume per labelled object, consistent with the label image.

    The order does not matter; the volumes are compared with the voxel counts of the
    nonzero labels of ``labels``, times the volume of a voxel when ``spacing`` is given
    (volumes in physical units, e.g. µm³), as they are (in voxels) when it is not.

    Parameters
    ----------
    volumes : array_like
        The student's volumes, one number per object.
    labels : array_like
        The student's label image the volumes were measured on.
    spacing : sequence of float, optional
        The voxel size along each axis; the volumes are then expected in its units cubed.
    name, labels_name : str
        How the messages call the two.

    Returns
    -------
    float
        1.0 when the volumes match.

    Raises
    ------
    GradingError
        Wrong count of volumes, background included, voxels instead of physical units or
        the other way round.

    Examples
    --------
    >>> labels = np.zeros((2, 4, 4), int); labels[:, :2] = 1; labels[:, 3, 3] = 5
    >>> check_volumes([16, 2], labels)
    1.0
    >>> check_volumes([16], labels)
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: bead_volumes has 1 values but bead_labels has 2 objects; give one volume per object (e.g. [p.area for p in regionprops(bead_labels)]).
    >>> check_volumes([16, 2], labels, spacing=(2.0, 0.5, 0.5))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: bead_volumes are the numbers of voxels: multiply them by the volume of one voxel (the product of the spacing, 0.5).
    """
    label_array = as_array(labels, labels_name)
    if label_array.dtype.kind == "f" or label_array.dtype == bool:
        label_array = label_array.astype(np.int64)
    vols = as_array(volumes, name).astype(np.float64).ravel()
    values, counts = np.unique(label_array, return_counts=True)
    voxel = 1.0 if spacing is None else float(np.prod(np.asarray(spacing, dtype=np.float64)))
    expected = np.sort(counts[values != 0].astype(np.float64)) * voxel
    background = counts[values == 0] * voxel
    if (
        len(vols) == len(expected) + 1
        and background.size
        and np.isclose(np.sort(vols), np.sort(np.append(expected, background))).all()
    ):
        fail(f"{name} includes the background (label 0) as a volume; measure only the objects.")
    if len(vols) != len(expected):
        fail(
            f"{name} has {len(vols)} values but {labels_name} has {len(expected)} objects; give one "
            f"volume per object (e.g. [p.area for p in regionprops({labels_name})])."
        )
    got = np.sort(vols)
    if np.allclose(got, expected, rtol=1e-6):
        return 1.0
    ratio = got / np.maximum(expected, 1e-12)
    if spacing is not None and voxel != 1 and np.allclose(ratio, 1 / voxel, rtol=1e-6):
        fail(
            f"{name} are the numbers of voxels: multiply them by the volume of one voxel "
            f"(the product of the spacing, {voxel:g})."
        )
    if np.allclose(ratio, ratio[0], rtol=1e-3) and not np.isclose(ratio[0], 1):
        unit = "in voxels (region.area)" if spacing is None else f"as voxel counts times {voxel:g}"
        fail(f"{name} is {ratio[0]:.4g} times what it should be: give the volumes {unit}.")
    unit = "voxels" if spacing is None else "in the units of the spacing, cubed"
    fail(
        f"{name} does not match the volumes of the objects in {labels_name} (largest "
        f"difference {np.abs(got - expected).max():g} {unit}); measure them on {labels_name} itself, "
        "e.g. with skimage.measure.regionprops."
    )


# ------------------------------------------------------------------ students' functions


def check_mask_function(
    func: Callable[..., Any],
    dataset: str = "beadpack",
    *,
    shape: Sequence[int] | None = None,
    min_dice: float = 0.9,
    with_spacing: bool = False,
    clean: bool = False,
    light: float = 1.0,
) -> float:
    """Call a student's ``mask(volume)`` on a hidden variant of ``dataset``; check its foreground.

    Parameters
    ----------
    func : callable
        The student's function of one volume (and its spacing, with ``with_spacing``),
        returning a mask (or labels) of its shape.
    dataset : str
        The dataset whose physics the hidden volume has.
    shape : sequence of int, optional
        The hidden volume's shape (default: the dataset's own).
    min_dice : float
        Smallest accepted Dice coefficient of the foregrounds.
    with_spacing : bool
        Call ``func(volume, spacing)`` with the dataset's voxel size instead of ``func(volume)``.
    clean : bool
        Also run :func:`check_clean_mask`: no specks of noise, no holes inside the objects.
    light : float
        The fraction of the dataset's light the hidden volume is recorded with (each
        photo-electron kept with this probability, as a shorter exposure would): below 1
        it is noisier than the data the student worked on.

    Returns
    -------
    float
        The Dice coefficient.

    Raises
    ------
    GradingError
        As :func:`check_foreground` does, saying that the volume was a hidden one.

    Examples
    --------
    >>> check_mask_function(lambda v: v > 128, shape=(24, 40, 40)) > 0.8
    True
    >>> check_mask_function(lambda v: v < 128, shape=(24, 40, 40))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden beadpack volume of shape (24, 40, 40) (made at grading time): the foreground of <lambda>(volume) is inverted: the beads should be nonzero and the background 0 (try `~mask` or the opposite comparison with the threshold).
    """
    image, truth = hidden_variant(dataset, shape)
    if light < 1:
        image = dimmed(image, light)
    fname = getattr(func, "__name__", "your function")
    if with_spacing:
        out, name = _call_on(func, image, _spacing(dataset)), f"{fname}(volume, spacing)"
    else:
        out, name = _call_on(func, image), f"{fname}(volume)"
    where = _where(dataset, image.shape) if light >= 1 else _where(dataset, image.shape, light)
    with _prefixed(where):
        objects = _objects(dataset)
        dice = check_foreground(out, truth, min_dice=min_dice, name=name, objects=objects)
        if clean:
            check_clean_mask(out, truth, name=name, objects=objects)
        return dice


def check_segmentation_function(
    func: Callable[[np.ndarray, tuple[float, ...]], Any],
    dataset: str = "beadpack",
    *,
    shape: Sequence[int] | None = None,
    min_matched: float | None = 0.85,
    iou_threshold: float = 0.7,
    count_tolerance: float | None = None,
) -> float:
    """Call a student's ``segment(volume, spacing)`` on a hidden variant of ``dataset``.

    The labels it returns are scored against the variant's ground truth by matched IoU
    (:func:`check_objects`) and, when ``count_tolerance`` is given, by the number of
    objects (:func:`check_count`).

    Parameters
    ----------
    func : callable
        The student's function of a volume and its voxel spacing, returning labels.
    dataset : str
        The dataset whose physics the hidden volume has.
    shape : sequence of int, optional
        The hidden volume's shape (default: the dataset's own).
    min_matched : float or None
        Smallest accepted fraction of true objects matched (None: not checked).
    iou_threshold : float
        IoU above which an object counts as matched.
    count_tolerance : float or None
        Largest accepted relative error of the count (None: not checked).

    Returns
    -------
    float
        The mean IoU of the matched objects.

    Raises
    ------
    GradingError
        With the message of the measure that failed, saying the volume was a hidden one.

    Examples
    --------
    >>> from skimage import measure
    >>> check_segmentation_function(lambda v, s: measure.label(v > 128), shape=(24, 40, 40))
    Traceback (most recent call last):
    ...
    helpers.grading.GradingError: on a hidden beadpack volume of shape (24, 40, 40) (made at grading time): ...
    """
    image, truth = hidden_variant(dataset, shape)
    fname = getattr(func, "__name__", "your function")
    out = _call_on(func, image, _spacing(dataset))
    name, objects = f"{fname}(volume, spacing)", _objects(dataset)
    with _prefixed(_where(dataset, image.shape)):
        labels = _label_image(out, truth, name, objects)
        mean_iou = 0.0
        if min_matched is not None:
            scores = _objects_stage(labels, truth, min_matched, iou_threshold, name, objects)
            mean_iou = scores.mean_iou
        if count_tolerance is not None:
            n_found, n_true = number_objects(labels).count, number_objects(truth).count
            _count_stage(n_found, n_true, count_tolerance, name, objects)
    return float(mean_iou)


def check_volumes_function(
    func: Callable[[np.ndarray, tuple[float, ...]], Any],
    dataset: str = "beadpack",
    *,
    shape: Sequence[int] | None = None,
    spacing: Sequence[float] = (2.0, 0.5, 0.5),
) -> float:
    """Call a student's ``volumes(labels, spacing)`` on hidden labels with another spacing.

    The labels are the ground truth of a hidden variant of ``dataset``; the spacing is not
    the dataset's, so that a function that ignores it, or assumes cubic voxels, fails.

    Returns
    -------
    float
        1.0 when the volumes are right.

    Raises
    ------
    GradingError
        As :func:`check_volumes` does, saying the labels were hidden ones.

    Examples
    --------
    >>> import numpy as np
    >>> def volumes(labels, spacing):
    ...     return np.bincount(labels.ravel())[1:][np.bincount(labels.ravel())[1:] > 0] * np.prod(spacing)
    >>> check_volumes_function(volumes, shape=(24, 40, 40))
    1.0
    """
    _, truth = hidden_variant(dataset, shape)
    fname = getattr(func, "__name__", "your function")
    spacing = tuple(float(s) for s in spacing)
    out = _call_on(func, truth, spacing, what="labels")
    where = f"on hidden labels of shape {shape_text(truth.shape)} with spacing {spacing}"
    with _prefixed(where):
        return check_volumes(
            out, truth, spacing=spacing, name=f"{fname}(labels, spacing)", labels_name="the labels"
        )
