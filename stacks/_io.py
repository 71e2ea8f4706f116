"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["process_folder", "write_atomic"]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    An interrupted run leaves the old file or the new one, never a truncated one.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "grades.csv"
    ...     write_atomic(target, "student,score\\n")
    ...     target.read_text()
    'student,score\\n'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the file it replaces was not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def process_folder(prefix: str) -> Path:
    """A new temporary folder of this process, removed when it exits.

    Its name holds the process id, so that the folders of processes that were killed
    (no exit handler ran) are found and removed by the next one that makes such a folder.

    Examples
    --------
    >>> import os, shutil
    >>> folder = process_folder("stacks-doctest-")
    >>> folder.name.startswith(f"stacks-doctest-{os.getpid()}-"), folder.is_dir()
    (True, True)
    >>> shutil.rmtree(folder)
    """
    import atexit
    import shutil

    for old in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
        pid = old.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
