"""Policy: feedback shows no hidden test, not even where a traceback quotes one."""

from __future__ import annotations

import re
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests

from stacks._markup import HIDDEN_BEGIN, HIDDEN_END, regions
from stacks._results import strip_ansi

# IPython quotes the lines around a failing line as "---> 12 code" or "     13 code"
_LINE_NUMBER = re.compile(r"^\s*(?:-*>)?\s*\d+\s?")


def hidden_lines(nb: NotebookNode) -> set[str]:
    """The stripped, non-empty lines inside the hidden-test regions of a notebook.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("check(f)\\n### BEGIN HIDDEN TESTS\\ncheck_more(f)\\n### END HIDDEN TESTS")
    >>> hidden_lines(nbformat.v4.new_notebook(cells=[cell]))
    {'check_more(f)'}
    """
    found: set[str] = set()
    for cell in nb.cells:
        lines, _ = regions(cell.source, HIDDEN_BEGIN, HIDDEN_END)
        found |= {line.strip() for line in lines if line.strip()}
    return found


class ScrubHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, and the hidden-test lines that tracebacks quote.

    ClearHiddenTests removes the hidden tests from the cell source, but IPython quotes the
    lines around a failing line in its traceback, so a visible test that fails shows the
    hidden test below it. Those lines are removed too; the student keeps their own frames
    and the message.

    Examples
    --------
    >>> import nbformat
    >>> source = "check(f)\\n### BEGIN HIDDEN TESTS\\ncheck_more(f)\\n### END HIDDEN TESTS"
    >>> meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}}
    >>> cell = nbformat.v4.new_code_cell(source, metadata=meta)
    >>> quoted = "----> 1 check(f)\\n      2 check_more(f)"
    >>> cell.outputs = [nbformat.v4.new_output("error", ename="E", evalue="", traceback=[quoted])]
    >>> nb, _ = ScrubHiddenTests().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    >>> nb.cells[0].source, nb.cells[0].outputs[0].traceback
    ('check(f)', ['----> 1 check(f)'])
    """

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        """Remove hidden-test lines from tracebacks, then the hidden-test regions."""
        hidden = hidden_lines(nb)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [
                        _without(entry, hidden) for entry in output.get("traceback", [])
                    ]
        return super().preprocess(nb, resources)


def _without(entry: str, hidden: set[str]) -> str:
    kept = []
    for line in entry.split("\n"):
        plain = strip_ansi(line)
        code = _LINE_NUMBER.sub("", plain).strip()
        if "HIDDEN TESTS" in plain or (code and code in hidden):
            continue
        kept.append(line)
    return "\n".join(kept)
