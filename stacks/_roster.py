"""A class roster, and each student's own variant of the data.

With a roster (a CSV file with a ``student`` column), every student gets their own variant
of every dataset: its seed is derived from the course secret and the student's id
(:func:`data_seed`). ``stacks release --roster`` ships the table of seeds
(``data/seeds.csv``) so that ``stacks data --student ID`` makes that student's variant on
their machine, with the same ``datasets.path(name)`` call in the notebooks;
``stacks grade --roster`` regenerates the same variant for each submission, so an answer
copied from a classmate does not match. Knowing another student's seed gives nothing:
every variant is as hard as the others, and hidden tests use the secret itself.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from stacks._errors import StacksError
from stacks._paths import Paths
from stacks._secret import read_or_make, seed_for

__all__ = [
    "SEEDS_FILE",
    "data_seed",
    "read_roster",
    "read_seeds",
    "student_seed",
    "variant_folder",
    "write_seeds",
]

#: The table of the students' data seeds, inside a release's data folder.
SEEDS_FILE = "seeds.csv"


def read_roster(path: Path) -> list[str]:
    """The student ids of a roster CSV (a ``student`` column; other columns are ignored).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     roster = Path(folder) / "roster.csv"
    ...     _ = roster.write_text("student,name\\nalice,Alice A.\\n bob ,Bob B.\\n")
    ...     read_roster(roster)
    ['alice', 'bob']
    """
    path = Path(path)
    if not path.is_file():
        raise StacksError(f"no roster at {path}: give a CSV file with a 'student' column")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StacksError(f"{path} is not a text file in UTF-8; save the roster as CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [name.strip() for name in reader.fieldnames or []]
    column = next(
        (name for name in reader.fieldnames or [] if name.strip().lower() == "student"), None
    )
    if column is None:
        raise StacksError(
            f"{path} has no 'student' column (its header is {', '.join(fields) or 'empty'})"
        )
    students = [(row.get(column) or "").strip() for row in reader]
    students = [s for s in students if s]
    if not students:
        raise StacksError(f"{path} lists no student")
    seen: set[str] = set()
    for student in students:
        if student in seen:
            raise StacksError(f"{path} lists {student!r} twice")
        if "/" in student or student in {".", ".."}:
            raise StacksError(
                f"{path}: {student!r} cannot be a student id (it is not a folder name)"
            )
        seen.add(student)
    return students


def data_seed(secret: bytes, student: str) -> int:
    """The seed of ``student``'s variant of the data.

    Examples
    --------
    >>> data_seed(b"s" * 16, "alice") != data_seed(b"s" * 16, "bob")
    True
    """
    return seed_for(secret, "data", student) % 1_000_000_000


def variant_folder(seed: int, paths: Paths = Paths()) -> Path:
    """Where the grader keeps the variant of the data made from ``seed``.

    Examples
    --------
    >>> variant_folder(42).parts[-2:]
    ('variants', '42')
    """
    return paths.course.parent / "variants" / str(seed)


def write_seeds(students: list[str], destination: Path, paths: Paths = Paths()) -> Path:
    """Write the table of the students' data seeds to ``destination/seeds.csv``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     table = write_seeds(["alice"], Path(folder), Paths(exercises=Path(folder) / "e"))
    ...     list(read_seeds(table))
    ['alice']
    """
    secret = read_or_make(paths)
    destination.mkdir(parents=True, exist_ok=True)
    table = destination / SEEDS_FILE
    with table.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student", "seed"])
        writer.writerows([student, data_seed(secret, student)] for student in students)
    return table


def read_seeds(table: Path) -> dict[str, int]:
    """The seeds by student of a ``seeds.csv`` that :func:`write_seeds` wrote.

    Examples
    --------
    >>> read_seeds(Path("no/such/seeds.csv"))
    {}
    """
    if not table.is_file():
        return {}
    with table.open(encoding="utf-8") as stream:
        return {row["student"]: int(row["seed"]) for row in csv.DictReader(stream)}


def student_seed(student: str, data: Path) -> int:
    """``student``'s seed from the table a release ships in its data folder ``data``.

    Examples
    --------
    >>> student_seed("alice", Path("no/such/data"))
    Traceback (most recent call last):
    ...
    stacks._errors.StacksError: --student needs the table of seeds no/such/data/seeds.csv, which your course release ships
    """
    table = data / SEEDS_FILE
    seeds = read_seeds(table)
    if not seeds:
        raise StacksError(
            f"--student needs the table of seeds {table}, which your course release ships"
        )
    if student not in seeds:
        raise StacksError(f"{student!r} is not in {table}; check the spelling of your student id")
    return seeds[student]
