"""Which files are the frames: a folder, a glob or a list; natural order; one numbered series."""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from ._errors import SequenceError

#: File extensions (lower case) that a folder or glob may contribute as frames.
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".tif", ".tiff", ".btf", ".tf8", ".png", ".jpg", ".jpeg"}
)
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

PathLike = str | os.PathLike[str]
Source = PathLike | Iterable[PathLike]


class Selection(NamedTuple):
    """The files a source selects, and how to name the source in messages."""

    files: list[Path]
    skipped: list[Path]
    description: str
    single_file: bool


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
    >>> from helpers.sequences import natural_key
    >>> sorted(["z10.tif", "z2.tif", "Z1.tif"], key=natural_key)
    ['Z1.tif', 'z2.tif', 'z10.tif']
    """
    text = os.fspath(name)
    parts = re.split(r"([0-9]+)", text)
    # Even positions are text, odd positions are digit runs: the types alternate the
    # same way in every key, so comparisons never mix str and int.
    key = tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts))
    return (*key, text)  # the exact text breaks ties (z01 vs z1) deterministically


def is_tiff(path: Path) -> bool:
    """True if ``path`` starts like a TIFF or BigTIFF file, whatever its extension.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plane.dat"
    >>> tifffile.imwrite(path, np.zeros((2, 2), np.uint8))
    >>> is_tiff(path)
    True
    """
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in _TIFF_MAGIC
    except OSError as exc:
        raise SequenceError(f"cannot open {str(path)!r}: {exc}") from exc


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
    try:
        attributes = getattr(path.stat(), "st_file_attributes", 0)  # Windows only
    except OSError:
        return False
    return bool(attributes & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def _is_image_name(path: Path) -> bool:
    """A visible file name with an image extension: what a folder contributes as a frame."""
    return path.suffix.lower() in IMAGE_EXTENSIONS and not _is_hidden(path)


def _image_names_in(folder: Path) -> list[str]:
    return sorted(
        (p.name for p in folder.iterdir() if p.is_file() and _is_image_name(p)), key=natural_key
    )


def _short_list(names: list[str], limit: int = 6) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", ... ({len(names) - limit} more)"


def _check_one_series(files: list[Path], where: str, glob_dir: Path) -> None:
    """Raise SequenceError unless ``files`` form one numbered series (see the rules)."""
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


def select_files(source: Source, check_names: bool) -> Selection:
    """The files ``source`` (a folder, a glob, one file or a list of files) selects.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for z in (10, 2, 1):
    ...     tifffile.imwrite(folder / f"z{z}.tif", np.zeros((2, 2), np.uint8))
    >>> (folder / "notes.txt").write_text("not a frame")
    11
    >>> selection = select_files(folder, check_names=True)
    >>> [p.name for p in selection.files], [p.name for p in selection.skipped]
    (['z1.tif', 'z2.tif', 'z10.tif'], ['notes.txt'])
    """
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        path = Path(text)
        if path.is_dir():
            return _files_in(sorted(path.iterdir()), f"folder {text!r}", path, check_names)
        if path.is_file():
            return Selection([path], [], repr(text), True)
        if glob.has_magic(text):
            matches = [Path(p) for p in glob.glob(text) if Path(p).is_file()]
            if not matches:
                raise SequenceError(f"no file matches the pattern {text!r} ({_glob_folder(text)})")
            return _files_in(matches, f"pattern {text!r}", Path(text).parent, check_names)
        raise FileNotFoundError(f"no such file or folder: {text!r}")
    try:
        items = [Path(os.fspath(p)) for p in source]
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
    return Selection(items, [], f"list of {len(items)} files", False)


def _glob_folder(pattern: str) -> str:
    """What the folder of a glob that matched nothing holds, to help correct the pattern."""
    parent = Path(pattern).parent
    while glob.has_magic(str(parent)):
        parent = parent.parent
    if not parent.is_dir():
        return f"folder {str(parent)!r} does not exist"
    seen = _image_names_in(parent)
    example = f", e.g. {_short_list(seen, 3)}" if seen else ""
    return f"folder {str(parent)!r} holds {len(seen)} image file(s){example}"


def _files_in(candidates: list[Path], where: str, base: Path, check_names: bool) -> Selection:
    files: list[Path] = []
    skipped: list[Path] = []
    for p in candidates:
        if not p.is_file():
            continue  # sub-folders are not frames and need no mention
        (files if _is_image_name(p) else skipped).append(p)
    files.sort(key=lambda p: natural_key(str(p)))
    if not files:
        extra = f"; skipped: {_short_list([p.name for p in skipped])}" if skipped else ""
        raise SequenceError(
            f"{where} holds no image files (looked for "
            f"{', '.join(sorted(IMAGE_EXTENSIONS))}; hidden files are ignored{extra})"
        )
    if check_names:
        _check_one_series(files, where, base)
    return Selection(files, skipped, where, False)


def subfolder_hint(source: Any) -> str:
    """A sentence naming the sub-folders of ``source`` that hold images, or ``""``.

    Pointing at a dataset's folder instead of its folder of planes is a common slip.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "planes").mkdir()
    >>> tifffile.imwrite(folder / "planes" / "z0.tif", np.zeros((2, 2), np.uint8))
    >>> print(subfolder_hint(folder))
    Its sub-folder(s) 'planes' (1 image files) hold images: to open one as a sequence, e.g. open_sequence('.../planes').
    """
    if not isinstance(source, (str, os.PathLike)) or not Path(source).is_dir():
        return ""
    found = []
    for sub in sorted(Path(source).iterdir(), key=lambda p: natural_key(p.name)):
        if sub.is_dir() and not sub.name.startswith("."):
            n = len(_image_names_in(sub))
            if n:
                found.append((sub, n))
    if not found:
        return ""
    listed = ", ".join(f"{sub.name!r} ({n} image files)" for sub, n in found[:3])
    return (
        f"Its sub-folder(s) {listed} hold images: to open one as a sequence, e.g. "
        f"open_sequence({str(found[0][0])!r})."
    )
