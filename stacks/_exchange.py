"""Values between a student's kernel and the judge, as data only: JSON and ``.npy`` files.

The judge (:mod:`stacks._judge`) never unpickles, imports or calls anything that comes from
a kernel. A value crosses as a folder: ``value.json`` holds plain JSON (numbers, strings,
lists, dicts with string keys) where arrays are references to ``.npy`` files, read with
``allow_pickle=False`` after their size is checked; a pandas DataFrame crosses as a dict of
its columns. Anything else arrives as an
:class:`Opaque` that says what it was.

The kernel side (:func:`export_name`, :func:`call_function`) runs in the student's kernel,
after the notebook ran; it imports only numpy and the standard library.
"""

from __future__ import annotations

import io
import json
import math
import os
import sysconfig
import traceback
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MAX_BYTES", "Opaque", "StudentCallError", "decode", "encode", "read_inside"]

#: Largest value (all its files together) that the judge reads from a kernel.
MAX_BYTES = 512 * 1024 * 1024
#: Deepest nesting of lists and dicts that crosses.
MAX_DEPTH = 8
#: Most items in one list or dict.
MAX_ITEMS = 10_000


class Opaque:
    """A value that did not cross as data (a module, a generator, a figure, nothing at all).

    ``grading_description`` says what happened, in words for the student (helpers.grading
    uses it in its messages); any other use of the value fails with that sentence.

    Examples
    --------
    >>> Opaque("bead_volumes", "is a RegionProperties list; grading needs numbers or arrays")
    <bead_volumes: is a RegionProperties list; grading needs numbers or arrays>
    """

    def __init__(self, name: str, what: str) -> None:
        self._name = name
        self.grading_description = what

    def __repr__(self) -> str:
        return f"<{self._name}: {self.grading_description}>"

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self._name} {self.grading_description}")

    __array__ = __call__ = __iter__ = __len__ = __getitem__ = _refuse

    def __getattr__(self, attribute: str) -> Any:
        raise TypeError(f"{self._name} {self.grading_description}")


class StudentCallError(Exception):
    """An exception of another type than the builtin ones, raised by a student's function."""


# ------------------------------------------------------------------ encoding (both sides)


def encode(value: Any, folder: Path, name: str = "value") -> None:
    """Write ``value`` into ``folder`` as ``value.json`` and ``.npy`` files.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> encode({"n": 3, "image": np.eye(2, dtype=np.uint8), "t": (1.5, None)}, folder)
    >>> decode(folder)
    {'n': 3, 'image': array([[1, 0],
           [0, 1]], dtype=uint8), 't': (1.5, None)}
    """
    folder.mkdir(parents=True, exist_ok=True)
    files: list[int] = [0]

    def tree(item: Any, depth: int) -> Any:
        if item is None or isinstance(item, bool | str):
            return item
        if isinstance(item, int | float | np.integer | np.floating | np.bool_):
            number = item.item() if isinstance(item, np.generic) else item
            if isinstance(number, float) and not math.isfinite(number):
                return {"__float__": repr(number)}
            return number
        if isinstance(item, complex | np.complexfloating):
            return {"__complex__": [float(item.real), float(item.imag)]}
        if depth >= MAX_DEPTH:
            return {"__opaque__": f"nested deeper than {MAX_DEPTH} levels"}
        if isinstance(item, tuple | list):
            if len(item) > MAX_ITEMS:
                return {"__opaque__": f"a {type(item).__name__} of {len(item)} items"}
            items = [tree(element, depth + 1) for element in item]
            return {"__tuple__": items} if isinstance(item, tuple) else items
        columns = _table_columns(item)
        if columns is not None:
            # a table crosses as a dict of its columns, so that the judge keeps their names
            return {"__dict__": {k: tree(v, depth + 1) for k, v in columns.items()}}
        if isinstance(item, dict) and all(isinstance(k, str) for k in item):
            if len(item) > MAX_ITEMS:
                return {"__opaque__": f"a dict of {len(item)} items"}
            return {"__dict__": {k: tree(v, depth + 1) for k, v in item.items()}}
        array = _as_array(item)
        if array is None:
            return {"__opaque__": _describe(item)}
        path = folder / f"a{files[0]}.npy"
        files[0] += 1
        np.save(path, array, allow_pickle=False)
        return {"__ndarray__": path.name}

    document = {"name": name, "value": tree(value, 0)}
    (folder / "value.json").write_text(json.dumps(document))


def _table_columns(item: Any) -> dict[str, np.ndarray] | None:
    """The columns of a pandas DataFrame by name (without importing pandas), else None."""
    if type(item).__name__ != "DataFrame" or not hasattr(item, "columns"):
        return None
    names = list(item.columns)
    if len(names) > MAX_ITEMS or not all(isinstance(n, str) for n in names):
        return None
    return {n: np.asarray(item[n]) for n in names}


