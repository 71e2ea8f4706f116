"""The exercise pipeline end to end: build, check, grade, with real nbgrader and real kernels.

- build: rebuilding reproduces exercises/ byte for byte, leaks no solution or hidden test,
  and malformed markup stops the build naming the file and the cell;
- grade: one ``stacks grade`` call per exercise grades a corpus of submissions made from
  the student notebooks (stubs filled programmatically with right and wrong code). Each
  row checks the points a known mistake must cost, and that nbgrader's silent mis-grades
  (warnings, deleted or edited tests, cells that never ran) do not happen;
- check: exit codes and messages of ``stacks check``;
- the zygote that forks kernels keeps students apart.
"""

from __future__ import annotations

import asyncio
import csv
import re
from pathlib import Path

import nbformat
import pytest

from stacks import _build, _execute, _markup, _results, _zygote, cli, course

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ("00_images_are_arrays", "01_projections", "02_segmentation")
TIMEOUT = 20  # seconds per cell in the graded corpus: the endless loop waits this long


# ---------------------------------------------------------------------------- helpers


def _answers(name: str) -> dict[str, str]:
    """Solution cell sources of an exercise without the solution markers, by grade_id."""
    source = _build.source_notebook(name)
    answers = {}
    for cell in source.cells:
        meta = _markup.nbgrader_meta(cell)
        if meta.get("solution"):
            lines = [line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def student(name: str, answer: dict[str, str] | None = None, *, blank: bool = False, drop=(), edit: dict[str, str] | None = None):
    """A submission made from the committed student notebook.

    Every stub gets the solution unless ``answer`` gives other code for its grade_id;
    ``drop`` deletes cells and ``edit`` rewrites (test) cells, by grade_id.
    """
    nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    if blank:
        return nb
    answers = {**_answers(name), **(answer or {})}
    cells = []
    for cell in nb.cells:
        grade_id = _markup.nbgrader_meta(cell).get("grade_id")
        if grade_id in drop:
            continue
        if grade_id in answers and _markup.nbgrader_meta(cell).get("solution"):
            cell.source = answers[grade_id]
        if edit and grade_id in edit:
            cell.source = edit[grade_id]
        cells.append(cell)
    nb.cells = cells
    return nb


def write_corpus(folder: Path, name: str, students: dict[str, object]) -> None:
    for who, content in students.items():
        (folder / who).mkdir(parents=True)
        if isinstance(content, str):  # raw text: not a notebook
            (folder / who / f"{name}.ipynb").write_text(content)
        elif content is None:  # a folder with something else in it
            (folder / who / "notes.txt").write_text("forgot to upload")
        else:
            nbformat.write(content, folder / who / f"{name}.ipynb")


def grade_corpus(tmp: Path, name: str, students: dict[str, object]) -> tuple[dict[str, dict], Path]:
    """One `stacks grade` run; rows of grades.csv by student, and the output folder."""
    write_corpus(tmp / "submissions", name, students)
    out = tmp / "out"
    code = cli.main(["grade", str(tmp / "submissions"), "--assignment", name, "--out", str(out), "--timeout", str(TIMEOUT), "--quiet"])
    assert code == 0
    with (out / "grades.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return rows, out


# ---------------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    """exercises/ rebuilt from solutions/ into a fresh folder with a fresh nbgrader course."""
    tmp = tmp_path_factory.mktemp("rebuild")
    paths = _build.Paths(solutions=ROOT / "solutions", exercises=tmp / "exercises", course=tmp / "course")
    course.build(paths=paths, quiet=True)
    return tmp / "exercises"


@pytest.mark.parametrize("name", EXERCISES)
def test_build_reproduces_exercises_byte_for_byte(rebuilt, name):
    committed = (ROOT / "exercises" / f"{name}.ipynb").read_bytes()
    assert (rebuilt / f"{name}.ipynb").read_bytes() == committed, f"exercises/{name}.ipynb is stale: run `stacks build`"


@pytest.mark.parametrize("name", EXERCISES)
def test_exercise_leaks_no_solution_or_hidden_test(name):
    text = (ROOT / "exercises" / f"{name}.ipynb").read_text()
    source = _build.read_source(ROOT / "solutions" / f"{name}.md")
    secret = _markup.secret_lines(source)
    assert secret, "the solution should have lines to hide"
    student_lines = {line.strip() for cell in nbformat.reads(text, as_version=4).cells for line in cell.source.splitlines()}
    assert not secret & student_lines
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "check_projection_function"):
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
GOOD_SOLUTION = dict(meta="grade: false, grade_id: answer, locked: false, schema_version: 3, solution: true, task: false",
                     code="### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
GOOD_TEST = dict(meta="grade: true, grade_id: test_x, locked: true, points: 1, schema_version: 3, solution: false, task: false",
                 code="assert x == 1\nprint('ok')")


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ([GOOD_SOLUTION, dict(GOOD_TEST, meta=GOOD_TEST["meta"].replace("grade_id: test_x, ", ""))],
         "cell 3, line 23, starting 'assert x == 1': no grade_id although the cell is graded"),
        ([GOOD_SOLUTION, dict(GOOD_TEST, meta=GOOD_TEST["meta"].replace("test_x", "answer"))],
         "grade_id 'answer': duplicate grade_id 'answer'"),
        ([GOOD_SOLUTION, dict(GOOD_TEST, meta=GOOD_TEST["meta"].replace("points: 1, ", ""))],
         "grade_id 'test_x': graded cell without points"),
        ([dict(GOOD_SOLUTION, meta=GOOD_SOLUTION["meta"].replace(", schema_version: 3", "")), GOOD_TEST],
         "grade_id 'answer': missing schema_version"),
        ([GOOD_SOLUTION, dict(GOOD_TEST, meta=GOOD_TEST["meta"].replace("locked: true", "locked: false"))],
         "grade_id 'test_x': a test cell must be `locked: true`"),
        ([GOOD_SOLUTION, dict(GOOD_TEST, code="from helpers import grading\ngrading.check_unit_float(f)")],
         "grade_id 'test_x': the test cell ends with a bare value, which nbgrader reads as partial credit"),
        ([dict(GOOD_SOLUTION, meta=GOOD_SOLUTION["meta"].replace("solution: true", "solution: false")), GOOD_TEST],
         "grade_id 'answer': solution markers in a cell that is not marked `solution: true`"),
        ([GOOD_SOLUTION, dict(GOOD_TEST, code="### BEGIN HIDDEN TESTS\nassert x\nprint(1)")],
         "'### BEGIN HIDDEN TESTS' without '### END HIDDEN TESTS'"),
    ],
)
def test_malformed_markup_stops_the_build_naming_file_and_cell(tmp_path, cells, problem):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "99_broken.md").write_text(MD_HEAD + "".join(ANSWER.format(**cell) for cell in cells))
    paths = _build.Paths(solutions=solutions, exercises=tmp_path / "exercises", course=tmp_path / "course")
    with pytest.raises(cli.CommandError) as info:
        course.build(paths=paths, quiet=True)
    message = str(info.value)
    assert "99_broken.md" in message and problem in message, message
    assert not (tmp_path / "exercises").exists()  # nothing half-built


