"""A folder of submissions: one entry per student folder, and a notebook file read safely.

Everything here runs where ``stacks grade`` runs, before any kernel: a symbolic link, a
folder named like a notebook, a file too large or not a notebook gets its row at once and
never reaches a worker.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from nbformat import NotebookNode

from stacks._errors import GradeError
from stacks._io import write_atomic

__all__ = [
    "CSV_COLUMNS",
    "MAX_NOTEBOOK_BYTES",
    "NOT_STUDENTS",
    "Row",
    "Submission",
    "find_submissions",
    "parse_notebook",
    "write_csv",
]

CSV_COLUMNS = ("student", "assignment", "score", "max_score", "status", "message", "sandbox")


@dataclass
class Row:
    """One line of ``grades.csv``.

    Examples
    --------
    >>> Row("alice", "01_projections", 9.0, 9.0)
    Row(student='alice', assignment='01_projections', score=9.0, max_score=9.0, status='graded', message='', sandbox='bubblewrap')
    """

    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    #: graded | timeout | limit | kernel-died | worker-died | missing | invalid-notebook | error
    status: str = "graded"
    message: str = ""
    #: how the kernel ran: "bubblewrap" (stacks._sandbox), or "none" with --no-sandbox
    sandbox: str = "bubblewrap"


@dataclass
class Submission:
    """A student's folder: their row so far and the notebook file to grade, if any."""

    row: Row
    path: Path | None
    data: Path | None = None  # the student's own variant of the data (a roster), or None


NOT_STUDENTS = frozenset({".ipynb_checkpoints", ".DS_Store", "__MACOSX", ".git", "Thumbs.db"})
#: Largest notebook file read, in bytes: a bigger one is refused with a row that says why.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


def find_submissions(folder: Path, assignment: str) -> list[Submission]:
    """One entry per student folder in ``folder``, whatever it holds.

    ``<student>/<assignment>.ipynb`` is the layout; nbgrader's own
    ``<student>/<assignment>/<assignment>.ipynb`` (its ``submitted/`` folder) works too.
    A notebook lying directly in ``folder`` gets a row saying where it should be. Every
    student folder gets exactly one row, whatever its name (a leading ``_`` or ``.``,
    spaces, any script); only the folders that tools make (:data:`NOT_STUDENTS`) are not
    students. A symbolic link is never followed: it could point at another student's work
    or at a file of the grader's.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     (Path(folder) / "alice").mkdir()
    ...     (Path(folder) / "_bob").mkdir()
    ...     [(s.row.student, s.row.status) for s in find_submissions(Path(folder), "01_projections")]
    [('_bob', 'missing'), ('alice', 'missing')]
    """
    if not folder.is_dir():
        raise GradeError(f"no submissions folder {folder}")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name in NOT_STUDENTS:
            continue
        if entry.is_symlink():
            row = Row(entry.name, assignment, status="invalid-notebook")
            row.message = (
                f"{entry.name} is a symbolic link; submissions are read from real folders only"
            )
            found.append(Submission(row, None))
        elif entry.is_file() and entry.suffix == ".ipynb":
            row = Row(
                entry.stem,
                assignment,
                status="missing",
                message=f"found {entry.name} directly in the submissions folder; expected {entry.stem}/{assignment}.ipynb",
            )
            found.append(Submission(row, None))
        elif entry.is_dir():
            found.append(_student_folder(entry, assignment))
    if not found:
        raise GradeError(
            f"no student folders in {folder}; expected {folder}/<student>/{assignment}.ipynb"
        )
    return found


def _student_folder(entry: Path, assignment: str) -> Submission:
    row = Row(entry.name, assignment)
    name = f"{assignment}.ipynb"
    path = entry / name
    nested = entry / assignment / name
    if not os.path.lexists(path) and os.path.lexists(nested):
        path = nested
    problem = None
    if path.is_symlink():
        problem = f"{name} is a symbolic link, not a notebook file; submit the file itself"
    elif path.is_dir():
        problem = f"{name} is a folder, not a notebook file"
    elif path.is_file() and path.stat().st_size > MAX_NOTEBOOK_BYTES:
        size = path.stat().st_size / 1024 / 1024
        problem = (
            f"{name} is {size:.1f} MB, larger than the {MAX_NOTEBOOK_BYTES // 1024 // 1024} MB "
            "a notebook may be; clear the outputs (Edit > Clear Outputs of All Cells) and submit again"
        )
    if problem is not None:
        row.status, row.message = "invalid-notebook", problem
        return Submission(row, None)
    if not path.is_file():
        others = sorted(p.name for p in entry.iterdir() if p.name not in NOT_STUDENTS)
        row.status = "missing"
        row.message = f"no {name} in {entry.name}/" + (
            f" (found: {', '.join(others[:5])})" if others else " (folder is empty)"
        )
        return Submission(row, None)
    return Submission(row, path)


_BOM = b"\xef\xbb\xbf"


def parse_notebook(data: bytes, name: str) -> tuple[NotebookNode | None, str, list[str]]:
    """Read a submitted file: the notebook (or None), why it is not one, and notes.

    The reason never quotes the file: a file that is not a notebook may be anything.

    Examples
    --------
    >>> import nbformat
    >>> nb, problem, notes = parse_notebook(_BOM + nbformat.writes(nbformat.v4.new_notebook()).encode(), "a.ipynb")
    >>> nb is not None, problem, notes
    (True, '', ['the file started with a byte-order mark, which was ignored'])
    >>> parse_notebook(b"hello", "a.ipynb")[1]
    'a.ipynb is not a Jupyter notebook (not JSON); was the right file submitted?'
    """
    import nbformat

    notes = []
    if data.startswith(_BOM):  # editors on Windows add one; JSON allows none
        data = data[len(_BOM) :]
        notes.append("the file started with a byte-order mark, which was ignored")
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except UnicodeDecodeError:
        return None, f"{name} is not a Jupyter notebook (not UTF-8 text)", notes
    except ValueError as error:
        # json.JSONDecodeError and nbformat's NotJSONError are ValueErrors
        if "JSON" in type(error).__name__:
            return (
                None,
                f"{name} is not a Jupyter notebook (not JSON); was the right file submitted?",
                notes,
            )
        return None, f"{name} is not a valid notebook: {_first_line(error)}"[:300], notes
    except Exception as error:  # nbformat raises several validation error types
        return None, f"{name} is not a valid notebook: {_first_line(error)}"[:300], notes
    return nb, "", notes


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def write_csv(rows: list[Row], path: Path) -> None:
    """Write ``grades.csv`` atomically: one row per student, scores as plain numbers.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_csv([Row("alice", "01_projections", 9, 9)], Path(folder) / "grades.csv")
    ...     print((Path(folder) / "grades.csv").read_text().splitlines()[1])
    alice,01_projections,9,9,graded,,bubblewrap
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = asdict(row)
        record["score"] = f"{row.score:g}"
        record["max_score"] = f"{row.max_score:g}"
        writer.writerow(record)
    write_atomic(path, buffer.getvalue())
