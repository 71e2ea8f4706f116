"""nbgrader markup of the exercise sources: validation, stable ids, leak detection.

``nbgrader generate_assignment`` accepts markup that later grades wrongly or fails
obscurely (a test cell that is not locked is graded as the student edited it; a test cell
ending in a bare value is read as partial credit; a missing ``schema_version`` fails deep
inside nbgrader). :func:`validate_markup` checks all of it first and names the file and
the cell.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from stacks._errors import MarkupError

if TYPE_CHECKING:  # nbformat is slow to import; only the functions that write need it
    from nbformat import NotebookNode

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
_FLAGS = ("grade", "solution", "locked", "task")
_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# the kernelspec every exercise runs with; students' notebooks get it back when graded
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's ``nbgrader`` metadata, or an empty dict."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: graded code that is not the student's answer."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _cell_line(text: str | None, cell: NotebookNode, start: int) -> int | None:
    """Best-effort line number of a cell in the markdown source (1-based), for messages."""
    if not text:
        return None
    lines = text.splitlines()
    grade_id = nbgrader_meta(cell).get("grade_id")
    needles = []
    if isinstance(grade_id, str):
        needles += [f"grade_id: {grade_id}", f'"grade_id": "{grade_id}"']
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), None)
    if first:
        needles.append(first)
    for needle in needles:
        for number in range(max(start, 0), len(lines)):
            if needle in lines[number]:
                return number + 1
    return None


def _where(path: Path | str, index: int, cell: NotebookNode, line: int | None) -> str:
    grade_id = nbgrader_meta(cell).get("grade_id")
    parts = [f"cell {index + 1}"]
    if line:
        parts.append(f"line {line}")
    if isinstance(grade_id, str):
        parts.append(f"grade_id {grade_id!r}")
    else:
        first = next((x.strip() for x in cell.source.splitlines() if x.strip()), "")
        if first:
            parts.append(f"starting {first[:40]!r}")
    return f"{path}, {', '.join(parts)}"


def regions(source: str, begin: str, end: str) -> tuple[list[str], str | None]:
    """Lines inside begin/end regions, and a problem if the markers do not pair up."""
    inside = False
    lines: list[str] = []
    for line in source.splitlines():
        if begin in line:
            if inside:
                return lines, f"'{begin}' again before '{end}'"
            inside = True
        elif end in line:
            if not inside:
                return lines, f"'{end}' without '{begin}'"
            inside = False
        elif inside:
            lines.append(line)
    if inside:
        return lines, f"'{begin}' without '{end}'"
    return lines, None


def _ends_with_value(source: str) -> bool | None:
    """True when the last statement is a bare expression other than print()/display().

    nbgrader reads the value a test cell displays as partial credit, so a check call left
    as the last line would turn a pass (1.0) into 1 point of maybe 3.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    value = tree.body[-1].value
    return not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in ("print", "display")
    )


