"""The feedback pictures of a mask, ``mask_overlay``, and the plane of a time series of
volumes that the dataset pictures draw on (the mean over time, its middle plane)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from helpers import datasets
from stacks import _figures
from stacks._errors import MarkupError
from stacks._exercise import read_declaration

OPTIONS = {"variable": "active", "dataset": "timelapse"}


def _image(png: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB"))


@pytest.fixture(scope="module")
def truth_plane():
    truth = datasets.load_truth("timelapse")
    return truth[truth.shape[0] // 2]


def test_the_plane_of_a_time_series_is_the_middle_plane_of_its_mean_over_time(truth_plane):
    data, truth = _figures._middle_plane("timelapse")
    movie = datasets.load("timelapse")
    middle = movie.shape[1] // 2
    assert np.allclose(data, movie.mean(axis=0)[middle])
    assert np.array_equal(truth, truth_plane)
    # a volume without time is unchanged: the middle plane of the volume
    volume, labels = _figures._middle_plane("cells")
    assert np.array_equal(volume, datasets.load("cells")[30])
    assert labels.shape == volume.shape


def test_mask_overlay_draws_three_panels_with_the_agreement(truth_plane):
    caption, png = _figures.draw("mask_overlay", {"active": truth_plane}, OPTIONS)
    assert "white: both, magenta: only yours, green: missed" in caption
    image = _image(png)
    assert image.shape[1] > 3 * 256 and image.shape[0] > 256
    right = image[:, 2 * image.shape[1] // 3 :]
    magenta = np.all(right == _figures._ONLY_YOURS, axis=-1)
    white = np.all(right == _figures._BOTH, axis=-1)
    assert white.sum() > 1000 and magenta.sum() == 0  # the truth agrees with itself

    _, png = _figures.draw("mask_overlay", {"active": ~truth_plane}, {**OPTIONS, "caption": "c"})
    right = _image(png)[:, 2 * image.shape[1] // 3 :]
    assert np.all(right == _figures._ONLY_YOURS, axis=-1).sum() > 10_000  # inverted: magenta


def test_mask_overlay_says_what_it_cannot_draw(truth_plane):
    for arrays in ({}, {"active": np.zeros((2, *truth_plane.shape), bool)}):
        caption, png = _figures.draw("mask_overlay", arrays, OPTIONS)
        assert png and not caption.startswith("(picture unavailable")


def test_label_overlay_draws_a_time_series_too(truth_plane):
    caption, png = _figures.draw("label_overlay", {"active": truth_plane}, OPTIONS)
    assert png and not caption.startswith("(picture unavailable")


def test_the_front_matter_checks_mask_overlay_options():
    good = {
        "stacks": {
            "datasets": ["timelapse"],
            "harvest": {"active": {"plane": "middle"}},
            "feedback": [{"figure": "mask_overlay", **OPTIONS}],
        }
    }
    exercise = read_declaration("demo", good, "demo.md")
    assert exercise.feedback[0].kind == "mask_overlay"
    bad = {
        "stacks": {
            "harvest": {"active": {}},
            "feedback": [{"figure": "mask_overlay", "variable": "active", "dataset": "nope"}],
        }
    }
    with pytest.raises(MarkupError, match="unknown dataset 'nope'"):
        read_declaration("demo", bad, "demo.md")
    assert _figures.KINDS["mask_overlay"].check({"variable": "active"}) == [
        "needs `dataset:` (str)"
    ]
