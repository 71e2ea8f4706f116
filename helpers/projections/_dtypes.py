"""Which dtype each projection returns, and the dtype the median computes in."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def median_dtype(dtype: npt.DTypeLike) -> np.dtype:
    """The dtype that ``np.median`` (and :func:`median_projection`) returns for ``dtype``.

    Parameters
    ----------
    dtype : dtype-like
        The stack's dtype.

    Returns
    -------
    numpy.dtype
        float64 for bool and integers (the mean of two middle values may end in .5),
        the input dtype for floats.

    Examples
    --------
    >>> from helpers.projections import median_dtype
    >>> median_dtype("uint16"), median_dtype(bool), median_dtype("float32")
    (dtype('float64'), dtype('float64'), dtype('float32'))
    """
    dtype = np.dtype(dtype)
    return np.dtype(np.float64) if dtype.kind in "biu" else dtype


def work_dtype(dtype: np.dtype) -> np.dtype:
    """A dtype holding the same values exactly, for which numpy's partition is fast.

    numpy has SIMD (AVX2/AVX-512) partitions for 32- and 64-bit types only; 8- and 16-bit
    integers partition about 3.5x slower, so they are widened (exactly) to int32.

    Examples
    --------
    >>> import numpy as np
    >>> work_dtype(np.dtype(np.uint16)), work_dtype(np.dtype(np.float16))
    (dtype('int32'), dtype('float32'))
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "b" or (dtype.kind in "iu" and dtype.itemsize <= 2):
        return np.dtype(np.int32)
    if dtype.kind == "f" and dtype.itemsize == 2:
        return np.dtype(np.float32)
    return dtype


def result_dtype(how: str, dtype: np.dtype) -> np.dtype:
    """The dtype of the ``how`` projection of a stack of ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> [str(result_dtype(how, np.dtype(np.uint8))) for how in ("max", "mean", "median")]
    ['uint8', 'float64', 'float64']
    """
    if how in ("max", "min"):
        return np.dtype(dtype)
    if how == "median":
        return median_dtype(dtype)
    return np.dtype(np.float64)
