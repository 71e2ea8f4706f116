"""The grading policies of the course, each one nbgrader preprocessor class.

Every policy that decides a score exists once, here, and is switched on in one place,
:mod:`stacks._config`, which both ``stacks grade`` and the ``nbgrader_config.py`` that
``stacks build`` writes for running plain ``nbgrader autograde`` use. Each class fixes a
silent mis-grade of a default nbgrader set-up (see the team's findings):

======================  ===============================================================
class                   policy
======================  ===============================================================
ResolveDuplicateCells   a duplicated or copied cell (same grade_id) runs as an ordinary
                        cell; the one where the exercise put it keeps its metadata
RestoreCellMetadata     a cell's nbgrader metadata (points, test or answer) is the
                        release's; a cell the release lacks runs as an ordinary cell
RestoreTestCells        a deleted or edited test cell is put back from the gradebook,
                        and the submission says which (never graded by hand forever)
ExecuteWithLimits       each cell has a time limit; cells that never ran (after a kernel
                        death or the notebook's time limit) get an error, so they score
                        0, not nbgrader's full marks for a test cell without output; in
                        a sandbox with limits; tests judged outside the kernel
IgnoreStderrInTests     output on stderr (a warning, a progress bar) never costs a test
                        cell its points; an exception does
ScrubHiddenTests        feedback shows no hidden test, neither in the cell nor quoted by
                        a traceback
======================  ===============================================================

Examples
--------
In an nbgrader course folder (``stacks build`` writes this configuration)::

    c.Autograde.sanitize_preprocessors = [..., "stacks.preprocessors.RestoreTestCells", ...]
    c.Autograde.autograde_preprocessors = ["stacks.preprocessors.ExecuteWithLimits",
                                           "stacks.preprocessors.IgnoreStderrInTests", ...]
    c.GenerateFeedback.preprocessors = [..., "stacks.preprocessors.ScrubHiddenTests"]
"""

from stacks.preprocessors._duplicates import ResolveDuplicateCells
from stacks.preprocessors._execute import ExecuteWithLimits, mark_not_run
from stacks.preprocessors._hidden import ScrubHiddenTests, hidden_lines
from stacks.preprocessors._metadata import RestoreCellMetadata
from stacks.preprocessors._restore import RestoreTestCells
from stacks.preprocessors._stderr import IgnoreStderrInTests

__all__ = [
    "ExecuteWithLimits",
    "IgnoreStderrInTests",
    "ResolveDuplicateCells",
    "RestoreCellMetadata",
    "RestoreTestCells",
    "ScrubHiddenTests",
    "hidden_lines",
    "mark_not_run",
]
