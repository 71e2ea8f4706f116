"""The exact median kernels: one partition per pixel row, numpy's arithmetic for the middle.

A kernel receives ``b`` of shape (n, Z) in the work dtype (:func:`work_dtype`), Z
contiguous, which it may overwrite, and returns the n medians in ``np.median``'s dtype.
"""

from __future__ import annotations

import numpy as np

from ._dtypes import median_dtype


def median_kernel(b: np.ndarray, in_dtype: np.dtype) -> np.ndarray:
    """Median of each row of ``b``, equal to ``np.median(..., axis=-1)`` for ``in_dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[3, 1, 2, 10], [5, 5, 0, 1]], np.int32)  # uint8 data, widened
    >>> median_kernel(rows, np.dtype(np.uint8))
    array([2.5, 3. ])
    """
    z = b.shape[1]
    k = z // 2
    # One kth: numpy's SIMD partition handles a single kth only (2-3x faster than
    # kth=[k-1, k]). The lower middle value is then the maximum of the lower part.
    b.partition(k, axis=-1)
    hi = b[:, k]
    kind = in_dtype.kind
    if kind in "biu":
        # np.median -> np.mean of the middle values: float64(lo) + float64(hi), / 2.
        res = hi.astype(np.float64)
        if z % 2 == 0:
            res += b[:, :k].max(axis=-1)
            res /= 2
        return res
    # Floats: np.mean sums (0 + lo + hi) in the input precision (float32 for float16)
    # and divides by the count; adding 0.0 turns -0.0 into +0.0 exactly as numpy does.
    with np.errstate(over="ignore", invalid="ignore"):  # inf / NaN as numpy, no warning
        res = hi + b.dtype.type(0)
        if z % 2 == 0:
            res += b[:, :k].max(axis=-1)
            res /= b.dtype.type(2)
    with np.errstate(invalid="ignore"):
        # NaN sorts last, so a row holding a NaN has one among its z - k largest values.
        has_nan = np.isnan(b[:, k:].max(axis=-1))
    if has_nan.any():
        res[has_nan] = np.nan
    return res.astype(median_dtype(in_dtype), copy=False)


def nanmedian_kernel(b: np.ndarray, in_dtype: np.dtype) -> np.ndarray:
    """Median of each row of ``b`` ignoring NaN, like ``np.nanmedian`` (all-NaN: NaN).

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.array([[3.0, np.nan, 1.0], [np.nan, np.nan, np.nan]], np.float32)
    >>> nanmedian_kernel(rows, np.dtype(np.float32))
    array([ 2., nan], dtype=float32)
    """
    # The count of valid values differs per pixel, so sort (NaN last) and pick per row.
    b.sort(axis=-1)
    valid = b.shape[1] - np.count_nonzero(np.isnan(b), axis=-1)
    rows = np.arange(b.shape[0])
    lo = b[rows, np.maximum(valid - 1, 0) // 2]
    hi = b[rows, valid // 2 if b.shape[1] > 0 else 0]
    hi = np.where(valid % 2 == 1, lo, hi)  # odd count: one middle value
    res = lo + b.dtype.type(0)
    even = valid % 2 == 0
    with np.errstate(over="ignore", invalid="ignore"):
        res[even] = (res[even] + hi[even]) / b.dtype.type(2)
    res[valid == 0] = np.nan
    return res.astype(median_dtype(in_dtype), copy=False)
