"""Open a sequence of images (a 3D stack or a time series) lazily from disk.

:func:`open_sequence` takes a folder, a glob pattern, a list of files or one multi-page
TIFF and returns a :class:`Sequence`: an object that knows the number of frames, their
shape, dtype and physical pixel spacing, but reads pixels only when they are used. It
behaves like a read-only 3D numpy array for indexing (``seq[3]``, ``seq[10:20]``,
``np.asarray(seq)``) and like a `pims <https://soft-matter.github.io/pims>`_ reader for
code written against pims (it subclasses :class:`pims.FramesSequence`).

Rules, in the order they are applied
------------------------------------
1. **Which files.** In a folder or a glob match, only files whose extension is a known
   image extension (:data:`IMAGE_EXTENSIONS`, any case) are used; hidden files (name
   starting with ``.``, such as ``.DS_Store`` or macOS ``._z0.tif`` resource forks) are
   skipped. Skipped files are listed in :attr:`Sequence.skipped`, never warned about:
   warnings break notebooks run with warnings as errors. An explicit list of files is used
   exactly as given, in the given order.
2. **Order.** Folder and glob matches are sorted in natural order: ``z2`` before ``z10``,
   case-insensitively.
3. **One numbered series.** A folder or a glob must select *one numbered series*: files
   whose names differ only in their last number (``z0.tif``, ``z1.tif``, ...,
   ``z39.tif``). If it also selects other images (``MaxZ.tif`` next to the planes, a second
   channel ``ch2_z0.tif``), :func:`open_sequence` raises :class:`SequenceError` listing
   them and suggesting a glob that selects the series (``"planes/z*.tif"``), so that a
   reference image never becomes a frame silently, and two channels are never interleaved
   into one stack. A folder whose names hold no number at all (``control.tif``,
   ``treated.tif``) is used whole. Pass ``check_names=False`` to accept whatever the folder
   or glob selects.
4. **One image per file** when there are several files: a multi-page TIFF inside a folder
   is an error (open it on its own instead).
5. **Headers are checked at open.** For TIFF files the header of every file is read when
   the sequence is opened (tags, not pixels), so frames of different shapes or dtypes,
   damaged headers and files too short for their pixel data are reported at once,
   naming the file. tifffile parses a header in ~0.5 ms; a file whose size and bytes
   outside its pixel data equal those of the file before (the usual case: one program
   wrote the whole series) is recognised by comparing those few hundred bytes instead
   (~0.05 ms), so opening 200 planes takes ~10 ms. PNG and JPEG headers are read with
   :func:`imageio.v3.improps` (no decoding). Errors that only decoding can reveal (a
   corrupt compressed strip) are raised when that frame is read, as a
   :class:`SequenceError` naming the file.
6. **A dataset folder instead of its planes**: when a folder cannot be opened and one of
   its sub-folders holds images, the error says so (``open_sequence('.../planes')``).

Pixel spacing
-------------
:attr:`Sequence.spacing` is ``(z, y, x)`` in micrometres, read from OME-XML
(``PhysicalSizeZ/Y/X`` and their units) or ImageJ metadata (``spacing`` for z, the
``XResolution``/``YResolution`` tags with the ImageJ ``unit`` for y and x), or from the
resolution tags of a plain TIFF when their unit is a length (centimetre, millimetre,
micrometre; inch-based "dpi" values are print metadata and ignored). An axis the file does
not describe is ``None``; when no axis is described, ``spacing`` is ``None``. For a folder,
the first file's metadata is used.

Files stay closed except for a single multi-page TIFF, whose handle the sequence keeps open
until :meth:`Sequence.close` (or the end of a ``with`` block, or garbage collection).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import glob as _glob
import logging
import math
import os
import re
import stat
import threading
import weakref
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pims

__all__ = [
    "IMAGE_EXTENSIONS",
    "Sequence",
    "SequenceError",
    "natural_key",
    "open_sequence",
]

#: File extensions (lower case) that a folder or glob may contribute as frames.
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".tif", ".tiff", ".btf", ".tf8", ".png", ".jpg", ".jpeg"}
)
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

PathLike = str | os.PathLike[str]
Source = PathLike | Iterable[PathLike]


class SequenceError(ValueError):
    """A sequence cannot be opened or read; the message names the file and the problem."""


# --------------------------------------------------------------------------- naming


def natural_key(name: str | os.PathLike[str]) -> tuple[Any, ...]:
    """Sort key that orders embedded numbers by value: ``z2`` before ``z10``.

    Parameters
    ----------
    name : str or path-like
        A file name or path. Letters compare case-insensitively.

    Returns
    -------
    tuple
        A key for :func:`sorted`.

    Examples
    --------
    >>> sorted(["z10.tif", "z2.tif", "Z1.tif"], key=natural_key)
    ['Z1.tif', 'z2.tif', 'z10.tif']
    """
    text = os.fspath(name)
    parts = re.split(r"([0-9]+)", text)
    # Even positions are text, odd positions are digit runs: the types alternate the
    # same way in every key, so comparisons never mix str and int.
    key = tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts))
    return key + (text,)  # the exact text breaks ties (z01 vs z1) deterministically


def _template(name: str) -> str:
    """Name with its last number replaced by ``#`` and the extension lower-cased."""
    stem, ext = os.path.splitext(name)
    match = re.search(r"[0-9]+(?=[^0-9]*$)", stem)
    if match is None:
        return stem + ext.lower()
    return stem[: match.start()] + "#" + stem[match.end() :] + ext.lower()


