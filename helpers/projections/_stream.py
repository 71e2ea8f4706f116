"""Projections streamed from a FrameSource: bounded memory however many frames there are.

Only the public :class:`~helpers.sequences.FrameSource` calls are used. When the source
reads bands cheaply (``partial_reads``: uncompressed files), max, min, mean and std go
band by band, each band through all frames, on several threads; otherwise each frame is
read once, by one background thread, into reused buffers. The median keeps bands of all
frames and sorts them in tiles (:mod:`._tiles`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..sequences import FrameSource
from ._accumulator import Accumulator
from ._arrays import check_axis, project_array, skips_nan
from ._dtypes import median_dtype, work_dtype
from ._median import median_kernel, nanmedian_kernel
from ._tiles import reduce_tiles, thread_pool

# Streamed max/min/mean/std fold frames in segments of this many bytes (about half the
# L2 cache), and at most _CHUNK pixels (which bounds the float64 temporaries of std).
_SEGMENT_BYTES = 2**19
_CHUNK = 2**18


def _prefetched(source: FrameSource, n_buffers: int = 3) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (i, frame) while a thread reads the next frames into reused buffers.

    Reading (file I/O, memcpy) and reducing both release the GIL, so they overlap; and
    the buffers are allocated once (a fresh allocation costs page faults, ~1 ms per MB on
    some machines, as much as reading the frame from the page cache).
    """
    n = len(source)
    n_buffers = min(n_buffers, n)
    bufs = [np.empty(source.frame_shape, source.dtype) for _ in range(n_buffers)]
    with ThreadPoolExecutor(1, thread_name_prefix="stacks-read") as reader:
        pending = deque(reader.submit(source.read_frame, i, bufs[i]) for i in range(n_buffers))
        try:
            for i in range(n):
                frame = pending.popleft().result()
                yield i, frame
                # The caller is done with frame i: its buffer may take frame i + n_buffers.
                nxt = i + n_buffers
                if nxt < n:
                    pending.append(reader.submit(source.read_frame, nxt, bufs[nxt % n_buffers]))
        finally:
            for f in pending:
                f.cancel()


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="frame")


def _count_bands(bar: Any, total: int) -> None:
    """Make the progress bar count bands instead of frames."""
    if bar is not None:
        bar.reset(total=total)
        bar.unit = "band"


def project_frames(
    source: FrameSource,
    how: str,
    axis: int,
    *,
    nan_policy: str,
    workers: int,
    memory_limit: int,
    progress: bool,
) -> Any:
    """The ``how`` projection of the frames of ``source`` along ``axis`` (0: the frames).

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, os
    >>> from helpers.sequences import open_sequence
    >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
    >>> stack = np.array([[[1, 9]], [[4, 2]], [[3, 5]]], np.uint8)  # (3, 1, 2)
    >>> tifffile.imwrite(path, stack, photometric="minisblack")
    >>> with open_sequence(path) as seq:
    ...     project_frames(seq, "median", 0, nan_policy="propagate", workers=2,
    ...                    memory_limit=2**16, progress=False)
    array([[3., 5.]])
    """
    n, frame_shape = len(source), source.frame_shape
    axis = check_axis(
        axis, 1 + len(frame_shape), lambda d: n if d == 0 else frame_shape[d - 1], how
    )
    omit = skips_nan(nan_policy, source.dtype)
    bar = _progress(n, progress)
    try:
        if axis != 0:
            # Each frame reduces on its own: one frame in memory at a time.
            out = None
            for i, frame in _prefetched(source):
                r = project_array(frame, how, axis - 1, nan_policy=nan_policy,
                                  workers=workers, memory_limit=memory_limit)  # fmt: skip
                if out is None:
                    out = np.empty((n, *np.shape(r)), np.asarray(r).dtype)
                out[i] = r
                if bar is not None:
                    bar.update(1)
            return out
        if how == "median":
            return _median_frames(source, omit, workers, memory_limit, bar)
        return _stream_frames(source, how, omit, workers, bar)
    finally:
        if bar is not None:
            bar.close()