def test_cli_build_rejects_unknown_exercise(capsys):
    assert cli.main(["build", "no_such_exercise"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stacks build: unknown exercise 'no_such_exercise'") and "Traceback" not in err


def test_bare_value_trap_is_real():
    """Why the build refuses test cells ending in a value: nbgrader misreads np.float64."""
    from nbgrader.utils import determine_grade

    cell = nbformat.v4.new_code_cell("check()", metadata={"nbgrader": {"grade": True, "solution": False, "points": 3}})
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "np.float64(0.0)"}, execution_count=1)]
    assert determine_grade(cell) == (3.0, 3.0)  # a failing 0.0 shown as np.float64 scores full marks


def test_cells_that_never_ran_score_zero_not_full_marks():
    meta = {"nbgrader": {"grade": True, "solution": False, "points": 2, "grade_id": "t"}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("check(x)", metadata=meta)])
    assert _results.questions(nb)[0].score == 2.0  # nbgrader's view of an empty output
    _execute.mark_not_run(nb, 0, "this cell did not run: the kernel died")
    [question] = _results.questions(nb)
    assert question.score == 0.0 and "did not run" in question.message


def test_stderr_in_a_test_cell_costs_nothing():
    meta = {"nbgrader": {"grade": True, "solution": False, "points": 2, "grade_id": "t"}}
    cell = nbformat.v4.new_code_cell("check(x)", metadata=meta)
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: soon\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert _results.questions(nb)[0].score == 2.0
    assert _results.ignore_stderr_in_tests(nb) == 1 and cell.outputs == []


def _answer(grade_id, error=None):
    meta = {"nbgrader": {"grade": False, "solution": True, "grade_id": grade_id}}
    cell = nbformat.v4.new_code_cell("...", metadata=meta)
    if error:
        cell.outputs = [nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=[])]
    return cell


