"""Measures of a label image against the ground truth, one function each.

The foreground overlap (:func:`foreground_dice`), the objects and their number
(:func:`object_labels`, :func:`number_objects`) and the one-to-one matching of objects
(:func:`compare_objects`) are computed here only, so every check that needs a measure gets
the same number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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

    Examples
    --------
    >>> scores = SegmentationScores(dice=0.95, matched=3, mean_iou=0.7, n_found=5, n_true=4)
    >>> scores.matched_fraction
    0.75
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


def foreground_dice(found: np.ndarray, truth: np.ndarray) -> float:
    """Dice coefficient ``2 |found & truth| / (|found| + |truth|)`` of two boolean masks.

    Two empty masks agree perfectly: 1.0.

    Examples
    --------
    >>> foreground_dice(np.array([True, True, False]), np.array([True, False, False]))
    0.6666666666666666
    >>> foreground_dice(np.zeros(3, bool), np.zeros(3, bool))
    1.0
    """
    total = int(found.sum()) + int(truth.sum())
    return 2.0 * int(np.logical_and(found, truth).sum()) / total if total else 1.0


def object_labels(labels: np.ndarray) -> np.ndarray:
    """The distinct labels of the objects in a label image (its nonzero values), sorted.

    Its length is the number of objects.

    Examples
    --------
    >>> object_labels(np.array([[0, 7, 7], [3, 0, 7]]))
    array([3, 7])
    """
    values = np.unique(labels)
    return values[values != 0]


@dataclass(frozen=True)
class NumberedObjects:
    """The objects of a label image numbered 1..count in the order of their labels.

    Attributes
    ----------
    image : numpy.ndarray
        The label image with each object's label replaced by its number; 0 stays 0.
    labels : numpy.ndarray
        The original label of each object, the same as :func:`object_labels` gives.

    Examples
    --------
    >>> objects = number_objects(np.array([[0, 7, 7], [3, 0, 7]]))
    >>> objects.image, objects.labels, objects.count
    (array([[0, 2, 2],
           [1, 0, 2]]), array([3, 7]), 2)
    """

    image: np.ndarray
    labels: np.ndarray

    @property
    def count(self) -> int:
        """The number of objects."""
        return len(self.labels)


def number_objects(labels: np.ndarray) -> NumberedObjects:
    """Number the objects of a label image 1..n, whatever values they were labelled with.

    Examples
    --------
    >>> number_objects(np.array([40, 0, 12, 40])).image
    array([2, 0, 1, 2])
    """
    values, inverse = np.unique(labels, return_inverse=True)
    is_object = values != 0
    # sorted values: an object's number counts the objects up to it; background gets 0
    numbers = np.cumsum(is_object) * is_object
    return NumberedObjects(numbers[inverse].reshape(labels.shape), values[is_object])


def compare_objects(
    found: NumberedObjects, truth: NumberedObjects, iou_threshold: float
) -> SegmentationScores:
    """Score numbered objects against the true ones; see :func:`segmentation_scores`.

    Examples
    --------
    >>> truth = number_objects(np.array([[1, 1, 2, 2]]))
    >>> compare_objects(number_objects(np.array([[5, 5, 5, 0]])), truth, 0.5).matched
    1
    """
    from scipy.optimize import linear_sum_assignment
    from skimage.metrics import contingency_table

    dice = foreground_dice(found.image > 0, truth.image > 0)
    if truth.count == 0 or found.count == 0:
        return SegmentationScores(dice, 0, 0.0, found.count, truth.count)
    table = contingency_table(truth.image, found.image).toarray().astype(np.float64)
    inter = table[1:, 1:]
    size_t = table.sum(axis=1)[1:, None]
    size_l = table.sum(axis=0)[None, 1:]
    iou = inter / (size_t + size_l - inter)
    rows, cols = linear_sum_assignment(iou, maximize=True)
    pair_iou = iou[rows, cols]
    matched = int((pair_iou >= iou_threshold).sum())
    mean_iou = float(pair_iou.sum() / truth.count)
    return SegmentationScores(dice, matched, mean_iou, found.count, truth.count)


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
        Foreground Dice, matched objects, mean IoU and the two object counts.

    Examples
    --------
    >>> truth = np.repeat([[1, 1, 2, 2, 3, 3]], 4, axis=0)
    >>> s = segmentation_scores(truth * 7, truth)
    >>> s.dice, s.matched, s.mean_iou
    (1.0, 3, 1.0)
    >>> segmentation_scores(truth > 0, truth).matched  # a mask overlaps each bead by 1/3
    0
    """
    return compare_objects(
        number_objects(np.asarray(labels)), number_objects(np.asarray(truth)), iou_threshold
    )
