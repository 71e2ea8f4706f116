"""Cutting a (Z, ...) array into tiles of pixels and reducing them on a pool of threads.

Tiles bound the working memory of the reductions that need every plane of a pixel at
once (the median, and numpy's ``std``, which copies its input to float64). For the
median each tile is copied into a buffer with the planes contiguous, (pixels, Z), one
plane at a time.
"""

from __future__ import annotations

import contextlib
import math
import queue
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

# Target size of one median tile buffer (pixels x planes): about the size of L2 cache.
_TILE_BYTES = 2 * 2**20
_MIN_TILE = 256  # pixels; fewer make the per-plane copy loop dominate (tests lower it)

_Item = TypeVar("_Item")


@contextlib.contextmanager
def thread_pool(workers: int) -> Iterator[Executor | None]:
    """A pool of ``workers`` threads, or None for one worker (the caller's thread).

    Examples
    --------
    >>> with thread_pool(2) as pool:
    ...     pool.submit(sum, [1, 2]).result()
    3
    >>> with thread_pool(1) as pool:
    ...     print(pool)
    None
    """
    if workers <= 1:
        yield None
        return
    with ThreadPoolExecutor(workers) as pool:
        yield pool


def run_all(pool: Executor | None, func: Callable[[_Item], None], items: Iterable[_Item]) -> None:
    """Call ``func`` on every item, on ``pool`` if there is one; re-raise the first error.

    Examples
    --------
    >>> seen = []
    >>> run_all(None, seen.append, [1, 2])
    >>> seen
    [1, 2]
    """
    items = list(items)
    if pool is None or len(items) == 1:
        for item in items:
            func(item)
    else:
        for future in [pool.submit(func, item) for item in items]:
            future.result()


def tile_selections(shape: tuple[int, ...], max_elems: int) -> Iterator[tuple[Any, ...]]:
    """Index tuples that cut an array of ``shape`` into C-order blocks of <= max_elems.

    Examples
    --------
    >>> list(tile_selections((2, 5), 4))
    [(0, slice(0, 4, None)), (0, slice(4, 5, None)), (1, slice(0, 4, None)), (1, slice(4, 5, None))]
    """
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


def reduce_tiles(
    moved: np.ndarray,
    out: np.ndarray,
    kernel: Callable[[np.ndarray], np.ndarray],
    work_dtype: np.dtype,
    pool: Executor | None,
    workers: int,
    budget: int,
) -> None:
    """Apply ``kernel`` to (pixels, Z) buffers cut from ``moved`` (Z, *S); write ``out`` (S).

    Each of ``workers`` threads reuses one buffer of ``work_dtype``; all buffers together
    stay within ``budget`` bytes.

    Examples
    --------
    >>> import numpy as np
    >>> moved = np.arange(24, dtype=np.int32).reshape(3, 2, 4)  # Z = 3
    >>> out = np.empty((2, 4), np.int32)
    >>> reduce_tiles(moved, out, lambda b: b.max(axis=-1), np.dtype(np.int32), None, 1, 2**16)
    >>> bool(np.array_equal(out, moved.max(axis=0)))
    True
    """
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
    tiles = list(tile_selections(shape, min(max_elems, max(1, math.prod(shape)))))
    biggest = max(math.prod(_sel_shape(sel, shape)) for sel in tiles)
    buffers: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
    for _ in range(min(workers, len(tiles))):
        buffers.put(np.empty((biggest, z), work_dtype))

    def run(sel: tuple[Any, ...]) -> None:
        buf = buffers.get()
        try:
            block = moved[(slice(None), *sel)]
            tshape = block.shape[1:]
            b = buf[: math.prod(tshape)]
            _fill_z_last(b.reshape(*tshape, z), block)
            out[sel] = kernel(b).reshape(tshape)
        finally:
            buffers.put(buf)

    run_all(pool, run, tiles)


def reduce_blocks(
    moved: np.ndarray,
    out: np.ndarray,
    func: Callable[[np.ndarray], np.ndarray],
    per_pixel: int,
    pool: Executor | None,
    workers: int,
    budget: int,
) -> None:
    """Like :func:`reduce_tiles`, but ``func`` takes the strided (Z, *t) block itself.

    ``per_pixel`` is the bytes ``func`` allocates per pixel of a block.

    Examples
    --------
    >>> import numpy as np
    >>> moved = np.arange(24, dtype=np.uint8).reshape(3, 2, 4)
    >>> out = np.empty((2, 4))
    >>> reduce_blocks(moved, out, lambda block: block.std(axis=0), 32, None, 1, 2**16)
    >>> bool(np.allclose(out, moved.std(axis=0)))
    True
    """
    max_elems = max(1, budget // max(workers, 1) // per_pixel)

    def run(sel: tuple[Any, ...]) -> None:
        out[sel] = func(moved[(slice(None), *sel)])

    run_all(pool, run, tile_selections(moved.shape[1:], max_elems))