def _test(grade_id, error=None):
    meta = {"nbgrader": {"grade": True, "solution": False, "points": 1, "grade_id": grade_id}}
    cell = nbformat.v4.new_code_cell("check()", metadata=meta)
    if error:
        cell.outputs = [nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=[])]
    return cell


def test_missing_name_points_at_the_answer_cell_that_failed():
    missing = ("NameError", "name 'max_z' is not defined")
    nb = nbformat.v4.new_notebook(cells=[
        _answer("a", ("NotImplementedError", "")), _test("t1", missing), _test("t2", missing),
        _answer("b", ("ValueError", "axis 3 is out of bounds")), _test("t3", missing),
        _answer("c"), _test("t4", missing),
    ])
    messages = {q.grade_id: q.message for q in _results.questions(nb)}
    # both tests after an unanswered cell say so, not "define it"
    assert messages["t1"] == messages["t2"] == _results.NOT_ANSWERED
    # an answer that crashed is named, with its own error
    assert messages["t3"] == (
        "NameError: name 'max_z' is not defined: the answer cell above stopped with "
        "ValueError: axis 3 is out of bounds; fix it and run it again"
    )
    # an answer that ran but did not define the name: the plain hint
    assert messages["t4"] == (
        "NameError: name 'max_z' is not defined; define it in the answer cell above and run that cell"
    )


def test_syntax_error_names_the_line_of_the_cell_not_ipythons_temporary_file():
    syntax = ("IndentationError", "expected an indented block (/tmp/ipykernel_7/2765666370.py, line 4)")
    nb = nbformat.v4.new_notebook(cells=[
        _answer("a", syntax), _test("t1", ("NameError", "name 'median_z' is not defined")),
    ])
    [question] = _results.questions(nb)
    assert question.message == (
        "NameError: name 'median_z' is not defined: the answer cell above stopped with "
        "IndentationError: expected an indented block (line 4 of the cell); fix it and run it again"
    )


# ---------------------------------------------------------------------------- grade: 01


WARNS = '''import sys
import warnings

def max_projection(stack):
    """Correct, but noisy: a FutureWarning and a progress line on stderr."""
    warnings.simplefilter("always")  # defeat PYTHONWARNINGS=ignore: the warning reaches stderr
    warnings.warn("this argument will change in a future version", FutureWarning)
    print("projecting...", file=sys.stderr)
    return np.asarray(stack).max(axis=0)
'''

MEAN = '''def median_projection(stack):
    return np.asarray(stack).mean(axis=0)
'''

CORPUS_01 = {
    # student: (answers, points expected, status expected)
    "solution": ({}, 9, "graded"),
    "warns": ({"max_function": WARNS}, 9, "graded"),
    "intcast": ({"median_function": "def median_projection(stack):\n    stack = np.asarray(stack)\n"
                 "    return np.median(stack, axis=0).astype(stack.dtype)"}, 9, "graded"),
    "mean": ({"median_function": MEAN}, 9 - 3 - 1, "graded"),
    "wrong_axis": ({"max_function": "def max_projection(stack):\n    return np.asarray(stack).max(axis=1)"}, 9 - 2 - 1, "graded"),
    "hardcoded": ({"max_function": "def max_projection(stack):\n    return np.asarray(stack).mean(axis=0)",
                   "max_z": 'max_z = tifffile.imread(folder / "MaxZ.tif")'}, 9 - 2, "graded"),
    "endless": ({"median_z": "while True:\n    pass\nmedian_z = median_projection(stack)"}, 9 - 1, "timeout"),
    "crash": ({"median_z": "import os\nos._exit(1)"}, 9 - 1 - 1, "kernel-died"),
}


@pytest.fixture(scope="module")
def graded01(tmp_path_factory):
    name = "01_projections"
    students: dict[str, object] = {who: student(name, answers) for who, (answers, _, _) in CORPUS_01.items()}
    students["blank"] = student(name, blank=True)
    students["deleted"] = student(name, drop={"test_max_z"})
    students["edited"] = student(name, {"median_function": MEAN}, edit={"test_median_function": "print('all good')"})
    students["notjson"] = "this is a Word document, honest"
    students["missing"] = None
    return grade_corpus(tmp_path_factory.mktemp("grade01"), name, students)


@pytest.mark.parametrize("who", list(CORPUS_01))
def test_grade_01_costs_exactly_the_points_of_the_mistake(graded01, who):
    rows, _ = graded01
    _, points, status = CORPUS_01[who]
    row = rows[who]
    assert (float(row["score"]), float(row["max_score"]), row["status"]) == (points, 9, status), row


