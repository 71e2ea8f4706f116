"""What a grading folder holds, one record per student, so that runs add up instead of
starting over.

``DIR/.stacks/results/`` holds one JSON record per student: the row, the scores per
question, the seconds it took, the worker, and the **key** it was graded under (a hash of
the submitted file, the student's data seed, the exercise as built, the settings and the
grader's own code). A run grades only the students whose key changed; every record is
written (atomically) as soon as its submission is graded, after its feedback page and
graded notebook, so an interrupted run resumes where it stopped and never writes a row
twice. ``grades.csv`` is rewritten from the records, atomically, after each one.

A lock file keeps two ``stacks grade`` runs from writing the same folder at once.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from stacks._errors import GradeError
from stacks._io import write_atomic
from stacks._results import Question
from stacks._submissions import CSV_COLUMNS, Row, write_csv

__all__ = ["Ledger", "Record", "code_digest", "grading_key"]


@dataclass
class Record:
    """One student's last grading, as kept in ``DIR/.stacks/results``."""

    row: Row
    key: str = ""
    questions: list[Question] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""
    graded_at: str = ""

    def as_json(self) -> str:
        """The record as JSON text."""
        return json.dumps(
            {
                "row": asdict(self.row),
                "key": self.key,
                "questions": [asdict(q) for q in self.questions],
                "seconds": round(self.seconds, 3),
                "worker": self.worker,
                "graded_at": self.graded_at,
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Record:
        """A record read back from :meth:`as_json`."""
        data = json.loads(text)
        return cls(
            Row(**data["row"]),
            data["key"],
            [Question(**q) for q in data["questions"]],
            float(data["seconds"]),
            data["worker"],
            data["graded_at"],
        )


def code_digest() -> str:
    """A hash of the grader's own code (``stacks`` and ``helpers``): a fix to a check regrades.

    Examples
    --------
    >>> len(code_digest())
    16
    """
    import helpers
    import stacks

    digest = hashlib.sha256()
    for package in (Path(helpers.__file__).parent, Path(stacks.__file__).parent):
        for path in sorted(package.rglob("*")):
            if path.suffix in {".py", ".j2", ".json", ".css"} and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(package.parent)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def grading_key(batch: str, row: Row, notebook: bytes | None, data_seed: int | None) -> str:
    """The key of one submission: the same key means the same grade.

    ``batch`` names everything shared by the batch (exercise, settings, secret, code).

    Examples
    --------
    >>> row = Row("alice", "01_projections")
    >>> grading_key("b", row, b"{}", None) == grading_key("b", row, b"{}", None)
    True
    >>> grading_key("b", row, b"{}", None) != grading_key("b", row, b"{} ", None)
    True
    """
    digest = hashlib.sha256()
    for part in (batch, row.student, row.status, row.message, row.sandbox, repr(data_seed)):
        digest.update(part.encode() + b"\x00")
    digest.update(notebook or b"")
    return digest.hexdigest()[:24]


class Ledger:
    """The records of a grading folder ``out``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     ledger = Ledger(Path(folder))
    ...     ledger.save(Record(Row("alice", "01_projections", 9, 9), key="k"))
    ...     [(r.row.student, r.key) for r in Ledger(Path(folder)).records.values()]
    [('alice', 'k')]
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out / ".stacks" / "results"
        self.records: dict[str, Record] = {}
        if self.folder.is_dir():
            for path in sorted(self.folder.glob("*.json")):
                try:
                    record = Record.from_json(path.read_text(encoding="utf-8"))
                except (ValueError, KeyError, TypeError):
                    continue  # a damaged record is graded again, not trusted
                self.records[record.row.student] = record
        self._keep_rows_of_an_older_run()

    def _keep_rows_of_an_older_run(self) -> None:
        """Rows of a ``grades.csv`` written before records were kept are kept too (keyless:
        their students are graded again when they are in the batch)."""
        grades = self.out / "grades.csv"
        if self.records or not grades.is_file():
            return
        try:
            with grades.open(encoding="utf-8", newline="") as handle:
                for line in csv.DictReader(handle):
                    if set(CSV_COLUMNS) <= set(line):
                        row = Row(
                            line["student"],
                            line["assignment"],
                            float(line["score"]),
                            float(line["max_score"]),
                            line["status"],
                            line["message"],
                            line["sandbox"],
                        )
                        self.records[row.student] = Record(row)
        except (OSError, ValueError, csv.Error):
            return

    def unchanged(self, student: str, key: str) -> bool:
        """Whether ``student`` was graded under ``key`` already."""
        record = self.records.get(student)
        return record is not None and record.key == key

    def save(self, record: Record) -> None:
        """Keep ``record`` (after its pages are written: the record is the commit)."""
        record.graded_at = record.graded_at or time.strftime("%Y-%m-%dT%H:%M:%S")
        write_atomic(self.folder / f"{_file_name(record.row.student)}.json", record.as_json())
        self.records[record.row.student] = record

    def rows(self) -> list[Row]:
        """One row per student, sorted by student."""
        return [self.records[s].row for s in sorted(self.records)]

    def write_grades(self) -> None:
        """``grades.csv`` from the records, atomically."""
        write_csv(self.rows(), self.out / "grades.csv")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock; refuse when another run holds it."""
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / ".stacks").mkdir(exist_ok=True)
        # filelock's lock is the operating system's (flock on POSIX), so a run killed with
        # SIGKILL leaves no stale lock behind.
        lock = FileLock(str(self.out / ".stacks" / "lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise GradeError(
                f"another stacks grade is writing to {self.out}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def log(self, lines: Iterable[str]) -> None:
        """Append lines to ``DIR/grading.log``."""
        with (self.out / "grading.log").open("a", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line + "\n")


def log_line(record: Record) -> str:
    """One line of ``grading.log``: when, who, on which worker, how long, what came out."""
    row = record.row
    return (
        f"{record.graded_at}  {row.student!r}  worker={record.worker}  "
        f"seconds={record.seconds:.2f}  status={row.status}  score={row.score:g}/{row.max_score:g}"
    )


def _file_name(student: str) -> str:
    """A file name for any student id (spaces, unicode, a leading dot)."""
    return hashlib.sha256(student.encode()).hexdigest()[:20]