def _as_array(item: Any) -> np.ndarray | None:
    if isinstance(item, np.ndarray):
        array = item
    elif hasattr(item, "__array__") or hasattr(item, "compute"):
        try:
            array = np.asarray(item.compute() if hasattr(item, "compute") else item)
        except Exception:
            return None
    else:
        return None
    if array.dtype.kind not in "biufc" or array.nbytes > MAX_BYTES:
        return None
    return np.ascontiguousarray(array)


def _describe(item: Any) -> str:
    kind = type(item).__name__
    if isinstance(item, np.ndarray):
        return f"an array of dtype {item.dtype}, which grading cannot read"
    return f"a {kind}"


def read_inside(path: Path, root: Path | None) -> bytes:
    """The bytes of a regular file that really is inside ``root`` (None: anywhere).

    A kernel writes the files the judge reads; it could put a symbolic link where a file is
    expected, to make the grader read one of its own files as the student's answer.
    """
    if root is not None and not path.resolve().is_relative_to(root.resolve()):
        raise ValueError("a value's file lies outside the kernel's folder")
    if path.is_symlink() or not path.is_file():
        raise ValueError("a value's file is not a regular file")
    return path.read_bytes()


def decode(folder: Path, max_bytes: int = MAX_BYTES, root: Path | None = None) -> Any:
    """Read a value that :func:`encode` wrote; data only, size checked first.

    ``root``: every file read must be a regular file inside it (see :func:`read_inside`).

    Raises
    ------
    ValueError
        If the files are missing, too large, outside ``root`` or not what :func:`encode`
        writes.
    """
    if root is not None and not folder.resolve().is_relative_to(root.resolve()):
        raise ValueError("a value lies outside the kernel's folder")
    total = sum(path.lstat().st_size for path in folder.iterdir())
    if total > max_bytes:
        raise ValueError(f"the value takes {total} bytes, more than the {max_bytes} allowed")
    try:
        document = json.loads(read_inside(folder / "value.json", root))
    except RecursionError:  # JSON nested deeper than Python's stack
        raise ValueError("the value is nested too deeply") from None
    name = str(document.get("name", "value"))

    def tree(item: Any) -> Any:
        if item is None or isinstance(item, bool | int | float | str):
            return item
        if isinstance(item, list):
            return [tree(element) for element in item]
        if not isinstance(item, dict) or len(item) != 1:
            raise ValueError("not a value written by stacks._exchange.encode")
        [(key, inner)] = item.items()
        if key == "__tuple__":
            return tuple(tree(element) for element in inner)
        if key == "__dict__":
            return {str(k): tree(v) for k, v in inner.items()}
        if key == "__float__":
            return float(inner)
        if key == "__complex__":
            return complex(*inner)
        if key == "__opaque__":
            return Opaque(name, f"is {inner}; grading needs numbers, strings or arrays")
        if key == "__ndarray__":
            path = folder / Path(str(inner)).name  # no way out of the folder
            return np.load(io.BytesIO(read_inside(path, root)), allow_pickle=False)
        raise ValueError(f"unknown entry {key!r}")

    return tree(document["value"])


# ------------------------------------------------------------------ the kernel's side

_MISSING = object()
#: Where a traceback frame is not the student's: libraries, the standard library, stacks.
_NOT_STUDENT_CODE = (
    sysconfig.get_paths()["purelib"],
    sysconfig.get_paths()["stdlib"],
    os.path.join(os.path.dirname(os.path.abspath(__file__)), ""),
)


def export_name(namespace: dict[str, Any], name: str, folder: str) -> None:
    """In the kernel: write the student's variable ``name`` for the judge.

    ``{"kind": "missing"}``, ``{"kind": "callable"}`` or ``{"kind": "value"}`` with the
    value beside it.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    value = namespace.get(name, _MISSING)
    if value is _MISSING:
        kind = "missing"
    elif callable(value) and not hasattr(value, "__array__"):
        kind = "callable"
    else:
        kind = "value"
        encode(value, out / "value", name)
    (out / "kind.json").write_text(json.dumps({"kind": kind}))


def call_function(namespace: dict[str, Any], name: str, folder: str) -> None:
    """In the kernel: call the student's function ``name`` on the arguments in ``folder``.

    Writes the result (or the exception: type, message and where in the student's code)
    and the array arguments as they are after the call, so that the judge sees what a
    function did to its inputs.
    """
    where = Path(folder)
    call = decode(where / "args")
    args, kwargs = list(call["args"]), dict(call["kwargs"])
    try:
        result = namespace[name](*args, **kwargs)
    except BaseException as error:
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if not frame.filename.startswith(_NOT_STUDENT_CODE)
        ]
        line = ""
        if frames:
            last = frames[-1]
            line = f" in line {last.lineno}" + (f" ({last.line.strip()})" if last.line else "")
        outcome = {
            "kind": "error",
            "type": type(error).__name__,
            "message": str(error)[:2000],
            "where": line,
        }
        (where / "outcome.json").write_text(json.dumps(outcome))
        return
    encode(result, where / "result", name)
    encode([a if isinstance(a, np.ndarray) else None for a in args], where / "args_after", name)
    (where / "outcome.json").write_text(json.dumps({"kind": "result"}))
