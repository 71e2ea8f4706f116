"""Policy: a cell's nbgrader metadata is the release's, whatever the submission says.

The metadata travels in the student's file, so a student can edit it: make a passing test
worth 100 points, declare an answer cell a graded test, or rename a failing test so that
it looks like a cell of their own. nbgrader reads part of it back from the gradebook
(points, sources of locked cells) but fails on the rest: a grade cell the gradebook does
not know, or a locked cell with a new name, made the whole notebook "invalid" (0 points).

Here every cell whose ``grade_id`` the release has gets the release's metadata back, and
a cell whose ``grade_id`` the release does not have loses its nbgrader metadata (its code
runs as an ordinary cell; a test cell renamed this way counts as deleted and
:class:`RestoreTestCells` puts the original back).
"""

from __future__ import annotations

import copy
from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from stacks._markup import nbgrader_meta

#: the fields that decide how a cell is graded; a difference in any of them is an edit
GRADING_FIELDS = ("grade", "grade_id", "locked", "points", "solution", "task")


class RestoreCellMetadata(NbGraderPreprocessor):
    """Put back the release's nbgrader metadata; cells the release lacks become ordinary.

    The release's metadata comes from the gradebook when grading, or from the pristine
    student notebook named by ``originals`` (``stacks check``).

    Examples
    --------
    >>> import nbformat
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> test = {"grade_id": "t", "grade": True, "points": 2, "locked": True, "solution": False}
    >>> mine = {"grade_id": "mine", "grade": True, "points": 9, "locked": True, "solution": False}
    >>> released = new_notebook(cells=[new_code_cell("check()", metadata={"nbgrader": test})])
    >>> submitted = new_notebook(cells=[
    ...     new_code_cell("check()", metadata={"nbgrader": {**test, "points": 100}}),
    ...     new_code_cell("pass", metadata={"nbgrader": mine})])
    >>> nb, resources = RestoreCellMetadata(released=released).preprocess(submitted, {})
    >>> nb.cells[0].metadata.nbgrader.points, "nbgrader" in nb.cells[1].metadata
    (2, False)
    >>> resources["stacks"]["notes"]
    ['put back the nbgrader metadata of cell t as released', 'cell mine is not part of the exercise: it ran as an ordinary cell']
    """

    originals = Unicode(
        "", help="A pristine student notebook to read the metadata from when there is no gradebook."
    ).tag(config=True)

    def __init__(self, released: NotebookNode | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._released = released

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        """Replace edited nbgrader metadata in ``nb`` by the release's, noting what changed."""
        released = self._released_metadata(resources)
        if released is None:
            return nb, resources
        restored, unknown = [], []
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            grade_id = meta.get("grade_id")
            if not grade_id:
                continue
            original = released.get(grade_id)
            if original is None:
                del cell.metadata["nbgrader"]
                unknown.append(grade_id)
            elif _grading(meta) != _grading(original):
                cell.metadata["nbgrader"] = copy.deepcopy(original)
                restored.append(grade_id)
        notes = resources.setdefault("stacks", {}).setdefault("notes", [])
        if restored:
            notes.append(f"put back the nbgrader metadata of {_cells(restored)} as released")
        if unknown:
            one = len(unknown) == 1
            notes.append(
                f"{_cells(unknown)} {'is' if one else 'are'} not part of the exercise: "
                f"{'it' if one else 'they'} ran as {'an ordinary cell' if one else 'ordinary cells'}"
            )
        return nb, resources

    def _released_metadata(self, resources: dict[str, Any]) -> dict[str, NotebookNode] | None:
        if "nbgrader" in resources:
            return _from_gradebook(resources["nbgrader"])
        if self._released is None and self.originals:
            import nbformat

            self._released = nbformat.read(self.originals, as_version=4)
        if self._released is None:
            return None
        return {
            nbgrader_meta(cell)["grade_id"]: cell.metadata["nbgrader"]
            for cell in self._released.cells
            if nbgrader_meta(cell).get("grade_id")
        }


def _grading(meta: dict) -> tuple:
    return tuple(meta.get(field) for field in GRADING_FIELDS)


def _cells(grade_ids: list[str]) -> str:
    return f"cell{'s' if len(grade_ids) > 1 else ''} {', '.join(grade_ids)}"


def _from_gradebook(nbgrader: dict[str, Any]) -> dict[str, NotebookNode]:
    """The nbgrader metadata of every cell of the released notebook, as the gradebook has it."""
    with Gradebook(nbgrader["db_url"]) as gradebook:
        source = gradebook.find_notebook(nbgrader["notebook"], nbgrader["assignment"])
        points = {cell.name: cell.max_score for cell in source.grade_cells}
        solutions = {cell.name for cell in source.solution_cells}
        tasks = {cell.name for cell in source.task_cells}
        released = {}
        for cell in source.source_cells:
            meta = {
                "cell_type": cell.cell_type,
                "grade": cell.name in points,
                "grade_id": cell.name,
                "locked": cell.locked,
                "schema_version": 3,
                "solution": cell.name in solutions,
                "task": cell.name in tasks,
            }
            if cell.name in points:
                meta["points"] = points[cell.name]
            if cell.checksum:
                meta["checksum"] = cell.checksum
            released[cell.name] = NotebookNode(meta)
    return released