def validate_markup(nb: NotebookNode, path: Path | str, text: str | None = None) -> None:
    """Check the nbgrader markup of an exercise notebook; raise one error listing all problems.

    Parameters
    ----------
    nb : NotebookNode
        The notebook read from the exercise source.
    path : path-like
        Its file, for the messages.
    text : str, optional
        The source text, to give line numbers.

    Raises
    ------
    MarkupError
        Naming the file and cell of every problem: missing ``schema_version``, missing or
        duplicate ``grade_id``, a graded cell without points, a test cell that is not
        locked or that ends with a bare value, solution or hidden-test markers in the
        wrong cell or unpaired.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade": True}})
    >>> validate_markup(nbformat.v4.new_notebook(cells=[cell]), "ex.md")
    Traceback (most recent call last):
    ...
    stacks._errors.MarkupError: ex.md: the nbgrader markup has 5 problems:
      ex.md, cell 1, starting 'x = 1': missing schema_version (add `schema_version: 3`)
      ex.md, cell 1, starting 'x = 1': missing solution, locked, task (each true or false)
      ex.md, cell 1, starting 'x = 1': no grade_id although the cell is graded, a solution or locked
      ex.md, cell 1, starting 'x = 1': graded cell without points (add e.g. `points: 1`)
      ex.md, cell 1, starting 'x = 1': a test cell must be `locked: true`, or a student's edits to it are graded
    """
    problems: list[str] = []
    seen: dict[str, str] = {}
    line = 0
    for index, cell in enumerate(nb.cells):
        found = _cell_line(text, cell, line)
        line = found or line
        where = _where(path, index, cell, found)
        meta = cell.get("metadata", {}).get("nbgrader")
        source = cell.source
        has_solution = SOLUTION_BEGIN in source or SOLUTION_END in source
        has_hidden = HIDDEN_BEGIN in source or HIDDEN_END in source
        if meta is None:
            if has_solution:
                problems.append(
                    f"{where}: solution markers in a cell that is not marked `solution: true`"
                )
            if has_hidden:
                problems.append(
                    f"{where}: hidden-test markers in a cell that is not a graded test cell"
                )
            continue
        if not isinstance(meta, dict):
            problems.append(
                f"{where}: nbgrader metadata must be a mapping, not {type(meta).__name__}"
            )
            continue
        if "schema_version" not in meta:
            problems.append(f"{where}: missing schema_version (add `schema_version: 3`)")
        elif meta["schema_version"] != 3:
            problems.append(
                f"{where}: schema_version is {meta['schema_version']!r}; nbgrader 0.9 reads 3"
            )
        missing = [key for key in _FLAGS if key not in meta]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)} (each true or false)")
        not_bool = [key for key in _FLAGS if key in meta and not isinstance(meta[key], bool)]
        if not_bool:
            problems.append(f"{where}: {', '.join(not_bool)} must be true or false")
        flags = {key: bool(meta.get(key)) for key in _FLAGS}
        grade_id = meta.get("grade_id")
        if any(flags.values()):
            if grade_id is None:
                problems.append(
                    f"{where}: no grade_id although the cell is graded, a solution or locked"
                )
            elif not isinstance(grade_id, str) or not _GRADE_ID.match(grade_id):
                problems.append(
                    f"{where}: grade_id {grade_id!r} must be 1-64 letters, digits, '_' or '-'"
                )
            elif grade_id in seen:
                problems.append(
                    f"{where}: duplicate grade_id {grade_id!r} (first used at {seen[grade_id]})"
                )
            else:
                seen[grade_id] = where
        if flags["grade"]:
            points = meta.get("points")
            if points is None:
                problems.append(f"{where}: graded cell without points (add e.g. `points: 1`)")
            elif isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
                problems.append(f"{where}: points must be a positive number, not {points!r}")
        if flags["task"]:
            problems.append(
                f"{where}: task cells are graded by hand; `stacks grade` is fully automatic"
            )
        if flags["grade"] and flags["solution"]:
            problems.append(
                f"{where}: a graded answer cell needs grading by hand; grade the answer in a separate test cell"
            )
        if flags["grade"] and cell.cell_type != "code":
            problems.append(
                f"{where}: a graded markdown cell needs grading by hand; `stacks grade` is fully automatic"
            )
        if has_solution:
            if not flags["solution"]:
                problems.append(
                    f"{where}: solution markers in a cell that is not marked `solution: true`"
                )
            _, problem = regions(source, SOLUTION_BEGIN, SOLUTION_END)
            if problem:
                problems.append(f"{where}: {problem}")
        if has_hidden:
            if not is_test_cell(cell):
                problems.append(
                    f"{where}: hidden-test markers in a cell that is not a graded test cell"
                )
            _, problem = regions(source, HIDDEN_BEGIN, HIDDEN_END)
            if problem:
                problems.append(f"{where}: {problem}")
        if is_test_cell(cell):
            if not flags["locked"]:
                problems.append(
                    f"{where}: a test cell must be `locked: true`, or a student's edits to it are graded"
                )
            ends = _ends_with_value(source)
            if ends is None:
                problems.append(f"{where}: the test cell is not valid Python")
            elif ends:
                problems.append(
                    f"{where}: the test cell ends with a bare value, which nbgrader reads as "
                    "partial credit; end with a statement (e.g. print(...))"
                )
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise MarkupError(
            f"{path}: the nbgrader markup has {len(problems)} {noun}:\n  " + "\n  ".join(problems)
        )


