"""Unit tests of helpers.grading: every check passes right answers (as plain floats) and
fails each known mistake with the message that names it.

No kernel here: these run in milliseconds, but for one IPython shell in a subprocess. The
end-to-end grading pipeline is tested in tests/test_course.py.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from helpers import grading
from helpers.grading import GradingError
from helpers.grading._ipython import install_handler, show_grading_error

RNG = np.random.default_rng(7)
STACK = RNG.integers(0, 256, (6, 9, 13), dtype=np.uint8)  # even Z, every axis a different length


def fails(func, *args, match: str, **kwargs) -> GradingError:
    """Assert that a check raises GradingError whose message contains ``match``."""
    with pytest.raises(GradingError) as info:
        func(*args, **kwargs)
    assert match in str(info.value), str(info.value)
    return info.value


def _grading_modules() -> list:
    names = [info.name for info in pkgutil.iter_modules(grading.__path__, "helpers.grading.")]
    return [grading, *(importlib.import_module(name) for name in names)]


def test_docstring_examples_run_in_every_module():
    attempted = 0
    for module in _grading_modules():
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted > 30


def test_every_public_function_and_class_has_an_example():
    for name in grading.__all__:
        assert "Examples\n    --------" in getattr(grading, name).__doc__, name


def test_grading_error_is_an_assertion_error_named_after_the_package():
    assert issubclass(GradingError, AssertionError)
    # tracebacks, doctests and the IPython handler know it by this name
    assert (
        f"{GradingError.__module__}.{GradingError.__qualname__}" == "helpers.grading.GradingError"
    )


def test_public_names_are_the_ones_the_exercises_use():
    """Every public check is called by an exercise, and every check an exercise calls is public.

    The names that are public without being checks: the error, the scores (for instructors
    and lectures), check_labels (the three segmentation checks at once, for instructors) and
    the hidden-data controls that stacks and the tolerance tests use.
    """
    import re
    from pathlib import Path

    solutions = Path(__file__).resolve().parents[2] / "solutions"
    used = set()
    for path in solutions.glob("*.md"):
        used |= set(re.findall(r"\bgrading\.(\w+)", path.read_text(encoding="utf-8")))
    not_for_exercises = {
        "GradingError",
        "SegmentationScores",
        "check_labels",
        "hidden_data",
        "hidden_seed",
        "hidden_variant",
        "segmentation_scores",
    }
    assert used - set(grading.__all__) == set(), "exercises call checks that are not public"
    assert set(grading.__all__) - used == not_for_exercises
    assert all(hasattr(grading, name) for name in grading.__all__)


# ------------------------------------------------------------------ scores are plain floats


@pytest.mark.parametrize(
    "call",
    [
        lambda: grading.check_dimensions(6, 9, 13, STACK.shape),
        lambda: grading.check_projection(STACK.max(0), STACK.max(0), how="max"),
        lambda: grading.check_projection(np.median(STACK, 0), np.median(STACK, 0), how="median"),
        lambda: grading.check_projection_function(lambda s: np.max(s, axis=0), how="max"),
        lambda: grading.check_foreground(np.ones((2, 3)), np.ones((2, 3), int)),
        lambda: grading.check_volumes(np.array([6]), np.ones((2, 3), int)),
    ],
)
def test_scores_are_python_floats_not_numpy_scalars(call):
    # nbgrader cannot parse "np.float64(1.0)" and would award full marks
    score = call()
    assert type(score) is float
    assert repr(score) == "1.0"


# ------------------------------------------------------------------ 00 images are arrays


def test_dimensions_messages():
    # numpy ints are whole numbers
    assert grading.check_dimensions(np.int64(6), 9, 13, (6, 9, 13)) == 1.0
    fails(grading.check_dimensions, 6, 13, 9, (6, 9, 13), match="height and width are swapped")
    fails(grading.check_dimensions, (6, 9, 13), 9, 13, (6, 9, 13), match="n_images is a tuple")
    fails(grading.check_dimensions, 6.0, 9, 13, (6, 9, 13), match="convert it with int")
    fails(
        grading.check_dimensions,
        9,
        9,
        13,
        (6, 9, 13),
        match="n_images is 9, expected 6. 9 is the size of axis 1",
    )
    fails(grading.check_dimensions, "6", 9, 13, (6, 9, 13), match="should be a whole number")
    fails(grading.check_dimensions, 6 + 0j, 9, 13, (6, 9, 13), match="should be a whole number")


def _draw_h(image, coords, color=(255, 0, 0), in_place=False):
    out = image if in_place else image.copy()
    canvas = out[coords[0] : coords[0] + 24, coords[1] : coords[1] + 20]
    canvas[:, :3] = canvas[:, -3:] = canvas[11:14] = color
    return out


def test_draw_h_right_and_wrong():
    assert grading.check_draw_h(_draw_h) == 1.0

    def swapped(image, coords, color=(255, 0, 0), in_place=False):
        out = image if in_place else image.copy()
        canvas = out[coords[0] : coords[0] + 20, coords[1] : coords[1] + 24]
        canvas[:3] = canvas[-3:] = canvas[:, 11:14] = color
        return out

    fails(grading.check_draw_h, swapped, match="rows and columns are swapped")

    def always_in_place(image, coords, color=(255, 0, 0), in_place=False):
        return _draw_h(image, coords, color, in_place=True)

    fails(
        grading.check_draw_h,
        always_in_place,
        match="changed the image it was given although in_place=False",
    )

    def never_in_place(image, coords, color=(255, 0, 0), in_place=False):
        return _draw_h(image, coords, color, in_place=False)

    fails(grading.check_draw_h, never_in_place, match="did not draw into the image it was given")

    def shifted(image, coords, color=(255, 0, 0), in_place=False):
        return _draw_h(image, (coords[0] + 1, coords[1]), color, in_place)

    fails(
        grading.check_draw_h,
        shifted,
        match="the drawing starts at (row, column) = (11, 40); expected (10, 40)",
    )

    def stub(image, coords, color=(255, 0, 0), in_place=False):
        raise NotImplementedError()

    fails(grading.check_draw_h, stub, match="draw_h is not written yet")


def test_rgb_to_grey_messages():
    from skimage.color import rgb2gray
    from skimage.util import img_as_float

    assert grading.check_rgb_to_grey(rgb2gray) == 1.0
    assert (
        grading.check_rgb_to_grey(lambda rgb: img_as_float(rgb) @ [0.2125, 0.7154, 0.0721]) == 1.0
    )
    fails(
        grading.check_rgb_to_grey,
        lambda rgb: img_as_float(rgb).mean(axis=-1),
        match="equal weights",
    )
    fails(
        grading.check_rgb_to_grey,
        lambda rgb: img_as_float(rgb) @ [0.0721, 0.7154, 0.2125],
        match="order (B, G, R)",
    )
    fails(
        grading.check_rgb_to_grey,
        lambda rgb: rgb.astype(float) @ [0.2125, 0.7154, 0.0721],
        match="img_as_float",
    )
    fails(grading.check_rgb_to_grey, lambda rgb: img_as_float(rgb), match="remove the channel axis")
    fails(
        grading.check_rgb_to_grey,
        lambda rgb: (img_as_float(rgb) @ [0.2125, 0.7154, 0.0721]).T,
        match="returned shape",
    )


def test_unit_float_messages():
    from skimage.util import img_as_float

    assert grading.check_unit_float(img_as_float) == 1.0
    assert grading.check_unit_float(lambda im: im / 255) == 1.0
    fails(grading.check_unit_float, lambda im: im.astype(float), match="kept the values in 0-255")
    fails(
        grading.check_unit_float,
        lambda im: im / im.max(),
        match="divided by the image's own maximum",
    )
    fails(grading.check_unit_float, lambda im: im // 255, match="expected floats")


def test_brighten_messages():
    assert (
        grading.check_brighten(
            lambda im, a: np.clip(im.astype(np.int16) + a, 0, 255).astype(np.uint8)
        )
        == 1.0
    )
    fails(grading.check_brighten, lambda im, a: im + np.uint8(a), match="uint8 overflow")
    fails(
        grading.check_brighten,
        lambda im, a: im.astype(np.int16) + a,
        match="clip the result to 0-255",
    )
    fails(
        grading.check_brighten,
        lambda im, a: np.clip(im.astype(np.int16) + a, 0, 255),
        match="back with .astype(np.uint8)",
    )


# ------------------------------------------------------------------ 01 projections


MAX_Z = STACK.max(0)
MEDIAN_Z = np.median(STACK, 0)


def test_projection_right_answers_pass():
    assert grading.check_projection(MAX_Z, MAX_Z, how="max") == 1.0
    assert grading.check_projection(MAX_Z.astype(float), MAX_Z, how="max") == 1.0
    assert np.any(MEDIAN_Z % 1 == 0.5)  # the test needs half-integers to mean anything
    for cast in (
        MEDIAN_Z.astype(np.uint8),
        np.round(MEDIAN_Z),
        np.floor(MEDIAN_Z),
        MEDIAN_Z.astype(np.float32),
    ):
        assert grading.check_projection(cast, MEDIAN_Z, how="median", stack=STACK) == 1.0


def _overflowing_median(stack):
    ordered = np.sort(stack, axis=0)
    z = stack.shape[0]
    if z % 2:
        return ordered[z // 2]
    return (ordered[z // 2 - 1] + ordered[z // 2]) // 2  # adds in the stack's dtype


@pytest.mark.parametrize(
    ("answer", "reference", "options", "message"),
    [
        # wrong axis or shape
        (
            STACK.max(1),
            MAX_Z,
            {"stack": STACK},
            "axis 1 was reduced; the projection is over Z (axis 0)",
        ),
        (STACK.max(2), MAX_Z, {"stack": STACK}, "axis 2 was reduced"),
        (MAX_Z.T, MAX_Z, {"stack": STACK}, "is transposed"),
        (STACK, MAX_Z, {"stack": STACK}, "still has the stack's shape"),
        (STACK.max(1), MAX_Z, {}, "expected shape (9, 13), got (6, 13)"),
        (STACK.max(), MAX_Z, {}, "single number"),
        # wrong values
        (
            STACK.mean(0),
            MEDIAN_Z,
            {"how": "median", "stack": STACK},
            "you computed the mean, not the median",
        ),
        (MAX_Z, MEDIAN_Z, {"how": "median", "stack": STACK}, "maximum, not the median"),
        (MEDIAN_Z, MAX_Z, {"how": "max", "stack": STACK}, "median, not the maximum"),
        (STACK[0], MAX_Z, {"how": "max", "stack": STACK}, "the first plane only"),
        (
            np.sort(STACK, 0)[3],
            MEDIAN_Z,
            {"how": "median", "stack": STACK},
            "mean of the two middle values",
        ),
        (_overflowing_median(STACK), MEDIAN_Z, {"how": "median", "stack": STACK}, "uint8 overflow"),
        (MAX_Z / 255, MAX_Z, {"how": "max"}, "converted to float"),
        (MAX_Z > 0, MAX_Z, {}, "boolean"),
        # not an image
        (None, MAX_Z, {"name": "max_z"}, "max_z is None"),
        (np.max, MAX_Z, {"name": "max_z"}, "max_z is a function"),
        ([[1, "a"]], MAX_Z, {}, "an image holds integers or floats"),
    ],
)
def test_projection_messages(answer, reference, options, message):
    fails(grading.check_projection, answer, reference, **options, match=message)


def test_projection_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="how must be 'max' or 'median', not 'mean'"):
        grading.check_projection(MAX_Z, MAX_Z, how="mean")
    with pytest.raises(ValueError, match="how must be 'max' or 'median', not 'mean'"):
        grading.check_projection_function(np.max, how="mean")


def test_projection_function_passes_right_functions():
    assert grading.check_projection_function(lambda s: s.max(axis=0), "max") == 1.0
    # (a maximum converted to float no longer passes: the exercise says keep the dtype;
    # see test_a_maximum_keeps_the_stacks_dtype)
    assert grading.check_projection_function(lambda s: np.median(s, axis=0), "median") == 1.0
    assert (
        grading.check_projection_function(lambda s: np.median(s, axis=0).astype(s.dtype), "median")
        == 1.0
    )
    assert (
        grading.check_projection_function(lambda s: np.percentile(s, 50, axis=0), "median") == 1.0
    )


def _sorts_in_place(stack):
    stack.sort(axis=0)
    return np.median(stack, axis=0)


def _broken(stack):
    return stack.max(axis=3)


@pytest.mark.parametrize(
    ("func", "how", "message"),
    [
        (lambda s: s.mean(axis=0), "median", "you computed the mean, not the median"),
        (lambda s: s.max(axis=1), "max", "axis 1 was reduced"),
        (lambda s: s.max(axis=2), "median", "axis 2 was reduced"),
        (lambda s: np.median(s), "median", "single number"),
        (_overflowing_median, "median", "uint8 overflow"),
        (lambda s: np.sort(s, axis=0)[s.shape[0] // 2], "median", "mean of the two middle values"),
        (_sorts_in_place, "median", "changed the stack it was given"),
        (
            _broken,
            "max",
            "_broken(shape (5, 7, 9) uint8) raised AxisError: axis 3 is out of bounds",
        ),
        (lambda s: None, "max", "is None"),
        (lambda s: s[0], "max", "the first plane only"),
        (lambda s: s.min(axis=0), "max", "you computed the minimum"),
    ],
)
def test_projection_function_messages(func, how, message):
    error = fails(grading.check_projection_function, func, how, match=message)
    # the message names the stack that failed
    assert "on a stack of shape" in str(error) or "(shape (5, 7, 9) uint8)" in str(error)
    if func is _broken:
        # and the student's own line
        assert "in line" in str(error) and "return stack.max(axis=3)" in str(error)


def test_overflow_message_names_a_wider_type():
    error = fails(
        grading.check_projection_function, _overflowing_median, "median", match="uint8 overflow"
    )
    assert "Convert to a wider type before adding" in str(error)


def test_raised_error_names_the_students_line():
    def project(stack):
        total = stack.sum(axis=0)
        return total / undefined_name  # noqa: F821

    error = fails(grading.check_projection_function, project, "max", match="raised NameError")
    assert "return total / undefined_name" in str(error)


def test_filtered_checks():
    from skimage import filters

    image = np.zeros((40, 60))
    image[:, 30:] = 1.0
    image += np.random.default_rng(0).normal(0, 0.1, image.shape)
    assert grading.check_filtered(filters.gaussian(image, sigma=2), image, "smooth") == 1.0
    assert (
        grading.check_filtered(filters.sobel(filters.gaussian(image, sigma=2)), image, "edges")
        == 1.0
    )
    fails(grading.check_filtered, image, image, "smooth", match="is the input image itself")
    fails(grading.check_filtered, image[:-1], image, "smooth", match="keeps the image's shape")
    fails(
        grading.check_filtered,
        image + np.random.default_rng(1).normal(0, 1, image.shape),
        image,
        "smooth",
        match="not smoother",
    )
    fails(
        grading.check_filtered,
        np.random.default_rng(2).random(image.shape),
        image,
        "edges",
        match="does not follow the edges",
    )


# ------------------------------------------------------------------ 02 segmentation


def _touching_beads() -> np.ndarray:
    """Four touching 3D blocks and one apart: a tiny stand-in for a bead pack."""
    truth = np.zeros((8, 20, 30), dtype=np.uint16)
    truth[1:7, 2:10, 2:10] = 1
    truth[1:7, 2:10, 10:18] = 2
    truth[1:7, 10:18, 2:10] = 3
    truth[1:7, 10:18, 10:18] = 4
    truth[1:7, 5:15, 21:28] = 5
    return truth


TRUTH = _touching_beads()


def test_segmentation_scores_blind_to_label_permutation():
    permuted = np.array([0, 40, 7, 1000, 3, 12])[TRUTH]
    a = grading.segmentation_scores(TRUTH, TRUTH)
    b = grading.segmentation_scores(permuted, TRUTH)
    assert a == b
    assert (a.dice, a.matched, a.mean_iou, a.n_found) == (1.0, 5, 1.0, 5)
    assert grading.check_objects(permuted, TRUTH) == 1.0
    assert grading.check_labels(permuted, TRUTH) == 1.0


def test_binary_mask_fails_objects_and_count_but_not_foreground():
    mask = TRUTH > 0
    assert grading.check_foreground(mask, TRUTH) == 1.0
    fails(
        grading.check_objects,
        mask,
        TRUTH,
        match="binary mask (True/False); label the connected objects",
    )
    fails(
        grading.check_objects,
        mask.astype(np.uint8),
        TRUTH,
        match="is a binary mask: all the beads have the same value 1.",
    )
    fails(
        grading.check_count,
        mask.astype(np.uint8),
        TRUTH,
        match="this is a binary mask; label the connected objects",
    )


def test_merged_and_split_objects_messages():
    from skimage.measure import label

    merged = label(TRUTH > 0)  # the four touching blocks become one object
    fails(grading.check_objects, merged, TRUTH, match="touching beads are merged")
    # a student who already used a watershed is told what to change in it
    for check in (grading.check_objects, grading.check_count):
        fails(check, merged, TRUTH, match="If you split them with a watershed already")
        fails(check, merged, TRUTH, match="a smaller min_distance in peak_local_max")
        fails(check, merged, TRUTH, match="exclude_border=False")
    # each bead in 3 pieces
    split = (TRUTH.astype(np.int64) * 3 + np.indices(TRUTH.shape)[2] % 3) * (TRUTH > 0)
    fails(grading.check_objects, split, TRUTH, match="split into pieces")
    fails(grading.check_count, split, TRUTH, match="split in pieces or noise is labelled")


def test_messages_name_the_objects_of_the_dataset():
    from skimage.measure import label

    merged = label(TRUTH > 0)
    fails(grading.check_count, merged, TRUTH, objects="nuclei", match="touching nuclei are merged")
    fails(grading.check_foreground, 0 * TRUTH, TRUTH, objects="nuclei", match="none of the nuclei")
    # the function checks take the word from the dataset's spec
    fails(
        grading.check_mask_function,
        lambda v: v < v.mean(),
        "cells",
        shape=(12, 48, 48),
        match="the foreground of <lambda>(volume) overlaps the nuclei",
    )


def test_label_image_validation_messages():
    fails(grading.check_objects, TRUTH[3], TRUTH, match="It looks like a single plane")
    fails(grading.check_objects, TRUTH + 0.5, TRUTH, match="non-integer values")
    # whole-number floats are labels
    assert grading.check_objects(TRUTH.astype(float), TRUTH) == 1.0
    fails(grading.check_objects, -TRUTH.astype(int), TRUTH, match="negative values")
    fails(grading.check_objects, np.zeros_like(TRUTH), TRUTH, match="empty (all zeros)")
    fails(grading.check_foreground, np.zeros_like(TRUTH), TRUTH, match="is empty")
    fails(grading.check_foreground, TRUTH == 0, TRUTH, match="inverted")
    small = np.zeros_like(TRUTH)
    small[3, 5, 5] = 1
    fails(grading.check_foreground, small, TRUTH, match="try a lower threshold")


def _three_checks_in_turn(student, truth):
    grading.check_foreground(student, truth)
    grading.check_objects(student, truth)
    grading.check_count(student, truth)
    return grading.segmentation_scores(student, truth).mean_iou


@pytest.mark.parametrize(
    "student",
    [
        TRUTH,
        np.array([0, 40, 7, 1000, 3, 12])[TRUTH],
        np.where(TRUTH == 5, 0, TRUTH),  # one bead missed
        TRUTH > 0,
        (TRUTH > 0).astype(np.uint8),
        TRUTH == 0,
        TRUTH[3],
        TRUTH + 0.5,
        -TRUTH.astype(int),
        np.zeros_like(TRUTH),
        (TRUTH.astype(np.int64) * 3 + np.indices(TRUTH.shape)[2] % 3) * (TRUTH > 0),
        None,
    ],
)
def test_labels_check_is_the_three_checks(student):
    try:
        expected = _three_checks_in_turn(student, TRUTH)
    except GradingError as error:
        with pytest.raises(GradingError) as info:
            grading.check_labels(student, TRUTH)
        assert str(info.value) == str(error)
    else:
        assert grading.check_labels(student, TRUTH) == expected


def test_labels_are_numbered_and_scored_once(monkeypatch):
    from helpers.grading import _scores, _segmentation

    calls = []

    def counted(function):
        def wrapper(*args, **kwargs):
            calls.append(function.__name__)
            return function(*args, **kwargs)

        return wrapper

    for function in (_scores.number_objects, _scores.compare_objects):
        monkeypatch.setattr(_segmentation, function.__name__, counted(function))
    assert grading.check_labels(TRUTH, TRUTH) == 1.0
    assert sorted(calls) == ["compare_objects", "number_objects", "number_objects"]


def test_volumes_messages():
    labels = np.array([0, 5, 9])[TRUTH.clip(0, 2)]
    counts = [int((labels == 5).sum()), int((labels == 9).sum())]
    assert grading.check_volumes(counts, labels) == 1.0
    assert grading.check_volumes(counts[::-1], labels) == 1.0  # any order
    fails(
        grading.check_volumes,
        counts[:1],
        labels,
        match="has 1 values but bead_labels has 2 objects",
    )
    fails(
        grading.check_volumes,
        [int((labels == 0).sum()), *counts],
        labels,
        match="includes the background",
    )
    fails(
        grading.check_volumes,
        [c * 125 for c in counts],
        labels,
        match="125 times what it should be: give the volumes in voxels (region.area)",
    )
    fails(
        grading.check_volumes,
        [counts[0] + 3, counts[1]],
        labels,
        match="does not match the volumes of the objects in bead_labels (largest difference 3 voxels)",
    )
    # in physical units: the voxel counts times the volume of a voxel (2 x 0.5 x 0.5 = 0.5)
    spacing = (2.0, 0.5, 0.5)
    assert grading.check_volumes([c * 0.5 for c in counts], labels, spacing=spacing) == 1.0
    fails(
        grading.check_volumes,
        counts,
        labels,
        spacing=spacing,
        match="are the numbers of voxels: multiply them by the volume of one voxel",
    )
    fails(
        grading.check_volumes,
        [c * 0.25 for c in counts],  # the area of a voxel's face: the spacing of Z ignored
        labels,
        spacing=spacing,
        match="0.5 times what it should be",
    )


# ------------------------------------------------------------------ display in IPython


def test_grading_error_shows_as_one_message_in_ipython():
    shown = []

    class Shell:
        def _showtraceback(self, etype, value, stb):
            shown.append((etype, str(value), stb))

    stb = show_grading_error(Shell(), GradingError, GradingError("axis 1 was reduced"), None)
    assert shown == [(GradingError, "axis 1 was reduced", stb)]
    assert len(stb) == 1 and "GradingError" in stb[0] and "axis 1 was reduced" in stb[0]


def test_importing_inside_a_kernel_shows_grading_errors_as_their_message():
    script = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_cell('from helpers import grading\\n"
        "grading.check_dimensions(6, 13, 9, (6, 9, 13))')\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::DeprecationWarning",
            "-W",
            "error::FutureWarning",
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "GradingError\x1b[0m: height and width are swapped" in run.stdout, run.stdout
    assert "Traceback" not in run.stdout + run.stderr


class _Kernel:
    """Stands in for a kernel's IPython shell: records the handlers it is given."""

    def __init__(self, custom_exceptions: tuple = ()):
        self.custom_exceptions = custom_exceptions
        self.handlers: list = []

    def set_custom_exc(self, exceptions, handler):
        self.handlers.append((exceptions, handler))


