"""Students' own copies of the exercises: made once, never overwritten, merged on request.

``exercises/*.ipynb`` is the *release*: what ``stacks build`` generates from the sources,
rewritten whenever a source changes. A student works in ``work/*.ipynb``, a copy that
``stacks start`` makes once and no command of ours replaces. Every release carries a stamp
in its metadata (``stacks_release``): the exercise, a digest of the release, and a digest of
every cell's source by cell id. From the stamp alone we can tell

- whether a notebook still is the release it was copied from (nobody edited a cell), and
- which cells of a student's copy are the student's (answers, edits, added cells) when a
  newer release is merged into it by ``stacks update``.

A merge takes the newer release and puts back, by ``grade_id``, the student's answer cells,
and keeps every cell the student added or changed; the test cells and the instructions
come from the new release. The copy before the merge is kept in ``work/.backup/``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nbformat import NotebookNode

from stacks._errors import StacksError
from stacks._io import write_atomic
from stacks._markup import dumps, is_test_cell, nbgrader_meta
from stacks._paths import Paths, exercise_names

__all__ = [
    "STAMP_KEY",
    "Status",
    "edited_cells",
    "is_pristine",
    "merge",
    "newer_release",
    "preserve_edits",
    "stamp",
    "start",
    "status",
    "update",
]

#: The notebook metadata key of a release's stamp.
STAMP_KEY = "stacks_release"


def _cell_digest(cell: NotebookNode) -> str:
    text = json.dumps([cell.cell_type, cell.source])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stamp(name: str, release: NotebookNode, hidden: list[str] | None = None) -> NotebookNode:
    """Return ``release`` with the stamp that lets us recognise it and its cells later.

    ``hidden`` names the test cells that have hidden tests (not the tests themselves), so
    that ``stacks check`` can say which questions are graded further.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hi", id="c1")])
    >>> stamped = stamp("00_demo", nb)
    >>> stamped.metadata[STAMP_KEY]["exercise"], list(stamped.metadata[STAMP_KEY]["cells"])
    ('00_demo', ['c1'])
    """
    nb = deepcopy(release)
    nb.metadata.pop(STAMP_KEY, None)
    cells = {cell.id: _cell_digest(cell) for cell in nb.cells}
    version = hashlib.sha256(json.dumps(list(cells.items())).encode()).hexdigest()[:16]
    nb.metadata[STAMP_KEY] = {"exercise": name, "version": version, "cells": cells}
    if hidden is not None:
        nb.metadata[STAMP_KEY]["hidden_tests"] = sorted(hidden)
    return nb


def hidden_tests(nb: NotebookNode) -> list[str] | None:
    """The test cells with hidden tests, as the release's stamp lists them (None: unknown).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("check()", id="t")])
    >>> hidden_tests(stamp("00_demo", nb, ["t"])), hidden_tests(nb)
    (['t'], None)
    """
    found = (_stamp_of(nb) or {}).get("hidden_tests")
    return list(found) if isinstance(found, list) else None


def _stamp_of(nb: NotebookNode) -> dict | None:
    found = nb.get("metadata", {}).get(STAMP_KEY)
    return found if isinstance(found, dict) and isinstance(found.get("cells"), dict) else None


def edited_cells(nb: NotebookNode) -> list[int]:
    """Indices of the cells that differ from the release ``nb`` was copied from.

    A cell counts as edited when its source changed or it is not in the release (the
    student added it); a deleted cell is reported as the index ``-1``. A notebook without
    a stamp has nothing to compare with, so every cell counts.

    Examples
    --------
    >>> import nbformat
    >>> nb = stamp("00_demo", nbformat.v4.new_notebook(
    ...     cells=[nbformat.v4.new_code_cell("x = 1", id="a"), nbformat.v4.new_code_cell("", id="b")]))
    >>> edited_cells(nb)
    []
    >>> nb.cells[1].source = "y = 2"
    >>> edited_cells(nb)
    [1]
    """
    found = _stamp_of(nb)
    if found is None:
        return list(range(len(nb.cells)))
    known = found["cells"]
    changed = [
        index
        for index, cell in enumerate(nb.cells)
        if known.get(cell.get("id")) != _cell_digest(cell)
    ]
    present = {cell.get("id") for cell in nb.cells}
    return changed + ([-1] if set(known) - present else [])


def is_pristine(nb: NotebookNode) -> bool:
    """True when ``nb`` is a stamped release that nobody edited (outputs do not count).

    Examples
    --------
    >>> import nbformat
    >>> is_pristine(stamp("00_demo", nbformat.v4.new_notebook()))
    True
    >>> is_pristine(nbformat.v4.new_notebook())
    False
    """
    return _stamp_of(nb) is not None and not edited_cells(nb)


def _read(path: Path) -> NotebookNode:
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # any unreadable file: say which, change nothing
        raise StacksError(f"cannot read {path} as a notebook: {error}") from None


def _free_name(folder: Path, stem: str) -> Path:
    """``folder/stem.ipynb``, or a name with the time in it when that one is taken."""
    candidate = folder / f"{stem}.ipynb"
    if not candidate.exists():
        return candidate
    moment = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        candidate = folder / f"{stem}.{moment}{f'-{n}' if n else ''}.ipynb"
        if not candidate.exists():
            return candidate
    raise StacksError(f"no free name for a copy of {stem} in {folder}")


def preserve_edits(target: Path, paths: Paths = Paths()) -> Path | None:
    """Before a release replaces ``target``, copy it to ``work/`` if anyone edited it.

    Returns where the edited copy went, or None when ``target`` is missing or is a release
    nobody changed (its outputs alone are not work worth keeping).

    Examples
    --------
    >>> preserve_edits(Path("no/such/notebook.ipynb")) is None
    True
    """
    if not target.is_file():
        return None
    try:
        current = _read(target)
    except StacksError:
        current = None
    if current is not None and is_pristine(current):
        return None
    paths.work.mkdir(parents=True, exist_ok=True)
    keep = _free_name(paths.work, target.stem)
    shutil.copy2(target, keep)
    return keep


Kind = Literal["new", "current", "outdated", "unknown"]


@dataclass(frozen=True)
class Status:
    """Where a student's copy of one exercise stands.

    Examples
    --------
    >>> Status("01_projections", Path("work/01_projections.ipynb"), "outdated").advice()
    'a newer release of 01_projections exists: `stacks update 01_projections` merges it into work/01_projections.ipynb and keeps your answers'
    """

    name: str
    copy: Path
    kind: Kind

    def advice(self) -> str:
        if self.kind == "new":
            return f"made {self.copy}: work in this copy"
        if self.kind == "current":
            return f"{self.copy} is up to date"
        if self.kind == "outdated":
            return (
                f"a newer release of {self.name} exists: `stacks update {self.name}` merges it "
                f"into {self.copy} and keeps your answers"
            )
        return f"{self.copy} was not made from a release; `stacks update {self.name}` merges the release into it"


def _release(name: str, paths: Paths) -> NotebookNode:
    path = paths.exercises / f"{name}.ipynb"
    if not path.is_file():
        raise StacksError(f"there is no release of {name} in {paths.exercises}; run `stacks build`")
    return _read(path)


def status(name: str, paths: Paths = Paths()) -> Status:
    """Compare the student's copy of ``name`` with the current release.

    Examples
    --------
    >>> status("01_projections", Paths(work=Path("no/such/folder"))).kind
    'new'
    """
    copy = paths.work / f"{name}.ipynb"
    if not copy.is_file():
        return Status(name, copy, "new")
    mine = _stamp_of(_read(copy))
    theirs = _stamp_of(_release(name, paths))
    if mine is None or theirs is None:
        return Status(name, copy, "unknown")
    return Status(name, copy, "current" if mine["version"] == theirs["version"] else "outdated")


def newer_release(nb: NotebookNode, paths: Paths = Paths()) -> str | None:
    """Advice when ``nb`` was copied from an older release than the one in ``exercises/``.

    Examples
    --------
    >>> import nbformat
    >>> newer_release(nbformat.v4.new_notebook()) is None
    True
    """
    mine = _stamp_of(nb)
    if mine is None or not isinstance(mine.get("exercise"), str):
        return None
    name = mine["exercise"]
    release = paths.exercises / f"{name}.ipynb"
    if not release.is_file():
        return None
    try:
        theirs = _stamp_of(_read(release))
    except StacksError:
        return None
    if theirs is None or theirs.get("version") == mine.get("version"):
        return None
    return Status(name, paths.work / f"{name}.ipynb", "outdated").advice()


def _names(names: list[str] | None, paths: Paths) -> list[str]:
    known = sorted(p.stem for p in paths.exercises.glob("*.ipynb")) or exercise_names(paths)
    for name in names or []:
        if name not in known:
            raise StacksError(
                f"unknown exercise {name!r}; the exercises are: {', '.join(known) or 'none'}"
            )
    return list(names) if names else known


def start(names: list[str] | None = None, paths: Paths = Paths()) -> list[Status]:
    """Copy each release into ``work/`` unless a copy is there; report the others.

    A copy that exists is never touched, whatever is in it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [s.kind for s in start(["01_projections"], Paths(work=Path(folder)))]
    ['new']
    """
    result = []
    for name in _names(names, paths):
        found = status(name, paths)
        if found.kind == "new":
            release = paths.exercises / f"{name}.ipynb"
            _release(name, paths)  # a clear message when it is missing or unreadable
            paths.work.mkdir(parents=True, exist_ok=True)
            write_atomic(found.copy, release.read_text(encoding="utf-8"))
        result.append(found)
    return result


def _is_answer(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("solution")) and isinstance(meta.get("grade_id"), str)


def merge(mine: NotebookNode, release: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """The newer ``release`` with the student's answers and own cells of ``mine`` put back.

    - An answer cell (nbgrader ``solution``) keeps the student's source and outputs, in
      the place the release gives its ``grade_id``.
    - A cell the student added or edited (its source is not the one the old release had)
      is kept: in place of the release's cell of the same id, or after the cell it
      followed. Test cells always come from the release.
    - Every other cell is the release's.

    Returns the merged notebook and one line per cell kept that was not an answer.

    Examples
    --------
    >>> import nbformat
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    >>> answer = {"nbgrader": {"grade_id": "a", "solution": True, "grade": False}}
    >>> old = stamp("x", new_notebook(cells=[new_markdown_cell("Do it", id="m"),
    ...     new_code_cell("# YOUR CODE HERE", id="a", metadata=answer)]))
    >>> mine = deepcopy(old)
    >>> mine.cells[1].source = "x = 42"
    >>> new = stamp("x", new_notebook(cells=[new_markdown_cell("Do it well", id="m"),
    ...     new_code_cell("# YOUR CODE HERE", id="a", metadata=answer)]))
    >>> merged, notes = merge(mine, new)
    >>> [c.source for c in merged.cells], notes
    (['Do it well', 'x = 42'], [])
    """
    old_cells = (_stamp_of(mine) or {}).get("cells", {})
    merged = deepcopy(release)
    answers = {nbgrader_meta(c)["grade_id"]: c for c in mine.cells if _is_answer(c)}
    for index, cell in enumerate(merged.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if _is_answer(cell) and grade_id in answers:
            theirs = answers.pop(grade_id)
            merged.cells[index] = _with(cell, theirs)
    notes: list[str] = []
    by_id = {cell.get("id"): i for i, cell in enumerate(merged.cells)}
    anchor: str | None = None  # id of the merged cell the next kept cell goes after
    inserts: dict[str | None, list[NotebookNode]] = {}
    added = 0
    for cell in mine.cells:
        cid = cell.get("id")
        if _is_answer(cell):
            if nbgrader_meta(cell)["grade_id"] in answers:  # the release dropped this question
                inserts.setdefault(anchor, []).append(cell)
                notes.append(
                    f"kept your answer {nbgrader_meta(cell)['grade_id']!r}, which the new release no longer asks for"
                )
            else:
                anchor = nbgrader_meta(cell)["grade_id"]
            continue
        if is_test_cell(cell):
            anchor = cid if cid in by_id else anchor
            continue
        own = old_cells.get(cid) != _cell_digest(cell)
        if not own:
            anchor = cid if cid in by_id else anchor
        elif cid in by_id and old_cells.get(cid) is not None:
            merged.cells[by_id[cid]] = deepcopy(cell)
            notes.append(f"kept your edited cell {cid!r} instead of the release's")
            anchor = cid
        else:
            inserts.setdefault(anchor, []).append(deepcopy(cell))
            added += 1
    cells = list(inserts.get(None, []))
    for cell in merged.cells:
        cells.append(cell)
        cid = cell.get("id")
        cells.extend(inserts.get(cid, []))
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id is not None and grade_id != cid:
            cells.extend(inserts.get(grade_id, []))
    if added:
        notes.append(f"kept {added} cell{'s' if added != 1 else ''} you added")
    merged.cells = cells
    for key, value in mine.metadata.items():  # e.g. the student's kernel choice
        merged.metadata.setdefault(key, value)
    return merged, notes


def _with(release_cell: NotebookNode, student_cell: NotebookNode) -> NotebookNode:
    cell = deepcopy(release_cell)
    cell.source = student_cell.source
    if cell.cell_type == "code":
        cell.outputs = deepcopy(student_cell.get("outputs", []))
        cell.execution_count = student_cell.get("execution_count")
    return cell


def update(name: str, paths: Paths = Paths()) -> tuple[Status, list[str]]:
    """Merge the current release of ``name`` into the student's copy (see :func:`merge`).

    The copy as it was goes to ``work/.backup/`` first; the merged notebook replaces it
    atomically. A missing copy is made, as :func:`start` would.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     update("01_projections", Paths(work=Path(folder)))[0].kind
    'new'
    """
    found = status(name, paths)
    if found.kind == "new":
        return start([name], paths)[0], []
    if found.kind == "current":
        return found, []
    release = _release(name, paths)
    merged, notes = merge(_read(found.copy), release)
    backup = paths.work / ".backup"
    backup.mkdir(parents=True, exist_ok=True)
    kept = _free_name(backup, name)
    shutil.copy2(found.copy, kept)
    write_atomic(found.copy, dumps(merged))
    return found, [*notes, f"your copy before the merge is in {kept}"]
