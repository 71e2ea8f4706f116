"""The two stores of frames: a folder (or list) of single-image files, and one multi-page TIFF.

Both read uncompressed pixels as bytes at their offset in the file (only the bytes asked
for, from several threads at once) and decode everything else with tifffile or imageio.
Both are :class:`~helpers.sequences.FrameSource` objects; :class:`Sequence` puts the
pims and numpy interfaces in front of them.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import weakref
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import tifffile

from ._errors import SequenceError, read_errors, tifffile_errors
from ._headers import FileFrame, mismatch
from ._metadata import Spacing, spacing_from_tiff
from ._rawio import check_size, open_fd, read_at, read_file_at


class FrameStore(ABC):
    """What both stores share: the checks of the FrameSource calls, raw or decoded reads.

    A store says where frame ``i``'s pixels start when they can be read as bytes
    (:meth:`_offset`), how to read such bytes (:meth:`_read_raw`) and how to decode the
    frame otherwise (:meth:`_decode`).

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
    >>> tifffile.imwrite(path, np.arange(30, dtype=np.uint8).reshape(2, 3, 5))
    >>> from helpers.sequences import FrameSource
    >>> store = MultipageTiff(path, 0, repr(str(path)))
    >>> isinstance(store, FrameSource), store.read_pixels(1, 2, 5)
    (True, array([17, 18, 19], dtype=uint8))
    """

    files: tuple[Path, ...]
    spacing: Spacing | None
    axes: str | None = None
    frame_shape: tuple[int, ...]
    dtype: np.dtype
    closed: bool = False
    _length: int

    def __len__(self) -> int:
        return self._length

    @property
    def partial_reads(self) -> bool:
        """True if every frame's pixels can be read as bytes (see FrameSource.partial_reads)."""
        return all(self._offset(i) is not None for i in range(self._length))

    def read_frame(self, i: int, out: np.ndarray | None = None) -> np.ndarray:
        """Read frame ``i``, into ``out`` if given (see FrameSource.read_frame)."""
        self.check_frame(i)
        out = self._buffer(out, self.frame_shape)
        offset = self._offset(i)
        if offset is None:
            out[...] = self._decode(i)
        else:
            self._read_raw(i, offset, out)
        return out

    def read_pixels(
        self, i: int, start: int, stop: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Read flat pixels ``start:stop`` of frame ``i`` (see FrameSource.read_pixels)."""
        self.check_frame(i)
        pixels = math.prod(self.frame_shape)
        if not 0 <= start <= stop <= pixels:
            raise ValueError(f"band {start}:{stop} is outside 0:{pixels}")
        out = self._buffer(out, (stop - start,))
        offset = self._offset(i)
        if offset is None:
            out[...] = self._decode(i).reshape(-1)[start:stop]
        else:
            self._read_raw(i, offset + start * self.dtype.itemsize, out)
        return out

    def close(self) -> None:
        """Release what the store holds open; a folder of planes holds nothing."""
        self.closed = True

    def _buffer(self, out: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
        """``out``, checked to fit pixels of ``shape``, or a new array for them."""
        if out is None:
            return np.empty(shape, self.dtype)
        if out.shape != shape or out.dtype != self.dtype or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous {self.dtype} array of shape {shape}")
        return out

    def check_frame(self, i: int) -> int:
        """Return ``i`` if it is a frame's index, else raise IndexError.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
        >>> tifffile.imwrite(path, np.zeros((2, 3, 5), np.uint8))
        >>> MultipageTiff(path, 0, repr(str(path))).check_frame(2)
        Traceback (most recent call last):
        ...
        IndexError: frame 2 is out of range for a sequence of 2 frames
        """
        if not 0 <= i < self._length:
            raise IndexError(f"frame {i} is out of range for a sequence of {self._length} frames")
        return i

    @abstractmethod
    def _offset(self, i: int) -> int | None:
        """Byte offset of frame ``i``'s pixels if they can be read as bytes, else None."""

    @abstractmethod
    def _read_raw(self, i: int, offset: int, out: np.ndarray) -> None:
        """Fill ``out`` with the pixels of frame ``i`` that start at byte ``offset``."""

    @abstractmethod
    def _decode(self, i: int) -> np.ndarray:
        """Frame ``i`` decoded whole, of :attr:`frame_shape` and :attr:`dtype`."""


class PlaneFiles(FrameStore):
    """One frame per file, as described by the files' headers at open.

    Files stay closed between reads, so a folder of planes holds no handle.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> from helpers.sequences._headers import read_headers
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> paths = [folder / f"z{z}.tif" for z in range(3)]
    >>> for z, path in enumerate(paths):
    ...     tifffile.imwrite(path, np.full((2, 2), z, np.uint8))
    >>> store = PlaneFiles(*read_headers(paths))
    >>> len(store), int(store.read_frame(2)[0, 0])
    (3, 2)
    """

    def __init__(self, frames: list[FileFrame], spacing: Spacing | None) -> None:
        self._frames = frames
        self._length = len(frames)
        self.files = tuple(f.path for f in frames)
        self.spacing = spacing
        self.frame_shape, self.dtype = frames[0].shape, frames[0].dtype

    def _offset(self, i: int) -> int | None:
        return self._frames[i].offset

    def _read_raw(self, i: int, offset: int, out: np.ndarray) -> None:
        frame = self._frames[i]
        read_file_at(frame.path, offset, out, frame.file_dtype)

    def _decode(self, i: int) -> np.ndarray:
        frame = self._frames[i]
        path = frame.path
        if frame.kind == "tiff":
            with tifffile_errors(path), open(path, "rb") as fh:
                data = np.asarray(tifffile.imread(fh))
        else:
            with read_errors(path), open(path, "rb") as fh:
                data = np.asarray(iio.imread(fh, extension=path.suffix.lower()))
        if data.shape != self.frame_shape or data.dtype != self.dtype:
            raise SequenceError(mismatch(i, path, data.shape, data.dtype, self._frames[0]))
        return data


def _close_tiff(tif: Any, fh: Any, fd: int) -> None:
    tif.close()
    fh.close()
    with contextlib.suppress(OSError):
        os.close(fd)


class MultipageTiff(FrameStore):
    """The pages of one image series of a TIFF file, as frames.

    The file stays open (tifffile's handle, and a descriptor for reading pixel bytes)
    until :meth:`close` or garbage collection. A pickled copy reopens the file on first
    use, so a store can travel to dask workers and other processes.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
    >>> tifffile.imwrite(path, np.zeros((5, 3, 4), np.uint16), photometric="minisblack")
    >>> store = MultipageTiff(path, 0, repr(str(path)))
    >>> len(store), store.frame_shape, store.axes
    (5, (3, 4), 'QYX')
    """

    def __init__(self, path: Path, series: int, description: str) -> None:
        self.files = (path,)
        self._series_index = series
        self._description = description
        self._lock = threading.RLock()
        self._tif: Any = None
        self.spacing = self._open(read_spacing=True)

    def _open(self, read_spacing: bool = False) -> Spacing | None:
        """Open (or reopen after unpickling) the file, and check its header."""
        path = self.files[0]
        spacing = None
        # Our own file object: TiffFile(path) leaves its handle open if parsing fails.
        fh = open(path, "rb")  # noqa: SIM115 - closed by close() or the finalizer
        tif = None
        try:
            with tifffile_errors(path):  # raises on exit if tifffile logged damage
                tif = tifffile.TiffFile(fh)
                if not 0 <= self._series_index < len(tif.series):
                    raise SequenceError(
                        f"{str(path)!r} has {len(tif.series)} image series; "
                        f"series={self._series_index} does not exist"
                    )
                series = tif.series[self._series_index]
                n = len(series.pages)
                frame_shape = tuple(series.keyframe.shape)  # the page all pages are like
                if math.prod(frame_shape) * n != math.prod(series.shape):
                    # e.g. volumetric (SGI) pages: tell the user rather than guess
                    raise SequenceError(
                        f"{str(path)!r}: series shape {series.shape} does not split into "
                        f"{n} pages of shape {frame_shape}"
                    )
                dtype = np.dtype(series.dtype)
                # Set when all pages are uncompressed and stored one after another.
                offset = series.dataoffset
                if offset is not None:
                    check_size(path, int(offset) + math.prod(series.shape) * dtype.itemsize)
                if read_spacing:
                    spacing = spacing_from_tiff(tif, self._series_index)
        except BaseException:
            if tif is not None:
                tif.close()
            fh.close()
            raise
        self._fh = fh
        self._fd = open_fd(path)
        self._tif = tif
        self._series = series
        self._length = n
        self.frame_shape = frame_shape
        self.dtype = dtype
        self._file_dtype = dtype.newbyteorder(tif.byteorder)
        self._contiguous_offset = None if offset is None else int(offset)
        self._page_offsets: list[int | None] | None = None
        self._frame_nbytes = math.prod(frame_shape) * dtype.itemsize
        self.axes = series.axes
        # Close the file when the store is garbage collected, without a __del__.
        self._finalizer = weakref.finalize(self, _close_tiff, tif, fh, self._fd)
        return spacing

    def _handle(self) -> Any:
        if self.closed:
            raise SequenceError(f"the sequence of {self._description} is closed")
        if self._tif is None:
            with self._lock:  # reopen after unpickling, once even with many threads
                if self._tif is None:
                    self._open()
        return self._tif

    def close(self) -> None:
        """Close the file.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
        >>> tifffile.imwrite(path, np.zeros((2, 3, 5), np.uint8))
        >>> store = MultipageTiff(path, 0, repr(str(path)))
        >>> store.close()
        >>> store.read_frame(0)
        Traceback (most recent call last):
        ...
        helpers.sequences.SequenceError: the sequence of '.../stack.tif' is closed
        """
        self.closed = True
        if self._tif is not None:
            self._finalizer()
            self._tif = None

    def __getstate__(self) -> dict[str, Any]:
        # Picklable for dask.distributed and multiprocessing: drop the handles and the
        # lock; the copy reopens the file on first use.
        state = self.__dict__.copy()
        for key in ("_tif", "_fh", "_fd", "_series", "_lock", "_finalizer"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._tif = None
        self._lock = threading.RLock()

    def _offset(self, i: int) -> int | None:
        tif = self._handle()
        if self._contiguous_offset is not None:
            return self._contiguous_offset + i * self._frame_nbytes
        if self._page_offsets is None:
            # Pages stored one after another with their own headers (Micro-Manager,
            # many acquisition programs): learn each page's offset once.
            with self._lock, tifffile_errors(self.files[0]):
                self._page_offsets = [
                    int(page.dataoffsets[0])
                    if page is not None
                    and page.parent is tif
                    and page.is_final
                    and len(page.dataoffsets) > 0
                    else None
                    for page in self._series.pages
                ]
        return self._page_offsets[i]

    def _read_raw(self, i: int, offset: int, out: np.ndarray) -> None:
        # _offset(i), called just before, reopened the file if it was unpickled.
        read_at(self._fd, offset, out, self._file_dtype, self.files[0], self._lock)

    def _decode(self, i: int) -> np.ndarray:
        with self._lock, tifffile_errors(self.files[0]):
            data = self._handle().asarray(key=i, series=self._series_index)
        return np.asarray(data).reshape(self.frame_shape)
