"""Feedback pages for graded submissions: scores, messages, pictures, the notebook.

One self-contained HTML file per student (pictures embedded as base64 PNG), so it can be
mailed or uploaded anywhere. Pictures show what a message cannot: the student's
projection beside the reference and their difference; a plane of the student's
segmentation over the data beside the true bead outlines.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from nbformat import NotebookNode

from stacks import _markup
from stacks._execute import Harvest
from stacks._results import Question, strip_ansi

Figure = tuple[str, str]  # (caption, base64 PNG)


@dataclass(frozen=True)
class FeedbackSpec:
    """What to copy out of a graded kernel and how to draw it."""

    harvest: Sequence[Harvest] = ()
    draw: Callable[[dict[str, np.ndarray]], list[Figure]] | None = None


# ---------------------------------------------------------------------------- pictures


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _new_figure(width: float, height: float):
    # The object-oriented API with the Agg canvas: no pyplot state, no GUI, thread-safe.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _thumb(image: np.ndarray, size: int = 256) -> np.ndarray:
    """Subsample a large image for display; the pictures are for the eye, not measurement."""
    step = max(1, int(np.ceil(max(image.shape[:2]) / size)))
    return image[::step, ::step]


@lru_cache(maxsize=1)
def _zebrafish_references() -> dict[str, np.ndarray]:
    import tifffile

    from helpers import datasets

    folder = datasets.path("zebrafish")
    return {
        "max_z": tifffile.imread(folder / "MaxZ.tif"),
        "median_z": tifffile.imread(folder / "medianZ.tif"),
    }


def projection_figures(arrays: dict[str, np.ndarray]) -> list[Figure]:
    """Student projection | reference | difference, for ``max_z`` and ``median_z``."""
    references = _zebrafish_references()
    rows = [(name, arrays.get(name), references[name]) for name in ("max_z", "median_z")]
    fig = _new_figure(11, 3.6 * len(rows))
    axes = fig.subplots(len(rows), 3, squeeze=False)
    for (name, student, reference), (ax_s, ax_r, ax_d) in zip(rows, axes):
        ref_name = "MaxZ.tif" if name == "max_z" else "medianZ.tif"
        ax_r.imshow(_thumb(reference), cmap="gray")
        ax_r.set_title(f"reference {ref_name}")
        if student is None or student.ndim < 2:
            for ax in (ax_s, ax_d):
                ax.text(
                    0.5,
                    0.5,
                    f"no {name} array\nto show",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                )
        else:
            shown = student if student.ndim == 2 else student[student.shape[0] // 2]
            ax_s.imshow(
                _thumb(shown), cmap="gray", vmin=float(reference.min()), vmax=float(reference.max())
            )
            ax_s.set_title(f"your {name} {tuple(student.shape)}")
            if student.shape == reference.shape:
                diff = student.astype(np.float64) - reference.astype(np.float64)
                tolerance = 0.5 if name == "median_z" else 0.0
                wrong = int((np.abs(diff) > tolerance).sum())
                limit = max(float(np.abs(diff).max()), 1.0)
                image = ax_d.imshow(_thumb(diff), cmap="RdBu_r", vmin=-limit, vmax=limit)
                fig.colorbar(image, ax=ax_d, fraction=0.046, pad=0.04)
                ax_d.set_title(
                    "yours - reference: identical"
                    if wrong == 0
                    else f"yours - reference: {wrong} pixels differ"
                )
            else:
                ax_d.text(
                    0.5,
                    0.5,
                    f"shapes differ:\n{tuple(student.shape)} vs {tuple(reference.shape)}",
                    ha="center",
                    va="center",
                    transform=ax_d.transAxes,
                )
        for ax in (ax_s, ax_r, ax_d):
            ax.set_xticks([])
            ax.set_yticks([])
    return [
        (
            "Your projections beside the reference images, and the difference (blue: yours is darker, red: brighter).",
            _png(fig),
        )
    ]


@lru_cache(maxsize=1)
def _beadpack_plane() -> tuple[np.ndarray, np.ndarray]:
    from helpers import datasets

    volume = datasets.load("beadpack")
    truth = datasets.load_truth("beadpack")
    middle = volume.shape[0] // 2
    return volume[middle], truth[middle]


def segmentation_figures(arrays: dict[str, np.ndarray]) -> list[Figure]:
    """The middle plane with the true bead outlines and with the student's."""
    from skimage.segmentation import find_boundaries

    data, truth = _beadpack_plane()
    labels = arrays.get("bead_labels")
    fig = _new_figure(11, 4)
    axes = fig.subplots(1, 3)

    def overlay(
        ax, plane_labels: np.ndarray, title: str, color: tuple[float, float, float]
    ) -> None:
        rgb = np.repeat((data / 255.0)[..., None], 3, axis=2)
        edges = find_boundaries(plane_labels, mode="inner")
        rgb[edges] = color
        ax.imshow(rgb)
        ax.set_title(title)

    overlay(axes[0], truth, "true beads", (0.1, 0.9, 0.2))
    if labels is None or labels.shape != truth.shape:
        note = (
            "no bead_labels to show"
            if labels is None
            else f"bead_labels plane has shape {tuple(labels.shape)},\nexpected {tuple(truth.shape)}"
        )
        for ax in axes[1:]:
            ax.imshow(data, cmap="gray")
            ax.text(
                0.5, 0.5, note, ha="center", va="center", color="yellow", transform=ax.transAxes
            )
    else:
        labels = labels.astype(np.int64)
        overlay(axes[1], labels, "your bead_labels (outlines)", (1.0, 0.3, 0.1))
        shuffled = np.random.default_rng(0).permutation(
            int(labels.max()) + 1
        )  # neighbours get distinct colours
        shuffled[0] = 0
        axes[2].imshow(
            np.ma.masked_equal(shuffled[labels], 0), cmap="nipy_spectral", interpolation="nearest"
        )
        count = len(np.unique(labels[labels > 0]))
        axes[2].set_title(f"your labels: {count} object{'s' if count != 1 else ''} in this plane")
        if count == 1:
            axes[2].text(
                0.5,
                -0.08,
                "every bead has the same label: a binary mask",
                ha="center",
                va="top",
                color="#b3261e",
                transform=axes[2].transAxes,
            )
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return [
        (
            "The middle plane of the volume: the true bead outlines, yours, and your labels.",
            _png(fig),
        )
    ]


