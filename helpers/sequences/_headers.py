"""What each file of a folder of planes holds, read from its header when the folder is opened."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import imageio.v3 as iio
import numpy as np
import tifffile

from ._errors import SequenceError, read_errors, tifffile_errors
from ._files import is_tiff
from ._metadata import Spacing, spacing_from_tiff
from ._rawio import check_size


@dataclass(frozen=True)
class FileFrame:
    """Where one single-image file keeps its pixels.

    ``offset`` is set when the pixels are stored uncompressed in one piece, so they can be
    read as bytes, in the file's ``byteorder``.

    Examples
    --------
    >>> import numpy as np
    >>> from pathlib import Path
    >>> frame = FileFrame(Path("z0.tif"), "tiff", (4, 5), np.dtype(np.uint16), 8, ">")
    >>> frame.nbytes, frame.file_dtype
    (40, dtype('>u2'))
    """

    path: Path
    kind: str  # "tiff" or "imageio"
    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int | None = None
    byteorder: Literal["<", ">", "="] = "="

    @property
    def file_dtype(self) -> np.dtype:
        """The pixels' dtype in the file's byte order.

        Examples
        --------
        >>> import numpy as np
        >>> from pathlib import Path
        >>> FileFrame(Path("z0.tif"), "tiff", (4, 5), np.dtype(np.uint8), 8, ">").file_dtype
        dtype('uint8')
        """
        return self.dtype.newbyteorder(self.byteorder)

    @property
    def nbytes(self) -> int:
        """Bytes of pixel data.

        Examples
        --------
        >>> import numpy as np
        >>> from pathlib import Path
        >>> FileFrame(Path("a.png"), "imageio", (2, 3), np.dtype(np.uint8)).nbytes
        6
        """
        return math.prod(self.shape) * self.dtype.itemsize


def mismatch(i: int, path: Path, shape: tuple[int, ...], dtype: np.dtype, first: FileFrame) -> str:
    """The message for frame ``i``, in ``path``, not shaped like the ``first`` frame.

    Examples
    --------
    >>> import numpy as np
    >>> from pathlib import Path
    >>> first = FileFrame(Path("z0.tif"), "tiff", (6, 7), np.dtype(np.uint16))
    >>> print(mismatch(2, Path("z2.tif"), (6, 9), np.dtype(np.uint16), first))
    frame 2, 'z2.tif', has shape (6, 9) and dtype uint16, but the first frame, 'z0.tif', has shape (6, 7) and dtype uint16: all frames of a sequence must have the same shape and dtype
    """
    return (
        f"frame {i}, {str(path)!r}, has shape {tuple(shape)} and dtype {np.dtype(dtype)}, "
        f"but the first frame, {str(first.path)!r}, has shape {first.shape} and dtype "
        f"{first.dtype}: all frames of a sequence must have the same shape and dtype"
    )


def _tiff_header(path: Path) -> tuple[FileFrame, Spacing | None]:
    # Open the file ourselves: TiffFile(path) leaves its handle open if parsing fails.
    with tifffile_errors(path), open(path, "rb") as fh, tifffile.TiffFile(fh) as tif:
        series = tif.series[0]
        if len(series.pages) != 1:
            raise SequenceError(
                f"{str(path)!r} holds {len(series.pages)} images (pages), but each file of "
                "a folder or list must hold one frame. Open a multi-page TIFF on its own: "
                f"open_sequence({str(path)!r})"
            )
        page = series.pages[0]
        shape, dtype = tuple(series.shape), np.dtype(series.dtype)
        frame = FileFrame(path, "tiff", shape, dtype)
        if page is not None and page.is_final and page.parent is tif:
            offset = int(page.dataoffsets[0])
            check_size(path, offset + frame.nbytes)
            frame = dataclasses.replace(frame, offset=offset, byteorder=tif.byteorder)
        return frame, spacing_from_tiff(tif, 0)


def imageio_header(path: Path) -> FileFrame:
    """Shape and dtype of a PNG, JPEG... image, from its header (no decoding).

    Examples
    --------
    >>> import numpy as np, imageio.v3 as iio, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f0.png"
    >>> iio.imwrite(path, np.zeros((3, 4), np.uint8))
    >>> frame = imageio_header(path)
    >>> frame.shape, frame.dtype, frame.offset
    ((3, 4), dtype('uint8'), None)
    """
    # A file object of our own: imageio leaks its handle when a file is unreadable.
    with read_errors(path), open(path, "rb") as fh:
        props = iio.improps(fh, extension=path.suffix.lower())
    if props.is_batch:
        raise SequenceError(
            f"{str(path)!r} holds {props.shape[0]} images, but each file of a folder or "
            "list must hold one frame"
        )
    return FileFrame(path, "imageio", tuple(props.shape), np.dtype(props.dtype))


@dataclass(frozen=True)
class _Layout:
    """Every byte of an uncompressed single-image TIFF except its pixels.

    Parsing a header with tifffile costs ~0.5 ms, as much as reading a 1 MB plane from
    the page cache. Files written by one program for one stack usually differ only in
    their pixels: if a file has the same size and the same bytes outside the pixel data
    as an already parsed file, its tags, and so its shape, dtype and data offset, are the
    same, and comparing ~300 bytes is ~30x cheaper than parsing them.
    """

    frame: FileFrame
    size: int
    head: bytes
    tail: bytes

    @classmethod
    def of(cls, frame: FileFrame) -> _Layout | None:
        if frame.offset is None:
            return None
        with open(frame.path, "rb") as fh:
            head = fh.read(frame.offset)
            fh.seek(frame.offset + frame.nbytes)
            tail = fh.read()
        return cls(frame, os.path.getsize(frame.path), head, tail)

    def matches(self, path: Path) -> bool:
        try:
            if os.path.getsize(path) != self.size:
                return False
            with open(path, "rb") as fh:
                if fh.read(len(self.head)) != self.head:
                    return False
                fh.seek(self.size - len(self.tail))
                return fh.read() == self.tail
        except OSError:
            return False  # the full parse will report it


def read_headers(files: list[Path]) -> tuple[list[FileFrame], Spacing | None]:
    """One :class:`FileFrame` per file, all of one shape and dtype, and the first's spacing.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> paths = [folder / f"z{z}.tif" for z in range(3)]
    >>> for path in paths:
    ...     tifffile.imwrite(path, np.zeros((4, 5), np.uint16), resolution=(2e4, 2e4),
    ...                      resolutionunit="CENTIMETER")
    >>> frames, spacing = read_headers(paths)
    >>> len(frames), frames[2].shape, spacing
    (3, (4, 5), (None, 0.5, 0.5))
    """
    frames: list[FileFrame] = []
    spacing = None
    layout: _Layout | None = None
    for i, path in enumerate(files):
        if layout is not None and layout.matches(path):
            frame = dataclasses.replace(layout.frame, path=path)
        elif is_tiff(path):
            frame, file_spacing = _tiff_header(path)
            if i == 0:
                spacing = file_spacing
            layout = _Layout.of(frame)
        else:
            frame = imageio_header(path)
        if frames and (frame.shape != frames[0].shape or frame.dtype != frames[0].dtype):
            raise SequenceError(mismatch(i, path, frame.shape, frame.dtype, frames[0]))
        frames.append(frame)
    return frames, spacing
