"""The grades in the formats other tools read: Canvas, Gradescope and nbgrader.

- ``canvas.csv``: a gradebook Canvas imports (Grades > Import): its five identity columns,
  then one column for the assignment, and a "Points Possible" row. Canvas matches students
  by ``SIS User ID``, which is the student's folder name: name the folders by that id.
- ``gradescope/<student>/results.json``: one file per submission in the format of
  Gradescope's autograder results, one test per question. Questions whose tests include
  hidden ones have ``visibility: after_published``, so their results stay hidden until
  grades are published; the others are ``visible``.
- ``nbgrader/``: an nbgrader course folder (``gradebook.db``, ``source/``, ``autograded/``
  and ``nbgrader_config.py``) with every student's autograded submission and scores, so
  that ``nbgrader formgrader`` (run in that folder) opens them for manual review.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from stacks import _config, _markup
from stacks._io import write_atomic
from stacks._ledger import Ledger, Record

if TYPE_CHECKING:
    from stacks._task import Context

__all__ = [
    "CANVAS_COLUMNS",
    "complete",
    "write_all",
    "write_canvas",
    "write_gradescope",
    "write_nbgrader",
]

#: the identity columns of a Canvas gradebook CSV, in Canvas's order
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def complete(out: Path) -> bool:
    """Whether every export of :func:`write_all` is in ``out``."""
    return all(
        (out / name).exists()
        for name in ("canvas.csv", "gradescope", "nbgrader/gradebook.db", "report.html")
    )


def write_all(ledger: Ledger, out: Path, context: Context, course: Path) -> None:
    """Write every export of the records of ``ledger`` into ``out``."""
    import nbformat

    source = nbformat.reads(context.source.decode("utf-8"), as_version=4)
    hidden = set(_markup.hidden_test_ids(source))
    write_canvas(ledger, out / "canvas.csv", context.assignment)
    write_gradescope(ledger, out / "gradescope", hidden)
    write_nbgrader(ledger, out, course, context.assignment)


def write_canvas(ledger: Ledger, path: Path, assignment: str) -> None:
    """Canvas's gradebook CSV: one row per student, the score in the assignment's column.

    Examples
    --------
    >>> import tempfile
    >>> from stacks._submissions import Row
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     ledger = Ledger(Path(folder))
    ...     ledger.save(Record(Row("s123", "01_projections", 7, 9)))
    ...     write_canvas(ledger, Path(folder) / "canvas.csv", "01_projections")
    ...     print((Path(folder) / "canvas.csv").read_text())
    Student,ID,SIS User ID,SIS Login ID,Section,01_projections
    Points Possible,,,,,9
    s123,,s123,,,7
    <BLANKLINE>
    """
    rows = ledger.rows()
    possible = max((row.max_score for row in rows), default=0.0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANVAS_COLUMNS, assignment])
    writer.writerow(["Points Possible", "", "", "", "", f"{possible:g}"])
    for row in rows:
        writer.writerow([row.student, "", row.student, "", "", f"{row.score:g}"])
    write_atomic(path, buffer.getvalue())


def write_gradescope(ledger: Ledger, folder: Path, hidden: set[str]) -> None:
    """One Gradescope ``results.json`` per student in ``folder/<student>/``."""
    for student, record in ledger.records.items():
        write_atomic(
            folder / student / "results.json",
            json.dumps(gradescope_results(record, hidden), indent=1),
        )


def gradescope_results(record: Record, hidden: set[str]) -> dict:
    """A record as Gradescope's autograder results.

    Examples
    --------
    >>> from stacks._results import Question
    >>> from stacks._submissions import Row
    >>> record = Record(Row("eve", "01_projections", 2, 5), questions=[
    ...     Question("test_max", "the maximum", 2, 2), Question("test_median", "the median", 3, 0, "mean")])
    >>> result = gradescope_results(record, {"test_median"})
    >>> [(t["name"], t["score"], t["visibility"]) for t in result["tests"]]
    [('the maximum', 2.0, 'visible'), ('the median', 0.0, 'after_published')]
    """
    row = record.row
    tests = [
        {
            "name": question.title,
            "number": question.grade_id,
            "score": float(question.score),
            "max_score": float(question.points),
            "output": question.message,
            "status": "passed" if question.passed else "failed",
            "visibility": "after_published" if question.grade_id in hidden else "visible",
        }
        for question in record.questions
    ]
    results: dict = {
        "execution_time": round(record.seconds, 2),
        "output": f"{row.status}: {row.message}" if row.message else row.status,
        "visibility": "visible",
        "tests": tests,
    }
    if not tests:  # nothing ran: the score is the row's (0)
        results["score"] = float(row.score)
    return results


def write_nbgrader(ledger: Ledger, out: Path, course: Path, assignment: str) -> None:
    """An nbgrader course folder in ``out/nbgrader`` with every record's scores.

    It is made anew in a staging folder and swapped in, so that formgrader never opens a
    half-written gradebook. What an instructor typed in formgrader since the last run
    (manual scores, extra credit, comments) is carried over from the old gradebook, for
    every student and cell the assignment still has; only the automatic scores are new.
    """
    from nbgrader.api import Gradebook

    from stacks._task import quiet_gradebook

    quiet_gradebook()
    target = out / "nbgrader"
    staging = out / ".stacks" / "nbgrader.partial"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "source").mkdir(parents=True)
    shutil.copyfile(course / "gradebook.db", staging / "gradebook.db")
    shutil.copytree(course / "source" / assignment, staging / "source" / assignment)
    _config.write_config(staging)
    config = staging / "nbgrader_config.py"
    # the settings name the folder they were written in: point them at where it will be
    config.write_text(config.read_text().replace(repr(str(staging)), repr(str(target))))
    manual = _manual_marks(target / "gradebook.db", assignment)
    with Gradebook(f"sqlite:///{staging / 'gradebook.db'}") as gradebook:
        for student, record in sorted(ledger.records.items()):
            gradebook.update_or_create_student(student)
            submission = gradebook.update_or_create_submission(assignment, student)
            scores = {q.grade_id: q.score for q in record.questions}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = float(scores.get(grade.name, 0.0))
                    grade.needs_manual_grade = False
                    kept = manual.get((student, notebook.name, "grade", grade.name))
                    if kept:
                        grade.manual_score, grade.extra_credit = kept
                for comment in notebook.comments:
                    kept = manual.get((student, notebook.name, "comment", comment.name))
                    if kept:
                        (comment.manual_comment,) = kept
            graded = out / "autograded" / f"{student}.ipynb"
            if graded.is_file():
                place = staging / "autograded" / student / assignment / f"{assignment}.ipynb"
                place.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(graded, place)
        gradebook.db.commit()
    old = out / ".stacks" / "nbgrader.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _manual_marks(database: Path, assignment: str) -> dict[tuple[str, str, str, str], tuple]:
    """What formgrader's users entered in an existing gradebook, by (student, notebook, kind, cell)."""
    from nbgrader.api import Gradebook, MissingEntry

    if not database.is_file():
        return {}
    marks: dict[tuple[str, str, str, str], tuple] = {}
    with Gradebook(f"sqlite:///{database}") as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        for submission in submissions:
            student = submission.student.id
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.manual_score is not None or grade.extra_credit:
                        key = (student, notebook.name, "grade", grade.name)
                        marks[key] = (grade.manual_score, grade.extra_credit)
                for comment in notebook.comments:
                    if comment.manual_comment:
                        key = (student, notebook.name, "comment", comment.name)
                        marks[key] = (comment.manual_comment,)
    return marks