def _is_hidden(path: Path) -> bool:
    if path.name.startswith("."):
        return True
    attrs = getattr(_safe_stat(path), "st_file_attributes", 0)  # Windows only
    return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def _safe_stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def _short_list(names: list[str], limit: int = 6) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", ... ({len(names) - limit} more)"


def _check_one_series(files: list[Path], where: str, glob_dir: Path) -> None:
    """Raise SequenceError unless ``files`` form one numbered series (see module rules)."""
    groups: dict[str, list[Path]] = {}
    for f in files:
        groups.setdefault(_template(f.name), []).append(f)
    numbered = {t: fs for t, fs in groups.items() if "#" in t}
    if len(groups) == 1 or not numbered:
        return  # one series, or no numbers at all: nothing to tell apart
    main_t, main = max(numbered.items(), key=lambda kv: (len(kv[1]), kv[0]))
    others = sorted((f.name for f in files if _template(f.name) != main_t), key=natural_key)
    # Suggest a glob built from the series' name template, but only if it would select
    # exactly the series (``z*.tif`` would also match ``zmax.tif``).
    pattern = main_t.replace("#", "*")
    selected = [f for f in files if fnmatch.fnmatchcase(f.name, pattern)]
    if len(selected) == len(main):
        hint = f"open_sequence({str(glob_dir / pattern)!r})"
    else:
        hint = "a list of the files you want, in order"
    raise SequenceError(
        f"{where} holds images that are not one numbered series: "
        f"{len(main)} files like {main[0].name} (name pattern {main_t!r}) and "
        f"{len(others)} other image file(s): {_short_list(others)}. A reference image "
        f"such as a projection would otherwise become a frame. Select the frames with "
        f"{hint}, or pass check_names=False to use every image file."
    )


def _resolve_files(source: Source, check_names: bool) -> tuple[list[Path], list[Path], str, bool]:
    """Turn ``source`` into (frames' files, skipped files, description, is_single_file)."""
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        path = Path(text)
        if path.is_dir():
            return _files_in(sorted(path.iterdir()), f"folder {text!r}", path, check_names)
        if path.is_file():
            return [path], [], repr(text), True
        if _glob.has_magic(text):
            matches = [Path(p) for p in _glob.glob(text) if Path(p).is_file()]
            if not matches:
                parent = Path(text).parent
                while _glob.has_magic(str(parent)):
                    parent = parent.parent
                if parent.is_dir():
                    seen = sorted(
                        (p.name for p in parent.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS),
                        key=natural_key,
                    )
                    detail = f"folder {str(parent)!r} holds {len(seen)} image file(s)" + (
                        f", e.g. {_short_list(seen, 3)}" if seen else ""
                    )
                else:
                    detail = f"folder {str(parent)!r} does not exist"
                raise SequenceError(f"no file matches the pattern {text!r} ({detail})")
            return _files_in(matches, f"pattern {text!r}", Path(text).parent, check_names)
        raise FileNotFoundError(f"no such file or folder: {text!r}")
    try:
        items = [Path(os.fspath(p)) for p in source]  # type: ignore[union-attr]
    except TypeError:
        raise TypeError(
            "open_sequence expects a folder, a glob pattern, a file or a list of files, "
            f"not {type(source).__name__}"
        ) from None
    if not items:
        raise SequenceError("the list of files is empty")
    for p in items:
        if not p.is_file():
            raise FileNotFoundError(f"no such file: {str(p)!r}")
    return items, [], f"list of {len(items)} files", False


