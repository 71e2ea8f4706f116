"""Unit tests of the time-series checks of helpers.grading (exercise 05_time_series): each
check passes right answers (as plain floats), in NumPy or dask, and fails each typical
mistake with the message that names it: wrong axis, pages in the wrong places, no baseline
or a wrong one, an inverted mask, a threshold that flags everything or is fixed in counts.
"""

from __future__ import annotations

import doctest

import dask.array as da
import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import filters

from helpers import grading
from helpers.grading import GradingError, _timeseries

RNG = np.random.default_rng(5)
#: a small recording whose four axes all have different lengths
MOVIE = RNG.integers(150, 4000, (7, 3, 5, 6)).astype(np.uint16)
#: a hidden recording as the exercise's hidden tests make it: other shape, 3 planes
HIDDEN = (30, 3, 60, 70)


def fails(func, *args, match: str, **kwargs) -> GradingError:
    """Assert that a check raises GradingError whose message contains ``match``."""
    with pytest.raises(GradingError) as info:
        func(*args, **kwargs)
    assert match in str(info.value), str(info.value)
    return info.value


def test_docstring_examples():
    result = doctest.testmod(
        _timeseries, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0 and result.attempted > 30


def test_the_checks_are_public():
    for name in (
        "check_active",
        "check_active_function",
        "check_counts",
        "check_dff",
        "check_dff_function",
        "check_movie",
        "check_movie_function",
        "check_reduction",
        "check_selection",
        "check_series",
        "check_series_function",
    ):
        assert name in grading.__all__ and getattr(grading, name) is getattr(_timeseries, name)


# ------------------------------------------------------------------ the solution's functions


def to_movie(pages, n_planes):
    pages = da.asarray(pages)
    return pages.reshape(-1, n_planes, *pages.shape[1:])


def to_series(movie):
    movie = da.asarray(movie)
    return movie.reshape(movie.shape[0], -1).T.rechunk({1: -1})


def delta_f_over_f(series, percentile=20):
    series = da.asarray(series).astype(np.float64).rechunk({1: -1})
    f0 = series.map_blocks(
        np.percentile, percentile, axis=1, keepdims=True, chunks=(series.chunks[0], (1,))
    )
    return (series - f0) / f0


def active_cells(movie):
    movie = da.asarray(movie).astype(np.float64)
    smooth = movie.map_blocks(ndi.gaussian_filter, sigma=(0, 0, 1, 1))
    score = delta_f_over_f(to_series(smooth)).std(axis=1).reshape(movie.shape[1:]).compute()
    return score > filters.threshold_otsu(score)


@pytest.mark.parametrize(
    "call",
    [
        lambda: grading.check_counts(7, (3, 5, 6), MOVIE.shape),
        lambda: grading.check_movie(MOVIE, MOVIE),
        lambda: grading.check_reduction(MOVIE.max(0), MOVIE, "max", 0),
        lambda: grading.check_selection(MOVIE[:, 1], MOVIE, np.s_[:, 1]),
        lambda: grading.check_series(MOVIE.reshape(7, -1).T, MOVIE),
        lambda: grading.check_dff(
            np.asarray(delta_f_over_f(MOVIE.reshape(7, -1).T)), MOVIE.reshape(7, -1).T
        ),
        lambda: grading.check_active(MOVIE[0] > 2000, MOVIE[0] > 2000),
    ],
)
def test_scores_are_python_floats(call):
    score = call()
    assert type(score) is float and score == 1.0


# ------------------------------------------------------------------ counts and the recording


def test_counts():
    shape = (20, 2, 76, 87)
    assert grading.check_counts(np.int64(20), [2, 76, 87], shape) == 1.0
    assert grading.check_counts(20, np.array([2, 76, 87]), shape) == 1.0
    fails(grading.check_counts, 40, (2, 76, 87), shape, match="the number of pages")
    fails(grading.check_counts, 20.0, (2, 76, 87), shape, match="convert it with int(...)")
    fails(grading.check_counts, 76, (2, 76, 87), shape, match="the size of axis 2 (y)")
    fails(grading.check_counts, 20, shape, shape, match="includes the time axis")
    fails(grading.check_counts, 20, (87, 76, 2), shape, match="Thunder's order (x, y, z)")
    fails(grading.check_counts, 20, (76, 87), shape, match="the shape of one plane")
    fails(grading.check_counts, 20, 13224, shape, match="one number")


def test_movie_right_in_numpy_and_dask():
    pages = MOVIE.reshape(21, 5, 6)
    assert grading.check_movie(to_movie(pages, 3), MOVIE) == 1.0
    assert grading.check_movie(to_movie(da.from_array(pages, chunks=(3, 5, 6)), 3), MOVIE) == 1.0
    assert grading.check_movie(MOVIE.astype(np.float32), MOVIE) == 1.0  # same values


def test_movie_mistakes():
    pages = MOVIE.reshape(21, 5, 6)
    fails(grading.check_movie, pages, MOVIE, match="still the 21 pages")
    fails(
        grading.check_movie,
        MOVIE.transpose(1, 0, 2, 3),
        MOVIE,
        match="(z, time, y, x); time comes first",
    )
    dealt = pages.reshape(3, 7, 5, 6).transpose(1, 0, 2, 3)
    fails(grading.check_movie, dealt, MOVIE, match="takes the first 7 pages as plane 0")
    fails(grading.check_movie, MOVIE[:, ::-1], MOVIE, match="reverse order")
    fails(grading.check_movie, MOVIE // 16, MOVIE, match="without sorting, scaling or converting")


def test_movie_function_on_hidden_pages():
    assert grading.check_movie_function(to_movie, shape=HIDDEN) == 1.0

    def two_planes(pages, n_planes):
        return pages.reshape(-1, 2, *pages.shape[1:])

    fails(grading.check_movie_function, two_planes, shape=HIDDEN, match="got (45, 2, 60, 70)")

    def dealt(pages, n_planes):
        return pages.reshape(n_planes, -1, *pages.shape[1:]).transpose(1, 0, 2, 3)

    error = fails(
        grading.check_movie_function, dealt, shape=HIDDEN, match="takes the first 30 pages"
    )
    assert str(error).startswith("on a hidden timelapse volume of shape (90, 60, 70)")

    def in_place(pages, n_planes):
        pages.sort(axis=0)
        return pages.reshape(-1, n_planes, *pages.shape[1:])

    fails(
        grading.check_movie_function, in_place, shape=HIDDEN, match="changed the pages it was given"
    )

    def stub(pages, n_planes):
        raise NotImplementedError()

    fails(grading.check_movie_function, stub, shape=HIDDEN, match="stub is not written yet")


# ------------------------------------------------------------------ reductions and selections


def test_reductions_right():
    lazy = da.from_array(MOVIE, chunks=(1, 3, 5, 6))
    assert grading.check_reduction(lazy.max(axis=0), MOVIE, "max", 0) == 1.0
    assert grading.check_reduction(lazy.std(axis=0), MOVIE, "std", 0) == 1.0
    assert grading.check_reduction(MOVIE.std(axis=0, ddof=1), MOVIE, "std", 0) == 1.0
    assert grading.check_reduction(MOVIE.astype(np.float32).std(axis=0), MOVIE, "std", 0) == 1.0
    assert grading.check_reduction(MOVIE.max(axis=1), MOVIE, "max", axis=1) == 1.0
    assert grading.check_reduction(MOVIE.mean(axis=(0, 1)), MOVIE, "mean", axis=(0, 1)) == 1.0


def test_reduction_mistakes():
    fails(
        grading.check_reduction,
        MOVIE.max(axis=1),
        MOVIE,
        "max",
        0,
        name="time_max",
        match="you reduced axis 1 (z), but the maximum asked for is over axis 0 (time): images.max(axis=0)",
    )
    fails(
        grading.check_reduction,
        MOVIE.max(axis=0),
        MOVIE,
        "max",
        1,
        name="z_max",
        match="you reduced axis 0 (time), but the maximum asked for is over axis 1 (z)",
    )
    fails(grading.check_reduction, MOVIE.max(), MOVIE, "max", 0, match="a single number")
    fails(grading.check_reduction, MOVIE, MOVIE, "std", 0, match="still has the shape of images")
    fails(
        grading.check_reduction,
        MOVIE.mean(axis=0),
        MOVIE,
        "std",
        0,
        match="is the mean over axis 0 (time), not the standard deviation",
    )
    fails(grading.check_reduction, MOVIE.max(axis=0) > 0, MOVIE, "max", 0, match="boolean")
    fails(
        grading.check_reduction,
        MOVIE.max(axis=0) // 16,
        MOVIE,
        "max",
        0,
        match="differs from images.max(axis=0)",
    )
    with pytest.raises(ValueError, match="how must be one of"):
        grading.check_reduction(MOVIE.max(0), MOVIE, "median", 0)


def test_selections():
    lazy = da.from_array(MOVIE, chunks=(1, 3, 5, 6))
    assert grading.check_selection(lazy[:, 1], MOVIE, np.s_[:, 1]) == 1.0
    assert grading.check_selection(lazy[::3], MOVIE, np.s_[::3]) == 1.0
    fails(
        grading.check_selection,
        MOVIE[1],
        MOVIE,
        np.s_[:, 1],
        match="is images[1]: that selects along axis 0 (time), not along axis 1 (z)",
    )
    fails(grading.check_selection, MOVIE[:, 0], MOVIE, np.s_[:, 1], match="Python counts from 0")
    fails(
        grading.check_selection,
        MOVIE[3::3],
        MOVIE,
        np.s_[::3],
        match="is images[3::3]: that starts at index 3",
    )
    fails(
        grading.check_selection,
        MOVIE[:, ::3],
        MOVIE,
        np.s_[::3],
        match="along axis 1 (z), not along axis 0 (time)",
    )
    fails(
        grading.check_selection,
        MOVIE[:, :, ::3, ::3],
        MOVIE,
        np.s_[::3],
        match="subsamples in space",
    )
    fails(
        grading.check_selection,
        MOVIE[::2],
        MOVIE,
        np.s_[::3],
        match="The selection asked for is images[::3], of shape (3, 3, 5, 6)",
    )
    fails(
        grading.check_selection,
        MOVIE[::3] // 2,
        MOVIE,
        np.s_[::3],
        match="without changing the values",
    )


# ------------------------------------------------------------------ series


def test_series_right_and_wrong():
    t = MOVIE.shape[0]
    assert grading.check_series(to_series(MOVIE), MOVIE) == 1.0
    assert grading.check_series(np.moveaxis(MOVIE, 0, -1).reshape(-1, t), MOVIE) == 1.0
    fails(grading.check_series, MOVIE.reshape(t, -1), MOVIE, match="one row per time point")
    fails(grading.check_series, MOVIE.reshape(-1, t), MOVIE, match="mix time points and pixels")
    fortran = np.moveaxis(MOVIE, 0, -1).reshape(-1, t, order="F")
    fails(grading.check_series, fortran, MOVIE, match="column-major (Fortran) order")
    fails(
        grading.check_series,
        np.moveaxis(MOVIE, 0, -1),
        MOVIE,
        match="put the pixels of a volume on one axis",
    )
    fails(grading.check_series, MOVIE, MOVIE, match="still has the recording's shape")
    shuffled = MOVIE.reshape(t, -1).T[::-1]
    fails(grading.check_series, shuffled, MOVIE, match="row k is not the time course of pixel")


def test_series_function_on_a_hidden_recording():
    assert grading.check_series_function(to_series, shape=HIDDEN) == 1.0
    error = fails(
        grading.check_series_function,
        lambda movie: movie.reshape(-1, movie.shape[0]),
        shape=HIDDEN,
        match="mix time points and pixels",
    )
    assert "on a hidden timelapse volume of shape (30, 3, 60, 70)" in str(error)


# ------------------------------------------------------------------ ΔF/F


@pytest.fixture(scope="module")
def series():
    """The series of a hidden recording, uint16 as the data are."""
    movie, _ = grading.hidden_variant("timelapse", HIDDEN)
    return np.ascontiguousarray(movie.reshape(movie.shape[0], -1).T)


@pytest.mark.parametrize(
    "baseline",
    [
        lambda f: np.percentile(f, 10, axis=1, keepdims=True),
        lambda f: np.percentile(f, 30, axis=1, keepdims=True),
        lambda f: np.quantile(f, 0.2, axis=1, keepdims=True, method="lower"),
        lambda f: np.median(f, axis=1, keepdims=True),
        lambda f: f.min(axis=1, keepdims=True),
    ],
)
def test_dff_accepts_any_resting_baseline(series, baseline):
    f = series.astype(np.float64)
    f0 = baseline(f)
    assert grading.check_dff((f - f0) / f0, series, time_axis=1) == 1.0
    # in float32 too
    assert grading.check_dff(((f - f0) / f0).astype(np.float32), series, time_axis=1) == 1.0


def test_dff_of_a_recording_along_axis_0():
    f = MOVIE.astype(np.float64)
    f0 = np.percentile(f, 20, axis=0, keepdims=True)
    assert grading.check_dff((f - f0) / f0, MOVIE, time_axis=0) == 1.0
    fails(grading.check_dff, f - f0, MOVIE, time_axis=0, match="is F - F0, in counts")


def test_dff_mistakes(series):
    f = series.astype(np.float64)
    f0 = np.percentile(f, 20, axis=1, keepdims=True)
    dff = (f - f0) / f0

    def check(answer, match):
        return fails(grading.check_dff, answer, series, time_axis=1, match=match)

    check(f, "the fluorescence itself")  # no baseline at all
    check(f - f0, "is F - F0, in counts: divide by the baseline too")  # no normalisation
    check(f / f0, "is F / F0: subtract 1")
    g0 = np.percentile(f, 20)
    check((f - g0) / g0, "one baseline F0 = ")  # one F0 for every pixel
    m0 = f.mean(axis=1, keepdims=True)
    check((f - m0) / m0, "above the median of the pixel's own values")  # raised by transients
    low = f.min(axis=1, keepdims=True) - 50
    check((f - low) / low, "below every value the pixel takes")
    w0 = np.percentile(f, 20, axis=0, keepdims=True)  # wrong axis: over the pixels of a frame
    check((f - w0) / w0, "computed over the pixels of each time point")
    with np.errstate(over="ignore"):
        wrapped = (series - np.percentile(series, 20, axis=1, keepdims=True).astype(np.uint16)) / f0
    check(wrapped, "wraps around below 0")
    check(np.zeros_like(f), "each F0 was computed from a single value")
    check(dff.mean(axis=1), "one value per pixel")
    check(dff.T, "is transposed")
    check(np.round(dff).astype(np.int64), "ΔF/F is a fraction")
    nan = dff.copy()
    nan[0, 0] = np.nan
    check(nan, "NaN or infinite")
    smoothed = ndi.uniform_filter1d(dff, 3, axis=1)
    check(smoothed, "should be the same number F0 at every time point")


def test_dff_chunk_by_chunk_without_rechunking():
    """map_blocks over a series whose chunks split time gives each chunk its own F0."""
    lazy = to_series(da.from_array(MOVIE, chunks=(1, 3, 5, 6))).rechunk({1: 2})
    f = lazy.astype(np.float64)
    f0 = f.map_blocks(np.percentile, 20, axis=1, keepdims=True, chunks=(f.chunks[0], (1,) * 4))
    one_per_chunk = f0.compute().repeat([2, 2, 2, 1], axis=1)
    per_chunk = (f.compute() - one_per_chunk) / one_per_chunk
    fails(
        grading.check_dff, per_chunk, MOVIE.reshape(7, -1).T, time_axis=1, match="rechunk({1: -1})"
    )
    assert grading.check_dff(delta_f_over_f(lazy), MOVIE.reshape(7, -1).T, time_axis=1) == 1.0


def test_dff_function_on_a_hidden_series():
    assert grading.check_dff_function(delta_f_over_f, shape=HIDDEN) == 1.0

    def in_uint16(series):
        f0 = np.percentile(series, 20, axis=1, keepdims=True).astype(series.dtype)
        return (series - f0) / f0

    with np.errstate(over="ignore"):
        error = fails(grading.check_dff_function, in_uint16, shape=HIDDEN, match="wraps around")
    assert str(error).startswith("on a hidden timelapse volume of shape (12600, 30)")
    fails(
        grading.check_dff_function,
        lambda s: s - np.percentile(s, 20, axis=1, keepdims=True),
        shape=HIDDEN,
        match="divide by the baseline too",
    )


# ------------------------------------------------------------------ active neurons


@pytest.fixture(scope="module")
def hidden_truth():
    return grading.hidden_variant("timelapse", HIDDEN)[1] > 0


def test_active_mask_right(hidden_truth):
    assert grading.check_active(hidden_truth, hidden_truth) == 1.0
    assert grading.check_active(hidden_truth.astype(np.uint8), hidden_truth) == 1.0


def test_active_mask_mistakes(hidden_truth):
    truth = hidden_truth
    fails(grading.check_active, ~truth, truth, match="is inverted")
    fails(
        grading.check_active, np.ones_like(truth), truth, match="marks 100% of the pixels as active"
    )
    fails(grading.check_active, np.zeros_like(truth), truth, match="is empty (all zeros)")
    score = RNG.random(truth.shape)
    fails(grading.check_active, score, truth, match="it looks like a score")
    per_frame = np.repeat(truth[None], 30, axis=0)
    fails(grading.check_active, per_frame, truth, frames=30, match="one mask per time point")
    fails(grading.check_active, truth.ravel(), truth, match="reshape it to the volume")
    fails(grading.check_active, truth[0], truth, match="should have the shape of one volume")
    shifted = np.roll(truth, 4, axis=2)
    fails(grading.check_active, shifted, truth, match="overlaps the active neurons with Dice")


def test_active_function_passes_the_solution_on_a_brighter_hidden_recording():
    dice = grading.check_active_function(active_cells, shape=HIDDEN, min_dice=0.65)
    assert type(dice) is float and 0.7 < dice <= 1.0


def test_active_function_fails_a_threshold_in_counts():
    """A threshold in counts that suits the course data fails on 4 to 16 times the counts."""

    def fixed(movie):
        smooth = ndi.gaussian_filter(np.asarray(movie, dtype=np.float64), (0, 0, 1, 1))
        return smooth.std(axis=0) > 109  # Otsu's threshold of this score on the course data

    error = fails(grading.check_active_function, fixed, shape=HIDDEN, match="threshold")
    assert "times those of the course data" in str(error)


def test_active_function_fails_everything_and_inverted():
    fails(
        grading.check_active_function,
        lambda movie: np.ones(movie.shape[1:], bool),
        shape=HIDDEN,
        match="marks 100% of the pixels as active",
    )
    fails(
        grading.check_active_function,
        lambda movie: ~active_cells(movie),
        shape=HIDDEN,
        match="is inverted",
    )


def test_the_hidden_gain_comes_from_the_hidden_seed():
    with grading.hidden_data(1):
        one = _timeseries.hidden_rng("timeseries").uniform(4, 16)
    with grading.hidden_data(2):
        two = _timeseries.hidden_rng("timeseries").uniform(4, 16)
    assert one != two and min(one, two) >= 4 and max(one, two) <= 16
    assert _timeseries._brighter(np.array([4095], np.uint16), 16.0).tolist() == [65520]


def test_a_threshold_the_wrong_way_round_is_called_inverted(hidden_truth):
    """score < threshold on a skewed score: the opposite is too large to reach min_dice."""
    movie, _ = grading.hidden_variant("timelapse", HIDDEN)
    smooth = ndi.gaussian_filter(movie.astype(np.float64), (0, 0, 1, 1))
    score = np.asarray(delta_f_over_f(to_series(smooth))).std(axis=1).reshape(movie.shape[1:])
    below = score < filters.threshold_otsu(score)
    assert grading.check_active(~below, hidden_truth) > 0.65
    fails(grading.check_active, below, hidden_truth, match="is inverted")
    # and the opposite of a poorer mask, too poor itself to reach min_dice
    grown = ndi.binary_dilation(hidden_truth, iterations=1)
    error = fails(grading.check_active, ~grown, hidden_truth, match="looks inverted")
    assert "score > threshold" in str(error)
