"""Open a sequence of images (a 3D stack or a time series) lazily from disk.

:func:`open_sequence` takes a folder, a glob pattern, a list of files or one multi-page
TIFF and returns a :class:`Sequence`: an object that knows the number of frames, their
shape, dtype and physical pixel spacing, but reads pixels only when they are used. It
behaves like a read-only 3D numpy array for indexing (``seq[3]``, ``seq[10:20]``,
``np.asarray(seq)``) and like a `pims <https://soft-matter.github.io/pims>`_ reader for
code written against pims (it subclasses :class:`pims.FramesSequence`). It is also a
:class:`FrameSource`, the small protocol through which :mod:`helpers.projections` streams
frames or bands of pixels, whatever stores them.

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
:attr:`Sequence.spacing` is ``(z, y, x)`` in micrometres, read with tifffile from OME-XML
(``PhysicalSizeZ/Y/X`` and their units) or ImageJ metadata (``spacing`` for z, the
``XResolution``/``YResolution`` tags with the ImageJ ``unit`` for y and x), or from the
resolution tags of a plain TIFF when their unit is a length (centimetre, millimetre,
micrometre; inch-based "dpi" values are print metadata and ignored). An axis the file does
not describe is ``None``; when no axis is described, ``spacing`` is ``None``. For a folder,
the first file's metadata is used.

Files stay closed except for a single multi-page TIFF, whose handle the sequence keeps open
until :meth:`Sequence.close` (or the end of a ``with`` block, or garbage collection).

The implementation is split by job: the :class:`FrameSource` protocol (``_source``);
finding and ordering the files (``_files``); reading their headers (``_headers``) and
spacing (``_metadata``); the stores for a folder of planes and for one multi-page TIFF
(``_stores``, reading pixel bytes with ``_rawio``); the pims-compatible :class:`Sequence`
and :func:`open_sequence` (``_sequence``); :class:`SequenceError` and the failures of
tifffile and imageio turned into it (``_errors``). This module only declares what is
public.
"""

from __future__ import annotations

from ._errors import SequenceError
from ._files import IMAGE_EXTENSIONS, natural_key
from ._sequence import Sequence, open_sequence
from ._source import FrameSource

__all__ = [
    "IMAGE_EXTENSIONS",
    "FrameSource",
    "Sequence",
    "SequenceError",
    "natural_key",
    "open_sequence",
]
