"""Maximum, minimum, mean, standard-deviation and median projections of image stacks.

One function, :func:`project`, and five thin wrappers (:func:`max_projection`,
:func:`min_projection`, :func:`mean_projection`, :func:`std_projection`,
:func:`median_projection`) reduce a stack along one axis. The stack may be

- a **numpy array** (including a ``numpy.memmap``): computed in memory;
- a **sequence on disk** (:class:`helpers.sequences.Sequence`, or any pims reader):
  streamed, so memory stays bounded by a few frames (max, min, mean, std) or by
  ``memory_limit`` (median) however long the stack;
- a **dask array**: the result is a lazy dask array; call ``.compute()``.

What the results are
--------------------
- ``max`` and ``min`` keep the input dtype and equal ``np.max`` / ``np.min``.
- ``mean`` and ``std`` are float64 (``std`` with ``ddof=0``, like numpy), equal to
  ``np.mean(a, axis, dtype=np.float64)`` and ``np.std(a, axis, dtype=np.float64)`` to
  about 1e-15 relative (integer stacks on disk are even summed exactly, in int64).
- ``median`` equals ``np.median(a, axis)`` exactly, value and dtype, for bool, every
  integer and every float dtype: integers and bool give float64 (an even number of planes
  averages the two middle values, so halves such as 2.5 appear); float16/32/64 keep their
  dtype, the two middle values being averaged in that precision exactly as numpy does
  (float16 through float32).
- NaN: with ``nan_policy="propagate"`` (default) a NaN anywhere along the axis makes the
  result NaN, as numpy does. ``nan_policy="omit"`` ignores NaNs like ``np.nanmax``,
  ``np.nanmean``, ``np.nanmedian``...; a pixel that is NaN in every plane gives NaN, with
  no warning (numpy warns). Integer stacks have no NaN, so the policy does not matter.
  (One deliberate difference: for an odd count of valid values ``np.nanmedian`` computes
  ``(x + x) / 2``, which overflows to inf for float values above half the dtype's
  maximum; the median returned here is ``x``.)
- No RuntimeWarning for float overflow or ``inf - inf``: the values are numpy's
  (inf, NaN), its warnings are not repeated (notebooks run with warnings as errors).
- A stack with no planes along ``axis`` raises ``ValueError`` (``np.median`` would return
  NaN with a warning).

How the median is fast
----------------------
``np.median(a, axis=0)`` partitions each pixel's values through a strided gather across
all planes and allocates a full copy of the stack. Here the stack is cut into tiles of
pixels; each tile is copied into a buffer with the planes contiguous (pixel, z), one plane
at a time (a transposing copy in one numpy call is about five times slower), widened to a
dtype for which numpy has a SIMD partition (8- and 16-bit integers to int32, float16 to
float32), partitioned in place around the middle index, and the lower middle value taken
as the maximum of the lower half. Tiles are spread over threads (numpy releases the GIL
while partitioning), each thread reusing one buffer, so the extra memory is at most
``memory_limit`` (default 64 MiB) plus the result. On the course machine (2 cores) this
is about 10x faster than ``np.median`` for a 200 x 1024 x 1024 uint16 stack; see
``benchmarks/bench_projections.py``.

Streaming from disk
-------------------
A :class:`~helpers.sequences.Sequence` is never loaded whole. For uncompressed TIFF (the
usual microscopy file) projections go *band by band*: a band of ~512 KB of pixels is read
from every frame in turn (only those bytes: :meth:`~helpers.sequences.Sequence.read_band`)
and folded into that band's accumulator while both are in the CPU cache, so a streamed
max costs little more than reading the files. Worker threads take different bands and
read the files at once (positional reads). Extra memory for max, min, mean and std: one
band buffer per worker plus the accumulators (the size of the result; two float64 arrays
for std). The median keeps bands of all frames (up to ``memory_limit``, the next band read
while this one is computed) and sorts them in tiles as above. Compressed TIFF, PNG, JPEG
and foreign pims readers are decoded frame by frame, each frame once for max, min, mean
and std (one background thread reads ahead into three reused frame buffers; a foreign
reader, which may not be thread-safe, is only touched by that thread) and once per band
for the median, so for them a larger ``memory_limit`` means fewer passes over the files.
"""

from __future__ import annotations

import math
import os
import queue
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from numpy.lib.array_utils import normalize_axis_index

from .sequences import Sequence, SequenceError

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "max_projection",
    "mean_projection",
    "median_dtype",
    "median_projection",
    "min_projection",
    "project",
    "std_projection",
]

Reduction = Literal["max", "min", "mean", "std", "median"]
NanPolicy = Literal["propagate", "omit"]

