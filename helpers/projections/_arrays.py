"""Projections of numpy arrays in memory: numpy's reductions, tiled where they need memory."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ._dtypes import result_dtype, work_dtype
from ._median import median_kernel, nanmedian_kernel
from ._tiles import reduce_blocks, reduce_tiles, thread_pool

#: The ufunc that folds one plane into a running max or min, by (how, skip NaN).
UFUNCS = {
    ("max", False): np.maximum,
    ("min", False): np.minimum,
    ("max", True): np.fmax,  # fmax/fmin skip NaN, without np.nanmax's warnings
    ("min", True): np.fmin,
}


def skips_nan(nan_policy: str, dtype: np.dtype) -> bool:
    """True if NaNs must be left out: ``nan_policy="omit"`` on floats (others have none).

    Examples
    --------
    >>> import numpy as np
    >>> skips_nan("omit", np.dtype(np.float32)), skips_nan("omit", np.dtype(np.uint8))
    (True, False)
    """
    return nan_policy == "omit" and dtype.kind == "f"


def check_axis(axis: int, ndim: int, length_of: Callable[[int], int], how: str) -> int:
    """``axis`` counted from 0, checked to exist and to hold at least one plane.

    Examples
    --------
    >>> check_axis(-1, 3, lambda d: 5, "max")
    2
    >>> check_axis(0, 3, lambda d: 0, "median")
    Traceback (most recent call last):
    ...
    ValueError: cannot take the median of 0 planes: axis 0 has length 0
    """
    try:
        axis = normalize_axis_index(int(axis), ndim)
    except np.exceptions.AxisError:
        raise np.exceptions.AxisError(
            f"axis {axis} is out of range for a stack with {ndim} dimensions"
        ) from None
    if length_of(axis) == 0:
        raise ValueError(f"cannot take the {how} of 0 planes: axis {axis} has length 0")
    return axis


def check_ndim(ndim: int) -> None:
    """Refuse a 0-dimensional stack, which has no axis to project along.

    Examples
    --------
    >>> check_ndim(0)
    Traceback (most recent call last):
    ...
    numpy.exceptions.AxisError: cannot project a 0-dimensional array (a single number)
    """
    if ndim == 0:
        raise np.exceptions.AxisError("cannot project a 0-dimensional array (a single number)")


def project_array(
    a: np.ndarray, how: str, axis: int, *, nan_policy: str, workers: int, memory_limit: int
) -> Any:
    """The ``how`` projection of ``a`` along ``axis`` (see :func:`project`).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, 9], [4, 2], [3, 5]], np.uint8)
    >>> project_array(a, "median", 0, nan_policy="propagate", workers=1, memory_limit=2**16)
    array([3., 5.])
    """
    check_ndim(a.ndim)
    axis = check_axis(axis, a.ndim, lambda d: a.shape[d], how)
    omit = skips_nan(nan_policy, a.dtype)
    if how == "median" and a.dtype.kind not in "biuf":
        return np.median(a, axis=axis)  # complex, datetime...: numpy's own (unbounded)
    if how in ("max", "min"):
        return UFUNCS[how, omit].reduce(a, axis=axis)
    if how == "mean" and not omit:
        # numpy's axis reduction casts through small buffers: no full float64 copy.
        with np.errstate(over="ignore", invalid="ignore"):
            return np.mean(a, axis=axis, dtype=np.float64)
    moved = np.moveaxis(a, axis, 0)
    out = np.empty(moved.shape[1:], result_dtype(how, a.dtype))
    if out.size:
        with thread_pool(workers) as pool:
            _reduce_array(moved, out, how, omit, pool, workers, memory_limit)
    return out[()] if out.ndim == 0 else out


def _reduce_array(
    moved: np.ndarray,
    out: np.ndarray,
    how: str,
    omit: bool,
    pool: Executor | None,
    workers: int,
    budget: int,
) -> None:
    z = moved.shape[0]
    if how == "median":
        in_dtype = moved.dtype
        kernel = nanmedian_kernel if omit else median_kernel
        reduce_tiles(
            moved,
            out,
            lambda b: kernel(b, in_dtype),
            work_dtype(in_dtype),
            pool,
            workers,
            budget,
        )
    elif how == "std":
        # np.std allocates a float64 copy of its input: tiles bound that copy.
        func = _nanstd_block if omit else _std_block
        reduce_blocks(moved, out, func, z * 24 + 16, pool, workers, budget)
    else:  # mean with omit
        per_pixel = z * (moved.itemsize + 10) + 16
        reduce_blocks(moved, out, _nanmean_block, per_pixel, pool, workers, budget)


def _std_block(block: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # runs in worker threads
        return np.std(block, axis=0, dtype=np.float64)


def _nanmean_block(block: np.ndarray) -> np.ndarray:
    # Same arithmetic as np.nanmean: NaN -> 0, float64 sum, divide by the count.
    mask = np.isnan(block)
    arr = np.array(block, copy=True)
    np.copyto(arr, 0, where=mask)
    total = np.sum(arr, axis=0, dtype=np.float64)
    count = block.shape[0] - np.count_nonzero(mask, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _nanstd_block(block: np.ndarray) -> np.ndarray:
    mask = np.isnan(block)
    arr = block.astype(np.float64)
    np.copyto(arr, 0, where=mask)
    count = block.shape[0] - np.count_nonzero(mask, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.sum(arr, axis=0) / count
        arr -= mean
        np.copyto(arr, 0, where=mask)
        arr *= arr
        return np.sqrt(np.sum(arr, axis=0) / count)
