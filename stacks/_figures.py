"""The kinds of picture a feedback page can show, which exercises choose in their front matter.

A kind is code (how to draw); which exercise draws what, from which variable and against
which reference, is data in ``solutions/NN_name.md`` (see :mod:`stacks._exercise`). Each
kind checks its options when the exercise is read, says which harvested variables it
draws, and draws them as one PNG (base64) with a caption. The panels are put together as
pixels (:mod:`stacks._canvas`): a few milliseconds, no figure, no pyplot state.

Kinds
-----
``image_comparison``
    For each row: the student's 2D image, a reference file of a dataset, and their
    difference, counting the pixels that differ by more than the row's ``tolerance``.
``label_overlay``
    The middle plane of a dataset with the true object outlines, the student's outlines,
    and the student's labels in colour (a binary mask shows as one colour).
``mask_overlay``
    For a mask (such as the pixels of active neurons): the middle plane of a dataset with
    the true outlines, the student's outlines, and where the two masks agree.

The plane of a time series of volumes is the middle plane of its mean over time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    pass

__all__ = ["KINDS", "FigureKind", "Picture", "draw"]

#: (caption, base64-encoded PNG); an empty PNG means the caption explains why there is none.
Picture = tuple[str, str]


@dataclass(frozen=True)
class FigureKind:
    """How to check, and draw, one kind of picture.

    Examples
    --------
    >>> KINDS["label_overlay"].check({"variable": "bead_labels"})
    ['needs `dataset:` (str)']
    """

    required: Mapping[str, type]
    optional: Mapping[str, type]
    variables: Callable[[Mapping[str, Any]], list[str]]
    draw: Callable[[Mapping[str, np.ndarray], Mapping[str, Any]], Picture]
    check_more: Callable[[Mapping[str, Any]], list[str]] = lambda options: []

    def check(self, options: Mapping[str, Any]) -> list[str]:
        """Problems with the options given in the front matter (empty when they are right)."""
        problems = [
            f"needs `{key}:` ({kind.__name__})"
            for key, kind in self.required.items()
            if key not in options
        ]
        for key, value in options.items():
            kind = self.required.get(key) or self.optional.get(key)
            if kind is None:
                known = ", ".join([*self.required, *self.optional])
                problems.append(f"unknown option `{key}`; the options are {known}")
            elif not isinstance(value, kind):
                problems.append(f"`{key}` must be a {kind.__name__}, not {value!r}")
        return problems or self.check_more(options)


def draw(kind: str, arrays: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> Picture:
    """Draw one picture; a picture that fails becomes a caption saying so, never an error.

    Examples
    --------
    >>> caption, png = draw("label_overlay", {}, {"variable": "x", "dataset": "nope"})
    >>> caption.startswith("(picture unavailable: ValueError"), png
    (True, '')
    """
    try:
        return KINDS[kind].draw(arrays, options)
    except Exception as error:  # a picture is a bonus; grading must go on
        return (f"(picture unavailable: {type(error).__name__}: {error})", "")


# ---------------------------------------------------------------------------- drawing


def _thumb(image: np.ndarray, size: int = 256) -> np.ndarray:
    """Subsample a large image for display; the pictures are for the eye, not measurement."""
    step = max(1, int(np.ceil(max(image.shape[:2]) / size)))
    return image[::step, ::step]


def _reference(reference: str) -> np.ndarray:
    """A reference file named ``dataset/file``, e.g. ``zebrafish/MaxZ.tif``, of the data
    in use (a student's own variant when grading with a roster)."""
    from helpers import datasets

    return _reference_in(datasets.data_root(), reference)


@lru_cache(maxsize=8)
def _reference_in(root: Path, reference: str) -> np.ndarray:
    # ``root`` is the cache key only: datasets.path below reads the same data_root()
    import tifffile

    from helpers import datasets

    dataset, _, file = reference.partition("/")
    return np.asarray(tifffile.imread(datasets.path(dataset) / file))


def _middle_plane(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    from helpers import datasets

    return _middle_plane_in(datasets.data_root(), dataset)


@lru_cache(maxsize=8)
def _middle_plane_in(root: Path, dataset: str) -> tuple[np.ndarray, np.ndarray]:
    # ``root`` is the cache key only, as in _reference_in
    from helpers import datasets

    volume, truth = datasets.load(dataset), datasets.load_truth(dataset)
    if datasets.describe(dataset)["axes"].startswith("T"):  # a time series of volumes
        volume = volume.mean(axis=0)
    middle = volume.shape[0] // 2
    return volume[middle], truth[middle]


# ---------------------------------------------------------------------------- image_comparison


def _check_rows(options: Mapping[str, Any]) -> list[str]:
    from helpers import datasets

    problems = []
    for index, row in enumerate(options["rows"]):
        if not isinstance(row, Mapping) or not isinstance(row.get("variable"), str):
            problems.append(f"rows[{index}] needs `variable:`")
            continue
        reference = row.get("reference")
        dataset, _, file = str(reference).partition("/")
        if dataset not in datasets.NAMES or file not in datasets.describe(dataset)["files"]:
            problems.append(
                f"rows[{index}].reference must name a file of a dataset such as zebrafish/MaxZ.tif, not {reference!r}"
            )
        tolerance = row.get("tolerance", 0)
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
            problems.append(
                f"rows[{index}].tolerance must be a number of 0 or more, not {tolerance!r}"
            )
        if set(row) - {"variable", "reference", "tolerance"}:
            problems.append(f"rows[{index}]: the options are variable, reference, tolerance")
    return problems


def _draw_comparison(arrays: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> Picture:
    from stacks._canvas import Panel, diverging, grey, png_of_grid

    grid = []
    for row in options["rows"]:
        name, tolerance = row["variable"], float(row.get("tolerance", 0))
        reference = _reference(row["reference"])
        student = arrays.get(name)
        low, high = float(reference.min()), float(reference.max())
        theirs = Panel(f"reference {row['reference'].partition('/')[2]}", grey(_thumb(reference)))
        if student is None or student.ndim < 2:
            missing = Panel(f"your {name}", note=f"no {name} array\nto show")
            grid.append(
                [missing, theirs, Panel("yours - reference", note=f"no {name} array\nto show")]
            )
            continue
        shown = student if student.ndim == 2 else student[student.shape[0] // 2]
        yours = Panel(f"your {name} {tuple(student.shape)}", grey(_thumb(shown), low, high))
        if student.shape != reference.shape:
            note = f"shapes differ:\n{tuple(student.shape)} vs {tuple(reference.shape)}"
            grid.append([yours, theirs, Panel("yours - reference", note=note)])
            continue
        diff = student.astype(np.float64) - reference.astype(np.float64)
        wrong = int((np.abs(diff) > tolerance).sum())
        limit = max(float(np.abs(diff).max()), 1.0)
        title = (
            "yours - reference: identical"
            if wrong == 0
            else f"yours - reference: {wrong} pixels differ"
        )
        difference = Panel(title, diverging(_thumb(diff), limit), scale=("RdBu_r", -limit, limit))
        grid.append([yours, theirs, difference])
    return (str(options["caption"]), png_of_grid(grid))


# ---------------------------------------------------------------------------- label_overlay


def _draw_overlay(arrays: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> Picture:
    from skimage.segmentation import find_boundaries

    from stacks._canvas import Panel, grey, label_colours, png_of_grid

    name = options["variable"]
    data, truth = _middle_plane(options["dataset"])
    labels = arrays.get(name)
    background = grey(data)

    def outline(plane_labels: np.ndarray, title: str, color: tuple[int, int, int]) -> Panel:
        rgb = background.copy()
        rgb[find_boundaries(plane_labels, mode="inner")] = color
        return Panel(title, rgb)

    panels = [outline(truth, "true objects", (26, 230, 51))]
    if labels is None or labels.shape != truth.shape:
        note = (
            f"no {name} to show"
            if labels is None
            else f"{name} plane has shape {tuple(labels.shape)},\nexpected {tuple(truth.shape)}"
        )
        panels += [Panel(f"your {name}", note=note), Panel("your labels", note=note)]
    else:
        labels = labels.astype(np.int64)
        count = len(np.unique(labels[labels > 0]))
        title = f"your labels: {count} object{'s' if count != 1 else ''} in this plane"
        if count == 1:
            title += " (a binary mask?)"
        panels += [
            outline(labels, f"your {name} (outlines)", (255, 77, 26)),
            Panel(title, label_colours(labels)),
        ]
    return (str(options["caption"]), png_of_grid([panels]))


# ---------------------------------------------------------------------------- mask_overlay

#: Colours of the agreement panel: in both masks, only in the student's, only in the truth's.
_BOTH, _ONLY_YOURS, _MISSED = (255, 255, 255), (230, 38, 230), (26, 200, 51)


def _draw_mask_overlay(arrays: Mapping[str, np.ndarray], options: Mapping[str, Any]) -> Picture:
    from skimage.segmentation import find_boundaries

    from helpers import datasets
    from stacks._canvas import Panel, grey, png_of_grid

    name = options["variable"]
    data, truth = _middle_plane(options["dataset"])
    true = truth > 0
    mask = arrays.get(name)
    background = grey(data)

    def outline(plane_mask: np.ndarray, title: str, color: tuple[int, int, int]) -> Panel:
        rgb = background.copy()
        rgb[find_boundaries(plane_mask, mode="inner")] = color
        return Panel(title, rgb)

    objects = datasets.SPECS[options["dataset"]].objects
    panels = [outline(true, f"true {objects} (outlines)", _MISSED)]
    if mask is None or mask.shape != true.shape:
        note = (
            f"no {name} to show"
            if mask is None
            else f"{name} plane has shape {tuple(mask.shape)},\nexpected {tuple(true.shape)}"
        )
        panels += [Panel(f"your {name}", note=note), Panel("agreement", note=note)]
    else:
        mine = mask > 0
        agree = (background // 3).copy()  # the data, dimmed, where neither mask is
        agree[mine & true], agree[mine & ~true], agree[~mine & true] = _BOTH, _ONLY_YOURS, _MISSED
        total = int(mine.sum() + true.sum())
        dice = 2 * int((mine & true).sum()) / total if total else 1.0
        panels += [
            outline(mine, f"your {name} (outlines)", (255, 77, 26)),
            Panel(f"agreement: Dice {dice:.2f} in this plane", agree),
        ]
    return (str(options["caption"]), png_of_grid([panels]))


def _check_dataset(options: Mapping[str, Any]) -> list[str]:
    from helpers import datasets

    if options["dataset"] not in datasets.NAMES:
        return [
            f"unknown dataset {options['dataset']!r}; the datasets are {', '.join(datasets.NAMES)}"
        ]
    return []


#: Every kind of picture, by the name exercises give in ``figure:``.
KINDS: dict[str, FigureKind] = {
    "image_comparison": FigureKind(
        required={"rows": list, "caption": str},
        optional={},
        variables=lambda options: [row["variable"] for row in options["rows"]],
        draw=_draw_comparison,
        check_more=_check_rows,
    ),
    "label_overlay": FigureKind(
        required={"variable": str, "dataset": str},
        optional={"caption": str},
        variables=lambda options: [options["variable"]],
        draw=lambda arrays, options: _draw_overlay(
            arrays,
            {"caption": "The middle plane: the true outlines, yours, and your labels.", **options},
        ),
        check_more=_check_dataset,
    ),
    "mask_overlay": FigureKind(
        required={"variable": str, "dataset": str},
        optional={"caption": str},
        variables=lambda options: [options["variable"]],
        draw=lambda arrays, options: _draw_mask_overlay(
            arrays,
            {
                "caption": (
                    "The middle plane: the true outlines, yours, and where the masks agree "
                    "(white: both, magenta: only yours, green: missed)."
                ),
                **options,
            },
        ),
        check_more=_check_dataset,
    ),
}
