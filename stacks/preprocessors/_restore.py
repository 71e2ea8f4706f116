"""Policy: deleted or edited test cells are put back before a submission runs."""

from __future__ import annotations

import copy
from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.preprocessors import OverwriteCells
from traitlets import Bool, Unicode

from stacks._markup import HIDDEN_BEGIN, HIDDEN_END, is_test_cell, nbgrader_meta


class RestoreTestCells(OverwriteCells):
    """nbgrader's OverwriteCells with deleted cells added back, saying what it restored.

    Locked cells (the tests) are overwritten with the gradebook's source, and cells that the
    student deleted are added back (nbgrader's default leaves such a submission needing
    manual grading forever). The restored cells are listed in
    ``resources["stacks"]["notes"]`` for the student's feedback, and cells added back get an
    id (nbformat 5.1 requires one).

    Where there is no gradebook (``stacks check`` on a student's machine), the originals
    come from the pristine student notebook named by ``originals``: its test cells replace
    edited ones and are inserted where they were deleted.

    Examples
    --------
    In ``nbgrader_config.py``::

        c.Autograde.sanitize_preprocessors = [
            "nbgrader.preprocessors.ClearOutput", "stacks.preprocessors.ResolveDuplicateCells",
            "nbgrader.preprocessors.OverwriteKernelspec",
            "stacks.preprocessors.RestoreTestCells",
            "nbgrader.preprocessors.CheckCellMetadata",
        ]
    """

    add_missing_cells = Bool(
        True, help="Add deleted test cells back to the submission (nbgrader's default: False)."
    ).tag(config=True)
    originals = Unicode(
        "", help="A pristine student notebook to restore from when there is no gradebook."
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        """Overwrite and add back test cells; note which were restored."""
        before = {
            nbgrader_meta(cell).get("grade_id"): cell.source
            for cell in nb.cells
            if nbgrader_meta(cell).get("grade_id")
        }
        if "nbgrader" in resources:
            nbgrader = resources["nbgrader"]
            with Gradebook(nbgrader["db_url"]) as gradebook:
                source = gradebook.find_notebook(nbgrader["notebook"], nbgrader["assignment"])
                locked = {cell.name: cell.source for cell in source.source_cells if cell.locked}
            nb, resources = super().preprocess(nb, resources)
        elif self.originals:
            locked = _restore_from(nb, self.originals)
        else:
            return nb, resources
        _give_ids(nb)
        notes = resources.setdefault("stacks", {}).setdefault("notes", [])
        after = {nbgrader_meta(cell).get("grade_id") for cell in nb.cells}
        added = sorted(g for g in after if g and g not in before)
        # a student's copy of a test cell never had the hidden tests: compare with what they got
        edited = sorted(
            grade_id
            for grade_id, original in locked.items()
            if grade_id in before
            and before[grade_id].strip() not in (original.strip(), _visible(original).strip())
        )
        if added:
            notes.append(f"restored deleted cells: {', '.join(added)}")
        if edited:
            notes.append(f"restored edited test cells: {', '.join(edited)}")
        return nb, resources


def _visible(source: str) -> str:
    """A test cell as students see it: without its hidden-test region."""
    lines, hidden = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def _restore_from(nb: NotebookNode, originals: str) -> dict[str, str]:
    """Put the test cells of a pristine notebook back into ``nb``; return them by grade_id."""
    import nbformat

    reference = nbformat.read(originals, as_version=4)
    tests = {
        nbgrader_meta(cell)["grade_id"]: cell
        for cell in reference.cells
        if is_test_cell(cell) and nbgrader_meta(cell).get("grade_id")
    }
    for grade_id, original in tests.items():
        for cell in nb.cells:
            if nbgrader_meta(cell).get("grade_id") == grade_id:
                cell.source = original.source
    position = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)}
    previous = -1
    for cell in reference.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if not grade_id:
            continue
        if grade_id in position:
            previous = position[grade_id]
        elif grade_id in tests:
            previous += 1
            nb.cells.insert(previous, copy.deepcopy(cell))
            position = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells)}
    return {grade_id: cell.source for grade_id, cell in tests.items()}


def _give_ids(nb: NotebookNode) -> None:
    used = {cell.get("id") for cell in nb.cells}
    for index, cell in enumerate(nb.cells):
        if not cell.get("id"):
            candidate = str(nbgrader_meta(cell).get("grade_id") or f"cell-{index}")
            while candidate in used:
                candidate += "-restored"
            cell["id"] = candidate
            used.add(candidate)