def _files_in(
    candidates: list[Path], where: str, base: Path, check_names: bool
) -> tuple[list[Path], list[Path], str, bool]:
    files, skipped = [], []
    for p in candidates:
        if not p.is_file():
            continue  # sub-folders are not frames and need no mention
        if _is_hidden(p) or p.suffix.lower() not in IMAGE_EXTENSIONS:
            skipped.append(p)
        else:
            files.append(p)
    files.sort(key=lambda p: natural_key(str(p)))
    if not files:
        extra = f"; skipped: {_short_list([p.name for p in skipped])}" if skipped else ""
        raise SequenceError(
            f"{where} holds no image files (looked for "
            f"{', '.join(sorted(IMAGE_EXTENSIONS))}; hidden files are ignored{extra})"
        )
    if check_names:
        _check_one_series(files, where, base)
    return files, skipped, where, False


# --------------------------------------------------------------------------- metadata

_UM_PER_UNIT = {
    "µm": 1.0, "μm": 1.0, "um": 1.0, "micron": 1.0, "microns": 1.0,
    "micrometer": 1.0, "micrometre": 1.0, "micrometers": 1.0, "micrometres": 1.0,
    "nm": 1e-3, "nanometer": 1e-3, "nanometre": 1e-3,
    "mm": 1e3, "millimeter": 1e3, "millimetre": 1e3,
    "cm": 1e4, "centimeter": 1e4, "centimetre": 1e4,
    "m": 1e6, "meter": 1e6, "metre": 1e6,
    "å": 1e-4, "angstrom": 1e-4, "pm": 1e-6,
}  # fmt: skip
# TIFF ResolutionUnit values that are lengths (2 = inch is "dpi", print metadata).
_RESUNIT_UM = {3: 1e4, 4: 1e3, 5: 1.0}


def _um_per(unit: object) -> float | None:
    if not isinstance(unit, str):
        return None
    text = unit.strip()
    if "\\u" in text:  # ImageJ sometimes stores "\\u00B5m" literally
        with contextlib.suppress(UnicodeDecodeError):
            text = text.encode("ascii", "backslashreplace").decode("unicode_escape")
    return _UM_PER_UNIT.get(text.casefold()) or _UM_PER_UNIT.get(text)


