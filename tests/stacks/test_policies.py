"""The grading policies (stacks.preprocessors) and the per-question results, one at a time."""

from __future__ import annotations

import nbformat

from stacks import _results
from stacks.preprocessors import IgnoreStderrInTests, mark_not_run


def test_bare_value_trap_is_real():
    """Why the build refuses test cells ending in a value: nbgrader misreads np.float64."""
    from nbgrader.utils import determine_grade

    cell = nbformat.v4.new_code_cell(
        "check()", metadata={"nbgrader": {"grade": True, "solution": False, "points": 3}}
    )
    cell.outputs = [
        nbformat.v4.new_output(
            "execute_result", data={"text/plain": "np.float64(0.0)"}, execution_count=1
        )
    ]
    assert determine_grade(cell) == (
        3.0,
        3.0,
    )  # a failing 0.0 shown as np.float64 scores full marks


def test_cells_that_never_ran_score_zero_not_full_marks():
    meta = {"nbgrader": {"grade": True, "solution": False, "points": 2, "grade_id": "t"}}
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("check(x)", metadata=meta),
        ]
    )
    assert _results.questions(nb)[0].score == 2.0  # nbgrader's view of an empty output
    mark_not_run(nb, 0, "this cell did not run: the kernel died")
    [question] = _results.questions(nb)
    assert question.score == 0.0 and "did not run" in question.message


def test_stderr_in_a_test_cell_costs_nothing():
    meta = {"nbgrader": {"grade": True, "solution": False, "points": 2, "grade_id": "t"}}
    cell = nbformat.v4.new_code_cell("check(x)", metadata=meta)
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: soon\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert _results.questions(nb)[0].score == 0.0  # nbgrader's own verdict: the trap is real
    nb, _ = IgnoreStderrInTests().preprocess(nb, {})
    assert nb.cells[0].outputs == []
    assert _results.questions(nb)[0].score == 2.0


def _answer(grade_id, error=None):
    meta = {"nbgrader": {"grade": False, "solution": True, "grade_id": grade_id}}
    cell = nbformat.v4.new_code_cell("...", metadata=meta)
    if error:
        cell.outputs = [
            nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=[])
        ]
    return cell


def _test(grade_id, error=None):
    meta = {"nbgrader": {"grade": True, "solution": False, "points": 1, "grade_id": grade_id}}
    cell = nbformat.v4.new_code_cell("check()", metadata=meta)
    if error:
        cell.outputs = [
            nbformat.v4.new_output("error", ename=error[0], evalue=error[1], traceback=[])
        ]
    return cell


def test_missing_name_points_at_the_answer_cell_that_failed():
    missing = ("NameError", "name 'max_z' is not defined")
    nb = nbformat.v4.new_notebook(
        cells=[
            _answer("a", ("NotImplementedError", "")),
            _test("t1", missing),
            _test("t2", missing),
            _answer("b", ("ValueError", "axis 3 is out of bounds")),
            _test("t3", missing),
            _answer("c"),
            _test("t4", missing),
        ]
    )
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
    syntax = (
        "IndentationError",
        "expected an indented block (/tmp/ipykernel_7/2765666370.py, line 4)",
    )
    nb = nbformat.v4.new_notebook(
        cells=[
            _answer("a", syntax),
            _test("t1", ("NameError", "name 'median_z' is not defined")),
        ]
    )
    [question] = _results.questions(nb)
    assert question.message == (
        "NameError: name 'median_z' is not defined: the answer cell above stopped with "
        "IndentationError: expected an indented block (line 4 of the cell); fix it and run it again"
    )
