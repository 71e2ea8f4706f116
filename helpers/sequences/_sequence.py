"""Sequence, the pims- and numpy-compatible face of a store of frames, and open_sequence."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pims

from ._errors import SequenceError
from ._files import IMAGE_EXTENSIONS, Source, is_tiff, select_files, subfolder_hint
from ._headers import imageio_header, read_headers
from ._stores import FrameStore, MultipageTiff, PlaneFiles


class Sequence(pims.FramesSequence):
    """A lazy, read-only sequence of equally shaped frames stored on disk.

    Create it with :func:`open_sequence`. Indexing returns numpy arrays: an integer gives
    one frame (2D, or 3D for colour), a slice, list or boolean mask gives a stacked array
    with frames along axis 0, and a tuple indexes further into the frames
    (``seq[:, 100:200, 50]``). Frames are read when indexed or iterated, never before.
    A Sequence is a :class:`FrameSource`, which is how projections stream it.

    Attributes
    ----------
    files : tuple of pathlib.Path
        The frames' files in frame order (one entry for a multi-page TIFF).
    skipped : tuple of pathlib.Path
        Files of the folder or glob that were not used (hidden or not an image).
    spacing : tuple or None
        ``(z, y, x)`` pixel spacing in micrometres, ``None`` for axes the metadata do not
        describe; ``None`` when nothing is known. See :mod:`helpers.sequences`.
    axes : str or None
        The axes of a multi-page TIFF as tifffile reports them (``"ZYX"``, ``"TZCYX"``...);
        frames are its pages in file order. ``None`` for a folder or list.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> from helpers.sequences import open_sequence
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for z in range(12):
    ...     tifffile.imwrite(folder / f"z{z}.tif", np.full((4, 5), z, np.uint16))
    >>> seq = open_sequence(folder)
    >>> len(seq), seq.frame_shape, seq.dtype, seq.shape
    (12, (4, 5), dtype('uint16'), (12, 4, 5))
    >>> int(seq[10][0, 0])  # natural order: z10 is frame 10, not frame 2
    10
    >>> seq[2:5].shape
    (3, 4, 5)
    >>> np.asarray(seq).max()
    np.uint16(11)
    """

    def __init__(
        self, store: FrameStore, *, description: str, skipped: Iterable[Path] = ()
    ) -> None:
        self._store = store
        self._description = description
        self.files: tuple[Path, ...] = store.files
        self.skipped: tuple[Path, ...] = tuple(skipped)
        self.spacing = store.spacing
        self.axes: str | None = store.axes

    # ---- FrameSource -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._store)

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one frame, e.g. ``(512, 512)`` or ``(512, 512, 3)`` for RGB.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "rgb.tif")
        >>> tifffile.imwrite(path, np.zeros((2, 8, 9, 3), np.uint8), photometric="rgb")
        >>> open_sequence(path).frame_shape
        (8, 9, 3)
        """
        return self._store.frame_shape

    @property
    def dtype(self) -> np.dtype:
        """The frames' dtype, in the machine's byte order.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.zeros((2, 5, 6), np.float32), byteorder=">")
        >>> open_sequence(path).dtype
        dtype('float32')
        """
        return self._store.dtype

    @property
    def partial_reads(self) -> bool:
        """Whether :meth:`read_pixels` reads only the pixels asked for (uncompressed files).

        See :attr:`FrameSource.partial_reads`.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> for z in range(3):
        ...     tifffile.imwrite(folder / f"z{z}.tif", np.zeros((8, 8), np.uint8), compression="zlib")
        >>> open_sequence(folder).partial_reads  # compressed planes are decoded whole
        False
        """
        return self._store.partial_reads

    def read_frame(self, i: int, out: np.ndarray | None = None) -> np.ndarray:
        """Read frame ``i`` (into ``out`` if given, avoiding a new allocation).

        Parameters
        ----------
        i : int
            Frame index, ``0 <= i < len(self)``.
        out : numpy.ndarray, optional
            C-contiguous array of shape :attr:`frame_shape` and dtype :attr:`dtype`.

        Returns
        -------
        numpy.ndarray
            The frame (``out`` if given).

        Raises
        ------
        SequenceError
            If the frame's file is unreadable, truncated or not shaped like frame 0.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.arange(5 * 8 * 8, dtype=np.uint16).reshape(5, 8, 8))
        >>> seq = open_sequence(path)
        >>> buf = np.empty(seq.frame_shape, seq.dtype)
        >>> int(seq.read_frame(1, out=buf)[0, 0])
        64
        """
        return self._store.read_frame(i, out)

    def read_pixels(
        self, i: int, start: int, stop: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Read pixels ``start:stop`` (flat, C order) of frame ``i``.

        For uncompressed TIFF only those pixels' bytes are read; otherwise the frame is
        decoded whole and the pixels kept.

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
            ``(stop - start,)`` array (``out`` if given).

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> data = np.arange(6 * 4 * 5, dtype=np.uint16).reshape(6, 4, 5)
        >>> tifffile.imwrite(path, data)
        >>> pixels = open_sequence(path).read_pixels(3, 5, 10)  # row 1 of frame 3
        >>> np.array_equal(pixels, data[3, 1, :])
        True
        """
        return self._store.read_pixels(i, start, stop, out)

    # ---- more reading ------------------------------------------------------------------
    def read_band(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Read pixels ``start:stop`` (flat, C order) of every frame.

        A band of rows of all frames at a time is how a stack goes through bounded memory.
        For uncompressed TIFF only the band's bytes are read; for compressed TIFF, PNG and
        JPEG each frame is decoded whole and the band kept.

        Parameters
        ----------
        start, stop : int
            Flat pixel range within a frame, ``0 <= start <= stop <= prod(frame_shape)``.
        out : numpy.ndarray, optional
            Array of shape ``(len(self), stop - start)`` and dtype :attr:`dtype` whose
            rows are C-contiguous.

        Returns
        -------
        numpy.ndarray
            ``(len(self), stop - start)`` array.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> data = np.arange(6 * 4 * 5, dtype=np.uint16).reshape(6, 4, 5)
        >>> for z, plane in enumerate(data):
        ...     tifffile.imwrite(folder / f"plane_{z:03d}.tif", plane)
        >>> band = open_sequence(folder).read_band(5, 10)  # row 1 of every frame
        >>> np.array_equal(band, data[:, 1, :])
        True
        """
        n_pix = math.prod(self.frame_shape)
        if not 0 <= start <= stop <= n_pix:
            raise ValueError(f"band {start}:{stop} is outside 0:{n_pix}")
        shape = (len(self), stop - start)
        if out is None:
            out = np.empty(shape, self.dtype)
        elif out.shape != shape or out.dtype != self.dtype:
            raise ValueError(f"out must be a {self.dtype} array of shape {shape}")
        for i in range(len(self)):
            self._store.read_pixels(i, start, stop, out[i])
        return out

    def to_dask(self, frames_per_chunk: int = 1) -> Any:
        """A lazy :class:`dask.array.Array` view of the sequence, in the right order.

        Unlike ``dask.array.image.imread``, frames keep the natural order, and every
        chunk is read by this sequence (so its checks apply).

        Parameters
        ----------
        frames_per_chunk : int, default 1
            Frames per dask chunk; each chunk holds whole frames.

        Returns
        -------
        dask.array.Array
            Shape :attr:`shape`, dtype :attr:`dtype`.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.ones((6, 8, 8), np.uint8))
        >>> x = open_sequence(path).to_dask(frames_per_chunk=2)
        >>> x.chunks[0], int(x.sum().compute())
        ((2, 2, 2), 384)
        """
        import dask.array as da

        chunks = (frames_per_chunk, *self.frame_shape)
        meta = np.empty((0,) * self.ndim, self.dtype)
        # name=False: a random graph name; hashing the object would pickle it.
        return da.from_array(self, chunks=chunks, asarray=False, meta=meta, name=False)

    # ---- file handle -------------------------------------------------------------------
    def close(self) -> None:
        """Close the file handle of a multi-page TIFF (no-op for folders and lists).

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.zeros((5, 8, 8), np.uint8))
        >>> with open_sequence(path) as seq:
        ...     frame = seq[0]
        >>> seq.closed
        True
        """
        self._store.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> tifffile.imwrite(folder / "z0.tif", np.zeros((8, 8), np.uint8))
        >>> seq = open_sequence(folder)
        >>> seq.closed, seq.close(), seq.closed
        (False, None, True)
        """
        return self._store.closed

    # ---- pims / numpy protocol ---------------------------------------------------------
    @property
    def pixel_type(self) -> np.dtype:
        """The frames' dtype (pims' name for :attr:`dtype`).

        Examples
        --------
        >>> import numpy as np, imageio.v3 as iio, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> png = pathlib.Path(tempfile.mkdtemp()) / "frame.png"
        >>> iio.imwrite(png, np.zeros((4, 6), np.uint8))
        >>> seq = open_sequence(png)  # one PNG: a sequence of one frame
        >>> seq.pixel_type, len(seq)
        (dtype('uint8'), 1)
        """
        return self.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        """``(len(self), *frame_shape)``.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> plane = pathlib.Path(tempfile.mkdtemp()) / "plane.tif"
        >>> tifffile.imwrite(plane, np.zeros((3, 5), np.uint16))
        >>> open_sequence([plane, plane, plane, plane]).shape  # a list: these frames, in order
        (4, 3, 5)
        """
        return (len(self), *self.frame_shape)

    @property
    def ndim(self) -> int:
        """``1 + len(frame_shape)``.

        Examples
        --------
        >>> import numpy as np, imageio.v3 as iio, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> for t in range(3):
        ...     iio.imwrite(folder / f"t{t}.png", np.zeros((4, 6, 3), np.uint8))
        >>> open_sequence(folder).ndim  # time, y, x and colour
        4
        """
        return 1 + len(self.frame_shape)

    @property
    def size(self) -> int:
        """Number of pixels in all frames.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "hyperstack.tif")
        >>> tifffile.imwrite(path, np.zeros((3, 2, 4, 5), np.uint8), imagej=True,
        ...                  metadata={"axes": "TZYX"})
        >>> seq = open_sequence(path)  # frames are the 3 x 2 pages
        >>> seq.shape, seq.size
        ((6, 4, 5), 120)
        """
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        """Bytes that ``np.asarray(self)`` would allocate.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, pathlib
        >>> from helpers.sequences import open_sequence
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "float64.tif"
        >>> tifffile.imwrite(path, np.zeros((2, 3, 5)))
        >>> open_sequence(path).nbytes  # 2 x 3 x 5 pixels of 8 bytes
        240
        """
        return self.size * self.dtype.itemsize

    @classmethod
    def class_exts(cls) -> set[str]:
        """File extensions this reader understands (pims API).

        Examples
        --------
        >>> from helpers.sequences import Sequence
        >>> sorted(Sequence.class_exts())
        ['btf', 'jpeg', 'jpg', 'png', 'tf8', 'tif', 'tiff']
        """
        return {e.lstrip(".") for e in IMAGE_EXTENSIONS}

    def get_frame(self, i: int) -> pims.Frame:
        """Frame ``i`` as a :class:`pims.Frame` with ``frame_no`` set (pims API).

        Parameters
        ----------
        i : int
            Frame index; negative values count from the end.

        Returns
        -------
        pims.Frame
            The frame, a numpy array subclass that knows its frame number.

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> from helpers.sequences import open_sequence
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.zeros((5, 8, 8), np.uint8))
        >>> open_sequence(path).get_frame(2).frame_no
        2
        """
        i = self._check_index(i)
        return pims.Frame(self.read_frame(i), frame_no=i)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.read_frame(i)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy is False:
            raise ValueError(
                "a Sequence lives on disk: np.asarray(seq, copy=False) cannot avoid "
                "reading it into a new array"
            )
        data = self[:]
        return data if dtype is None else data.astype(dtype, copy=False)

    def __getitem__(self, key: Any) -> np.ndarray:
        rest: tuple[Any, ...] = ()
        if isinstance(key, tuple):
            if not key:
                key = slice(None)
            else:
                key, rest = key[0], key[1:]
        if key is Ellipsis:
            key, rest = slice(None), (Ellipsis, *rest)
        if isinstance(key, (int, np.integer)):
            frame = self.read_frame(self._check_index(int(key)))
            return frame[rest] if rest else frame
        n = len(self)
        if isinstance(key, slice):
            indices: Any = range(*key.indices(n))
        else:
            arr = np.asarray(key)
            if arr.dtype == bool:
                if arr.shape != (n,):
                    raise IndexError(
                        f"boolean index has shape {arr.shape}, the sequence has {n} frames"
                    )
                indices = np.flatnonzero(arr)
            elif arr.ndim == 1 and (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
                indices = [self._check_index(int(i)) for i in arr]
            else:
                raise IndexError(
                    f"cannot index a Sequence with {key!r}: use an int, a slice, "
                    "a list of ints or a boolean mask"
                )
        out = np.empty((len(indices), *self.frame_shape), self.dtype)
        for k, i in enumerate(indices):
            self.read_frame(int(i), out=out[k])
        return out[(slice(None), *rest)] if rest else out

    def _check_index(self, i: int) -> int:
        """``i`` as an index from 0, counting a negative ``i`` from the end."""
        n = len(self)
        return self._store.check_frame(i + n if -n <= i < 0 else i)

    def __repr__(self) -> str:
        shape = " x ".join(str(s) for s in self.frame_shape)
        spacing = ""
        if self.spacing is not None:
            spacing = ", spacing (z, y, x) = ({}) µm".format(
                ", ".join("?" if s is None else f"{s:g}" for s in self.spacing)
            )
        return (
            f"<Sequence of {len(self)} frames of {shape} {self.dtype} "
            f"from {self._description}{spacing}>"
        )


def open_sequence(source: Source, *, check_names: bool = True, series: int = 0) -> Sequence:
    """Open an image sequence lazily: a folder, a glob, a list of files or one TIFF.

    Parameters
    ----------
    source : str, path-like or list of them
        - a folder: its image files, one frame each, in natural order (see
          :mod:`helpers.sequences` for which files count);
        - a glob pattern such as ``"planes/z*.tif"``: the matching image files, in natural
          order;
        - a list of files: exactly those, in the given order;
        - one TIFF file: its pages (one multi-page TIFF, e.g. an ImageJ stack), or a
          single frame; one PNG or JPEG: a single frame.
        TIFF files are read with tifffile (recognised by content, not extension), other
        formats with imageio.
    check_names : bool, default True
        For a folder or glob, require one numbered series (``z0.tif ... z39.tif``) and
        raise :class:`SequenceError` if other image files are present. False accepts
        every image file selected.
    series : int, default 0
        Which image series of a single TIFF file to open (OME files can hold several).

    Returns
    -------
    Sequence
        The lazy sequence. Use it as a context manager (or call ``close()``) to release
        the file handle of a multi-page TIFF early.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    SequenceError
        (a :class:`ValueError`) if the folder or pattern holds no image, mixes a numbered
        series with other images, or a file is unreadable, truncated, holds several images
        where one frame is expected, or differs in shape or dtype from the first frame. The
        message names the file.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> from helpers.sequences import SequenceError, open_sequence
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> stack = np.random.default_rng(0).integers(0, 4000, (20, 32, 48), dtype=np.uint16)
    >>> for z, plane in enumerate(stack):
    ...     tifffile.imwrite(folder / f"z{z}.tif", plane)
    >>> seq = open_sequence(folder)                      # or folder / "z*.tif"
    >>> seq.shape, np.array_equal(seq[:], stack)
    ((20, 32, 48), True)

    A reference image next to the planes is refused rather than read as a frame:

    >>> tifffile.imwrite(folder / "MaxZ.tif", stack.max(axis=0))
    >>> try:
    ...     open_sequence(folder)
    ... except SequenceError as error:
    ...     message = str(error)
    >>> "MaxZ.tif" in message, "open_sequence(" in message, "z*.tif" in message
    (True, True, True)
    >>> len(open_sequence(folder / "z*.tif"))
    20

    Spacing comes from ImageJ or OME metadata:

    >>> tifffile.imwrite(folder / "stack.tif", stack, imagej=True, resolution=(1 / 0.5, 1 / 0.5),
    ...                  metadata={"spacing": 2.0, "unit": "um", "axes": "ZYX"})
    >>> open_sequence(folder / "stack.tif").spacing
    (2.0, 0.5, 0.5)
    """
    if isinstance(source, Sequence):
        return source
    try:
        return _open(source, check_names, series)
    except SequenceError as error:
        hint = subfolder_hint(source)
        if hint:
            raise SequenceError(f"{str(error).rstrip('.')}. {hint}") from error
        raise


def _open(source: Source, check_names: bool, series: int) -> Sequence:
    selection = select_files(source, check_names)
    files, description = selection.files, selection.description
    if selection.single_file and is_tiff(files[0]):
        store: FrameStore = MultipageTiff(files[0], series, description)
    elif selection.single_file:
        store = PlaneFiles([imageio_header(files[0])], spacing=None)
    else:
        store = PlaneFiles(*read_headers(files))
    return Sequence(store, description=description, skipped=selection.skipped)