def test_handler_replaces_only_its_own(monkeypatch):
    import IPython

    class OtherError(Exception):
        pass

    someone_elses = _Kernel(custom_exceptions=(OtherError,))
    monkeypatch.setattr(IPython, "get_ipython", lambda: someone_elses)
    install_handler()
    assert someone_elses.handlers == []
    ours = _Kernel(custom_exceptions=(GradingError,))  # e.g. from an earlier import
    monkeypatch.setattr(IPython, "get_ipython", lambda: ours)
    install_handler()
    assert ours.handlers == [((GradingError,), show_grading_error)]


def test_checks_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grading.check_projection_function(lambda s: np.median(s, axis=0), "median")
        grading.check_labels(TRUTH, TRUTH)


def test_a_maximum_keeps_the_stacks_dtype():
    from helpers.grading import check_projection, check_projection_function

    with pytest.raises(
        GradingError, match="returns float64 for a uint8 stack; a maximum is one of"
    ):
        check_projection_function(lambda s: s.max(axis=0).astype(np.float64), how="max")
    stack = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    with pytest.raises(GradingError, match="max_z returns float64 for a uint8 stack"):
        check_projection(stack.max(0).astype(float), stack.max(0), stack=stack, name="max_z")


def test_a_median_may_be_cast_back_to_the_stacks_own_dtype_only():
    from helpers.grading import check_projection_function

    def own_dtype(stack):
        return np.median(stack, axis=0).astype(stack.dtype)

    assert check_projection_function(own_dtype, how="median") == 1.0
    with pytest.raises(GradingError, match=r"float32 stack: a median of floats has decimals"):
        check_projection_function(lambda s: np.median(s, axis=0).astype(int), how="median")


