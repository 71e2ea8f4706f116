"""How grading kernels start and run: the fork provisioner and the execution policy.

Kernels of the kernelspec ``stacks-fork`` are forked from a zygote that has the libraries
imported (a jupyter_client kernel provisioner); they must still share nothing with each
other. ExecuteWithLimits stops endless cells, reports dead kernels and harvests arrays.
"""

from __future__ import annotations

import gc
import warnings

import nbformat
import numpy as np
import pytest

from stacks import _provisioner, _zygote
from stacks._kernels import FORK_KERNEL, NATIVE_KERNEL, kernel_env
from stacks.preprocessors import ExecuteWithLimits


def notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def run(nb, **traits):
    traits.setdefault("timeout", 30)
    traits.setdefault("kernel_env", {"MPLBACKEND": "Agg"})
    return ExecuteWithLimits(**traits).preprocess(nb, {})


@pytest.fixture
def zygotes():
    yield _provisioner._zygotes
    _provisioner.close_zygotes()


def test_forked_kernels_share_nothing_but_imports(zygotes):
    """Two kernels from one zygote: a change to a module in the first is not seen by the
    second, and their random generators differ."""
    first = notebook(
        "import numpy, os\nnumpy.median = None\nprint(numpy.random.random(), os.getppid())"
    )
    second = notebook(
        "import numpy, os\nprint(numpy.median is None, numpy.random.random(), os.getppid())"
    )
    for nb in (first, second):
        _, resources = run(nb, kernel_name=FORK_KERNEL)
        assert resources["stacks"]["execution"]["status"] == "ok", resources["stacks"]["execution"]
    random1, parent1 = first.cells[0].outputs[0]["text"].split()
    shared, random2, parent2 = second.cells[0].outputs[0]["text"].split()
    assert shared == "False"
    assert random1 != random2
    # both were forked by the one zygote of this environment: the provisioner was used
    [zygote] = zygotes.values()
    assert int(parent1) == int(parent2) == zygote.proc.pid


def test_a_kernel_starts_the_usual_way_when_the_zygote_cannot(monkeypatch, zygotes):
    def refuse(*args, **kwargs):
        raise RuntimeError("no zygote today")

    monkeypatch.setattr(_provisioner, "Zygote", refuse)
    nb = notebook("print(6 * 7)")
    _, resources = run(nb, kernel_name=FORK_KERNEL)
    assert resources["stacks"]["execution"]["status"] == "ok"
    assert not zygotes  # no zygote: the kernel was started by jupyter_client itself


def test_zygote_closes_its_pipes():
    """A stopped zygote leaves no open pipe behind for the garbage collector to warn about."""
    gc.collect()  # what earlier tests left behind is not this test's business
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        zygote = _zygote.Zygote(kernel_env())
        pipes = (zygote.proc.stdin, zygote.proc.stdout)
        zygote.close()
        assert all(pipe.closed for pipe in pipes)
        assert zygote.proc.returncode is not None
        del zygote, pipes
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_forked_kernels_can_still_draw_inline_figures(zygotes):
    """pyplot is imported in the zygote before any IPython exists; `--keep-plots` asks
    the kernel for the inline backend explicitly, so figures still reach the notebook."""
    nb = notebook("import matplotlib.pyplot as plt\nplt.plot([1, 2])")
    _, resources = run(
        nb, kernel_name=FORK_KERNEL, kernel_env={}, kernel_arguments=["--matplotlib=inline"]
    )
    assert resources["stacks"]["execution"]["status"] == "ok"
    assert any("image/png" in output.get("data", {}) for output in nb.cells[0].outputs)


def test_a_cell_over_its_time_limit_is_stopped_and_the_rest_runs():
    nb = notebook("x = 1", "while True:\n    pass", "y = x + 1\nprint(y)")
    _, resources = run(nb, timeout=2, kernel_name=NATIVE_KERNEL)
    execution = resources["stacks"]["execution"]
    assert execution["status"] == "timeout"
    assert (
        execution["message"]
        == "cell 2 ran for more than 2 s and was stopped; the other cells were graded"
    )
    assert nb.cells[1].outputs[-1]["evalue"] == "this cell ran for more than 2 s and was stopped"
    assert nb.cells[2].outputs[0]["text"] == "2\n"


def test_cells_after_a_dead_kernel_are_marked_not_run():
    nb = notebook("import os\nos._exit(1)", "print('never')")
    _, resources = run(nb, kernel_name=NATIVE_KERNEL)
    execution = resources["stacks"]["execution"]
    assert execution["status"] == "kernel-died"
    assert execution["message"].startswith(
        "the kernel died (out of memory, or the code exited Python)"
    )
    assert nb.cells[1].outputs[-1]["ename"] == "NotRun"


def test_harvest_copies_numeric_arrays_only_and_cuts_planes():
    nb = notebook(
        "import numpy as np\nlabels = np.arange(24).reshape(2, 3, 4)\nf = len\ntext = 'abc'"
    )
    _, resources = run(nb, harvest={"labels": "middle", "f": None, "text": None, "missing": None})
    arrays = resources["stacks"]["arrays"]
    assert set(arrays) == {"labels"}
    np.testing.assert_array_equal(arrays["labels"], np.arange(12, 24).reshape(3, 4))


def test_a_cell_that_swallows_the_interrupt_is_named_in_the_timeout_message():
    code = "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass"
    cells = [nbformat.v4.new_code_cell(c) for c in ("x = 1", code, "print('later')")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb, resources = ExecuteWithLimits(timeout=3).preprocess(nb, {})
    outcome = resources["stacks"]["execution"]
    assert outcome["status"] == "timeout"
    assert outcome["message"].startswith(
        "cell 2 ran for more than 3 s and did not stop when interrupted"
    )
    assert (
        nb.cells[1].outputs[-1].evalue
        == "this cell ran for more than 3 s and ignored the interrupt"
    )
    assert nb.cells[2].outputs[-1].ename == "NotRun"
