"""Submissions made from the committed student notebooks, for grading tests.

Every stub gets the solution unless a test gives other code for its grade_id, so a
submission differs from the solution by exactly the mistake under test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat

from stacks import _build, _markup, cli

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = tuple(_build.exercise_names())
TIMEOUT = 20  # seconds per cell in the graded corpora: an endless loop waits this long


def answers(name: str) -> dict[str, str]:
    """Solution cell sources of an exercise without the solution markers, by grade_id."""
    answers = {}
    for cell in _build.source_notebook(name).cells:
        meta = _markup.nbgrader_meta(cell)
        if meta.get("solution"):
            lines = [
                line
                for line in cell.source.splitlines()
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
            ]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def student(
    name: str,
    answer: dict[str, str] | None = None,
    *,
    blank: bool = False,
    drop=(),
    edit: dict[str, str] | None = None,
):
    """A submission made from the committed student notebook.

    ``answer`` replaces solution cells, ``drop`` deletes cells and ``edit`` rewrites (test)
    cells, by grade_id.
    """
    nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    if blank:
        return nb
    given = {**answers(name), **(answer or {})}
    cells = []
    for cell in nb.cells:
        grade_id = _markup.nbgrader_meta(cell).get("grade_id")
        if grade_id in drop:
            continue
        if grade_id in given and _markup.nbgrader_meta(cell).get("solution"):
            cell.source = given[grade_id]
        if edit and grade_id in edit:
            cell.source = edit[grade_id]
        cells.append(cell)
    nb.cells = cells
    return nb


def write_corpus(folder: Path, name: str, students: dict[str, object]) -> None:
    """``folder/<student>/<name>.ipynb``: a notebook, raw text (not a notebook) or, for None, no notebook."""
    for who, content in students.items():
        (folder / who).mkdir(parents=True)
        if isinstance(content, str):
            (folder / who / f"{name}.ipynb").write_text(content)
        elif content is None:
            (folder / who / "notes.txt").write_text("forgot to upload")
        else:
            nbformat.write(content, folder / who / f"{name}.ipynb")


def read_grades(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open() as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def grade_corpus(
    tmp: Path, name: str, students: dict[str, object], *extra: str
) -> tuple[dict[str, dict], Path]:
    """One `stacks grade` run; rows of grades.csv by student, and the output folder."""
    write_corpus(tmp / "submissions", name, students)
    out = tmp / "out"
    code = cli.main(
        [
            "grade",
            str(tmp / "submissions"),
            "--assignment",
            name,
            "--out",
            str(out),
            "--timeout",
            str(TIMEOUT),
            "--quiet",
            *extra,
        ]
    )
    assert code == 0
    return read_grades(out), out