def test_grade_01_blank_scores_zero(graded01):
    rows, _ = graded01
    assert float(rows["blank"]["score"]) == 0 and rows["blank"]["status"] == "graded"


def test_grade_01_restores_deleted_and_edited_test_cells(graded01):
    rows, out = graded01
    assert float(rows["deleted"]["score"]) == 9 and "restored deleted cells: test_max_z" in rows["deleted"]["message"]
    assert float(rows["edited"]["score"]) == 9 - 3 - 1 and "restored edited test cells: test_median_function" in rows["edited"]["message"]
    graded = nbformat.read(out / "autograded" / "deleted.ipynb", as_version=4)
    assert any(_markup.nbgrader_meta(c).get("grade_id") == "test_max_z" for c in graded.cells)


def test_grade_01_reports_broken_submissions(graded01):
    rows, out = graded01
    assert rows["notjson"]["status"] == "invalid-notebook" and "not a Jupyter notebook" in rows["notjson"]["message"]
    assert rows["missing"]["status"] == "missing" and "found: notes.txt" in rows["missing"]["message"]
    assert rows["endless"]["message"].startswith("cell 21 (median_z) ran for more than 20 s and was stopped")
    assert rows["crash"]["message"] == "the kernel died (out of memory, or the code exited Python)"
    assert all(float(rows[w]["score"]) == 0 for w in ("notjson", "missing"))
    assert list(csv.reader((out / "grades.csv").read_text().splitlines()))[0] == ["student", "assignment", "score", "max_score", "status", "message"]


def test_grade_01_feedback_pages(graded01):
    rows, out = graded01
    for who in rows:
        assert (out / "feedback" / f"{who}.html").is_file(), who
    page = (out / "feedback" / "wrong_axis.html").read_text()
    assert "axis 1 was reduced; the projection is over Z (axis 0)" in page
    assert page.count("data:image/png;base64,") == 1
    mean_page = (out / "feedback" / "mean.html").read_text()
    assert "you computed the mean, not the median" in mean_page
    for who in rows:  # hidden tests stay hidden
        text = (out / "feedback" / f"{who}.html").read_text()
        assert "check_projection_function" not in text and "HIDDEN TESTS" not in text


def test_grade_01_feedback_picture_shows_the_difference(graded01, tmp_path):
    """Decode the embedded picture and look at it: three panels per projection."""
    import base64

    from matplotlib.image import imread

    _, out = graded01
    page = (out / "feedback" / "mean.html").read_text()
    data = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page).group(1)
    png = tmp_path / "mean.png"
    png.write_bytes(base64.b64decode(data))
    image = imread(png)
    assert image.shape[0] > 300 and image.shape[1] > 500  # two rows of three panels


# ---------------------------------------------------------------------------- grade: 00 and 02


@pytest.fixture(scope="module")
def graded00(tmp_path_factory):
    name = "00_images_are_arrays"
    students = {
        "solution": student(name),
        "blank": student(name, blank=True),
        "overflow": student(name, {"brighten": "def brighten(image, amount):\n    return image + np.uint8(amount)"}),
    }
    return grade_corpus(tmp_path_factory.mktemp("grade00"), name, students)


def test_grade_00(graded00):
    rows, out = graded00
    assert {w: float(r["score"]) for w, r in rows.items()} == {"solution": 7, "blank": 0, "overflow": 5}
    assert "uint8 overflow" in rows["overflow"]["message"] or "uint8 overflow" in (out / "feedback" / "overflow.html").read_text()


@pytest.fixture(scope="module")
def graded02(tmp_path_factory):
    name = "02_segmentation"
    students = {
        "solution": student(name),
        "blank": student(name, blank=True),
        "mask": student(name, {"labels": "bead_labels = bead_mask.astype(np.int32)"}),
    }
    return grade_corpus(tmp_path_factory.mktemp("grade02"), name, students)


def test_grade_02_segmentation(graded02):
    rows, out = graded02
    assert {w: float(r["score"]) for w, r in rows.items()} == {"solution": 9, "blank": 0, "mask": 9 - 4 - 1}
    page = (out / "feedback" / "mask.html").read_text()
    assert "binary mask" in page and "label the connected objects" in page
    assert "data:image/png;base64," in (out / "feedback" / "solution.html").read_text()


# ---------------------------------------------------------------------------- check