def _positive(value: object) -> float | None:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def _spacing_from_tiff(tif: Any, series_index: int) -> tuple[float | None, ...] | None:
    """(z, y, x) in µm from OME, ImageJ or resolution tags; None where unknown."""
    z = y = x = None
    page = tif.pages.first if hasattr(tif.pages, "first") else tif.pages[0]
    if tif.is_ome and tif.ome_metadata:
        with contextlib.suppress(ET.ParseError):
            root = ET.fromstring(tif.ome_metadata)
            pixels = [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Pixels"]
            if pixels:
                px = pixels[min(series_index, len(pixels) - 1)].attrib
                found = []
                for ax in "ZYX":
                    size = _positive(px.get(f"PhysicalSize{ax}"))
                    scale = _um_per(px.get(f"PhysicalSize{ax}Unit", "µm"))
                    found.append(size * scale if size and scale else None)
                z, y, x = found
    ij = tif.imagej_metadata if tif.is_imagej else None
    if ij:
        unit = _um_per(ij.get("unit"))
        if z is None:
            zscale = _um_per(ij.get("zunit", ij.get("unit")))
            dz = _positive(ij.get("spacing"))
            z = dz * zscale if dz and zscale else None
        if unit and (x is None or y is None) and 282 in page.tags:
            xres, yres = page.resolution
            x = x or (unit / xres if _positive(xres) else None)
            y = y or (unit / yres if _positive(yres) else None)
    elif x is None and y is None and 282 in page.tags:
        scale = _RESUNIT_UM.get(int(page.resolutionunit))
        if scale:
            xres, yres = page.resolution
            x = scale / xres if _positive(xres) else None
            y = scale / yres if _positive(yres) else None
    if z is None and y is None and x is None:
        return None
    return (z, y, x)


class _ErrorRecords(logging.Handler):
    """Collect tifffile's ERROR log records from this thread.

    tifffile reports damaged or truncated files by *logging* and then returning whatever
    it could parse (for example a 1-page series from a half-written 40-page ImageJ file),
    so we listen to its logger while reading headers and turn its errors into exceptions.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextlib.contextmanager
def _tifffile_errors(path: Path) -> Iterator[None]:
    handler = _ErrorRecords()
    logger = logging.getLogger("tifffile")
    logger.addHandler(handler)
    try:
        yield
    except SequenceError:
        raise
    except MemoryError:
        raise
    except Exception as exc:
        raise SequenceError(
            f"cannot read {str(path)!r} as a TIFF image: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise SequenceError(
            f"{str(path)!r} is damaged or truncated (tifffile: {handler.messages[0]})"
        )


def _is_tiff(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in _TIFF_MAGIC
    except OSError as exc:
        raise SequenceError(f"cannot open {str(path)!r}: {exc}") from exc


# --------------------------------------------------------------------------- frames


@dataclass(frozen=True)
class _FileFrame:
    """Where one single-image file keeps its pixels."""

    path: Path
    kind: str  # "tiff" or "imageio"
    shape: tuple[int, ...]
    dtype: np.dtype
    offset: int | None = None  # contiguous, uncompressed pixel data: read bytes directly
    file_dtype: np.dtype | None = None  # dtype with the file's byte order


def _tiff_header(path: Path) -> tuple[_FileFrame, Any]:
    import tifffile

    # Open the file ourselves: TiffFile(path) leaves its handle open if parsing fails.
    with _tifffile_errors(path), open(path, "rb") as fh, tifffile.TiffFile(fh) as tif:
        series = tif.series[0]
        if len(series.pages) != 1:
            raise SequenceError(
                f"{str(path)!r} holds {len(series.pages)} images (pages), but each file of "
                "a folder or list must hold one frame. Open a multi-page TIFF on its own: "
                f"open_sequence({str(path)!r})"
            )
        page = series.pages[0]
        shape, dtype = tuple(series.shape), np.dtype(series.dtype)
        offset = None
        if page.is_final and page.parent is tif:
            offset = int(page.dataoffsets[0])
            _check_size(path, offset + math.prod(shape) * dtype.itemsize)
        frame = _FileFrame(path, "tiff", shape, dtype, offset, dtype.newbyteorder(tif.byteorder))
        return frame, _spacing_from_tiff(tif, 0)


@dataclass(frozen=True)
class _Layout:
    """Every byte of an uncompressed single-image TIFF except its pixels.

    Parsing a header with tifffile costs ~0.5 ms, as much as reading a 1 MB plane from
    the page cache. Files written by one program for one stack usually differ only in
    their pixels: if a file has the same size and the same bytes outside the pixel data
    as an already parsed file, its tags, and so its shape, dtype and data offset, are the
    same, and comparing ~300 bytes is ~30x cheaper than parsing them.
    """

    frame: _FileFrame
    size: int
    head: bytes
    tail: bytes

    @classmethod
    def of(cls, frame: _FileFrame) -> _Layout | None:
        if frame.offset is None:
            return None
        end = frame.offset + math.prod(frame.shape) * frame.dtype.itemsize
        with open(frame.path, "rb") as fh:
            head = fh.read(frame.offset)
            fh.seek(end)
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


def _check_size(path: Path, needed: int) -> None:
    size = os.path.getsize(path)
    if size < needed:
        raise SequenceError(
            f"{str(path)!r} is truncated: its pixel data end at byte {needed}, "
            f"but the file has only {size} bytes"
        )


def _imageio_header(path: Path) -> _FileFrame:
    import imageio.v3 as iio

    try:
        # A file object of our own: imageio leaks its handle when a file is unreadable.
        with open(path, "rb") as fh:
            props = iio.improps(fh, extension=path.suffix.lower())
    except MemoryError:
        raise
    except Exception as exc:
        raise SequenceError(
            f"cannot read {str(path)!r} as an image: {type(exc).__name__}: {exc}"
        ) from exc
    if props.is_batch:
        raise SequenceError(
            f"{str(path)!r} holds {props.shape[0]} images, but each file of a folder or "
            "list must hold one frame"
        )
    return _FileFrame(path, "imageio", tuple(props.shape), np.dtype(props.dtype))


_HAS_PREADV = hasattr(os, "preadv")  # POSIX: positional reads, no shared file position
_NO_LOCK = contextlib.nullcontext()


def _open_fd(path: Path) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))


def _read_exact(fd: int, offset: int, out: np.ndarray, path: Path, lock: Any = None) -> None:
    """Read ``out.nbytes`` bytes at ``offset`` straight into ``out`` (no extra copy).

    With ``os.preadv`` several threads can read one descriptor at once; elsewhere
    (Windows) the seek and read are serialised by ``lock``.
    """
    view = memoryview(out.reshape(-1)).cast("B")  # type: ignore[arg-type]
    total, size = 0, len(view)
    while total < size:
        if _HAS_PREADV:
            got = os.preadv(fd, [view[total:]], offset + total)
        else:  # pragma: no cover - Windows
            with lock or _NO_LOCK:
                os.lseek(fd, offset + total, os.SEEK_SET)
                data = os.read(fd, size - total)
            got = len(data)
            view[total : total + got] = data
        if got == 0:
            raise SequenceError(
                f"{str(path)!r} is truncated: needed {size} bytes at offset {offset}, got {total}"
            )
        total += got


def _read_file_at(path: Path, offset: int, out: np.ndarray) -> None:
    try:
        fd = _open_fd(path)
    except OSError as exc:
        raise SequenceError(f"cannot read {str(path)!r}: {exc}") from exc
    try:
        _read_exact(fd, offset, out, path)
    except OSError as exc:
        raise SequenceError(f"cannot read {str(path)!r}: {exc}") from exc
    finally:
        os.close(fd)


def _close_tiff(tif: Any, fh: Any, fd: int) -> None:
    tif.close()
    fh.close()
    with contextlib.suppress(OSError):
        os.close(fd)


def _to_native(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Byte-swap in place if the file's byte order differs from the machine's."""
    if arr.dtype.byteorder not in "=|" and arr.dtype != dtype:
        arr.byteswap(inplace=True)
        return arr.view(dtype)
    return arr


# --------------------------------------------------------------------------- Sequence


class Sequence(pims.FramesSequence):
    """A lazy, read-only sequence of equally shaped frames stored on disk.

    Create it with :func:`open_sequence`. Indexing returns numpy arrays: an integer gives
    one frame (2D, or 3D for colour), a slice, list or boolean mask gives a stacked array
    with frames along axis 0, and a tuple indexes further into the frames
    (``seq[:, 100:200, 50]``). Frames are read when indexed or iterated, never before.

    Attributes
    ----------
    files : tuple of pathlib.Path
        The frames' files in frame order (one entry for a multi-page TIFF).
    skipped : tuple of pathlib.Path
        Files of the folder or glob that were not used (hidden or not an image).
    spacing : tuple or None
        ``(z, y, x)`` pixel spacing in micrometres, ``None`` for axes the metadata do not
        describe; ``None`` when nothing is known. See the module documentation.
    axes : str or None
        The axes of a multi-page TIFF as tifffile reports them (``"ZYX"``, ``"TZCYX"``...);
        frames are its pages in file order. ``None`` for a folder or list.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
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
        self,
        frames: list[_FileFrame] | None,
        *,
        description: str,
        skipped: Iterable[Path] = (),
        spacing: tuple[float | None, ...] | None = None,
        tiff_path: Path | None = None,
        series: int = 0,
    ) -> None:
        self._description = description
        self.skipped: tuple[Path, ...] = tuple(skipped)
        self.spacing = spacing
        self.axes: str | None = None
        self._lock = threading.RLock()
        self._closed = False
        self._tif: Any = None
        self._series_index = series
        self._frames = frames
        if frames is not None:  # one frame per file
            first = frames[0]
            self._frame_shape, self._dtype = first.shape, first.dtype
            self.files: tuple[Path, ...] = tuple(f.path for f in frames)
            self._len = len(frames)
        else:  # one multi-page TIFF
            assert tiff_path is not None
            self.files = (tiff_path,)
            self._open_tiff(check=True)

    # ---- multi-page TIFF handle -------------------------------------------------------
    def _open_tiff(self, check: bool = False) -> Any:
        """Open (or reopen after unpickling) the multi-page TIFF and read its header."""
        import tifffile

        path = self.files[0]
        # Our own file object: TiffFile(path) leaves its handle open if parsing fails.
        fh = open(path, "rb")  # noqa: SIM115 - closed by close() or the finalizer
        tif = None
        try:
            with _tifffile_errors(path):  # raises on exit if tifffile logged damage
                tif = tifffile.TiffFile(fh)
                if not 0 <= self._series_index < len(tif.series):
                    raise SequenceError(
                        f"{str(path)!r} has {len(tif.series)} image series; "
                        f"series={self._series_index} does not exist"
                    )
                series = tif.series[self._series_index]
                n = len(series.pages)
                page = series.pages[0]
                frame_shape = tuple(page.shape)
                if math.prod(frame_shape) * n != math.prod(series.shape):
                    # e.g. volumetric (SGI) pages: tell the user rather than guess
                    raise SequenceError(
                        f"{str(path)!r}: series shape {series.shape} does not split into "
                        f"{n} pages of shape {frame_shape}"
                    )
                dtype = np.dtype(series.dtype)
                offset = series.dataoffset
                if offset is not None and not page.is_final:
                    offset = None
                if offset is not None:
                    _check_size(path, int(offset) + math.prod(series.shape) * dtype.itemsize)
                if check:
                    self.spacing = _spacing_from_tiff(tif, self._series_index)
        except BaseException:
            if tif is not None:
                tif.close()
            fh.close()
            raise
        self._fh = fh
        self._fd = _open_fd(path)  # raw pixel reads, alongside tifffile's handle
        self._tif = tif
        self._series = series
        self._len = n
        self._frame_shape = frame_shape
        self._dtype = dtype
        self._file_dtype = dtype.newbyteorder(tif.byteorder)
        self._contiguous_offset = None if offset is None else int(offset)
        self._page_offsets: list[int | None] | None = None
        self._frame_nbytes = math.prod(frame_shape) * dtype.itemsize
        self.axes = series.axes
        # Close the file when the sequence is garbage collected, without a __del__.
        self._finalizer = weakref.finalize(self, _close_tiff, tif, fh, self._fd)
        return tif

    def _handle(self) -> Any:
        if self._closed:
            raise SequenceError(f"the sequence of {self._description} is closed")
        if self._tif is None:
            with self._lock:  # reopen after unpickling, once even with many threads
                if self._tif is None:
                    self._open_tiff()
        return self._tif

    def _raw_bands(self) -> bool:
        """True if every frame's pixels can be read as raw bytes (uncompressed TIFF)."""
        if self._frames is not None:
            return all(f.offset is not None for f in self._frames)
        return all(self._page_offset(i) is not None for i in range(self._len))

    def close(self) -> None:
        """Close the file handle of a multi-page TIFF (no-op for folders and lists).

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.zeros((5, 8, 8), np.uint8))
        >>> with open_sequence(path) as seq:
        ...     frame = seq[0]
        >>> seq.closed
        True
        """
        self._closed = True
        if self._tif is not None:
            self._finalizer()
            self._tif = None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    def __getstate__(self) -> dict[str, Any]:
        # Picklable for dask.distributed and multiprocessing: drop the handle and the
        # lock; the copy reopens the file on first use.
        state = self.__dict__.copy()
        for key in ("_tif", "_fh", "_fd", "_series", "_lock", "_finalizer"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._tif = None
        self._lock = threading.RLock()

    # ---- pims / numpy protocol ---------------------------------------------------------
    def __len__(self) -> int:
        return self._len

    @property
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one frame, e.g. ``(512, 512)`` or ``(512, 512, 3)`` for RGB."""
        return self._frame_shape

    @property
    def pixel_type(self) -> np.dtype:
        """The frames' dtype (pims' name for :attr:`dtype`)."""
        return self._dtype

    @property
    def dtype(self) -> np.dtype:
        """The frames' dtype, in the machine's byte order."""
        return self._dtype

    @property
    def shape(self) -> tuple[int, ...]:
        """``(len(self), *frame_shape)``."""
        return (self._len, *self._frame_shape)

    @property
    def ndim(self) -> int:
        """``1 + len(frame_shape)``."""
        return 1 + len(self._frame_shape)

    @property
    def size(self) -> int:
        """Number of pixels in all frames."""
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        """Bytes that ``np.asarray(self)`` would allocate."""
        return self.size * self._dtype.itemsize

    @classmethod
    def class_exts(cls) -> set[str]:
        """File extensions this reader understands (pims API)."""
        return {e.lstrip(".") for e in IMAGE_EXTENSIONS}

    def get_frame(self, i: int) -> pims.Frame:
        """Frame ``i`` as a :class:`pims.Frame` with ``frame_no`` set (pims API).

        Examples
        --------
        >>> import numpy as np, tifffile, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.zeros((5, 8, 8), np.uint8))
        >>> open_sequence(path).get_frame(2).frame_no
        2
        """
        i = self._check_index(i)
        return pims.Frame(self.read_frame(i), frame_no=i)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(self._len):
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
        if isinstance(key, slice):
            indices: Any = range(*key.indices(self._len))
        else:
            arr = np.asarray(key)
            if arr.dtype == bool:
                if arr.shape != (self._len,):
                    raise IndexError(
                        f"boolean index has shape {arr.shape}, the sequence has {self._len} frames"
                    )
                indices = np.flatnonzero(arr)
            elif arr.ndim == 1 and (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
                indices = [self._check_index(int(i)) for i in arr]
            else:
                raise IndexError(
                    f"cannot index a Sequence with {key!r}: use an int, a slice, "
                    "a list of ints or a boolean mask"
                )
        out = np.empty((len(indices), *self._frame_shape), self._dtype)
        for k, i in enumerate(indices):
            self.read_frame(int(i), out=out[k])
        return out[(slice(None), *rest)] if rest else out

    def _check_index(self, i: int) -> int:
        if not -self._len <= i < self._len:
            raise IndexError(f"frame {i} is out of range for a sequence of {self._len} frames")
        return i % self._len

    def __repr__(self) -> str:
        shape = " x ".join(str(s) for s in self._frame_shape)
        spacing = ""
        if self.spacing is not None:
            spacing = ", spacing (z, y, x) = ({}) µm".format(
                ", ".join("?" if s is None else f"{s:g}" for s in self.spacing)
            )
        return (
            f"<Sequence of {self._len} frames of {shape} {self._dtype} "
            f"from {self._description}{spacing}>"
        )

    # ---- reading -----------------------------------------------------------------------
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
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.arange(5 * 8 * 8, dtype=np.uint16).reshape(5, 8, 8))
        >>> seq = open_sequence(path)
        >>> buf = np.empty(seq.frame_shape, seq.dtype)
        >>> int(seq.read_frame(1, out=buf)[0, 0])
        64
        """
        if out is None:
            out = np.empty(self._frame_shape, self._dtype)
        elif (
            out.shape != self._frame_shape or out.dtype != self._dtype or not out.flags.c_contiguous
        ):
            raise ValueError(
                f"out must be a C-contiguous {self._dtype} array of shape {self._frame_shape}"
            )
        if self._frames is not None:
            self._read_file_frame(self._frames[i], out, i)
        else:
            self._read_page(i, out)
        return out

    def read_band(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Read pixels ``start:stop`` (flat, C order) of every frame.

        This is how projections stream a stack through bounded memory: a band of rows of
        all frames at a time. For uncompressed TIFF only the band's bytes are read; for
        compressed TIFF, PNG and JPEG each frame is decoded whole and the band kept.

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
        >>> import numpy as np, tifffile, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> data = np.arange(6 * 4 * 5, dtype=np.uint16).reshape(6, 4, 5)
        >>> tifffile.imwrite(path, data)
        >>> band = open_sequence(path).read_band(5, 10)  # row 1 of every frame
        >>> np.array_equal(band, data[:, 1, :])
        True
        """
        n_pix = math.prod(self._frame_shape)
        if not 0 <= start <= stop <= n_pix:
            raise ValueError(f"band {start}:{stop} is outside 0:{n_pix}")
        if out is None:
            out = np.empty((self._len, stop - start), self._dtype)
        elif out.shape != (self._len, stop - start) or out.dtype != self._dtype:
            raise ValueError(
                f"out must be a {self._dtype} array of shape {(self._len, stop - start)}"
            )
        for i in range(self._len):
            self._read_flat(i, start, stop, out[i])
        return out

    def _read_flat(self, i: int, start: int, stop: int, out: np.ndarray) -> None:
        itemsize = self._dtype.itemsize
        if self._frames is not None:
            frame = self._frames[i]
            if frame.offset is not None:
                assert frame.file_dtype is not None
                tmp = out.view(frame.file_dtype) if frame.file_dtype != self._dtype else out
                _read_file_at(frame.path, frame.offset + start * itemsize, tmp)
                _to_native(tmp, self._dtype)
                return
            full = self._read_file_frame(frame, None, i)
        else:
            offset = self._page_offset(i)
            if offset is not None:
                tmp = out.view(self._file_dtype) if self._file_dtype != self._dtype else out
                self._handle()
                _read_exact(self._fd, offset + start * itemsize, tmp, self.files[0], self._lock)
                _to_native(tmp, self._dtype)
                return
            full = self._read_page(i, None)
        out[...] = full.reshape(-1)[start:stop]

    def _page_offset(self, i: int) -> int | None:
        """Byte offset of page ``i``'s pixels if they can be read raw, else None."""
        tif = self._handle()
        if self._contiguous_offset is not None:
            return self._contiguous_offset + i * self._frame_nbytes
        if self._page_offsets is None:
            # Pages stored one after another with their own headers (Micro-Manager,
            # many acquisition programs): learn each page's offset once.
            with self._lock, _tifffile_errors(self.files[0]):
                offsets: list[int | None] = []
                for page in self._series.pages:
                    ok = (
                        page is not None
                        and page.parent is tif
                        and page.is_final
                        and len(page.dataoffsets) > 0
                    )
                    offsets.append(int(page.dataoffsets[0]) if ok else None)
                self._page_offsets = offsets
        return self._page_offsets[i]

    def _read_page(self, i: int, out: np.ndarray | None) -> np.ndarray:
        if out is None:
            out = np.empty(self._frame_shape, self._dtype)
        offset = self._page_offset(i)
        path = self.files[0]
        if offset is not None:
            tmp = out.view(self._file_dtype) if self._file_dtype != self._dtype else out
            self._handle()
            _read_exact(self._fd, offset, tmp, path, self._lock)
            return _to_native(tmp, self._dtype)
        with self._lock, _tifffile_errors(path):
            data = self._handle().asarray(key=i, series=self._series_index)
        out[...] = np.asarray(data).reshape(self._frame_shape)
        return out

    def _read_file_frame(self, frame: _FileFrame, out: np.ndarray | None, i: int) -> np.ndarray:
        path = frame.path
        if frame.offset is not None:
            if out is None:
                out = np.empty(self._frame_shape, self._dtype)
            assert frame.file_dtype is not None
            tmp = out.view(frame.file_dtype) if frame.file_dtype != self._dtype else out
            _read_file_at(path, frame.offset, tmp)
            return _to_native(tmp, self._dtype)
        if frame.kind == "tiff":
            import tifffile

            with _tifffile_errors(path), open(path, "rb") as fh:
                data = tifffile.imread(fh)
        else:
            import imageio.v3 as iio

            try:
                with open(path, "rb") as fh:
                    data = iio.imread(fh, extension=path.suffix.lower())
            except MemoryError:
                raise
            except Exception as exc:
                raise SequenceError(
                    f"cannot read {str(path)!r} as an image: {type(exc).__name__}: {exc}"
                ) from exc
        data = np.asarray(data)
        if data.shape != self._frame_shape or data.dtype != self._dtype:
            raise SequenceError(_mismatch(i, path, data.shape, data.dtype, self))
        if out is None:
            return data
        out[...] = data
        return out

    def to_dask(self, frames_per_chunk: int = 1) -> Any:
        """A lazy :class:`dask.array.Array` view of the sequence, in the right order.

        Unlike ``dask.array.image.imread``, frames keep the natural order, and every
        chunk is read by this sequence (so the checks above apply).

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
        >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
        >>> tifffile.imwrite(path, np.ones((6, 8, 8), np.uint8))
        >>> x = open_sequence(path).to_dask(frames_per_chunk=2)
        >>> x.chunks[0], int(x.sum().compute())
        ((2, 2, 2), 384)
        """
        import dask.array as da

        chunks = (frames_per_chunk, *self._frame_shape)
        meta = np.empty((0,) * self.ndim, self._dtype)
        # name=False: a random graph name; hashing the object would pickle it.
        return da.from_array(self, chunks=chunks, asarray=False, meta=meta, name=False)


def _mismatch(i: int, path: Path, shape: tuple[int, ...], dtype: np.dtype, seq: Any) -> str:
    first = seq.files[0] if isinstance(seq, Sequence) else seq[0].path
    frame_shape = seq.frame_shape if isinstance(seq, Sequence) else seq[0].shape
    frame_dtype = seq.dtype if isinstance(seq, Sequence) else seq[0].dtype
    return (
        f"frame {i}, {str(path)!r}, has shape {tuple(shape)} and dtype {np.dtype(dtype)}, "
        f"but the first frame, {str(first)!r}, has shape {tuple(frame_shape)} and dtype "
        f"{np.dtype(frame_dtype)}: all frames of a sequence must have the same shape and dtype"
    )


def open_sequence(source: Source, *, check_names: bool = True, series: int = 0) -> Sequence:
    """Open an image sequence lazily: a folder, a glob, a list of files or one TIFF.

    Parameters
    ----------
    source : str, path-like or list of them
        - a folder: its image files, one frame each, in natural order (see the module
          documentation for which files count);
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
        # Pointing at the dataset's folder instead of its planes is a common slip.
        hint = _subfolder_hint(source)
        if hint:
            raise SequenceError(f"{str(error).rstrip('.')}. {hint}") from error
        raise


def _subfolder_hint(source: Any) -> str:
    if not isinstance(source, (str, os.PathLike)) or not Path(source).is_dir():
        return ""
    found = []
    for sub in sorted(Path(source).iterdir(), key=lambda p: natural_key(p.name)):
        if sub.is_dir() and not sub.name.startswith("."):
            n = sum(
                1
                for f in sub.iterdir()
                if f.suffix.lower() in IMAGE_EXTENSIONS and not f.name.startswith(".")
            )
            if n:
                found.append((sub, n))
    if not found:
        return ""
    listed = ", ".join(f"{sub.name!r} ({n} image files)" for sub, n in found[:3])
    return (
        f"Its sub-folder(s) {listed} hold images: to open one as a sequence, e.g. "
        f"open_sequence({str(found[0][0])!r})."
    )


def _open(source: Source, check_names: bool, series: int) -> Sequence:
    files, skipped, description, single = _resolve_files(source, check_names)
    if single:
        path = files[0]
        if _is_tiff(path):
            return Sequence(None, description=description, tiff_path=path, series=series)
        return Sequence([_imageio_header(path)], description=description)
    frames: list[_FileFrame] = []
    spacing = None
    layout: _Layout | None = None
    for i, path in enumerate(files):
        if layout is not None and layout.matches(path):
            frame = dataclasses.replace(layout.frame, path=path)
        elif _is_tiff(path):
            frame, file_spacing = _tiff_header(path)
            if i == 0:
                spacing = file_spacing
            layout = _Layout.of(frame)
        else:
            frame = _imageio_header(path)
        if frames and (frame.shape != frames[0].shape or frame.dtype != frames[0].dtype):
            raise SequenceError(_mismatch(i, path, frame.shape, frame.dtype, frames))
        frames.append(frame)
    return Sequence(frames, description=description, skipped=skipped, spacing=spacing)