#: Default bound (bytes) on working memory for the median and tiled reductions.
DEFAULT_MEMORY_LIMIT: int = 64 * 2**20
_HOWS = ("max", "min", "mean", "std", "median")
# Streamed max/min/mean/std fold frames in segments of this many bytes (about half the
# L2 cache), and at most _CHUNK pixels (which bounds the float64 temporaries of std).
_SEGMENT_BYTES = 2**19
_CHUNK = 2**18
# Target size of one median tile buffer (pixels x planes): about the size of L2 cache.
_TILE_BYTES = 2 * 2**20
_MIN_TILE = 256  # pixels; fewer make the per-plane copy loop dominate (tests lower it)


def _default_workers() -> int:
    if hasattr(os, "process_cpu_count"):  # Python 3.13: respects affinity
        n = os.process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - Windows, macOS on 3.11/3.12
        n = os.cpu_count()
    return max(1, n or 1)


# --------------------------------------------------------------------------- public API


def project(
    stack: Any,
    how: Reduction = "max",
    axis: int = 0,
    *,
    nan_policy: NanPolicy = "propagate",
    workers: int | None = None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    progress: bool = False,
) -> Any:
    """Project a stack along one axis with max, min, mean, std or median.

    Parameters
    ----------
    stack : array_like, Sequence, pims reader or dask.array.Array
        The stack, e.g. ``(Z, Y, X)``. A :class:`~helpers.sequences.Sequence` or pims
        reader is streamed from disk; a dask array gives a lazy result.
    how : {"max", "min", "mean", "std", "median"}, default "max"
        The reduction.
    axis : int, default 0
        Axis to reduce; negative values count from the end. For a sequence on disk,
        axis 0 is the frame axis.
    nan_policy : {"propagate", "omit"}, default "propagate"
        "propagate": any NaN along the axis gives NaN (numpy's behaviour). "omit":
        ignore NaNs like numpy's ``nan*`` functions (all-NaN pixels give NaN, silently).
    workers : int, optional
        Threads to use; default: the CPUs available to this process.
    memory_limit : int, default 64 MiB
        Upper bound, in bytes, on working memory beyond the input and the result for the
        median, the std of arrays, and the bands of a streamed median.
    progress : bool, default False
        Show a tqdm progress bar while streaming a sequence from disk.

    Returns
    -------
    numpy.ndarray, numpy scalar or dask.array.Array
        The projection, with ``axis`` removed. Dtype: input dtype for max/min, float64 for
        mean/std, ``np.median``'s dtype for median.

    Raises
    ------
    ValueError
        Unknown ``how`` or ``nan_policy``, or no planes along ``axis``.
    numpy.exceptions.AxisError
        ``axis`` out of range.
    helpers.sequences.SequenceError
        A frame on disk cannot be read (the message names the file).

    Examples
    --------
    >>> import numpy as np
    >>> stack = np.array([[[1, 9]], [[4, 2]], [[3, 5]], [[8, 6]]], dtype=np.uint8)  # (4, 1, 2)
    >>> project(stack, "max")
    array([[8, 9]], dtype=uint8)
    >>> project(stack, "median")          # even count: mean of the two middle values
    array([[3.5, 5.5]])
    >>> project(stack, "median", axis=-1)
    array([[5.],
           [3.],
           [4.],
           [7.]])
    >>> bool(np.array_equal(project(stack, "median"), np.median(stack, axis=0)))
    True
    >>> project(np.array([[1.0, np.nan], [3.0, 4.0]]), "mean", nan_policy="omit")
    array([2., 4.])
    """
    if how not in _HOWS:
        raise ValueError(f"how must be one of {', '.join(map(repr, _HOWS))}; got {how!r}")
    if nan_policy not in ("propagate", "omit"):
        raise ValueError(f"nan_policy must be 'propagate' or 'omit'; got {nan_policy!r}")
    if workers is None:
        workers = _default_workers()
    if int(workers) < 1:
        raise ValueError(f"workers must be at least 1; got {workers!r}")
    if int(memory_limit) < 2**16:
        raise ValueError(f"memory_limit must be at least 65536 bytes; got {memory_limit!r}")
    opts = dict(nan_policy=nan_policy, workers=int(workers), memory_limit=int(memory_limit))
    if _is_dask(stack):
        return _project_dask(stack, how, axis, **opts)
    if isinstance(stack, Sequence) or _is_frame_reader(stack):
        return _project_frames(_Frames(stack), how, axis, progress=progress, **opts)
    return _project_array(np.asarray(stack), how, axis, **opts)


def max_projection(stack: Any, axis: int = 0) -> Any:
    """Maximum along ``axis``; keeps the dtype. Same as ``project(stack, "max", axis)``.

    Parameters
    ----------
    stack : array_like, Sequence, pims reader or dask.array.Array
        The stack (see :func:`project`).
    axis : int, default 0
        Axis to reduce.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        Equal to ``np.max(stack, axis)``.

    Examples
    --------
    >>> import numpy as np
    >>> max_projection(np.arange(24, dtype=np.uint16).reshape(2, 3, 4))[0]
    array([12, 13, 14, 15], dtype=uint16)
    """
    return project(stack, "max", axis)


