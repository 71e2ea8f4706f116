"""Read uncompressed pixel bytes at an offset straight into an array, in native byte order."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import numpy as np

from ._errors import SequenceError

_HAS_PREADV = hasattr(os, "preadv")  # POSIX: positional reads, no shared file position


def open_fd(path: Path) -> int:
    """A read-only OS file descriptor for ``path`` (binary mode on Windows).

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bytes.bin"
    >>> _ = path.write_bytes(b"abc")
    >>> fd = open_fd(path)
    >>> os.read(fd, 3), os.close(fd)
    (b'abc', None)
    """
    return os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))


def check_size(path: Path, needed: int) -> None:
    """Raise SequenceError if ``path`` is shorter than ``needed`` bytes (a truncated file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "z0.tif"
    >>> _ = path.write_bytes(bytes(100))
    >>> check_size(path, 164)
    Traceback (most recent call last):
    ...
    helpers.sequences.SequenceError: '.../z0.tif' is truncated: its pixel data end at byte 164, but the file has only 100 bytes
    """
    size = os.path.getsize(path)
    if size < needed:
        raise SequenceError(
            f"{str(path)!r} is truncated: its pixel data end at byte {needed}, "
            f"but the file has only {size} bytes"
        )


def read_at(
    fd: int,
    offset: int,
    out: np.ndarray,
    file_dtype: np.dtype,
    path: Path,
    lock: threading.RLock | None = None,
) -> None:
    """Read ``out.nbytes`` bytes at ``offset`` of ``fd`` into ``out``, without a copy.

    ``file_dtype`` is ``out.dtype`` in the file's byte order; the bytes are swapped in
    place when it is not the machine's. With ``os.preadv`` several threads can read one
    descriptor at once; elsewhere (Windows) the seek and read are serialised by ``lock``.

    Examples
    --------
    >>> import numpy as np, os, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "big-endian.raw"
    >>> _ = path.write_bytes(np.arange(4, dtype=">u2").tobytes())
    >>> out = np.empty(2, np.uint16)
    >>> fd = open_fd(path)
    >>> read_at(fd, 4, out, np.dtype(">u2"), path)
    >>> os.close(fd)
    >>> out
    array([2, 3], dtype=uint16)
    """
    raw = out.view(file_dtype) if file_dtype != out.dtype else out
    view = memoryview(raw.reshape(-1)).cast("B")  # type: ignore[arg-type]
    total, size = 0, len(view)
    while total < size:
        if _HAS_PREADV:
            got = os.preadv(fd, [view[total:]], offset + total)
        else:  # pragma: no cover - Windows
            with lock or contextlib.nullcontext():
                os.lseek(fd, offset + total, os.SEEK_SET)
                data = os.read(fd, size - total)
            got = len(data)
            view[total : total + got] = data
        if got == 0:
            raise SequenceError(
                f"{str(path)!r} is truncated: needed {size} bytes at offset {offset}, got {total}"
            )
        total += got
    if not raw.dtype.isnative:
        raw.byteswap(inplace=True)


def read_file_at(path: Path, offset: int, out: np.ndarray, file_dtype: np.dtype) -> None:
    """:func:`read_at` on a file of its own, opened and closed for this read.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plane.raw"
    >>> _ = path.write_bytes(np.arange(6, dtype=np.uint8).tobytes())
    >>> out = np.empty(3, np.uint8)
    >>> read_file_at(path, 3, out, out.dtype)
    >>> out
    array([3, 4, 5], dtype=uint8)
    """
    try:
        fd = open_fd(path)
    except OSError as exc:
        raise SequenceError(f"cannot read {str(path)!r}: {exc}") from exc
    try:
        read_at(fd, offset, out, file_dtype, path)
    except OSError as exc:
        raise SequenceError(f"cannot read {str(path)!r}: {exc}") from exc
    finally:
        os.close(fd)
