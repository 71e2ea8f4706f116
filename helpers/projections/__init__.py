"""Maximum, minimum, mean, standard-deviation and median projections of image stacks.

One function, :func:`project`, and five thin wrappers (:func:`max_projection`,
:func:`min_projection`, :func:`mean_projection`, :func:`std_projection`,
:func:`median_projection`) reduce a stack along one axis. The stack may be

- a **numpy array** (including a ``numpy.memmap``): computed in memory;
- a **sequence on disk** (a :class:`helpers.sequences.Sequence`, any other
  :class:`~helpers.sequences.FrameSource`, or any pims reader): streamed, so memory stays
  bounded by a few frames (max, min, mean, std) or by ``memory_limit`` (median) however
  long the stack;
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
A sequence is never loaded whole, and is read only through the
:class:`~helpers.sequences.FrameSource` protocol. For uncompressed TIFF (the usual
microscopy file, whose ``partial_reads`` is true) projections go *band by band*: a band
of ~512 KB of pixels is read from every frame in turn (only those bytes:
:meth:`~helpers.sequences.FrameSource.read_pixels`) and folded into that band's
accumulator while both are in the CPU cache, so a streamed max costs little more than
reading the files. Worker threads take different bands and read the files at once
(positional reads). Extra memory for max, min, mean and std: one band buffer per worker
plus the accumulators (the size of the result; two float64 arrays for std). The median
keeps bands of all frames (up to ``memory_limit``, the next band read while this one is
computed) and sorts them in tiles as above. Compressed TIFF, PNG, JPEG and foreign pims
readers are decoded frame by frame, each frame once for max, min, mean and std (one
background thread reads ahead into three reused frame buffers; a foreign reader, which
may not be thread-safe, is only touched by that thread) and once per band for the median,
so for them a larger ``memory_limit`` means fewer passes over the files.

The implementation is split along those seams: :func:`project` checks its arguments and
picks a path (``_project``); numpy arrays in memory (``_arrays``), cut into tiles for the
reductions that need every plane at once (``_tiles``); the exact median kernels
(``_median``) and the dtypes they compute in (``_dtypes``); streaming from a frame source
(``_stream``, folding frames with ``_accumulator``, while ``_readers`` makes any pims
reader a frame source); and dask arrays (``_dask``). This module only declares what is
public.
"""

from __future__ import annotations

from ._dtypes import median_dtype
from ._project import (
    DEFAULT_MEMORY_LIMIT,
    max_projection,
    mean_projection,
    median_projection,
    min_projection,
    project,
    std_projection,
)

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