def stabilise(nb: NotebookNode) -> NotebookNode:
    """Give cells ids derived from their grade_id or position and drop volatile metadata.

    jupytext makes new random cell ids on every conversion; ids derived from the content's
    structure make a rebuild reproduce the same bytes.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")])
    >>> stabilise(nb).cells[0].id
    'cell-01'
    """
    nb.metadata.pop("jupytext", None)
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("stacks", None)  # the pipeline's declaration: read from the source, not shipped
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    used: set[str] = set()
    for index, cell in enumerate(nb.cells, start=1):
        grade_id = nbgrader_meta(cell).get("grade_id")
        candidate = (
            grade_id
            if isinstance(grade_id, str) and _GRADE_ID.match(grade_id)
            else f"cell-{index:02d}"
        )
        while candidate in used:
            candidate = f"{candidate}-{index}"
        used.add(candidate)
        cell.id = candidate
        for key in ("execution", "collapsed", "scrolled", "jupyter", "ExecuteTime"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def dumps(nb: NotebookNode) -> str:
    """Serialise a notebook the same way every time (sorted keys, one-space indent, newline)."""
    import nbformat

    nbformat.validate(nb)
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def hidden_test_ids(nb: NotebookNode) -> list[str]:
    """The grade ids of the test cells that hold hidden tests, in notebook order.

    Examples
    --------
    >>> import nbformat
    >>> meta = {"nbgrader": {"grade": True, "grade_id": "t", "points": 1, "solution": False}}
    >>> cell = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\\nassert f(2) == 4\\n### END HIDDEN TESTS",
    ...                                   metadata=meta)
    >>> hidden_test_ids(nbformat.v4.new_notebook(cells=[cell]))
    ['t']
    """
    return [
        nbgrader_meta(cell)["grade_id"]
        for cell in nb.cells
        if is_test_cell(cell) and HIDDEN_BEGIN in cell.source
    ]


def secret_lines(nb: NotebookNode) -> set[str]:
    """Lines that only the solution should hold: solution code and hidden tests.

    Lines that also occur outside those regions (``import numpy as np``) and very short
    lines are left out, so that what remains is evidence of a leak if a student notebook
    contains it.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("### BEGIN SOLUTION\\nanswer = compute(42)\\n### END SOLUTION")
    >>> sorted(secret_lines(nbformat.v4.new_notebook(cells=[cell])))
    ['answer = compute(42)']
    """
    secret: set[str] = set()
    public: set[str] = set()
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        hidden, _ = regions(cell.source, HIDDEN_BEGIN, HIDDEN_END)
        solution, _ = regions(cell.source, SOLUTION_BEGIN, SOLUTION_END)
        if meta.get("solution") and cell.cell_type == "code" and SOLUTION_BEGIN not in cell.source:
            solution = cell.source.splitlines()  # nbgrader replaces the whole cell
        inside = {line.strip() for line in hidden + solution}
        secret |= inside
        public |= {line.strip() for line in cell.source.splitlines()} - inside
    return {line for line in secret - public if len(line) >= 8}


def secret_runs(nb: NotebookNode) -> set[tuple[str, ...]]:
    """Evidence of an answer in a file other than a student notebook.

    A hidden-test line is evidence on its own (one-line tuples); a line of solution code
    only together with the line that follows it in the same solution (pairs), or alone
    when its solution is one line: library code shares single lines such as
    ``return out`` with solutions, never two in a row.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell(
    ...     "### BEGIN SOLUTION\\nsmoothed = blur(image)\\nanswer = compute(smoothed)\\n### END SOLUTION")
    >>> sorted(secret_runs(nbformat.v4.new_notebook(cells=[cell])))
    [('smoothed = blur(image)', 'answer = compute(smoothed)')]
    """
    distinctive = secret_lines(nb)
    runs: set[tuple[str, ...]] = set()
    for cell in nb.cells:
        hidden, _ = regions(cell.source, HIDDEN_BEGIN, HIDDEN_END)
        runs |= {(line.strip(),) for line in hidden if line.strip() in distinctive}
        solution, _ = regions(cell.source, SOLUTION_BEGIN, SOLUTION_END)
        lines = [line.strip() for line in solution if line.strip() in distinctive]
        if len(lines) == 1:
            runs.add((lines[0],))
        runs |= set(itertools.pairwise(lines))
    return runs


def find_leaks(student: NotebookNode, secret: Iterable[str]) -> list[str]:
    """Secret lines that appear in a student notebook (empty when nothing leaked)."""
    secret = set(secret)
    found = []
    for cell in student.cells:
        for line in cell.source.splitlines():
            if line.strip() in secret:
                found.append(line.strip())
    return found
