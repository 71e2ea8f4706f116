"""The histogram of an image's values: :func:`plot_hist` and what it returns, :class:`Histogram`.

Integer images get bins that each hold a whole number of values, so that a ``uint8``
image has one bin per value and no bin is emptier than its neighbours by rounding.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.patches import StepPatch

from .._shared import numeric_array


class Histogram(NamedTuple):
    """What :func:`plot_hist` counted and drew.

    Attributes
    ----------
    counts : numpy.ndarray
        Number of values in each bin.
    edges : numpy.ndarray
        Bin edges, one more than ``counts``. Integer data have edges halfway between
        integers, so every bin holds whole values; boolean data have the two bins
        ``[-0.5, 0.5)`` (False) and ``[0.5, 1.5)`` (True).
    artist : matplotlib.patches.StepPatch or matplotlib.container.BarContainer
        The drawn histogram: a ``StepPatch``, or a ``BarContainer`` for boolean data.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from helpers.viz import plot_hist
    >>> hist = plot_hist(Figure().add_subplot(), np.array([0, 1, 1, 3], dtype=np.uint8))
    >>> hist
    Histogram(4 bins, 4 values)
    >>> hist.counts.tolist(), hist.edges.tolist()
    ([1, 2, 0, 1], [-0.5, 0.5, 1.5, 2.5, 3.5])
    """

    counts: np.ndarray
    edges: np.ndarray
    artist: StepPatch | BarContainer

    def __repr__(self) -> str:  # the arrays would flood a notebook cell
        return f"Histogram({self.counts.size} bins, {int(self.counts.sum())} values)"


def _integer_histogram(values: np.ndarray, max_bins: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Histogram with bins of a whole number of values; one bin per value when it fits."""
    low, high = int(values.min()), int(values.max())
    span = high - low + 1
    width = max(1, math.ceil(span / max_bins))
    bins = math.ceil(span / width)
    edges = low - 0.5 + width * np.arange(bins + 1, dtype=np.float64)
    if np.issubdtype(values.dtype, np.unsignedinteger):
        shifted = values - values.min()  # stays non-negative in its own dtype
    else:
        shifted = values.astype(np.int64) - low  # int8 - min could overflow in int8
    index = shifted // width if width > 1 else shifted
    counts = np.bincount(index.ravel().astype(np.intp, copy=False), minlength=bins)
    return counts, edges


def plot_hist(axis: Axes, data: Any, title: str | None = None) -> Histogram:
    """Draw the histogram of an image's values.

    Parameters
    ----------
    axis : matplotlib.axes.Axes
        Where to draw.
    data : array_like
        Image of any dimension: integer, floating point or boolean.
    title : str, optional
        Title above the histogram.

    Returns
    -------
    Histogram
        A named tuple ``(counts, edges, artist)``: the counts per bin, the bin edges and
        the drawn artist.

    Notes
    -----
    - Integer data: one bin per value when the values span at most 256 numbers (so a
      ``uint8`` image gets one bin for each of its values); otherwise at most 256 bins,
      each holding the same whole number of values.
    - Floating-point data: 256 equal bins between the smallest and the largest finite
      value; NaN and infinite values are left out.
    - Boolean data: two bars, False and True.

    The y axis counts pixels (voxels for 3D data) on a linear scale; call
    ``axis.set_yscale("log")`` to see small counts next to a large background.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from helpers.viz import plot_hist
    >>> image = np.random.default_rng(0).integers(0, 256, (8, 64, 64), dtype=np.uint8)
    >>> hist = plot_hist(Figure().add_subplot(), image, "uint8")
    >>> hist.counts.size, int(hist.counts.sum()) == image.size
    (256, True)
    >>> plot_hist(Figure().add_subplot(), image > 128).counts.size
    2
    >>> plot_hist(Figure().add_subplot(), np.array([0.5, np.nan, 1.5]))
    Histogram(256 bins, 2 values)
    """
    values = numeric_array(data, "plot_hist()")
    if values.size == 0:
        raise ValueError("plot_hist() got an empty image: there are no values to count.")
    artist: StepPatch | BarContainer
    if values.dtype == bool:
        true = int(np.count_nonzero(values))
        counts = np.array([values.size - true, true])
        edges = np.array([-0.5, 0.5, 1.5])
        artist = axis.bar([0, 1], counts, width=0.6, tick_label=["False", "True"])
    else:
        if np.issubdtype(values.dtype, np.integer):
            counts, edges = _integer_histogram(values)
        else:
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                raise ValueError(
                    "plot_hist() found no finite values to count: every value is NaN or infinite."
                )
            counts, edges = np.histogram(finite, bins=256)
        artist = axis.stairs(counts, edges, fill=True)
        axis.set_xlim(edges[0], edges[-1])
    axis.set_xlabel("intensity")
    axis.set_ylabel("voxel count" if values.ndim >= 3 else "pixel count")
    if title is not None:
        axis.set_title(title)
    return Histogram(counts, edges, artist)