# ------------------------------------------------- contrast, smoothing, thresholds (exercise 3)


def test_stretch_messages():
    volume = np.arange(1000, dtype=np.uint16).reshape(10, 10, 10)
    right = np.clip(
        (volume - np.percentile(volume, 10)) / np.ptp(np.percentile(volume, (10, 90))), 0, 1
    )
    assert grading.check_stretch(right, volume, low=10, high=90) == 1.0
    unclipped = (volume - np.percentile(volume, 10)) / np.ptp(np.percentile(volume, (10, 90)))
    fails(grading.check_stretch, unclipped, volume, low=10, high=90, match="(clip them)")
    fails(
        grading.check_stretch,
        (right * 255).astype(np.uint8),
        volume,
        low=10,
        high=90,
        match="floating point",
    )
    fails(
        grading.check_stretch,
        right,
        volume,
        low=5,
        high=95,
        match="differs from the percentile stretch",
    )


def test_stretch_function_must_use_the_percentiles_it_is_given():
    def defaults_only(volume, low=0.5, high=99.5):
        p_low, p_high = np.percentile(volume, (0.5, 99.5))
        return np.clip((volume - p_low) / (p_high - p_low), 0, 1)

    fails(
        grading.check_stretch_function,
        defaults_only,
        "cells",
        shape=(20, 64, 64),
        match="ignores low and high",
    )


