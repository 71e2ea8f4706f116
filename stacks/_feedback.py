"""Feedback pages for graded submissions: scores, messages, pictures, the notebook.

One self-contained HTML file per student (pictures embedded as base64 PNG), so it can be
mailed or uploaded anywhere. The page is the nbconvert template ``stacks/templates/feedback``
(Jinja): the summary in its header, nbconvert's classic rendering of the graded notebook
below. The pictures are chosen by the exercise (:mod:`stacks._figures`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from stacks._figures import Picture
from stacks._results import Question

__all__ = ["TEMPLATES", "Summary", "page"]

#: nbconvert template folders shipped with the package.
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Summary:
    """The head of a feedback page: who, what, how it went.

    Examples
    --------
    >>> Summary("alice", "01_projections", 9.0, 9.0, "graded").status
    'graded'
    """

    student: str
    assignment: str
    score: float
    max_score: float
    status: str
    message: str = ""


@lru_cache(maxsize=1)
def _exporter() -> Any:
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="feedback",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # a student's HTML outputs are shown, never run: no script, no event handler
        sanitize_html=True,
    )


@lru_cache(maxsize=1)
def _code_css() -> str:
    from pygments.formatters import HtmlFormatter

    return str(HtmlFormatter().get_style_defs(".highlight"))


def _for_the_page(nb: NotebookNode) -> NotebookNode:
    """The graded notebook without hidden tests and with only the headings of the instructions."""
    from stacks.preprocessors import ScrubHiddenTests

    clean, _ = ScrubHiddenTests().preprocess(copy.deepcopy(nb), {})
    # The instructions are in the student's own copy; the headings place their code under
    # the question titles.
    for cell in clean.cells:
        if cell.cell_type == "markdown":
            cell.source = "\n".join(
                line for line in cell.source.splitlines() if line.lstrip().startswith("#")
            )
    clean.cells = [c for c in clean.cells if c.cell_type != "markdown" or c.source.strip()]
    return clean


def page(
    summary: Summary,
    *,
    questions: Sequence[Question] = (),
    pictures: Sequence[Picture] = (),
    notebook: NotebookNode | None = None,
) -> str:
    """A complete, self-contained feedback page.

    Parameters
    ----------
    summary : Summary
        Student, assignment, score, status and message.
    questions : sequence of Question
        One table row each.
    pictures : sequence of (caption, base64 PNG)
        Drawn by the exercise's figures; an empty PNG shows the caption alone.
    notebook : NotebookNode, optional
        The graded notebook; hidden tests are removed before it is shown.

    Examples
    --------
    >>> html = page(Summary("<b>eve</b>", "01_projections", 4, 9, "graded"))
    >>> "feedback for &lt;b&gt;eve&lt;/b&gt;" in html, "Score: 4 / 9" in html
    (True, True)
    """
    import nbformat

    shown = _for_the_page(notebook) if notebook is not None else nbformat.v4.new_notebook()
    resources = {
        "stacks": {
            "student": summary.student,
            "assignment": summary.assignment,
            "score": f"{summary.score:g}",
            "max_score": f"{summary.max_score:g}",
            "status": summary.status,
            "message": summary.message,
            "questions": [
                {
                    "title": q.title,
                    "grade_id": q.grade_id,
                    "score": f"{q.score:g}",
                    "points": f"{q.points:g}",
                    "passed": q.passed,
                    "message": q.message,
                }
                for q in questions
            ],
            "pictures": list(pictures),
            "code_css": _code_css(),
        }
    }
    html, _ = _exporter().from_notebook_node(shown, resources=resources)
    return str(html)