def _stream_frames(source: FrameSource, how: str, omit: bool, workers: int, bar: Any) -> np.ndarray:
    n, dtype = len(source), source.dtype
    pixels = math.prod(source.frame_shape)
    # Pixels are folded in segments of ~512 KB, small enough to stay in the CPU's L2
    # cache, of at most _CHUNK pixels (which bounds the float64 temporaries of std), and
    # at least as many as there are workers.
    per_worker = -(-pixels // workers)
    seg = max(1, min(pixels, _SEGMENT_BYTES // dtype.itemsize, _CHUNK, per_worker))
    segments = [slice(p, min(p + seg, pixels)) for p in range(0, pixels, seg)]
    acc = Accumulator(how, dtype, pixels, n, omit)

    def temporaries() -> list[np.ndarray]:
        return [np.empty(seg, np.float64) for _ in range(acc.temporaries())]

    if source.partial_reads:
        # Uncompressed files: go band by band, each band through all frames. A band's
        # accumulator and the band just read both stay in cache, so the reduction adds
        # little to the reading; workers take different bands (no merging) and read the
        # files at once (positional reads). Memory: per worker, one band buffer.
        _count_bands(bar, len(segments))

        def run_bands(band_slices: list[slice]) -> None:
            buf, tmp = np.empty(seg, dtype), temporaries()
            for sl in band_slices:
                x = buf[: sl.stop - sl.start]
                for i in range(n):
                    source.read_pixels(i, sl.start, sl.stop, x)
                    acc.add(x, sl, tmp, i + 1)
                if bar is not None:
                    bar.update(1)

        parts = [segments[j::workers] for j in range(workers) if segments[j::workers]]
        if len(parts) == 1:
            run_bands(parts[0])
        else:
            with ThreadPoolExecutor(len(parts), thread_name_prefix="stacks-reduce") as pool:
                list(pool.map(run_bands, parts))
        return acc.result().reshape(source.frame_shape)

    # Frames decoded whole: each is decoded once, in order, by one background thread
    # (it may not be thread-safe) while this thread folds the previous frame in, segment
    # by segment.
    tmp = temporaries()
    for i, frame in _prefetched(source):
        flat = frame.reshape(-1)
        for sl in segments:
            acc.add(flat[sl], sl, tmp, i + 1)
        if bar is not None:
            bar.update(1)
    return acc.result().reshape(source.frame_shape)


def _median_frames(
    source: FrameSource, omit: bool, workers: int, memory_limit: int, bar: Any
) -> np.ndarray:
    z, dtype = len(source), source.dtype
    pixels = math.prod(source.frame_shape)
    # Memory plan: staging bands (all frames x a band of pixels, as read) + one tile
    # buffer per worker (pixels x all frames, Z contiguous). With cheap band reads a
    # second band is read ahead while the first is computed; when every band costs a full
    # decode of every frame, one big band means fewer passes over the files.
    if source.partial_reads:
        n_stage, stage_budget = 2, memory_limit // 4
    else:
        n_stage, stage_budget = 1, (memory_limit * 3) // 4
    tile_budget = memory_limit - n_stage * stage_budget
    band = max(1, min(pixels, stage_budget // (z * dtype.itemsize)))
    bands = [(p, min(p + band, pixels)) for p in range(0, pixels, band)]
    n_stage = min(n_stage, len(bands))
    stages = [np.empty((z, band), dtype) for _ in range(n_stage)]
    out = np.empty(pixels, median_dtype(dtype))
    kernel = nanmedian_kernel if omit else median_kernel
    _count_bands(bar, len(bands))

    def read(b: int) -> np.ndarray:
        p0, p1 = bands[b]
        stage = stages[b % n_stage][:, : p1 - p0]
        for i in range(z):
            source.read_pixels(i, p0, p1, stage[i])
        return stage

    with (
        thread_pool(workers) as pool,
        ThreadPoolExecutor(1, thread_name_prefix="stacks-read") as reader,
    ):
        if n_stage > 1:
            nxt = reader.submit(read, 0)
        for b, (p0, p1) in enumerate(bands):
            if n_stage > 1:
                stage = nxt.result()
                if b + 1 < len(bands):
                    nxt = reader.submit(read, b + 1)
            else:
                stage = read(b)
            reduce_tiles(
                stage,
                out[p0:p1],
                lambda buf: kernel(buf, dtype),
                work_dtype(dtype),
                pool,
                workers,
                tile_budget,
            )
            if bar is not None:
                bar.update(1)
    return out.reshape(source.frame_shape)