def test_denoise_function_messages():
    from scipy import ndimage as ndi

    def right(volume, spacing, sigma_um=0.5):
        return ndi.gaussian_filter(volume.astype(float), sigma_um / np.asarray(spacing))

    assert grading.check_denoise_function(right, spacing=(0.8, 0.2, 0.25), sigma_um=0.6) == 1.0

    def times(volume, spacing, sigma_um):
        return ndi.gaussian_filter(volume, sigma_um * np.asarray(spacing))

    fails(
        grading.check_denoise_function,
        times,
        match="Divide sigma_um by the spacing; do not multiply",
    )
    one = lambda volume, spacing, sigma_um: ndi.gaussian_filter(volume, sigma_um / spacing[-1])  # noqa: E731
    fails(
        grading.check_denoise_function,
        one,
        match="the same sigma in voxels (2.00) along every axis",
    )
    rescaled = lambda volume, spacing, sigma_um: right(volume, spacing, sigma_um) * 100  # noqa: E731
    fails(grading.check_denoise_function, rescaled, match="keeps its sum")
    fails(grading.check_denoise_function, lambda v, s, u: v.astype(np.uint8), match="keep floats")


def test_threshold_scores_messages():
    truth = np.zeros((4, 20, 20), int)
    truth[:, 5:15, 5:15] = 1
    smoothed = truth + np.linspace(0, 0.4, 20)
    fails(
        grading.check_threshold_scores,
        {"otsu": 0.5},
        smoothed,
        truth,
        methods=("otsu",),
        match="is 0.500",
    )
    from skimage import filters

    background = smoothed <= filters.threshold_otsu(smoothed)
    inverted = 2 * (background & (truth > 0)).sum() / (background.sum() + (truth > 0).sum())
    fails(
        grading.check_threshold_scores,
        {"otsu": inverted},
        smoothed,
        truth,
        methods=("otsu",),
        match="the Dice of the background side",
    )
    fails(grading.check_threshold_scores, [0.9], smoothed, truth, match="should be a dict")


