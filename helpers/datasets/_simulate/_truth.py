"""The rule every ground-truth label image follows: one connected object per label,
numbered 1..N, with 0 for background."""

from __future__ import annotations

import numpy as np
from skimage import measure, segmentation


def one_object_per_label(labels: np.ndarray, min_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Keep only the largest connected piece of each label; drop labels under ``min_size``.

    Clipping objects (by a wound, a border, a neighbour) can split one into pieces; ground
    truth must have one connected object (face connectivity) per label, numbered 1..N.

    Parameters
    ----------
    labels : numpy.ndarray
        Integer label image, 0 for background.
    min_size : int, optional
        Labels whose largest piece has fewer pixels are dropped. Default 1.

    Returns
    -------
    relabelled : numpy.ndarray
        The labels, one connected piece each, numbered 1..N.
    original : numpy.ndarray
        For each new label k, the old label it came from (at index k - 1).

    Examples
    --------
    >>> labels = np.array([[5, 0, 5, 5], [0, 0, 0, 0], [7, 0, 0, 0]])
    >>> relabelled, original = one_object_per_label(labels, min_size=2)
    >>> relabelled
    array([[0, 0, 1, 1],
           [0, 0, 0, 0],
           [0, 0, 0, 0]])
    >>> original
    array([5])
    """
    pieces = measure.label(labels, background=0, connectivity=1)
    sizes = np.bincount(pieces.ravel())
    owner = np.zeros(sizes.size, dtype=np.int64)
    owner[pieces.ravel()] = labels.ravel()
    best = np.zeros(int(labels.max()) + 1, dtype=np.int64)  # size of each label's largest piece
    np.maximum.at(best, owner[1:], sizes[1:])
    largest = np.flatnonzero((sizes == best[owner]) & (sizes >= min_size) & (owner > 0))
    _, first = np.unique(owner[largest], return_index=True)  # one piece if two tie
    keep = np.zeros(sizes.size, dtype=bool)
    keep[largest[first]] = True
    out = np.where(keep[pieces], labels, 0)
    return segmentation.relabel_sequential(out)[0], np.unique(out)[1:]
