"""stacks release: what students get holds no solution, hidden test, reference array or secret."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest
import tifffile
from corpus import EXERCISES, ROOT

from helpers import datasets
from stacks import StacksError, _build, _markup, _release, _roster, _secret
from stacks._paths import Paths


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    _secret.read_or_make()  # a course that has graded once has a secret to keep out
    destination = tmp_path_factory.mktemp("release") / "course"
    written = _release.release(destination, log=lambda line: None)
    return destination, written


def _every_file(root):
    return [p for p in sorted(root.rglob("*")) if p.is_file()]


def test_the_release_holds_what_students_need_and_nothing_of_the_instructors(released):
    root, written = released
    assert sorted(str(p) for p in written) == sorted(
        str(p.relative_to(root)) for p in _every_file(root)
    )
    top = {p.name for p in root.iterdir()}
    for needed in (
        "lectures",
        "exercises",
        "helpers",
        "stacks",
        "Makefile",
        "pyproject.toml",
        "README.md",
    ):
        assert needed in top
    for kept_out in (
        "solutions",
        "tests",
        "benchmarks",
        "build",
        "instructor",
        "work",
        ".git",
        ".ci",
    ):
        assert kept_out not in top
    assert sorted(p.name for p in (root / "data").iterdir()) == [
        "README.md"
    ]  # made on the student's machine
    assert {p.stem for p in (root / "exercises").glob("*.ipynb")} == set(EXERCISES)
    readme = (root / "README.md").read_text()
    assert "work/" in readme and "stacks update" in readme and "solutions/" not in readme


@pytest.mark.parametrize("name", EXERCISES)
def test_no_solution_or_hidden_test_line_is_in_the_release(released, name):
    root, _ = released
    source = _build.read_source(ROOT / "solutions" / f"{name}.md")
    lines = _markup.secret_lines(source)
    hidden = {
        line.strip()
        for cell in source.cells
        for line in _markup.regions(cell.source, _markup.HIDDEN_BEGIN, _markup.HIDDEN_END)[0]
        if line.strip()
    }
    assert lines and (hidden or name == "00_images_are_arrays")
    for path in _every_file(root):
        if path.suffix == ".png":
            continue
        text = path.read_text(encoding="utf-8")
        present = {line.strip() for line in text.splitlines()}
        if path.suffix == ".ipynb":
            # a student notebook holds none of the solution's distinctive lines, not even one
            cells = nbformat.reads(text, as_version=4).cells
            present |= {line.strip() for cell in cells for line in cell.source.splitlines()}
            assert not lines & present, (path, lines & present)
        assert not hidden & present, (path, hidden & present)
    assert (
        _release.find_leaks(
            root,
            [p.relative_to(root) for p in _every_file(root)],
            _markup.secret_runs(source),
            None,
        )
        == []
    )


def test_no_reference_array_or_ground_truth_and_no_secret_is_in_the_release(released):
    root, _ = released
    answers = []
    for name in ("zebrafish", "beadpack"):
        folder = datasets.path(name)
        answers += [tifffile.imread(folder / relative) for relative in datasets.held_back(name)]
    # a stretch of each array's bytes from its middle, long enough to be unique
    needles = [
        np.ascontiguousarray(a).tobytes()[a.nbytes // 2 : a.nbytes // 2 + 4096] for a in answers
    ]
    secret = Paths().secret.read_bytes().strip()
    for path in _every_file(root):
        data = path.read_bytes()
        assert secret not in data, path
        assert not any(needle in data for needle in needles), path


def test_a_file_with_an_answer_stops_the_release(tmp_path, monkeypatch):
    source = _build.read_source(ROOT / "solutions" / "02_segmentation.md")
    run = sorted(r for r in _markup.secret_runs(source) if len(r) == 2)[0]
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "notes.py").write_text("# my notes\n" + "\n".join(run) + "\n")
    monkeypatch.setattr(_release, "SHIPPED", ("notes.py",))
    destination = tmp_path / "out"
    with pytest.raises(StacksError, match=r"an answer would be in it, notes\.py: "):
        _release.release(destination, root=tmp_path / "course", log=lambda line: None)
    assert not destination.exists() and [p.name for p in tmp_path.iterdir()] == ["course"]


def test_a_release_never_writes_over_a_folder(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "grades.csv").write_text("keep me")
    with pytest.raises(StacksError, match="not an empty folder"):
        _release.release(tmp_path / "old", log=lambda line: None)
    assert (tmp_path / "old" / "grades.csv").read_text() == "keep me"
    with pytest.raises(StacksError, match="inside the course"):
        _release.release(ROOT / "build" / "release", log=lambda line: None)


def test_a_student_starts_and_checks_an_exercise_in_the_release(released):
    root, _ = released
    env = {**os.environ, "PYTHONPATH": str(root), "STACKS_DATA": str(datasets.data_root())}
    started = subprocess.run(
        [sys.executable, "-m", "stacks", "start"], cwd=root, env=env, capture_output=True, text=True
    )
    assert started.returncode == 0, started.stderr
    assert sorted(p.name for p in (root / "work").glob("*.ipynb")) == [
        f"{n}.ipynb" for n in EXERCISES
    ]
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "stacks",
            "check",
            "work/00_images_are_arrays.ipynb",
            "--timeout",
            "60",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    # a blank exercise: every test runs and fails, and says so; nothing needs solutions/
    assert checked.returncode == 1, checked.stderr
    assert "tests pass, 0 of 7 points" in checked.stdout, checked.stdout


def test_a_release_for_a_roster_ships_each_students_seed_and_no_secret(tmp_path):
    (tmp_path / "roster.csv").write_text("student\nalice\nbob\n")
    destination = tmp_path / "course"
    written = _release.release(destination, roster=tmp_path / "roster.csv", log=lambda line: None)
    table = destination / "data" / "seeds.csv"
    assert table.relative_to(destination) in written
    secret = _secret.read_or_make()
    assert _roster.read_seeds(table) == {s: _roster.data_seed(secret, s) for s in ("alice", "bob")}
    assert secret not in table.read_bytes()