SPECS: dict[str, FeedbackSpec] = {
    "01_projections": FeedbackSpec((Harvest("max_z"), Harvest("median_z")), projection_figures),
    "02_segmentation": FeedbackSpec(
        (Harvest("bead_labels", plane="middle"),), segmentation_figures
    ),
}


def spec(assignment: str) -> FeedbackSpec:
    """The feedback pictures of an assignment (none for unknown ones)."""
    return SPECS.get(assignment, FeedbackSpec())


def figures(assignment: str, arrays: dict[str, np.ndarray]) -> list[Figure]:
    """Draw an assignment's pictures; a picture that fails is left out, never fatal."""
    draw = spec(assignment).draw
    if draw is None:
        return []
    try:
        return draw(arrays)
    except Exception as error:  # a picture is a bonus; grading must go on
        return [(f"(picture unavailable: {type(error).__name__}: {error})", "")]


# ---------------------------------------------------------------------------- pages


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="basic", exclude_input_prompt=True, exclude_output_prompt=True
    )


def notebook_html(nb: NotebookNode) -> str:
    """The notebook as an HTML fragment, with hidden tests removed."""
    import copy

    from nbgrader.preprocessors import ClearHiddenTests

    clean = copy.deepcopy(nb)
    hide_hidden_tests_in_tracebacks(clean)
    clean, _ = ClearHiddenTests().preprocess(clean, {})
    # The instructions are in the student's own copy; keep only their headings, so the
    # page shows the student's code and its results under the question titles.
    for cell in clean.cells:
        if cell.cell_type == "markdown":
            cell.source = "\n".join(
                line for line in cell.source.splitlines() if line.lstrip().startswith("#")
            )
    clean.cells = [
        cell for cell in clean.cells if cell.cell_type != "markdown" or cell.source.strip()
    ]
    body, _ = _exporter().from_notebook_node(clean)
    return body


