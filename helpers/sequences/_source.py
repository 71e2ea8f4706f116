"""FrameSource: the protocol through which projections read a sequence, whatever stores it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class FrameSource(Protocol):
    """Equally shaped frames that can be read one at a time, or a band of pixels at a time.

    :class:`Sequence` is one (a folder of planes or one multi-page TIFF behind it);
    :mod:`helpers.projections` streams any object with these members, and
    ``isinstance(x, FrameSource)`` tells whether an object has them.

    Frames are numbered ``0 <= i < len(source)``; pixels of a frame are numbered in C
    order, ``0 <= p < prod(frame_shape)``.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, os
    >>> from helpers.sequences import FrameSource, open_sequence
    >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
    >>> tifffile.imwrite(path, np.arange(6 * 4 * 5, dtype=np.uint16).reshape(6, 4, 5))
    >>> with open_sequence(path) as source:
    ...     print(isinstance(source, FrameSource), len(source), source.frame_shape)
    ...     print(source.read_pixels(2, 5, 10))  # row 1 of frame 2
    True 6 (4, 5)
    [45 46 47 48 49]
    >>> isinstance(np.zeros((6, 4, 5)), FrameSource)
    False
    """

    def __len__(self) -> int:
        """The number of frames.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> for t in range(15):
        ...     tifffile.imwrite(folder / f"t{t}.tif", np.zeros((4, 5), np.uint8))
        >>> len(open_sequence(folder / "t1*.tif"))  # t1 and t10 to t14
        6
        """
        ...

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """The shape of one frame, e.g. ``(512, 512)``, or ``(512, 512, 3)`` for RGB.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> movie = os.path.join(tempfile.mkdtemp(), "movie.tif")
        >>> tifffile.imwrite(movie, np.zeros((10, 48, 64), np.uint16), imagej=True,
        ...                  metadata={"axes": "TYX"})
        >>> open_sequence(movie).frame_shape  # (rows, columns)
        (48, 64)
        """
        ...

    @property
    def dtype(self) -> np.dtype:
        """The frames' dtype, in the machine's byte order.

        Examples
        --------
        >>> import numpy as np, imageio.v3 as iio, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> pngs = [folder / "b.png", folder / "a.png"]
        >>> for png in pngs:
        ...     iio.imwrite(png, np.zeros((4, 5), np.uint8))
        >>> open_sequence(pngs).dtype
        dtype('uint8')
        """
        ...

    @property
    def partial_reads(self) -> bool:
        """Whether :meth:`read_pixels` reads only the pixels asked for.

        True when every frame is stored uncompressed (the usual microscopy TIFF): reading
        a band then costs only its bytes, and :meth:`read_pixels` may be called from
        several threads at once. False when a frame must be decoded whole (compressed
        TIFF, PNG, JPEG), so that reading it once and keeping it is cheaper than
        reading it band by band; the source is then read from one thread at a time.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> folder = tempfile.mkdtemp()
        >>> plain, zlib = os.path.join(folder, "plain.tif"), os.path.join(folder, "zlib.tif")
        >>> tifffile.imwrite(plain, np.zeros((6, 4, 5), np.uint8))
        >>> tifffile.imwrite(zlib, np.zeros((6, 4, 5), np.uint8), compression="zlib")
        >>> open_sequence(plain).partial_reads, open_sequence(zlib).partial_reads
        (True, False)
        """
        ...

    def read_frame(self, i: int, out: np.ndarray | None = None) -> np.ndarray:
        """Read frame ``i``, into ``out`` if given.

        Parameters
        ----------
        i : int
            Frame index, ``0 <= i < len(self)``.
        out : numpy.ndarray, optional
            C-contiguous array of shape :attr:`frame_shape` and dtype :attr:`dtype`, so
            that reading many frames reuses one buffer.

        Returns
        -------
        numpy.ndarray
            The frame (``out`` if given).

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.arange(6 * 2 * 2, dtype=np.uint8).reshape(6, 2, 2))
        >>> open_sequence(path).read_frame(1)
        array([[4, 5],
               [6, 7]], dtype=uint8)
        """
        ...

    def read_pixels(
        self, i: int, start: int, stop: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Read pixels ``start:stop`` (flat, C order) of frame ``i``, into ``out`` if given.

        Parameters
        ----------
        i : int
            Frame index, ``0 <= i < len(self)``.
        start, stop : int
            Flat pixel range within the frame, ``0 <= start <= stop <= prod(frame_shape)``.
        out : numpy.ndarray, optional
            C-contiguous array of shape ``(stop - start,)`` and dtype :attr:`dtype`.

        Returns
        -------
        numpy.ndarray
            The pixels, of shape ``(stop - start,)`` (``out`` if given).

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.arange(6 * 2 * 2, dtype=np.uint8).reshape(6, 2, 2))
        >>> open_sequence(path).read_pixels(2, 1, 4)
        array([ 9, 10, 11], dtype=uint8)
        """
        ...