def test_check_blank_exercise_fails_with_messages(capsys):
    code = cli.main(["check", str(ROOT / "exercises" / "00_images_are_arrays.ipynb"), "--timeout", "60"])
    out = capsys.readouterr().out
    assert code == 1
    assert "0 of 4 tests pass, 0 of 7 points" in out
    assert "FAIL  0/2  Part 1: draw the letter H (2 points) [test_draw_h]" in out
    assert "draw_h is not written yet" in out


def test_check_solved_notebook_passes_and_restores_edited_tests(tmp_path, capsys):
    nb = student("00_images_are_arrays", {"brighten": "def brighten(image, amount):\n    return image + np.uint8(amount)"},
                 edit={"test_brighten": "print('trust me')"})
    path = tmp_path / "00_images_are_arrays.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    code = cli.main(["check", str(path)])
    out = capsys.readouterr().out
    assert code == 1  # the edit does not hide the overflow
    assert "3 of 4 tests pass, 5 of 7 points" in out and "uint8 overflow" in out
    assert "note: test cell test_brighten was edited; checked with the original" in out
    assert path.read_bytes() == before  # check never writes the student's file

    nbformat.write(student("00_images_are_arrays"), path)
    assert cli.main(["check", str(path)]) == 0
    assert "4 of 4 tests pass, 7 of 7 points" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nowhere.ipynb", "no such file"),
        (lambda p: p, "is a folder"),
        (lambda p: (p / "notes.txt").write_text("hi") and p / "notes.txt", "is not a notebook"),
        (lambda p: (p / "bad.ipynb").write_text("{") and p / "bad.ipynb", "is not a valid Jupyter notebook"),
    ],
)
def test_check_bad_path_is_one_clear_line(tmp_path, capsys, make, message):
    assert cli.main(["check", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stacks check: ") and message in err and "\n" not in err


def test_grade_bad_input_is_one_clear_line(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path / "none"), "--assignment", "01_projections", "--out", str(tmp_path / "o")]) == 2
    assert "no submissions folder" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path), "--assignment", "nope", "--out", str(tmp_path / "o")]) == 2
    assert "unknown assignment 'nope'" in capsys.readouterr().err


def test_selfcheck(capsys):
    assert course.selfcheck(["00_images_are_arrays"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"00_images_are_arrays\s+7/7\s+ok\s+0\s+ok\s+yes", out), out


# ---------------------------------------------------------------------------- the zygote


def test_forked_kernels_share_nothing_but_imports():
    """Two kernels from one zygote: a change to a module in the first is not seen by the
    second, and their random generators differ."""
    env = _execute.kernel_env({"MPLBACKEND": "Agg"})

    def notebook(code: str):
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])

    async def run(zygote):
        manager = _zygote.kernel_manager_class(zygote)
        first = notebook("import numpy\nnumpy.median = None\nprint(numpy.random.random())")
        second = notebook("import numpy\nprint(numpy.median is None, numpy.random.random())")
        for nb in (first, second):
            result = await _execute.run_notebook(nb, timeout=30, env=env, kernel_manager_class=manager)
            assert result.status == "ok", result.message
        return first.cells[0].outputs[0]["text"].split(), second.cells[0].outputs[0]["text"].split()

    with _zygote.Zygote(env) as zygote:
        first, second = asyncio.run(run(zygote))
    assert second[0] == "False"
    assert first[0] != second[1]


def test_zygote_closes_its_pipes():
    """A stopped zygote leaves no open pipe behind for the garbage collector to warn about."""
    import gc
    import warnings

    gc.collect()  # what earlier tests left behind is not this test's business
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        zygote = _zygote.Zygote(_execute.kernel_env())
        pipes = (zygote.proc.stdin, zygote.proc.stdout)
        zygote.close()
        assert all(pipe.closed for pipe in pipes)
        assert zygote.proc.returncode is not None
        del zygote, pipes
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_forked_kernels_can_still_draw_inline_figures():
    """pyplot is imported in the zygote before any IPython exists; `--keep-plots` asks
    the kernel for the inline backend explicitly, so figures still reach the notebook."""
    env = _execute.kernel_env()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])")])
    with _zygote.Zygote(env) as zygote:
        result = asyncio.run(_execute.run_notebook(nb, timeout=30, env=env, kernel_manager_class=_zygote.kernel_manager_class(zygote),
                                                   kernel_arguments=["--matplotlib=inline"]))
    assert result.status == "ok"
    assert any("image/png" in output.get("data", {}) for output in nb.cells[0].outputs)


def test_docstring_examples_of_the_pipeline_modules():
    import doctest

    from stacks import _feedback

    for module in (_markup, _results, _feedback, course):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, module.__name__
