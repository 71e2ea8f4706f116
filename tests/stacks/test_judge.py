"""Scores are decided outside the student's kernel: what a notebook does to its own kernel
(patching the checks, numpy, IPython's hooks, printing fake results) changes nothing.

Each cheat comes with the same wrong answers, and must score what those answers score
alone. Graded in the kernel (before the judge), patching the checks, numpy, the input
transformers or IPython's traceback display earned points. Honest variants keep full marks.
"""

from __future__ import annotations

import nbformat
import pytest
from corpus import grade_corpus, student

from stacks import _judge

NAME = "01_projections"
#: wrong answers: a mean where a maximum is asked for, in the function and in max_z
WRONG = {
    "max_function": "def max_projection(stack):\n    return np.asarray(stack).mean(axis=0)",
    "max_z": "max_z = stack.mean(axis=0)",
}

#: who: (the answer cell that cheats, the code it adds after the wrong answer)
CHEATS = {
    # rebinding the checks in the student's namespace and module
    "patch_checks": (
        "max_z",
        "import helpers.grading\nhelpers.grading.check_projection = lambda *a, **k: 1.0\n"
        "grading.check_projection = helpers.grading.check_projection",
    ),
    # numpy's comparisons always true in the kernel
    "patch_numpy": (
        "max_function",
        "np.array_equal = lambda *a, **k: True\n"
        "np.testing.assert_array_equal = lambda *a, **k: None\n"
        "np.allclose = lambda *a, **k: True",
    ),
    # an IPython input transformer that empties every later cell, test cells included
    "transformer": (
        "max_z",
        "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
    ),
    # IPython no longer shows errors: a failing test cell has no error output
    "no_tracebacks": (
        "max_function",
        "get_ipython().showtraceback = lambda *a, **k: None",
    ),
    # a hook that clears the error of every cell
    "hook": (
        "max_function",
        "def _clear(result):\n    result.error_in_exec = None\n"
        "get_ipython().events.register('post_run_cell', _clear)",
    ),
    # printing what the passing tests print
    "fake_output": ("max_z", "print('max_z matches MaxZ.tif')"),
    # builtins patched so that failing asserts raise something else
    "patch_builtins": (
        "max_function",
        "import builtins\nbuiltins.AssertionError = type('Nothing', (Exception,), {})",
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = {"wrong": student(NAME, WRONG)}
    for who, (grade_id, cheat) in CHEATS.items():
        students[who] = student(NAME, {**WRONG, grade_id: WRONG[grade_id] + "\n" + cheat})
    # honest: a function that works on any stack, written in another way than the solution
    students["honest_loop"] = student(
        NAME,
        {
            "max_function": "def max_projection(stack):\n    out = np.array(stack[0], copy=True)\n"
            "    for plane in stack[1:]:\n        out = np.maximum(out, plane)\n    return out",
        },
    )
    return grade_corpus(tmp_path_factory.mktemp("judge"), NAME, students)


def test_the_wrong_answers_cost_points(graded):
    rows, _ = graded
    assert float(rows["wrong"]["score"]) < 9 - 2
    assert float(rows["honest_loop"]["score"]) == 9


@pytest.mark.parametrize("who", list(CHEATS))
def test_nothing_done_to_the_kernel_changes_a_score(graded, who):
    rows, _ = graded
    deserved = float(rows["wrong"]["score"])
    if who == "transformer":
        # every answer cell after the cheat is emptied too: fewer points, never more
        assert float(rows[who]["score"]) <= deserved, rows[who]
    else:
        assert float(rows[who]["score"]) == deserved, rows[who]


def test_the_feedback_shows_the_judges_verdict_not_the_kernels_output(graded):
    _, out = graded
    nb = nbformat.read(out / "autograded" / "fake_output.ipynb", as_version=4)
    [test] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_max_z"]
    assert [o.output_type for o in test.outputs] == ["error"]


def test_the_judge_runs_the_tests_and_the_set_up_they_need_not_the_plots():
    from stacks import _build

    cells, answers = _judge.plan(_build.source_notebook(NAME))
    tests = [c.grade_id for c in cells if c.grade_id]
    assert tests == [
        "test_load",
        "test_max_function",
        "test_max_z",
        "test_median_function",
        "test_median_z",
        "test_filters",
    ]
    assert {"max_z", "max_projection", "n_images"} <= answers
    assert not any("plt.subplots" in c.source for c in cells)


def test_feedback_names_no_path_of_the_graders_machine(graded):
    _, out = graded
    page = (out / "feedback" / "transformer.html").read_text()
    assert "was not handed over by the kernel" in page
    # the judge's own folders, and (shown to the kernel elsewhere) the grader's data folder
    from helpers import datasets

    assert "stacks-kernels" not in page and "stacks-run-" not in page
    assert str(datasets.data_root()) not in page and "/course/data/zebrafish" in page


def test_the_judge_reads_no_file_a_kernel_links_to(tmp_path):
    import numpy as np

    from stacks import _exchange

    kernel_folder = tmp_path / "kernel"
    _exchange.encode({"max_z": np.zeros(3)}, kernel_folder / "value")
    secret = tmp_path / "graders_answer.npy"  # outside the kernel's folder
    np.save(secret, np.arange(3))
    (kernel_folder / "value" / "a0.npy").unlink()
    (kernel_folder / "value" / "a0.npy").symlink_to(secret)
    with pytest.raises(ValueError, match="outside the kernel's folder"):
        _exchange.decode(kernel_folder / "value", root=kernel_folder)


def test_a_table_crosses_with_its_column_names(tmp_path):
    """A function that returns a pandas DataFrame is judged on its columns by name."""
    import numpy as np
    import pandas as pd

    from stacks import _exchange

    table = pd.DataFrame({"label": [3, 5], "volume": [1.5, 2.0], "kind": ["a", "b"]})
    (tmp_path / "value").mkdir()
    _exchange.encode(table, tmp_path / "value")
    crossed = _exchange.decode(tmp_path / "value", root=tmp_path)
    assert list(crossed) == ["label", "volume", "kind"]
    assert crossed["label"].tolist() == [3, 5]
    assert np.allclose(crossed["volume"], [1.5, 2.0])
    assert isinstance(crossed["kind"], _exchange.Opaque)  # text columns are not numbers
    assert pd.DataFrame({k: crossed[k] for k in ("label", "volume")}).shape == (2, 2)