def min_projection(stack: Any, axis: int = 0) -> Any:
    """Minimum along ``axis``; keeps the dtype. Same as ``project(stack, "min", axis)``.

    Parameters
    ----------
    stack : array_like, Sequence, pims reader or dask.array.Array
        The stack (see :func:`project`).
    axis : int, default 0
        Axis to reduce.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        Equal to ``np.min(stack, axis)``.

    Examples
    --------
    >>> import numpy as np
    >>> min_projection(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), axis=2)
    array([[ 0,  4,  8],
           [12, 16, 20]], dtype=uint16)
    """
    return project(stack, "min", axis)


def mean_projection(stack: Any, axis: int = 0) -> Any:
    """Mean along ``axis`` in float64. Same as ``project(stack, "mean", axis)``.

    Parameters
    ----------
    stack : array_like, Sequence, pims reader or dask.array.Array
        The stack (see :func:`project`).
    axis : int, default 0
        Axis to reduce.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        float64, equal to ``np.mean(stack, axis, dtype=np.float64)``.

    Examples
    --------
    >>> import numpy as np
    >>> mean_projection(np.array([[1, 2], [4, 4]], dtype=np.uint8))
    array([2.5, 3. ])
    """
    return project(stack, "mean", axis)


def std_projection(stack: Any, axis: int = 0) -> Any:
    """Standard deviation (ddof=0) along ``axis`` in float64.

    Same as ``project(stack, "std", axis)``.

    Parameters
    ----------
    stack : array_like, Sequence, pims reader or dask.array.Array
        The stack (see :func:`project`).
    axis : int, default 0
        Axis to reduce.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        float64, equal to ``np.std(stack, axis, dtype=np.float64)`` to ~1e-15.

    Examples
    --------
    >>> import numpy as np
    >>> std_projection(np.array([[1, 2], [3, 2]], dtype=np.uint8))
    array([1., 0.])
    """
    return project(stack, "std", axis)


def median_projection(stack: Any, axis: int = 0) -> Any:
    """Median along ``axis``, exactly equal to ``np.median`` (values and dtype).

    Same as ``project(stack, "median", axis)``: several times faster than ``np.median``,
    with bounded extra memory, and streamed when ``stack`` is a sequence on disk.

    Parameters
    ----------
    stack : array_like, Sequence, pims reader or dask.array.Array
        The stack (see :func:`project`).
    axis : int, default 0
        Axis to reduce.

    Returns
    -------
    numpy.ndarray or dask.array.Array
        float64 for integer and bool stacks, the input dtype for float stacks.

    Examples
    --------
    >>> import numpy as np
    >>> planes = np.array([[200, 7]], np.uint8), np.array([[250, 9]], np.uint8)
    >>> median_projection(np.stack(planes))  # no uint8 overflow: (200 + 250) / 2
    array([[225.,   8.]])
    """
    return project(stack, "median", axis)


# --------------------------------------------------------------------------- dtypes


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
    >>> median_dtype("uint16"), median_dtype(bool), median_dtype("float32")
    (dtype('float64'), dtype('float64'), dtype('float32'))
    """
    dtype = np.dtype(dtype)
    return np.dtype(np.float64) if dtype.kind in "biu" else dtype


def _work_dtype(dtype: np.dtype) -> np.dtype:
    """A dtype holding the same values exactly, for which numpy's partition is fast.

    numpy has SIMD (AVX2/AVX-512) partitions for 32- and 64-bit types only; 8- and 16-bit
    integers partition about 3.5x slower, so they are widened (exactly) to int32.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "b" or (dtype.kind in "iu" and dtype.itemsize <= 2):
        return np.dtype(np.int32)
    if dtype.kind == "f" and dtype.itemsize == 2:
        return np.dtype(np.float32)
    return dtype


def _result_dtype(how: str, dtype: np.dtype) -> np.dtype:
    if how in ("max", "min"):
        return np.dtype(dtype)
    if how == "median":
        return median_dtype(dtype)
    return np.dtype(np.float64)


# --------------------------------------------------------------------------- kernels
# A kernel receives ``b`` of shape (n, Z) in the work dtype, Z contiguous, which it may
# overwrite, and returns the n results.


def _median_kernel(b: np.ndarray, in_dtype: np.dtype) -> np.ndarray:
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


def _nanmedian_kernel(b: np.ndarray, in_dtype: np.dtype) -> np.ndarray:
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


# --------------------------------------------------------------------------- tiling