_LINE_NUMBER = re.compile(r"^\s*(?:-*>)?\s*\d+\s?")


def hide_hidden_tests_in_tracebacks(nb: NotebookNode) -> int:
    """Remove hidden-test lines that tracebacks quote as context; return how many.

    ClearHiddenTests removes the hidden tests from the cell source, but IPython quotes the
    lines around a failing line in the traceback, so a visible test that fails shows the
    hidden test below it. Removing those lines keeps what the student needs (their own
    frames, the message) and nothing of the hidden tests.
    """
    hidden: set[str] = set()
    for cell in nb.cells:
        lines, _ = _markup._regions(cell.source, _markup.HIDDEN_BEGIN, _markup.HIDDEN_END)
        hidden |= {line.strip() for line in lines if line.strip()}
    removed = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            cleaned = []
            for entry in output.get("traceback", []):
                kept = []
                for line in entry.split("\n"):
                    plain = strip_ansi(line)
                    code = _LINE_NUMBER.sub("", plain).strip()
                    if "HIDDEN TESTS" in plain or (code and code in hidden):
                        removed += 1
                        continue
                    kept.append(line)
                cleaned.append("\n".join(kept))
            output["traceback"] = cleaned
    return removed


@lru_cache(maxsize=1)
def _css() -> str:
    from pygments.formatters import HtmlFormatter

    return (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.35em .6em;text-align:left;vertical-align:top}"
        ".pass{color:#176f2c;font-weight:600}.fail{color:#b3261e;font-weight:600}"
        ".status{display:inline-block;padding:.1em .5em;border-radius:.3em;background:#eee}"
        "figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{color:#555}"
        ".notebook{border-top:2px solid #ddd;margin-top:2em}.jp-InputArea pre,.highlight pre{background:#f6f8fa;padding:.6em;overflow-x:auto}"
        ".jp-OutputArea pre{padding:.3em .6em;overflow-x:auto}.jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']{background:#fff5f5}"
        ".anchor-link{display:none}.ansi-red-fg{color:#b3261e}.ansi-green-fg{color:#176f2c}.ansi-blue-fg{color:#1d4ed8}.ansi-cyan-fg{color:#0e7490}.ansi-yellow-fg{color:#a16207}"
        + HtmlFormatter().get_style_defs(".highlight")
    )


def page(
    *,
    student: str,
    assignment: str,
    score: float,
    max_score: float,
    status: str,
    message: str,
    questions: Sequence[Question] = (),
    pictures: Sequence[Figure] = (),
    notebook: str = "",
) -> str:
    """A complete, self-contained feedback page."""
    e = html.escape
    rows = []
    for q in questions:
        verdict = (
            '<span class="pass">passed</span>'
            if q.passed
            else '<span class="fail">not passed</span>'
        )
        rows.append(
            f"<tr><td>{e(q.title)}<br><small>{e(q.grade_id)}</small></td><td>{q.score:g} / {q.points:g}</td>"
            f"<td>{verdict}</td><td>{e(q.message)}</td></tr>"
        )
    table = (
        "<table><tr><th>question</th><th>points</th><th>result</th><th>what to look at</th></tr>"
        + "".join(rows)
        + "</table>"
        if rows
        else ""
    )
    figures_html = "".join(
        f'<figure><img alt="{e(caption)}" src="data:image/png;base64,{data}"><figcaption>{e(caption)}</figcaption></figure>'
        if data
        else f"<p>{e(caption)}</p>"
        for caption, data in pictures
    )
    note = f"<p>{e(message)}</p>" if message else ""
    notebook_part = (
        f'<section class="notebook"><h2>Your notebook as graded</h2>{notebook}</section>'
        if notebook
        else ""
    )
    pictures_part = f"<section><h2>Pictures</h2>{figures_html}</section>" if figures_html else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(assignment)}: feedback for {e(student)}</title><style>{_css()}</style></head><body>"
        f"<h1>{e(assignment)}: feedback for {e(student)}</h1>"
        f"<p><strong>Score: {score:g} / {max_score:g}</strong> &nbsp; <span class='status'>{e(status)}</span></p>"
        f"{note}{table}{pictures_part}{notebook_part}</body></html>\n"
    )
