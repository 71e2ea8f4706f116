"""Per-question results of an executed exercise notebook, with messages a student can act on.

nbgrader decides a test cell's score from its outputs (:func:`nbgrader.utils.determine_grade`):
an error output gives 0, a displayed number is partial credit, anything else full marks.
:func:`questions` reads the scores that way, after the course's policies have run on the
notebook (:mod:`stacks.preprocessors`: stderr dropped from test cells, cells that never ran
marked), and turns each error into the one line the student needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nbformat import NotebookNode

from stacks._markup import is_test_cell, nbgrader_meta

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$", re.MULTILINE)
NOT_ANSWERED = "not answered yet: an answer cell above still raises NotImplementedError()"


@dataclass(frozen=True)
class Question:
    """The result of one autograded test cell."""

    grade_id: str
    title: str
    points: float
    score: float
    message: str = ""

    @property
    def passed(self) -> bool:
        """Full marks."""
        return self.score >= self.points


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI.sub("", text)


# IPython compiles each cell as a temporary file such as /tmp/ipykernel_42/2765666370.py;
# a SyntaxError quotes it, which means nothing to a student.
_CELL_FILE = re.compile(r"\((?:[^()]*[/\\])?\d+\.py, line (\d+)\)")


def _evalue(output: dict) -> str:
    """An error output's message, without colours or IPython's temporary cell file name."""
    text = strip_ansi(str(output.get("evalue", ""))).strip()
    return _CELL_FILE.sub(r"(line \1 of the cell)", text)


def _first_error(cell: NotebookNode) -> dict | None:
    """The cell's first error output, or None."""
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def error_message(cell: NotebookNode) -> str:
    """The message of the first error output of a cell, without traceback and colours."""
    output = _first_error(cell)
    if output is None:
        return ""
    ename = output.get("ename", "Error")
    evalue = _evalue(output)
    if ename in ("GradingError", "AssertionError") and evalue:
        return evalue
    if ename == "NotImplementedError":
        return NOT_ANSWERED
    if ename == "NameError":
        return f"{ename}: {evalue}; define it in the answer cell above and run that cell"
    if not evalue:
        lines = [strip_ansi(line) for line in output.get("traceback", [])]
        hint = next(
            (
                line.strip()
                for line in reversed("\n".join(lines).splitlines())
                if line.strip().startswith("---->")
            ),
            "",
        )
        return f"{ename}" + (f" at {hint.removeprefix('---->').strip()}" if hint else "")
    return f"{ename}: {evalue}"


def _answer_error(cell: NotebookNode) -> str:
    """How an answer cell stopped: ``"not answered yet: ..."``, ``"ValueError: ..."`` or ``""``."""
    output = _first_error(cell)
    if output is None:
        return ""
    ename = output.get("ename", "Error")
    if ename == "NotImplementedError":
        return NOT_ANSWERED
    evalue = _evalue(output)
    return f"{ename}: {evalue}" if evalue else ename


def _explain_missing_name(message: str, answer_error: str) -> str:
    """Say why a name is missing when the answer cell before the test stopped with an error.

    A test cell that reports ``NameError: name 'max_z' is not defined`` usually means that
    the answer cell above raised before it got to define ``max_z``: the student should
    look at that error, not wonder where to define the name.
    """
    if not (message.startswith("NameError") and answer_error):
        return message
    if answer_error == NOT_ANSWERED:
        return answer_error
    name = message.split(";")[0]
    return f"{name}: the answer cell above stopped with {answer_error}; fix it and run it again"


def _title(nb: NotebookNode, index: int, grade_id: str) -> str:
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            headings = _HEADING.findall(cell.source)
            if headings:
                return re.sub(r"[*_`]", "", headings[-1]).strip()
    return grade_id


def questions(nb: NotebookNode) -> list[Question]:
    """Score every autograded test cell of an executed notebook as nbgrader does.

    The notebook is not modified.

    Examples
    --------
    >>> import nbformat
    >>> meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t1", "points": 2}}
    >>> cell = nbformat.v4.new_code_cell("check()", metadata=meta)
    >>> cell.outputs = [nbformat.v4.new_output("error", ename="GradingError", evalue="wrong axis", traceback=[])]
    >>> questions(nbformat.v4.new_notebook(cells=[cell]))
    [Question(grade_id='t1', title='t1', points=2.0, score=0.0, message='wrong axis')]
    """
    from nbgrader.utils import determine_grade

    results = []
    # The error of the answer cells that the next test cells check: the answer cells after
    # the previous test cell, or before it when no answer cell came in between.
    answer_error, after_test = "", False
    for index, cell in enumerate(nb.cells):
        if not is_test_cell(cell):
            if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
                if after_test:
                    answer_error, after_test = "", False
                answer_error = _answer_error(cell) or answer_error
            continue
        after_test = True
        meta = nbgrader_meta(cell)
        try:
            score, points = determine_grade(cell)
        except ValueError as error:  # a displayed number above the maximum
            score, points = 0.0, float(meta.get("points", 0))
            message = f"the test displayed a score nbgrader rejects ({error})"
        else:
            message = _explain_missing_name(error_message(cell), answer_error)
        grade_id = str(meta.get("grade_id", f"cell-{index + 1}"))
        results.append(
            Question(
                grade_id, _title(nb, index, grade_id), float(points), float(score or 0.0), message
            )
        )
    return results
