"""Data per student: with a roster, each student works and is graded on their own variant."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import tifffile
from corpus import grade_corpus, student

from helpers import datasets
from stacks import StacksError, _roster, _secret, cli

NAME = "01_projections"


def _variant_of(who: str):
    seed = _roster.data_seed(_secret.read_or_make(), who)
    with datasets.use_data(_roster.variant_folder(seed)):
        return datasets.variant("zebrafish", seed), seed


def _copied_max(values: np.ndarray) -> str:
    text = base64.b64encode(values.tobytes()).decode()
    return f'max_z = np.frombuffer(__import__("base64").b64decode("{text}"), np.uint8).reshape({values.shape})'


def test_each_student_is_graded_on_their_own_data_and_a_copied_answer_fails(tmp_path):
    alice, _ = _variant_of("alice")
    alices_max = tifffile.imread(alice / "MaxZ.tif")
    shared_max = tifffile.imread(datasets.path("zebrafish") / "MaxZ.tif")
    assert not np.array_equal(alices_max, shared_max)
    (tmp_path / "roster.csv").write_text("student,name\nalice,Alice\nbob,Bob\ndave,Dave\n")
    students = {
        "alice": student(NAME, {"max_z": _copied_max(alices_max)}),  # her own numbers
        "bob": student(NAME, {"max_z": _copied_max(alices_max)}),  # copied from alice
        "dave": student(NAME),  # computed on his own data
        "carol": student(NAME),  # not on the roster
    }
    rows, _ = grade_corpus(tmp_path, NAME, students, "--roster", str(tmp_path / "roster.csv"))
    scores = {who: float(row["score"]) for who, row in rows.items()}
    assert scores == {"alice": 9, "bob": 8, "dave": 9, "carol": 9}, rows
    assert rows["carol"]["message"] == "not on the roster: graded on the shared data"
    assert rows["bob"]["message"] == ""


def test_a_student_makes_the_variant_the_grader_uses(tmp_path, monkeypatch, capsys):
    grader_folder, seed = _variant_of("alice")
    monkeypatch.setenv("STACKS_DATA", str(tmp_path / "data"))
    _roster.write_seeds(["alice", "bob"], tmp_path / "data")
    assert cli.main(["data", "zebrafish", "--student", "alice", "--quiet"]) == 0
    mine = tmp_path / "data" / "zebrafish"
    assert json.loads((mine / "manifest.json").read_text())["seed"] == seed
    assert (mine / "stack.tif").read_bytes() == (grader_folder / "stack.tif").read_bytes()
    # stacks data again, without a seed (make course run twice): the variant stays hers
    assert cli.main(["data", "zebrafish", "--quiet"]) == 0
    assert json.loads((mine / "manifest.json").read_text())["seed"] == seed
    assert cli.main(["data", "zebrafish", "--student", "mallory", "--quiet"]) == 2
    assert "'mallory' is not in" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "no roster at"),
        ("name\nalice\n", "has no 'student' column (its header is name)"),
        ("student\n\n", "lists no student"),
        ("student\nalice\nalice\n", "lists 'alice' twice"),
        ("student\n../etc\n", "cannot be a student id"),
    ],
)
def test_a_bad_roster_says_what_is_wrong(tmp_path, text, message):
    roster = tmp_path / "roster.csv"
    if text is not None:
        roster.write_text(text)
    with pytest.raises(StacksError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _roster.read_roster(roster)


def test_a_roster_with_a_byte_order_mark_and_other_columns_is_read(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes("\ufeffEmail, Student \nalice@x.org, alice \n".encode())
    assert _roster.read_roster(roster) == ["alice"]


def test_feedback_pictures_show_the_students_own_reference():
    from stacks import _figures

    alice, _ = _variant_of("alice")
    shared = _figures._reference("zebrafish/MaxZ.tif")
    with datasets.use_data(alice.parent):
        hers = _figures._reference("zebrafish/MaxZ.tif")
    assert np.array_equal(hers, tifffile.imread(alice / "MaxZ.tif"))
    assert not np.array_equal(hers, shared)
