"""Students' copies in work/: made once, never overwritten, merged with a newer release.

The exercise is the one of docs/adding-an-exercise.md, built in a temporary course, so that
nothing here touches the repository's own exercises/ or work/.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from corpus import ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell

from stacks import StacksError, _build, _check, _workspace
from stacks._paths import Paths

GUIDE = ROOT / "docs" / "adding-an-exercise.md"
NAME = "07_brightest_plane"
ANSWER = "def brightest_plane(stack):\n    return int(stack.mean(axis=(1, 2)).argmax())\n"


def _example() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    [example] = re.findall(r"^````markdown\n(.*?)^````$", text, flags=re.MULTILINE | re.DOTALL)
    return example


@pytest.fixture
def course(tmp_path) -> Paths:
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / f"{NAME}.md").write_text(_example(), encoding="utf-8")
    paths = Paths(
        solutions=tmp_path / "solutions",
        exercises=tmp_path / "exercises",
        course=tmp_path / "course",
    )
    _build.build(paths=paths, log=lambda line: None)
    return paths


def _make_course(paths: Paths) -> None:
    """What `make course` runs that writes notebooks: stacks build, then stacks start."""
    _build.build(paths=paths, log=lambda line: None)
    _workspace.start(paths=paths)


def _answer(path, source=ANSWER) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    cell = next(
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "brightest_function"
    )
    cell.source = source
    nbformat.write(nb, path)
    return nb


def test_make_course_runs_nothing_but_the_commands_tested_here():
    recipe = re.search(r"^course:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    commands = re.findall(r"\$\(BIN\)/stacks (\w+)", recipe.group(1))
    # data writes datasets, selfcheck works in a temporary folder: only build and start
    # write notebooks, and both run in _make_course
    assert commands == ["data", "build", "selfcheck", "start"]


def test_make_course_twice_keeps_every_answer(course):
    _workspace.start(paths=course)
    mine = course.work / f"{NAME}.ipynb"
    _answer(mine)
    before = mine.read_bytes()
    _make_course(course)
    _make_course(course)
    assert mine.read_bytes() == before
    assert [s.kind for s in _workspace.start(paths=course)] == ["current"]


def test_a_release_edited_in_place_is_kept_before_it_is_rebuilt(course):
    release = course.exercises / f"{NAME}.ipynb"
    _answer(release)
    edited = release.read_bytes()
    (course.solutions / f"{NAME}.md").write_text(
        _example().replace("the brightest plane", "the brightest plane of a stack"),
        encoding="utf-8",
    )
    _make_course(course)
    # the edited release went to work/, which then counts as the student's copy
    assert (course.work / f"{NAME}.ipynb").read_bytes() == edited
    assert (
        "ANSWER" not in release.read_text()
        and "the brightest plane of a stack" in release.read_text()
    )
    # a release that was only run (outputs, no edits) is simply replaced
    nb = nbformat.read(release, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
    nbformat.write(nb, release)
    assert _workspace.preserve_edits(release, course) is None


def test_a_newer_release_is_announced_and_merged_keeping_the_answers(course, capsys):
    _workspace.start(paths=course)
    mine = course.work / f"{NAME}.ipynb"
    nb = _answer(mine)
    index = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "brightest_function"
    )
    nb.cells.insert(index + 1, new_code_cell("print(brightest_plane(stack))  # my own try"))
    last = nb.cells[-1].source
    nb.cells.append(new_markdown_cell("My notes: the plane index starts at 0."))
    nbformat.write(nb, mine)
    assert _workspace.status(NAME, course).kind == "current"

    # the instructor fixes the instructions and adds a question
    changed = _example().replace(
        "highest mean intensity.", "highest mean intensity (ties: the first)."
    )
    changed += (
        "\n```{code-cell} ipython3\n---\nnbgrader: {grade: false, grade_id: extra, locked: false, "
        "schema_version: 3, solution: true, task: false}\n---\n### BEGIN SOLUTION\nextra = 1\n"
        "### END SOLUTION\n```\n"
    )
    (course.solutions / f"{NAME}.md").write_text(changed, encoding="utf-8")
    _build.build(paths=course, log=lambda line: None)
    status = _workspace.status(NAME, course)
    assert status.kind == "outdated" and f"stacks update {NAME}" in status.advice()
    assert _workspace.newer_release(nbformat.read(mine, as_version=4), course) == status.advice()

    before = mine.read_bytes()
    _, notes = _workspace.update(NAME, course)
    merged = nbformat.read(mine, as_version=4)
    nbformat.validate(merged)
    sources = [c.source for c in merged.cells]
    answer_at = sources.index(ANSWER)
    assert sources[answer_at + 1] == "print(brightest_plane(stack))  # my own try"
    # an added cell stays after the cell it followed, even when the release grew after it
    note_at = sources.index("My notes: the plane index starts at 0.")
    assert sources[note_at - 1] == last and note_at < len(sources) - 1
    assert any("ties: the first" in s for s in sources)  # the new instructions
    assert any(
        "YOUR CODE HERE" in s for s in sources[answer_at + 1 :]
    )  # the new question, unanswered
    tests = [c for c in merged.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests and all("BEGIN HIDDEN" not in c.source for c in tests)
    assert any("kept 2 cells you added" in n for n in notes)
    backups = list((course.work / ".backup").glob("*.ipynb"))
    assert [b.read_bytes() for b in backups] == [before]
    assert _workspace.status(NAME, course).kind == "current"
    assert _workspace.update(NAME, course)[0].kind == "current"  # a second update does nothing

    # the merged notebook is still a gradable copy of the exercise
    lines: list[str] = []
    _check.check(mine, paths=course, out=lines.append)
    assert "PASS  2/2" in "\n".join(lines), lines


def test_bad_names_and_missing_releases_say_so(course, tmp_path):
    with pytest.raises(StacksError, match="unknown exercise 'nope'"):
        _workspace.start(["nope"], paths=course)
    unbuilt = Paths(solutions=course.solutions, exercises=tmp_path / "unbuilt" / "exercises")
    with pytest.raises(
        StacksError, match=r"no release of 07_brightest_plane .* run `stacks build`"
    ):
        _workspace.start([NAME], paths=unbuilt)
    assert not unbuilt.work.exists()
    (course.work).mkdir(exist_ok=True)
    (course.work / f"{NAME}.ipynb").write_text("not a notebook")
    with pytest.raises(StacksError, match=r"cannot read .* as a notebook"):
        _workspace.update(NAME, course)
    assert (course.work / f"{NAME}.ipynb").read_text() == "not a notebook"
