"""Policy: duplicated or copied cells are resolved the way the student meant.

JupyterLab's *Duplicate Cells* and copy-paste keep a cell's nbgrader metadata, so a
notebook may hold two answer cells, or two test cells, with one ``grade_id``. nbgrader's
``DeduplicateIds`` keeps the last copy and leaves an empty ``nbgrader`` entry on the
others, which later steps cannot read: the whole notebook was graded 0 as invalid.

Here the copy that stands where the exercise put the cell keeps the metadata: for a test
cell the first one (a copy further down is the student's), for an answer cell the first
one too. The other copies lose their nbgrader metadata, not their code: they run as
ordinary cells. Copies with a repeated cell id get a new one.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from stacks._markup import nbgrader_meta


class ResolveDuplicateCells(NbGraderPreprocessor):
    """Keep nbgrader metadata on the first cell of each ``grade_id``; the copies become plain.

    Examples
    --------
    >>> import nbformat
    >>> meta = {"nbgrader": {"grade_id": "a", "solution": True, "grade": False}}
    >>> cells = [nbformat.v4.new_code_cell("x = 1", metadata=meta) for _ in range(2)]
    >>> nb, resources = ResolveDuplicateCells().preprocess(nbformat.v4.new_notebook(cells=cells), {})
    >>> ["nbgrader" in cell.metadata for cell in nb.cells], resources["stacks"]["notes"]
    ([True, False], ['copies of cell a run as ordinary cells'])
    """

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        """Resolve repeated grade_ids and cell ids in ``nb``."""
        seen: set[str] = set()
        copied: list[str] = []
        for cell in nb.cells:
            meta = cell.get("metadata", {})
            if "nbgrader" in meta and not nbgrader_meta(cell):
                del meta["nbgrader"]  # an empty entry, as DeduplicateIds leaves: nothing
                continue
            grade_id = nbgrader_meta(cell).get("grade_id")
            if not grade_id:
                continue
            if grade_id in seen:
                del meta["nbgrader"]
                if grade_id not in copied:
                    copied.append(grade_id)
            seen.add(grade_id)
        ids: set[str] = set()
        for index, cell in enumerate(nb.cells):
            if cell.get("id") in ids:
                cell["id"] = f"{cell['id']}-copy-{index}"
            ids.add(cell.get("id"))
        if copied:
            notes = resources.setdefault("stacks", {}).setdefault("notes", [])
            cells = ", ".join(copied)
            notes.append(
                f"copies of cell{'s' if len(copied) > 1 else ''} {cells} run as ordinary cells"
            )
        return nb, resources
