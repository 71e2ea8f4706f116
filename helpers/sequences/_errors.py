"""SequenceError, and the failures of tifffile and imageio turned into it, naming the file."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path


class SequenceError(ValueError):
    """A sequence cannot be opened or read; the message names the file and the problem.

    A :class:`ValueError`, so code that catches bad values catches it too.

    Examples
    --------
    >>> from helpers.sequences import SequenceError, open_sequence
    >>> try:
    ...     open_sequence([])
    ... except SequenceError as error:
    ...     print(error)
    the list of files is empty
    """


# Tracebacks and doctests show the name students import, not the private module.
SequenceError.__module__ = "helpers.sequences"


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
def read_errors(path: Path, kind: str = "an image") -> Iterator[None]:
    """Turn an exception raised while reading ``path`` as ``kind`` into SequenceError.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f0.png"
    >>> with read_errors(path):
    ...     raise OSError("image file is truncated")
    Traceback (most recent call last):
    ...
    helpers.sequences.SequenceError: cannot read '.../f0.png' as an image: OSError: image file is truncated
    """
    try:
        yield
    except (SequenceError, MemoryError):
        raise
    except Exception as exc:
        raise SequenceError(
            f"cannot read {str(path)!r} as {kind}: {type(exc).__name__}: {exc}"
        ) from exc


@contextlib.contextmanager
def tifffile_errors(path: Path) -> Iterator[None]:
    """:func:`read_errors` for tifffile, which also *logs* damage: that raises too.

    Examples
    --------
    >>> import logging, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
    >>> with tifffile_errors(path):
    ...     logging.getLogger("tifffile").error("corrupted page list")
    Traceback (most recent call last):
    ...
    helpers.sequences.SequenceError: '.../stack.tif' is damaged or truncated (tifffile: corrupted page list)
    """
    handler = _ErrorRecords()
    logger = logging.getLogger("tifffile")
    logger.addHandler(handler)
    try:
        with read_errors(path, "a TIFF image"):
            yield
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise SequenceError(
            f"{str(path)!r} is damaged or truncated (tifffile: {handler.messages[0]})"
        )