def test_clean_mask_finds_specks_and_a_noisy_hidden_volume_fails():
    truth = np.zeros((6, 30, 30), int)
    truth[1:5, 5:25, 5:25] = 1
    specks = truth.copy()
    specks[0, ::3, ::3] = 1
    fails(grading.check_clean_mask, specks, truth, match="specks of noise")
    fails(
        grading.check_mask_function,
        lambda volume, spacing: volume > volume.mean(),
        "cells",
        with_spacing=True,
        clean=True,
        light=0.1,
        min_dice=0.5,
        match="recorded with 10% of the light",
    )


# ---------------------------------------------------------------- measurements (exercise 4)


def _table(labels, spacing):
    import pandas as pd
    from skimage import measure

    t = measure.regionprops_table(labels, spacing=spacing, properties=("label", "area", "centroid"))
    return pd.DataFrame(
        {
            "label": t["label"],
            "volume": t["area"],
            "z": t["centroid-0"],
            "y": t["centroid-1"],
            "x": t["centroid-2"],
        }
    )


def test_measurements_function_messages():
    import pandas as pd

    def in_voxels(labels, spacing):
        table = _table(labels, spacing)
        table[["z", "y", "x"]] = table[["z", "y", "x"]] / np.asarray(spacing)
        return table

    def swapped(labels, spacing):
        return _table(labels, spacing).rename(columns={"z": "x", "x": "z"})

    assert grading.check_measurements_function(_table, shape=(30, 128, 128)) == 1.0
    fails(
        grading.check_measurements_function,
        in_voxels,
        shape=(30, 128, 128),
        match="in voxel indices",
    )
    fails(
        grading.check_measurements_function,
        swapped,
        shape=(30, 128, 128),
        match="z and x are swapped",
    )
    no_volume = lambda labels, spacing: pd.DataFrame(_table(labels, spacing)).drop(columns="volume")  # noqa: E731
    fails(
        grading.check_measurements_function,
        no_volume,
        shape=(30, 128, 128),
        match="has no column 'volume'",
    )


def test_border_function_messages():
    from skimage import segmentation

    fails(
        grading.check_border_function,
        lambda labels: labels.copy(),
        shape=(30, 128, 128),
        match="touching a face",
    )
    emptied = lambda labels: np.zeros_like(labels)  # noqa: E731
    fails(
        grading.check_border_function,
        emptied,
        shape=(30, 128, 128),
        match="only those that touch a face",
    )
    inner = lambda labels: segmentation.relabel_sequential(segmentation.clear_border(labels))[0]  # noqa: E731
    assert grading.check_border_function(inner, shape=(30, 128, 128)) == 1.0


def test_median_volume_counts_only_whole_objects():
    truth = np.zeros((6, 10, 10), int)
    truth[1:4, 1:5, 1:5] = 1  # 48 voxels
    truth[1:5, 5:9, 5:9] = 2  # 64 voxels
    truth[0:3, 6:9, 0:3] = 3  # 27 voxels, touches two faces
    assert grading.check_median_volume(56 * 0.5, truth, (0.5, 1, 1)) == 1.0
    fails(
        grading.check_median_volume,
        48 * 0.5,
        truth,
        (0.5, 1, 1),
        match="leave out those that touch the border",
    )
