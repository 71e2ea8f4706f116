"""Answers that cannot be copied from the disk: graded functions run on data made at grading time.

Each cheat below answers a question with the ground truth or a reference file instead of
computing it. Graded without the sandbox (so that the files really are readable), it must
earn exactly what the same notebook earns with that answer left blank; honest answers
written differently from the solution keep full marks.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from corpus import ROOT, answers, grade_corpus, student

from helpers import grading
from stacks import _markup

SEG = "02_segmentation"
PROJ = "01_projections"


def _stub(name: str, grade_id: str) -> str:
    release = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    [cell] = [c for c in release.cells if _markup.nbgrader_meta(c).get("grade_id") == grade_id]
    return cell.source


def _function(name: str, args: str, body: str, result: str) -> str:
    return f"def {name}({args}):\n    return {body}\n\n\n{result}"


SEG_CHEATS = {
    "mask_from_truth": {
        "mask": _function(
            "glass_mask",
            "volume",
            'datasets.load_truth("beadpack") > 0',
            "bead_mask = glass_mask(beadpack)",
        )
    },
    "labels_from_truth": {
        "labels": _function(
            "segment_beads",
            "volume, spacing",
            'datasets.load_truth("beadpack")',
            'bead_labels = segment_beads(beadpack, info["spacing"])',
        )
    },
    "labels_from_file": {
        "labels": _function(
            "segment_beads",
            "volume, spacing",
            'tifffile.imread(folder / "labels.tif")',
            'bead_labels = segment_beads(beadpack, info["spacing"])',
        )
    },
    # knows how hidden volumes are made, but not the seed they are made from when graded
    "labels_from_practice_data": {
        "labels": _function(
            "segment_beads",
            "volume, spacing",
            'grading.hidden_variant("beadpack", volume.shape)[1] if volume.shape != beadpack.shape '
            'else datasets.load_truth("beadpack")',
            'bead_labels = segment_beads(beadpack, info["spacing"])',
        )
    },
}
SEG_BLANKS = {
    "blank_mask": {"mask": _stub(SEG, "mask")},
    "blank_labels": {"labels": _stub(SEG, "labels")},
}

PROJ_CHEATS = {
    "max_from_file": {
        "max_function": _stub(PROJ, "max_function"),
        "max_z": 'max_z = tifffile.imread(folder / "MaxZ.tif")',
    },
    "median_from_file": {
        "median_function": _stub(PROJ, "median_function"),
        "median_z": 'median_z = tifffile.imread(folder / "medianZ.tif")',
    },
}
# the right value computed without the function it must come from: max_z's point needs
# max_projection, and Part 4 filters max_z whatever it holds
PROJ_BLANKS = {
    "max_without_function": {
        "max_function": _stub(PROJ, "max_function"),
        "max_z": "max_z = stack.max(axis=0)",
    },
    "median_without_function": {
        "median_function": _stub(PROJ, "median_function"),
        "median_z": "median_z = np.median(stack, axis=0)",
    },
}


@pytest.fixture(scope="module")
def seg(tmp_path_factory):
    students = {who: student(SEG, code) for who, code in {**SEG_CHEATS, **SEG_BLANKS}.items()}
    rows, _ = grade_corpus(tmp_path_factory.mktemp("hidden02"), SEG, students, "--no-sandbox")
    return {who: float(row["score"]) for who, row in rows.items()}


@pytest.fixture(scope="module")
def proj(tmp_path_factory):
    students = {who: student(PROJ, code) for who, code in {**PROJ_CHEATS, **PROJ_BLANKS}.items()}
    rows, _ = grade_corpus(tmp_path_factory.mktemp("hidden01"), PROJ, students, "--no-sandbox")
    return {who: float(row["score"]) for who, row in rows.items()}


@pytest.mark.parametrize(
    ("cheat", "blank"),
    [
        ("mask_from_truth", "blank_mask"),
        ("labels_from_truth", "blank_labels"),
        ("labels_from_file", "blank_labels"),
        ("labels_from_practice_data", "blank_labels"),
    ],
)
def test_segmentation_copied_from_the_truth_earns_what_a_blank_answer_earns(seg, cheat, blank):
    assert seg[cheat] == seg[blank], seg
    # a blank mask costs everything built on it (2 + 4 + 1), blank labels their 4 + 1
    assert seg[blank] == {"blank_mask": 2, "blank_labels": 4}[blank]


@pytest.mark.parametrize(
    ("cheat", "blank", "lost"),
    # the function's test and the value's: 2 + 1 for the max, 3 + 1 for the median
    [
        ("max_from_file", "max_without_function", 3),
        ("median_from_file", "median_without_function", 4),
    ],
)
def test_projections_copied_from_the_references_earn_what_no_function_earns(
    proj, cheat, blank, lost
):
    assert proj[cheat] == proj[blank] == 9 - lost, proj


def test_honest_segmentations_other_than_the_solution_keep_full_marks(tmp_path):
    given = answers(SEG)
    students = {
        "smooth_and_close_markers": student(
            SEG,
            {
                "mask": given["mask"].replace("sigma=1.5", "sigma=2"),
                "labels": given["labels"].replace("min_distance=5", "min_distance=4"),
            },
        ),
        "sharp_and_far_markers": student(
            SEG,
            {
                "mask": given["mask"].replace("sigma=1.5", "sigma=1"),
                "labels": given["labels"].replace("min_distance=5", "min_distance=6"),
                "volumes": "def measure_volumes(labels, spacing):\n"
                "    counts = np.bincount(labels.ravel())[1:]\n"
                "    return counts[counts > 0] * np.prod(spacing)\n\n\n"
                'bead_volumes = measure_volumes(bead_labels, info["spacing"])',
            },
        ),
    }
    rows, _ = grade_corpus(tmp_path, SEG, students)
    assert {who: row["score"] for who, row in rows.items()} == dict.fromkeys(students, "9"), rows


def test_labels_off_by_a_few_voxels_fail():
    truth = np.zeros((30, 40, 40), np.int32)
    zz, yy, xx = np.mgrid[:30, :40, :40]
    for label, (z, y, x) in enumerate(
        [(10, 10, 10), (10, 28, 28), (20, 12, 28), (20, 28, 10)], start=1
    ):
        truth[(zz - z) ** 2 + (yy - y) ** 2 + (xx - x) ** 2 <= 49] = label
    assert grading.check_objects(truth, truth, min_matched=0.85, iou_threshold=0.7) == 1.0
    with pytest.raises(grading.GradingError, match="0 of 4 beads are found"):
        grading.check_objects(np.roll(truth, 3, axis=2), truth, min_matched=0.85, iou_threshold=0.7)


def test_hidden_volumes_come_from_the_seed_the_grader_sets():
    practice = grading.hidden_variant("beadpack", (24, 40, 40))
    with grading.hidden_data(12345):
        graded = grading.hidden_variant("beadpack", (24, 40, 40))
        again = grading.hidden_variant("beadpack", (24, 40, 40))
    assert not np.array_equal(practice[1], graded[1])
    assert np.array_equal(graded[1], again[1])
    with pytest.raises(ValueError, match="whole number"), grading.hidden_data(-1):
        pass
