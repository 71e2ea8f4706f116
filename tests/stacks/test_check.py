"""stacks check (a student's verdict) and stacks selfcheck; bad paths get one clear line."""

from __future__ import annotations

import re

import nbformat
import pytest
from corpus import EXERCISES, ROOT, student

from stacks import _selfcheck, cli

# ---------------------------------------------------------------------------- check


def test_check_blank_exercise_fails_with_messages(capsys):
    code = cli.main(
        ["check", str(ROOT / "exercises" / "00_images_are_arrays.ipynb"), "--timeout", "60"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "0 of 4 tests pass, 0 of 7 points" in out
    assert "FAIL  0/2  Part 1: draw the letter H (2 points) [test_draw_h]" in out
    assert "draw_h is not written yet" in out


def test_check_solved_notebook_passes_and_restores_edited_tests(tmp_path, capsys):
    nb = student(
        "00_images_are_arrays",
        {"brighten": "def brighten(image, amount):\n    return image + np.uint8(amount)"},
        edit={"test_brighten": "print('trust me')"},
    )
    path = tmp_path / "00_images_are_arrays.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    code = cli.main(["check", str(path)])
    out = capsys.readouterr().out
    assert code == 1  # the edit does not hide the overflow
    assert "3 of 4 tests pass, 5 of 7 points" in out and "uint8 overflow" in out
    assert "note: restored edited test cells: test_brighten" in out
    assert path.read_bytes() == before  # check never writes the student's file

    nbformat.write(student("00_images_are_arrays"), path)
    assert cli.main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "4 of 4 tests pass, 7 of 7 points" in out
    assert "Hidden tests" not in out  # 00 has none: saying so would be untrue


def test_check_names_the_questions_with_hidden_tests(tmp_path, capsys):
    path = tmp_path / "01_projections.ipynb"
    nbformat.write(student("01_projections"), path)
    assert cli.main(["check", str(path)]) == 0
    assert (
        "Hidden tests of test_max_function, test_max_z, test_median_function, test_median_z "
        "run when your notebook is graded" in capsys.readouterr().out
    )


def test_check_trusts_the_released_metadata_not_the_files(tmp_path, capsys):
    """Points and test flags edited in the file count for nothing, as in grading."""
    nb = student(
        "00_images_are_arrays",
        {"brighten": "def brighten(image, amount):\n    return image + amount"},
    )
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "test_draw_h":
            meta["points"] = 100
        if meta.get("grade_id") == "test_brighten":
            meta["grade_id"] = "my_own_cell"
    path = tmp_path / "00_images_are_arrays.ipynb"
    nbformat.write(nb, path)
    assert cli.main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "3 of 4 tests pass, 5 of 7 points" in out
    assert "note: put back the nbgrader metadata of cell test_draw_h as released" in out
    assert "cell my_own_cell is not part of the exercise" in out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nowhere.ipynb", "no such file"),
        (lambda p: p, "is a folder"),
        (lambda p: (p / "notes.txt").write_text("hi") and p / "notes.txt", "is not a notebook"),
        (
            lambda p: (p / "bad.ipynb").write_text("{") and p / "bad.ipynb",
            "is not a valid Jupyter notebook",
        ),
    ],
)
def test_check_bad_path_is_one_clear_line(tmp_path, capsys, make, message):
    assert cli.main(["check", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stacks check: ") and message in err and "\n" not in err


def test_grade_bad_input_is_one_clear_line(tmp_path, capsys):
    assert (
        cli.main(
            [
                "grade",
                str(tmp_path / "none"),
                "--assignment",
                "01_projections",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "no submissions folder" in capsys.readouterr().err
    assert (
        cli.main(["grade", str(tmp_path), "--assignment", "nope", "--out", str(tmp_path / "o")])
        == 2
    )
    assert "unknown assignment 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("name", EXERCISES)
def test_selfcheck(capsys, name):
    """Every exercise in solutions/: the solution full marks, the blank notebook 0."""
    assert _selfcheck.selfcheck([name]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"{name}\s+(\d+)/\1\s+ok\s+0\s+ok\s+yes", out), out
