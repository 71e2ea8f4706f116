"""Projections of dask arrays: lazy results, the numpy path run on whole-axis chunks."""

from __future__ import annotations

import functools
import sys
from typing import Any

import numpy as np

from ._arrays import UFUNCS, check_axis, check_ndim, project_array, skips_nan
from ._dtypes import result_dtype


def is_dask(x: Any) -> bool:
    """True if ``x`` is a dask array (looked for only if dask was imported: ~0.5 s).

    Examples
    --------
    >>> import numpy as np
    >>> is_dask(np.zeros(3))
    False
    """
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def _block_project(
    block: np.ndarray, how: str, axis: int, nan_policy: str, memory_limit: int
) -> np.ndarray:
    # dask runs blocks in parallel already: one thread per block.
    return np.asarray(
        project_array(block, how, axis, nan_policy=nan_policy, workers=1, memory_limit=memory_limit)
    )


def _ufunc_chunk(
    x: np.ndarray, axis: Any = None, keepdims: bool = False, *, ufunc: Any
) -> np.ndarray:
    return ufunc.reduce(x, axis=axis, keepdims=keepdims)


def project_dask(x: Any, how: str, axis: int, *, nan_policy: str, memory_limit: int) -> Any:
    """The ``how`` projection of the dask array ``x``, as a lazy dask array.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> x = da.from_array(np.arange(12, dtype=np.uint8).reshape(3, 4), chunks=(1, 2))
    >>> project_dask(x, "median", 0, nan_policy="propagate", memory_limit=2**16).compute()
    array([4., 5., 6., 7.])
    """
    import dask.array as da

    check_ndim(x.ndim)
    axis = check_axis(axis, x.ndim, lambda d: x.shape[d], how)
    omit = skips_nan(nan_policy, x.dtype)
    if how in ("max", "min"):
        if not omit:
            return x.max(axis=axis) if how == "max" else x.min(axis=axis)
        # np.fmax/np.fmin skip NaN without the warnings of da.nanmax.
        part = functools.partial(_ufunc_chunk, ufunc=UFUNCS[how, omit])
        return da.reduction(x, part, part, axis=axis, dtype=x.dtype)
    if how == "mean" and not omit:
        return x.mean(axis=axis, dtype=np.float64)
    if how == "std" and not omit:
        return x.std(axis=axis, dtype=np.float64)
    # Median (and NaN-omitting mean/std): each pixel needs all its planes at once, so
    # rechunk to whole-axis chunks, capped in size, and run the numpy path per chunk.
    chunks = {d: (-1 if d == axis else "auto") for d in range(x.ndim)}
    y = x.rechunk(chunks, block_size_limit=memory_limit)
    out_dtype = result_dtype(how, x.dtype)
    return y.map_blocks(
        _block_project,
        how=how,
        axis=axis,
        nan_policy=nan_policy,
        memory_limit=memory_limit,
        drop_axis=axis,
        dtype=out_dtype,
        meta=np.empty((0,) * (x.ndim - 1), out_dtype),
    )
