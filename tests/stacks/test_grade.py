"""stacks grade end to end, with real nbgrader and real kernels.

One ``stacks grade`` call per exercise grades a corpus of submissions made from the student
notebooks (stubs filled with right and wrong code). Each row checks the points a known
mistake must cost, and that nbgrader's silent mis-grades (warnings, deleted or edited
tests, cells that never ran) do not happen.
"""

from __future__ import annotations

import csv
import re

import nbformat
import pytest
from corpus import grade_corpus, student

from stacks import _markup

# ---------------------------------------------------------------------------- grade: 01


WARNS = '''import sys
import warnings

def max_projection(stack):
    """Correct, but noisy: a FutureWarning and a progress line on stderr."""
    warnings.simplefilter("always")  # defeat PYTHONWARNINGS=ignore: the warning reaches stderr
    warnings.warn("this argument will change in a future version", FutureWarning)
    print("projecting...", file=sys.stderr)
    return np.asarray(stack).max(axis=0)
'''

MEAN = """def median_projection(stack):
    return np.asarray(stack).mean(axis=0)
"""

CORPUS_01 = {
    # student: (answers, points expected, status expected)
    "solution": ({}, 9, "graded"),
    "warns": ({"max_function": WARNS}, 9, "graded"),
    "intcast": (
        {
            "median_function": "def median_projection(stack):\n    stack = np.asarray(stack)\n"
            "    return np.median(stack, axis=0).astype(stack.dtype)"
        },
        9,
        "graded",
    ),
    "mean": ({"median_function": MEAN}, 9 - 3 - 1, "graded"),
    "wrong_axis": (
        {"max_function": "def max_projection(stack):\n    return np.asarray(stack).max(axis=1)"},
        9 - 2 - 1,
        "graded",
    ),
    "hardcoded": (
        {
            "max_function": "def max_projection(stack):\n    return np.asarray(stack).mean(axis=0)",
            "max_z": 'max_z = tifffile.imread(folder / "MaxZ.tif")',
        },
        # the reference is held back from the kernel: reading it gives nothing, and the
        # filters built on max_z fail with it
        9 - 2 - 1 - 1,
        "graded",
    ),
    "endless": (
        {"median_z": "while True:\n    pass\nmedian_z = median_projection(stack)"},
        9 - 1,
        "timeout",
    ),
    "crash": ({"median_z": "import os\nos._exit(1)"}, 9 - 1 - 1, "kernel-died"),
    # edges of the projection before smoothing: the task asks for edges of the smoothed image
    "edges_unsmoothed": (
        {
            "filters": "from skimage import filters\n\n"
            "smoothed = filters.gaussian(max_z, sigma=2, preserve_range=True)\n"
            "edges = filters.sobel(max_z)"
        },
        9 - 1,
        "graded",
    ),
    # another edge filter of the smoothed image is what the task asks for
    "edges_scharr": (
        {
            "filters": "from skimage import filters\n\n"
            "smoothed = filters.gaussian(max_z, sigma=3, preserve_range=True)\n"
            "edges = filters.scharr(smoothed)"
        },
        9,
        "graded",
    ),
}


@pytest.fixture(scope="module")
def graded01(tmp_path_factory):
    name = "01_projections"
    students: dict[str, object] = {
        who: student(name, answers) for who, (answers, _, _) in CORPUS_01.items()
    }
    students["blank"] = student(name, blank=True)
    students["deleted"] = student(name, drop={"test_max_z"})
    students["edited"] = student(
        name, {"median_function": MEAN}, edit={"test_median_function": "print('all good')"}
    )
    students["notjson"] = "this is a Word document, honest"
    students["missing"] = None
    return grade_corpus(tmp_path_factory.mktemp("grade01"), name, students)


@pytest.mark.parametrize("who", list(CORPUS_01))
def test_grade_01_costs_exactly_the_points_of_the_mistake(graded01, who):
    rows, _ = graded01
    _, points, status = CORPUS_01[who]
    row = rows[who]
    assert (float(row["score"]), float(row["max_score"]), row["status"]) == (points, 9, status), row


def test_grade_01_blank_scores_zero(graded01):
    rows, _ = graded01
    assert float(rows["blank"]["score"]) == 0 and rows["blank"]["status"] == "graded"


