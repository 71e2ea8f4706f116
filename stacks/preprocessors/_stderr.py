"""Policy: output on stderr never costs a test cell its points."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from stacks._markup import is_test_cell


class IgnoreStderrInTests(NbGraderPreprocessor):
    """Drop stderr from autograded test cells before nbgrader scores them.

    nbgrader gives 0 to a test cell that wrote anything on stderr, so a correct answer that
    makes a library print a ``FutureWarning`` or a progress bar loses its points. An
    exception, not a warning, is what fails a test. Answer cells keep their stderr: it is
    the student's output and shows in the feedback.

    Examples
    --------
    >>> import nbformat
    >>> test = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    >>> cell = nbformat.v4.new_code_cell("check(x)", metadata=test)
    >>> cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: ...")]
    >>> nb, _ = IgnoreStderrInTests().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    >>> nb.cells[0].outputs
    []
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        """Remove the stderr outputs of one cell if it is a test cell."""
        if is_test_cell(cell):
            cell.outputs = [
                output
                for output in cell.get("outputs", [])
                if not (output.get("output_type") == "stream" and output.get("name") == "stderr")
            ]
        return cell, resources
