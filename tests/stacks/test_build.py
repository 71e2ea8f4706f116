"""stacks build: rebuilding reproduces exercises/ byte for byte, leaks no solution or hidden
test, and a malformed source stops the build naming the file and the cell."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from corpus import EXERCISES, ROOT

from stacks import StacksError, _build, _markup, cli

# ---------------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    """exercises/ rebuilt from solutions/ into a fresh folder with a fresh nbgrader course."""
    tmp = tmp_path_factory.mktemp("rebuild")
    paths = _build.Paths(
        solutions=ROOT / "solutions", exercises=tmp / "exercises", course=tmp / "course"
    )
    _build.build(paths=paths, log=lambda line: None)
    return tmp / "exercises"


@pytest.mark.parametrize("name", EXERCISES)
def test_build_reproduces_exercises_byte_for_byte(rebuilt, name):
    committed = (ROOT / "exercises" / f"{name}.ipynb").read_bytes()
    assert (rebuilt / f"{name}.ipynb").read_bytes() == committed, (
        f"exercises/{name}.ipynb is stale: run `stacks build`"
    )


@pytest.mark.parametrize("name", EXERCISES)
def test_exercise_leaks_no_solution_or_hidden_test(name):
    text = (ROOT / "exercises" / f"{name}.ipynb").read_text()
    source = _build.read_source(ROOT / "solutions" / f"{name}.md")
    secret = _markup.secret_lines(source)
    assert secret, "the solution should have lines to hide"
    student_lines = {
        line.strip()
        for cell in nbformat.reads(text, as_version=4).cells
        for line in cell.source.splitlines()
    }
    assert not secret & student_lines
    for marker in (
        "BEGIN SOLUTION",
        "END SOLUTION",
        "BEGIN HIDDEN TESTS",
        "check_projection_function",
    ):
        assert marker not in text
    # and the student notebook is really a stubbed one
    assert "raise NotImplementedError()" in text


def test_exercises_have_stable_ids_and_no_volatile_metadata():
    for name in EXERCISES:
        nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
        assert "jupytext" not in nb.metadata
        assert all(re.fullmatch(r"cell-\d\d|[a-z_0-9]+", cell.id) for cell in nb.cells)
        assert all(not cell.get("outputs") for cell in nb.cells)


MD_HEAD = "---\nkernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n# Broken\n\n"
ANSWER = "```{{code-cell}} ipython3\n---\nnbgrader: {{{meta}}}\n---\n{code}\n```\n\n"
GOOD_SOLUTION = dict(
    meta="grade: false, grade_id: answer, locked: false, schema_version: 3, solution: true, task: false",
    code="### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
)
GOOD_TEST = dict(
    meta="grade: true, grade_id: test_x, locked: true, points: 1, schema_version: 3, solution: false, task: false",
    code="assert x == 1\nprint('ok')",
)


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        (
            [
                GOOD_SOLUTION,
                dict(GOOD_TEST, meta=GOOD_TEST["meta"].replace("grade_id: test_x, ", "")),
            ],
            "cell 3, line 23, starting 'assert x == 1': no grade_id although the cell is graded",
        ),
        (
            [GOOD_SOLUTION, dict(GOOD_TEST, meta=GOOD_TEST["meta"].replace("test_x", "answer"))],
            "grade_id 'answer': duplicate grade_id 'answer'",
        ),
        (
            [GOOD_SOLUTION, dict(GOOD_TEST, meta=GOOD_TEST["meta"].replace("points: 1, ", ""))],
            "grade_id 'test_x': graded cell without points",
        ),
        (
            [
                dict(GOOD_SOLUTION, meta=GOOD_SOLUTION["meta"].replace(", schema_version: 3", "")),
                GOOD_TEST,
            ],
            "grade_id 'answer': missing schema_version",
        ),
        (
            [
                GOOD_SOLUTION,
                dict(GOOD_TEST, meta=GOOD_TEST["meta"].replace("locked: true", "locked: false")),
            ],
            "grade_id 'test_x': a test cell must be `locked: true`",
        ),
        (
            [
                GOOD_SOLUTION,
                dict(GOOD_TEST, code="from helpers import grading\ngrading.check_unit_float(f)"),
            ],
            "grade_id 'test_x': the test cell ends with a bare value, which nbgrader reads as partial credit",
        ),
        (
            [
                dict(
                    GOOD_SOLUTION,
                    meta=GOOD_SOLUTION["meta"].replace("solution: true", "solution: false"),
                ),
                GOOD_TEST,
            ],
            "grade_id 'answer': solution markers in a cell that is not marked `solution: true`",
        ),
        (
            [GOOD_SOLUTION, dict(GOOD_TEST, code="### BEGIN HIDDEN TESTS\nassert x\nprint(1)")],
            "'### BEGIN HIDDEN TESTS' without '### END HIDDEN TESTS'",
        ),
    ],
)
def test_malformed_markup_stops_the_build_naming_file_and_cell(tmp_path, cells, problem):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "99_broken.md").write_text(
        MD_HEAD + "".join(ANSWER.format(**cell) for cell in cells)
    )
    paths = _build.Paths(
        solutions=solutions, exercises=tmp_path / "exercises", course=tmp_path / "course"
    )
    with pytest.raises(StacksError) as info:
        _build.build(paths=paths, log=lambda line: None)
    message = str(info.value)
    assert "99_broken.md" in message and problem in message, message
    assert not (tmp_path / "exercises").exists()  # nothing half-built


def test_cli_build_rejects_unknown_exercise(capsys):
    assert cli.main(["build", "no_such_exercise"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("stacks build: unknown exercise 'no_such_exercise'")
        and "Traceback" not in err
    )


FRONT = "---\nkernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\nstacks:\n{stacks}---\n\n# Declared\n\n"


@pytest.mark.parametrize(
    ("stacks", "problem"),
    [
        ("  datasets: [zebrafsh]\n", "stacks.datasets: unknown dataset 'zebrafsh'"),
        (
            "  harvst: {}\n",
            "stacks.harvst: unknown entry; the entries are datasets, harvest, feedback, limits",
        ),
        ("  limits: {memory: lots}\n", "stacks.limits: limit memory: 'lots' is not a size"),
        ("  limits: {cpus: 4}\n", "stacks.limits: unknown limit cpus"),
        (
            "  harvest:\n    x: {plane: top}\n",
            "stacks.harvest.x: plane must be one of middle, not 'top'",
        ),
        (
            "  feedback:\n    - {figure: histogram}\n",
            "stacks.feedback[0]: unknown figure 'histogram'",
        ),
        (
            "  feedback:\n    - {figure: label_overlay, variable: x, dataset: cells}\n",
            "stacks.feedback[0]: draws 'x', which stacks.harvest does not copy out of the kernel",
        ),
        (
            "  harvest: {x: {}}\n  feedback:\n    - {figure: label_overlay, variable: x}\n",
            "stacks.feedback[0]: needs `dataset:` (str)",
        ),
        (
            "  harvest: {x: {}}\n  feedback:\n    - figure: image_comparison\n      caption: c\n      rows: [{variable: x, reference: zebrafish/MaxZ.tiff}]\n",
            "rows[0].reference must name a file of a dataset such as zebrafish/MaxZ.tif, not 'zebrafish/MaxZ.tiff'",
        ),
    ],
)
def test_a_wrong_declaration_stops_the_build_naming_file_and_entry(tmp_path, stacks, problem):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    cells = [GOOD_SOLUTION, GOOD_TEST]
    (solutions / "98_declared.md").write_text(
        FRONT.format(stacks=stacks) + "".join(ANSWER.format(**cell) for cell in cells)
    )
    paths = _build.Paths(
        solutions=solutions, exercises=tmp_path / "exercises", course=tmp_path / "course"
    )
    with pytest.raises(StacksError) as info:
        _build.build(paths=paths, log=lambda line: None)
    message = str(info.value)
    assert (
        message.startswith("98_declared.md: the stacks front matter has")
        or "98_declared.md" in message
    )
    assert problem in message, message
    assert not (tmp_path / "exercises").exists()


def test_every_exercise_declares_the_datasets_its_notebook_opens():
    """The declaration replaces guessing from the code: it must not forget a dataset."""
    for name in EXERCISES:
        code = "\n".join(
            cell.source for cell in _build.read_source(ROOT / "solutions" / f"{name}.md").cells
        )
        used = set(
            re.findall(r"datasets\.(?:path|load|load_truth|describe)\(\s*[\"'](\w+)[\"']", code)
        )
        assert used <= set(_build.read_exercise(name).datasets), name


def test_nbgrader_config_names_the_course_policies(tmp_path):
    from stacks import _config

    text = _config.write_config(tmp_path).read_text()
    for policy in (
        "RestoreTestCells",
        "ExecuteWithLimits",
        "IgnoreStderrInTests",
        "ScrubHiddenTests",
    ):
        assert f"stacks.preprocessors.{policy}" in text
    compile(text, "nbgrader_config.py", "exec")


def test_an_exercise_may_change_the_sandboxes_limits():
    from stacks._exercise import read_declaration
    from stacks._sandbox import Limits

    exercise = read_declaration("x", {"stacks": {"limits": {"memory": "4GiB"}}}, "x.md")
    assert Limits.from_mapping(exercise.limits).memory == 4 * 1024**3