def test_grade_01_restores_deleted_and_edited_test_cells(graded01):
    rows, out = graded01
    assert (
        float(rows["deleted"]["score"]) == 9
        and "restored deleted cells: test_max_z" in rows["deleted"]["message"]
    )
    assert (
        float(rows["edited"]["score"]) == 9 - 3 - 1
        and "restored edited test cells: test_median_function" in rows["edited"]["message"]
    )
    graded = nbformat.read(out / "autograded" / "deleted.ipynb", as_version=4)
    assert any(_markup.nbgrader_meta(c).get("grade_id") == "test_max_z" for c in graded.cells)


def test_grade_01_reports_broken_submissions(graded01):
    rows, out = graded01
    assert (
        rows["notjson"]["status"] == "invalid-notebook"
        and "not a Jupyter notebook" in rows["notjson"]["message"]
    )
    assert (
        rows["missing"]["status"] == "missing" and "found: notes.txt" in rows["missing"]["message"]
    )
    assert rows["endless"]["message"].startswith(
        "cell 21 (median_z) ran for more than 20 s and was stopped"
    )
    assert rows["crash"]["message"] == "the kernel died (out of memory, or the code exited Python)"
    assert all(float(rows[w]["score"]) == 0 for w in ("notjson", "missing"))
    assert next(iter(csv.reader((out / "grades.csv").read_text().splitlines()))) == [
        "student",
        "assignment",
        "score",
        "max_score",
        "status",
        "message",
        "sandbox",
    ]
    assert {row["sandbox"] for row in rows.values()} == {"bubblewrap"}


def test_grade_01_feedback_pages(graded01):
    rows, out = graded01
    for who in rows:
        assert (out / "feedback" / f"{who}.html").is_file(), who
    page = (out / "feedback" / "wrong_axis.html").read_text()
    assert "axis 1 was reduced; the projection is over Z (axis 0)" in page
    assert page.count("data:image/png;base64,") == 1
    mean_page = (out / "feedback" / "mean.html").read_text()
    assert "you computed the mean, not the median" in mean_page
    for who in rows:  # hidden tests stay hidden
        text = (out / "feedback" / f"{who}.html").read_text()
        assert "check_projection_function" not in text and "HIDDEN TESTS" not in text


def test_grade_01_feedback_picture_shows_the_difference(graded01, tmp_path):
    """Decode the embedded picture and look at it: three panels per projection."""
    import base64

    from matplotlib.image import imread

    _, out = graded01
    page = (out / "feedback" / "mean.html").read_text()
    data = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page).group(1)
    png = tmp_path / "mean.png"
    png.write_bytes(base64.b64decode(data))
    image = imread(png)
    assert image.shape[0] > 300 and image.shape[1] > 500  # two rows of three panels


# ---------------------------------------------------------------------------- grade: 00 and 02


@pytest.fixture(scope="module")
def graded00(tmp_path_factory):
    name = "00_images_are_arrays"
    students = {
        "solution": student(name),
        "blank": student(name, blank=True),
        "overflow": student(
            name, {"brighten": "def brighten(image, amount):\n    return image + np.uint8(amount)"}
        ),
    }
    return grade_corpus(tmp_path_factory.mktemp("grade00"), name, students)


def test_grade_00(graded00):
    rows, out = graded00
    assert {w: float(r["score"]) for w, r in rows.items()} == {
        "solution": 7,
        "blank": 0,
        "overflow": 5,
    }
    assert (
        "uint8 overflow" in rows["overflow"]["message"]
        or "uint8 overflow" in (out / "feedback" / "overflow.html").read_text()
    )


@pytest.fixture(scope="module")
def graded02(tmp_path_factory):
    name = "02_segmentation"
    students = {
        "solution": student(name),
        "blank": student(name, blank=True),
        "mask": student(name, {"labels": "bead_labels = bead_mask.astype(np.int32)"}),
    }
    return grade_corpus(tmp_path_factory.mktemp("grade02"), name, students)


def test_grade_02_segmentation(graded02):
    rows, out = graded02
    assert {w: float(r["score"]) for w, r in rows.items()} == {
        "solution": 9,
        "blank": 0,
        "mask": 9 - 4 - 1,
    }
    page = (out / "feedback" / "mask.html").read_text()
    assert "binary mask" in page and "label the connected objects" in page
    assert "data:image/png;base64," in (out / "feedback" / "solution.html").read_text()
