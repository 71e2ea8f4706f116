"""Submissions are checked before they are trusted: each odd input gets exactly one row
with a status that says what was found, and honest work that looks odd keeps its marks."""

from __future__ import annotations

import copy
import os

import nbformat
import pytest
from corpus import read_grades, student

from stacks import cli
from stacks._autograde import MAX_NOTEBOOK_BYTES

NAME = "00_images_are_arrays"  # the quickest exercise; 7 points


def _with_copy(grade_id: str, *, at_end: bool) -> nbformat.NotebookNode:
    """JupyterLab's Duplicate Cells (right below) or a copy pasted at the end."""
    nb = student(NAME)
    index = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
    )
    duplicate = copy.deepcopy(nb.cells[index])
    duplicate["id"] = f"{duplicate['id']}-2"  # a new cell id, the same nbgrader metadata
    if at_end:
        nb.cells.append(duplicate)
    else:
        nb.cells.insert(index + 1, duplicate)
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inputs")
    sub = tmp / "submissions"
    good = student(NAME)
    notebooks = {
        "good": good,
        "duplicated_answer": _with_copy("to_float", at_end=False),
        "copied_test": _with_copy("test_to_float", at_end=True),
        "_underscore": good,
        ".dot": good,
        "with space": good,
        "ünïcode": good,
        "old_format": nbformat.convert(good, 3),
    }
    for who, nb in notebooks.items():
        (sub / who).mkdir(parents=True)
        nbformat.write(nb, sub / who / f"{NAME}.ipynb")
    (sub / "bom").mkdir()
    (sub / "bom" / f"{NAME}.ipynb").write_bytes(b"\xef\xbb\xbf" + nbformat.writes(good).encode())
    (sub / "passwd").mkdir()
    os.symlink("/etc/passwd", sub / "passwd" / f"{NAME}.ipynb")
    (sub / "copycat").mkdir()
    os.symlink(sub / "good" / f"{NAME}.ipynb", sub / "copycat" / f"{NAME}.ipynb")
    os.symlink(sub / "good", sub / "linked_folder")
    (sub / "folder" / f"{NAME}.ipynb").mkdir(parents=True)
    (sub / "not_json").mkdir()
    (sub / "not_json" / f"{NAME}.ipynb").write_text("SECRET-LINE of a file that is no notebook")
    (sub / "huge").mkdir()  # valid JSON, padded past the size read
    with (sub / "huge" / f"{NAME}.ipynb").open("w") as handle:
        handle.write(nbformat.writes(good) + " " * (MAX_NOTEBOOK_BYTES + 1))
    (sub / ".ipynb_checkpoints").mkdir()  # made by JupyterLab, not a student
    out = tmp / "out"
    argv = ["grade", str(sub), "--assignment", NAME, "--out", str(out), "--quiet"]
    assert cli.main([*argv, "--timeout", "20"]) == 0
    return read_grades(out), out


EXPECTED = {
    "good": ("7", "graded", ""),
    "duplicated_answer": ("7", "graded", "copies of cell to_float run as ordinary cells"),
    "copied_test": ("7", "graded", "copies of cell test_to_float run as ordinary cells"),
    "_underscore": ("7", "graded", ""),
    ".dot": ("7", "graded", ""),
    "with space": ("7", "graded", ""),
    "ünïcode": ("7", "graded", ""),
    "old_format": ("7", "graded", ""),
    "bom": ("7", "graded", "the file started with a byte-order mark, which was ignored"),
    "passwd": (
        "0",
        "invalid-notebook",
        f"{NAME}.ipynb is a symbolic link, not a notebook file; submit the file itself",
    ),
    "copycat": (
        "0",
        "invalid-notebook",
        f"{NAME}.ipynb is a symbolic link, not a notebook file; submit the file itself",
    ),
    "linked_folder": (
        "0",
        "invalid-notebook",
        "linked_folder is a symbolic link; submissions are read from real folders only",
    ),
    "folder": ("0", "invalid-notebook", f"{NAME}.ipynb is a folder, not a notebook file"),
    "huge": (
        "0",
        "invalid-notebook",
        f"{NAME}.ipynb is 64.0 MB, larger than the 64 MB a notebook may be; clear the outputs "
        "(Edit > Clear Outputs of All Cells) and submit again",
    ),
    "not_json": (
        "0",
        "invalid-notebook",
        f"{NAME}.ipynb is not a Jupyter notebook (not JSON); was the right file submitted?",
    ),
}


def test_every_student_folder_gets_exactly_one_row(graded):
    rows, out = graded
    assert sorted(rows) == sorted(EXPECTED)
    assert sorted(p.stem for p in (out / "feedback").glob("*.html")) == sorted(EXPECTED)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_odd_input_gets_the_status_it_deserves(graded, who):
    rows, _ = graded
    row = rows[who]
    assert (row["score"], row["status"], row["message"]) == EXPECTED[who]


def test_nothing_of_a_file_that_is_not_a_notebook_reaches_the_feedback(graded):
    _, out = graded
    assert "root:" not in (out / "feedback" / "passwd.html").read_text()
    assert "SECRET-LINE" not in (out / "feedback" / "not_json.html").read_text()
    assert "SECRET-LINE" not in (out / "grades.csv").read_text()


def test_stacks_check_reads_a_notebook_with_a_byte_order_mark(tmp_path, capsys):
    path = tmp_path / f"{NAME}.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + nbformat.writes(student(NAME)).encode())
    assert cli.main(["check", str(path)]) == 0
    assert "4 of 4 tests pass, 7 of 7 points" in capsys.readouterr().out