def _tile_selections(shape: tuple[int, ...], max_elems: int) -> Iterator[tuple[Any, ...]]:
    """Index tuples that cut an array of ``shape`` into C-order blocks of <= max_elems."""
    if not shape:
        yield ()
        return
    inner = 1
    split = len(shape) - 1
    # Find the outermost axis such that everything inside it fits in one tile.
    for d in range(len(shape)):
        rest = math.prod(shape[d + 1 :])
        if rest <= max_elems:
            split, inner = d, rest
            break
    else:
        split, inner = len(shape) - 1, 1
    step = max(1, max_elems // inner)
    for idx in np.ndindex(*shape[:split]):
        for start in range(0, shape[split], step):
            yield (*idx, slice(start, min(start + step, shape[split])))


def _sel_shape(sel: tuple[Any, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """Shape of ``x[sel]`` for ``x`` of ``shape`` (ints drop an axis, slices keep it)."""
    out = [len(range(*s.indices(shape[d]))) for d, s in enumerate(sel) if isinstance(s, slice)]
    return (*out, *shape[len(sel) :])


def _planes_contiguous(moved: np.ndarray) -> bool:
    """True if every plane ``moved[i]`` is C-contiguous (planes may be far apart)."""
    expected = moved.itemsize
    for dim, stride in zip(reversed(moved.shape[1:]), reversed(moved.strides[1:]), strict=True):
        if dim != 1 and stride != expected:
            return False
        expected *= dim
    return True


def _fill_z_last(dst: np.ndarray, block: np.ndarray) -> None:
    """Copy ``block`` (Z, *t) into ``dst`` (*t, Z), choosing the fast copy order."""
    z = block.shape[0]
    n = dst.size // max(z, 1)
    strides = [abs(s) for s in block.strides[1:] if s]
    if z > 1 and n >= 256 and strides and abs(block.strides[0]) > min(strides):
        # Planes are far apart in memory: one contiguous plane-slice per call keeps both
        # the reads and the (strided) writes in cache; numpy's own transposing copy
        # walks the planes element by element and is ~5x slower.
        for i in range(z):
            dst[..., i] = block[i]
    else:
        np.copyto(dst, np.moveaxis(block, 0, -1), casting="unsafe")


def _reduce_tiles(
    moved: np.ndarray,
    out: np.ndarray,
    kernel: Callable[[np.ndarray], np.ndarray],
    work_dtype: np.dtype,
    pool: Executor | None,
    workers: int,
    budget: int,
) -> None:
    """Apply ``kernel`` to (pixels, Z) buffers cut from ``moved`` (Z, *S); write ``out`` (S)."""
    z = moved.shape[0]
    if moved.ndim > 2 and out.flags.c_contiguous and _planes_contiguous(moved):
        # Planes with contiguous pixels (the usual (Z, Y, X) array): treat them as 1-D so
        # tiles can have any length, not only whole rows.
        moved = np.lib.stride_tricks.as_strided(
            moved, (z, out.size), (moved.strides[0], moved.itemsize), writeable=False
        )
        out = out.reshape(-1)
    shape = moved.shape[1:]
    per_pixel = z * work_dtype.itemsize + 48  # buffer + the kernel's per-pixel temporaries
    max_elems = max(1, budget // max(workers, 1) // per_pixel)
    # Small tiles are faster: the strided writes of the copy stay in the CPU cache.
    max_elems = min(max_elems, max(_MIN_TILE, _TILE_BYTES // (z * work_dtype.itemsize)))
    tiles = list(_tile_selections(shape, min(max_elems, max(1, math.prod(shape)))))
    biggest = max(math.prod(_sel_shape(sel, shape)) for sel in tiles)
    n_buffers = min(workers, len(tiles))
    buffers: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
    for _ in range(n_buffers):
        buffers.put(np.empty((biggest, z), work_dtype))

    def run(sel: tuple[Any, ...]) -> None:
        buf = buffers.get()
        try:
            block = moved[(slice(None), *sel)]
            tshape = block.shape[1:]
            n = math.prod(tshape)
            b = buf[:n]
            _fill_z_last(b.reshape(*tshape, z), block)
            out[sel] = kernel(b).reshape(tshape)
        finally:
            buffers.put(buf)

    if pool is None or len(tiles) == 1:
        for sel in tiles:
            run(sel)
    else:
        for f in [pool.submit(run, sel) for sel in tiles]:
            f.result()


def _reduce_blocks(
    moved: np.ndarray,
    out: np.ndarray,
    func: Callable[[np.ndarray], np.ndarray],
    per_pixel: int,
    pool: Executor | None,
    workers: int,
    budget: int,
) -> None:
    """Like _reduce_tiles but ``func`` takes the strided (Z, *t) block itself."""
    shape = moved.shape[1:]
    max_elems = max(1, budget // max(workers, 1) // per_pixel)
    tiles = list(_tile_selections(shape, max_elems))

    def run(sel: tuple[Any, ...]) -> None:
        out[sel] = func(moved[(slice(None), *sel)])

    if pool is None or len(tiles) == 1:
        for sel in tiles:
            run(sel)
    else:
        for f in [pool.submit(run, sel) for sel in tiles]:
            f.result()


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


# --------------------------------------------------------------------------- numpy path


def _check_axis(axis: int, ndim: int, length_of: Callable[[int], int], how: str) -> int:
    try:
        axis = normalize_axis_index(int(axis), ndim)
    except np.exceptions.AxisError:
        raise np.exceptions.AxisError(
            f"axis {axis} is out of range for a stack with {ndim} dimensions"
        ) from None
    if length_of(axis) == 0:
        raise ValueError(f"cannot take the {how} of 0 planes: axis {axis} has length 0")
    return axis


def _project_array(
    a: np.ndarray, how: str, axis: int, *, nan_policy: str, workers: int, memory_limit: int
) -> Any:
    if a.ndim == 0:
        raise np.exceptions.AxisError("cannot project a 0-dimensional array (a single number)")
    axis = _check_axis(axis, a.ndim, lambda d: a.shape[d], how)
    omit = nan_policy == "omit" and a.dtype.kind == "f"
    if how == "median" and a.dtype.kind not in "biuf":
        return np.median(a, axis=axis)  # complex, datetime...: numpy's own (unbounded)
    if how in ("max", "min"):
        ufunc = {("max", False): np.maximum, ("min", False): np.minimum,
                 ("max", True): np.fmax, ("min", True): np.fmin}[how, omit]  # fmt: skip
        return ufunc.reduce(a, axis=axis)
    if how == "mean" and not omit:
        # numpy's axis reduction casts through small buffers: no full float64 copy.
        with np.errstate(over="ignore", invalid="ignore"):
            return np.mean(a, axis=axis, dtype=np.float64)
    moved = np.moveaxis(a, axis, 0)
    out = np.empty(moved.shape[1:], _result_dtype(how, a.dtype))
    if out.size:
        pool = ThreadPoolExecutor(workers) if workers > 1 else None
        try:
            _reduce_array(moved, out, how, omit, pool, workers, memory_limit)
        finally:
            if pool is not None:
                pool.shutdown()
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
        kern = _nanmedian_kernel if omit else _median_kernel
        _reduce_tiles(
            moved, out, lambda b: kern(b, in_dtype), _work_dtype(in_dtype), pool, workers, budget
        )
    elif how == "std":
        # np.std allocates a float64 copy of its input: tiles bound that copy.
        func = _nanstd_block if omit else _std_block
        _reduce_blocks(moved, out, func, z * 24 + 16, pool, workers, budget)
    else:  # mean with omit
        _reduce_blocks(
            moved, out, _nanmean_block, z * (moved.itemsize + 10) + 16, pool, workers, budget
        )


# --------------------------------------------------------------------------- dask path


def _is_dask(x: Any) -> bool:
    # Only look for dask if it was imported: importing it costs ~0.5 s.
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def _block_project(
    block: np.ndarray, how: str, axis: int, nan_policy: str, memory_limit: int
) -> np.ndarray:
    # dask runs blocks in parallel already: one thread per block.
    return np.asarray(
        _project_array(
            block, how, axis, nan_policy=nan_policy, workers=1, memory_limit=memory_limit
        )
    )


def _ufunc_chunk(
    x: np.ndarray, axis: Any = None, keepdims: bool = False, *, ufunc: Any
) -> np.ndarray:
    return ufunc.reduce(x, axis=axis, keepdims=keepdims)


def _project_dask(
    x: Any, how: str, axis: int, *, nan_policy: str, workers: int, memory_limit: int
) -> Any:
    import functools

    import dask.array as da

    if x.ndim == 0:
        raise np.exceptions.AxisError("cannot project a 0-dimensional array (a single number)")
    axis = _check_axis(axis, x.ndim, lambda d: x.shape[d], how)
    omit = nan_policy == "omit" and x.dtype.kind == "f"
    if how in ("max", "min"):
        if not omit:
            return x.max(axis=axis) if how == "max" else x.min(axis=axis)
        # np.fmax/np.fmin skip NaN without the warnings of da.nanmax.
        ufunc = np.fmax if how == "max" else np.fmin
        part = functools.partial(_ufunc_chunk, ufunc=ufunc)
        return da.reduction(x, part, part, axis=axis, dtype=x.dtype)
    if how == "mean" and not omit:
        return x.mean(axis=axis, dtype=np.float64)
    if how == "std" and not omit:
        return x.std(axis=axis, dtype=np.float64)
    # Median (and NaN-omitting mean/std): each pixel needs all its planes at once, so
    # rechunk to whole-axis chunks, capped in size, and run the numpy path per chunk.
    chunks = {d: (-1 if d == axis else "auto") for d in range(x.ndim)}
    y = x.rechunk(chunks, block_size_limit=memory_limit)
    out_dtype = _result_dtype(how, x.dtype)
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


# --------------------------------------------------------------------------- frames path


def _is_frame_reader(x: Any) -> bool:
    """A pims-style reader: frames by index, a length and a frame shape, not an array."""
    return (
        not isinstance(x, np.ndarray)
        and hasattr(x, "frame_shape")
        and hasattr(x, "__len__")
        and hasattr(x, "__getitem__")
    )


class _Frames:
    """Uniform frame access to a Sequence or any pims-like reader."""

    def __init__(self, src: Any) -> None:
        self.src = src
        self.n = len(src)
        if self.n == 0:
            raise ValueError("cannot project a sequence of 0 frames")
        if isinstance(src, Sequence):
            self.shape, self.dtype = tuple(src.frame_shape), np.dtype(src.dtype)
            self.raw_bands = src._raw_bands()
        else:
            first = np.asarray(src[0])  # the reader's pixel_type may be wrong: look
            self.shape, self.dtype = first.shape, first.dtype
            self.raw_bands = False
        self.pixels = math.prod(self.shape)

    def read(self, i: int, out: np.ndarray) -> np.ndarray:
        if isinstance(self.src, Sequence):
            return self.src.read_frame(i, out=out)
        frame = np.asarray(self.src[i])
        if frame.shape != self.shape or frame.dtype != self.dtype:
            raise SequenceError(
                f"frame {i} has shape {frame.shape} and dtype {frame.dtype}, but frame 0 has "
                f"shape {self.shape} and dtype {self.dtype}"
            )
        out[...] = frame
        return out

    def read_band(
        self, start: int, stop: int, out: np.ndarray, frame_buf: np.ndarray | None
    ) -> None:
        if isinstance(self.src, Sequence):
            self.src.read_band(start, stop, out=out)
            return
        assert frame_buf is not None
        for i in range(self.n):
            out[i] = self.read(i, frame_buf).reshape(-1)[start:stop]


def _prefetched(frames: _Frames, n_buffers: int = 3) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (i, frame) while a thread reads the next frames into reused buffers.

    Reading (file I/O, memcpy) and reducing both release the GIL, so they overlap; and
    the buffers are allocated once (a fresh allocation costs page faults, ~1 ms per MB on
    some machines, as much as reading the frame from the page cache).
    """
    n_buffers = min(n_buffers, frames.n)
    bufs = [np.empty(frames.shape, frames.dtype) for _ in range(n_buffers)]
    with ThreadPoolExecutor(1, thread_name_prefix="stacks-read") as reader:
        pending = deque(reader.submit(frames.read, i, bufs[i]) for i in range(n_buffers))
        try:
            for i in range(frames.n):
                frame = pending.popleft().result()
                yield i, frame
                # The caller is done with frame i: its buffer may take frame i + n.
                nxt = i + n_buffers
                if nxt < frames.n:
                    pending.append(reader.submit(frames.read, nxt, bufs[nxt % n_buffers]))
        finally:
            for f in pending:
                f.cancel()


def _progress(total: int, enabled: bool, unit: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit)


def _project_frames(
    frames: _Frames,
    how: str,
    axis: int,
    *,
    nan_policy: str,
    workers: int,
    memory_limit: int,
    progress: bool,
) -> Any:
    ndim = 1 + len(frames.shape)
    axis = _check_axis(axis, ndim, lambda d: frames.n if d == 0 else frames.shape[d - 1], how)
    omit = nan_policy == "omit" and frames.dtype.kind == "f"
    bar = _progress(frames.n, progress, "frame")
    try:
        if axis != 0:
            # Each frame reduces on its own: one frame in memory at a time.
            out = None
            for i, frame in _prefetched(frames):
                r = _project_array(frame, how, axis - 1, nan_policy=nan_policy,
                                   workers=workers, memory_limit=memory_limit)  # fmt: skip
                if out is None:
                    out = np.empty((frames.n, *np.shape(r)), np.asarray(r).dtype)
                out[i] = r
                if bar is not None:
                    bar.update(1)
            return out
        if how == "median":
            return _median_frames(frames, omit, workers, memory_limit, bar)
        return _stream_frames(frames, how, omit, workers, bar)
    finally:
        if bar is not None:
            bar.close()


_UFUNCS = {
    ("max", False): np.maximum,
    ("min", False): np.minimum,
    ("max", True): np.fmax,  # fmax/fmin skip NaN, without np.nanmax's warnings
    ("min", True): np.fmin,
}


class _Accumulator:
    """Running max, min, mean or std over frames, per pixel (Welford for float std)."""

    def __init__(self, how: str, dtype: np.dtype, pixels: int, n_frames: int, omit: bool) -> None:
        self.how, self.omit, self.pixels, self.kind = how, omit, pixels, dtype.kind
        max_abs = 0
        if dtype.kind == "b":
            max_abs = 1
        elif dtype.kind in "iu":
            max_abs = max(-int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        # Integers summed in int64 are exact. n * sum(x^2) must stay below 2^63, hence
        # the bound on n * max|x| (uint16: 32768 frames), beyond which Welford is used.
        self.exact = dtype.kind in "biu" and (
            (how == "mean" and dtype.itemsize <= 4)
            or (how == "std" and dtype.itemsize <= 2 and n_frames * max_abs < 2**31)
        )
        self.count: np.ndarray | None = None
        self.acc: np.ndarray | None = None
        if how in ("max", "min"):
            self.acc = np.empty(pixels, dtype)  # the first frame, then the running max/min
        elif self.exact:
            self.s = np.zeros(pixels, np.int64)
            if how == "std":
                self.ss = np.zeros(pixels, np.int64)
        elif how == "mean":
            self.s = np.zeros(pixels, np.float64)
        else:  # Welford's running mean and sum of squared deviations
            self.mean = np.zeros(pixels, np.float64)
            self.m2 = np.zeros(pixels, np.float64)
        if omit and how in ("mean", "std") and not self.exact:
            self.count = np.zeros(pixels, np.int64)
        self.n = 0

    def temporaries(self) -> int:
        """How many 8-byte chunk temporaries an update needs."""
        if self.how != "std":
            return 0
        return 1 if self.exact else 2

    def add(self, x: np.ndarray, sl: slice, tmp: list[np.ndarray], k: int) -> None:
        """Add the values ``x`` of pixels ``sl`` of the ``k``-th frame (1-based) they see.

        Pixel ranges are independent: callers may feed them in any order (frame by frame,
        or band by band through all frames), from several threads for disjoint ranges.
        Set :attr:`n` to the number of frames before calling :meth:`result`.
        """
        if self.kind != "f":
            self._add(x, sl, tmp, k)
            return
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf: NaN, as numpy
            self._add(x, sl, tmp, k)

    def _add(self, x: np.ndarray, sl: slice, tmp: list[np.ndarray], k: int) -> None:
        if self.how in ("max", "min"):
            acc = self.acc[sl]  # type: ignore[index]
            if k == 1:
                acc[...] = x
            else:
                _UFUNCS[self.how, self.omit](acc, x, out=acc)
            return
        n = x.shape[0]
        if self.exact:
            s = self.s[sl]
            np.add(s, x, out=s)
            if self.how == "std":
                sq = tmp[0][:n].view(np.int64)
                np.multiply(x, x, out=sq, dtype=np.int64)
                ss = self.ss[sl]
                np.add(ss, sq, out=ss)
            return
        valid = None
        if self.count is not None:
            valid = ~np.isnan(x)
            c = self.count[sl]
            np.add(c, valid, out=c)
        if self.how == "mean":
            s = self.s[sl]
            if valid is None:
                np.add(s, x, out=s)  # same order and precision as numpy's axis-0 sum
            else:
                np.add(s, x, out=s, where=valid)
            return
        mean, m2 = self.mean[sl], self.m2[sl]
        d, d2 = tmp[0][:n], tmp[1][:n]
        np.subtract(x, mean, out=d, dtype=np.float64)
        if valid is None:
            np.divide(d, k, out=d2)
        else:
            d[~valid] = 0
            np.divide(d, np.maximum(self.count[sl], 1), out=d2)  # type: ignore[index]
        mean += d2
        np.subtract(x, mean, out=d2, dtype=np.float64)
        d2 *= d
        if valid is None:
            m2 += d2
        else:
            np.add(m2, d2, out=m2, where=valid)

    def result(self) -> np.ndarray:
        if self.how in ("max", "min"):
            return self.acc  # type: ignore[return-value]
        n = self.n
        count: Any = n if self.count is None else self.count
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.exact:
                if self.how == "mean":
                    return self.s / n
                # n * sum(x^2) - sum(x)^2 is exact in int64 (bounded above): one rounding.
                num = self.ss
                num *= n
                num -= np.square(self.s, out=self.s)
                var = num.astype(np.float64)
                var /= float(n * n)
                return np.sqrt(var, out=var)
            if self.how == "mean":
                return self.s / count
            var = self.m2 / count
            return np.sqrt(np.maximum(var, 0, out=var), out=var)


def _stream_frames(frames: _Frames, how: str, omit: bool, workers: int, bar: Any) -> np.ndarray:
    pixels, n = frames.pixels, frames.n
    # Pixels are folded in segments of ~512 KB, small enough to stay in the CPU's L2
    # cache, of at most _CHUNK pixels (which bounds the float64 temporaries of std), and
    # at least as many as there are workers.
    per_worker = -(-pixels // workers)
    seg = max(1, min(pixels, _SEGMENT_BYTES // frames.dtype.itemsize, _CHUNK, per_worker))
    segments = [slice(p, min(p + seg, pixels)) for p in range(0, pixels, seg)]
    acc = _Accumulator(how, frames.dtype, pixels, n, omit)

    def temporaries() -> list[np.ndarray]:
        return [np.empty(seg, np.float64) for _ in range(acc.temporaries())]

    if isinstance(frames.src, Sequence) and frames.raw_bands:
        # Uncompressed TIFF: go band by band, each band through all frames. A band's
        # accumulator and the band just read both stay in cache, so the reduction adds
        # little to the reading; workers take different bands (no merging) and read the
        # files at once (positional reads). Memory: per worker, one band buffer.
        seq: Sequence = frames.src
        if bar is not None:
            bar.reset(total=len(segments))
            bar.unit = "band"

        def run_bands(band_slices: list[slice]) -> None:
            buf, tmp = np.empty(seg, frames.dtype), temporaries()
            for sl in band_slices:
                for i in range(n):
                    x = buf[: sl.stop - sl.start]
                    seq._read_flat(i, sl.start, sl.stop, x)
                    acc.add(x, sl, tmp, i + 1)
                if bar is not None:
                    bar.update(1)

        parts = [segments[j::workers] for j in range(workers) if segments[j::workers]]
        if len(parts) == 1:
            run_bands(parts[0])
        else:
            with ThreadPoolExecutor(len(parts), thread_name_prefix="stacks-reduce") as pool:
                list(pool.map(run_bands, parts))
        acc.n = n
        return acc.result().reshape(frames.shape)

    # Compressed files or a foreign reader: each frame is decoded once, in order, by one
    # background thread (a foreign reader may not be thread-safe) while this thread folds
    # the previous frame in, segment by segment.
    tmp = temporaries()
    for i, frame in _prefetched(frames):
        flat = frame.reshape(-1)
        for sl in segments:
            acc.add(flat[sl], sl, tmp, i + 1)
        if bar is not None:
            bar.update(1)
    acc.n = n
    return acc.result().reshape(frames.shape)


def _median_frames(
    frames: _Frames, omit: bool, workers: int, memory_limit: int, bar: Any
) -> np.ndarray:
    z, pixels, dtype = frames.n, frames.pixels, frames.dtype
    work = _work_dtype(dtype)
    # Memory plan: staging bands (all frames x a band of pixels, as read) + one tile
    # buffer per worker (pixels x all frames, Z contiguous). With cheap raw band reads a
    # second band is read ahead while the first is computed; when every band costs a full
    # decode of every frame, one big band means fewer passes over the files.
    if frames.raw_bands:
        n_stage, stage_budget = 2, memory_limit // 4
    else:
        n_stage, stage_budget = 1, (memory_limit * 3) // 4
    tile_budget = memory_limit - n_stage * stage_budget
    band = max(1, min(pixels, stage_budget // (z * dtype.itemsize)))
    bands = [(p, min(p + band, pixels)) for p in range(0, pixels, band)]
    n_stage = min(n_stage, len(bands))
    stages = [np.empty((z, band), dtype) for _ in range(n_stage)]
    frame_buf = None if isinstance(frames.src, Sequence) else np.empty(frames.shape, dtype)
    out = np.empty(pixels, median_dtype(dtype))
    in_dtype = dtype
    kern = _nanmedian_kernel if omit else _median_kernel
    if bar is not None:
        bar.reset(total=len(bands))
        bar.unit = "band"

    def read(b: int) -> np.ndarray:
        p0, p1 = bands[b]
        st = stages[b % n_stage][:, : p1 - p0]
        frames.read_band(p0, p1, st, frame_buf)
        return st

    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="stacks-read") as reader:
            if n_stage > 1:
                nxt = reader.submit(read, 0)
            for b, (p0, p1) in enumerate(bands):
                if n_stage > 1:
                    st = nxt.result()
                    if b + 1 < len(bands):
                        nxt = reader.submit(read, b + 1)
                else:
                    st = read(b)
                _reduce_tiles(
                    st,
                    out[p0:p1],
                    lambda buf: kern(buf, in_dtype),
                    work,
                    pool,
                    workers,
                    tile_budget,
                )
                if bar is not None:
                    bar.update(1)
    finally:
        if pool is not None:
            pool.shutdown()
    return out.reshape(frames.shape)
