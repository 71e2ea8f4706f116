"""Tests for helpers.projections: exact against numpy, streamed with bounded memory, dask."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import tracemalloc
import warnings
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import tifffile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import helpers.projections as projections
from helpers.projections import (
    _stream,
    _tiles,
    max_projection,
    mean_projection,
    median_projection,
    min_projection,
    project,
    std_projection,
)
from helpers.sequences import FrameSource, SequenceError, open_sequence

HOWS = ["max", "min", "mean", "std", "median"]
DTYPES = [np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_]
MORE_DTYPES = [*DTYPES, np.int8, np.int16, np.uint32, np.int64, np.uint64, np.float16]
NUMPY = {
    "max": lambda a, axis: np.max(a, axis=axis),
    "min": lambda a, axis: np.min(a, axis=axis),
    "mean": lambda a, axis: np.mean(a, axis=axis, dtype=np.float64),
    "std": lambda a, axis: np.std(a, axis=axis, dtype=np.float64),
    "median": lambda a, axis: np.median(a, axis=axis),
}
NUMPY_NAN = {
    "max": np.nanmax,
    "min": np.nanmin,
    "mean": lambda a, axis: np.nanmean(a, axis=axis, dtype=np.float64),
    "std": lambda a, axis: np.nanstd(a.astype(np.float64), axis=axis),
    "median": np.nanmedian,
}


def assert_same(result, expected, how):
    """Exact (values, dtype, sign of zero) for max/min/median; 1e-12 for mean/std."""
    result, expected = np.asarray(result), np.asarray(expected)
    assert result.shape == expected.shape
    assert result.dtype == expected.dtype, (result.dtype, expected.dtype)
    if how in ("mean", "std"):
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-300)
    else:
        np.testing.assert_array_equal(result, expected)
        if result.dtype.kind == "f":
            finite = ~np.isnan(expected)
            np.testing.assert_array_equal(np.signbit(result[finite]), np.signbit(expected[finite]))


@pytest.fixture
def tiny_tiles(monkeypatch):
    """Make tiles a few pixels wide so that small arrays still cross many tile edges."""
    monkeypatch.setattr(_tiles, "_TILE_BYTES", 64)
    monkeypatch.setattr(_tiles, "_MIN_TILE", 1)
    monkeypatch.setattr(_stream, "_CHUNK", 5)


def stacks(dtypes=MORE_DTYPES, max_dims=4, nan=False):
    """Random arrays of 1-4 dimensions (sides 1-7) and one of ``dtypes``, plus an axis."""

    @st.composite
    def build(draw):
        dtype = np.dtype(draw(st.sampled_from(dtypes)))
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=1, max_side=7))
        if dtype.kind == "f":
            # Few distinct values so that ties, -0.0 / 0.0 and infinities are common.
            values = st.sampled_from([0.0, -0.0, 1.5, -2.25, 3.0, 1e4, -np.inf, np.inf])
            if nan:
                values = st.one_of(values, st.just(np.nan))
            elements = st.one_of(values, hnp.from_dtype(dtype, allow_nan=nan, allow_infinity=False))
        else:
            elements = hnp.from_dtype(dtype)
        a = draw(hnp.arrays(dtype, shape, elements=elements))
        axis = draw(st.integers(-a.ndim, a.ndim - 1))
        return a, axis

    return build()


# --------------------------------------------------------------------------- in memory

# Timing is the benchmark's job: no deadline, and no "too slow to generate" health check,
# which fails a run when the two cores are busy with something else.
FAST = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
THOROUGH = settings(FAST, max_examples=300)


@THOROUGH
@given(stacks())
def test_median_equals_numpy_exactly(tiny_tiles, case):
    a, axis = case
    with np.errstate(all="ignore"):  # numpy's own arithmetic on inf/overflow
        expected = np.median(a, axis=axis)
        for workers in (1, 2):
            assert_same(project(a, "median", axis, workers=workers), expected, "median")


@FAST
@given(stacks(nan=True, dtypes=[np.float16, np.float32, np.float64]))
def test_median_with_nan_propagates_like_numpy(tiny_tiles, case):
    a, axis = case
    with np.errstate(all="ignore"):
        assert_same(project(a, "median", axis), np.median(a, axis=axis), "median")


@FAST
@given(stacks())
def test_max_min_mean_std_equal_numpy(tiny_tiles, case):
    a, axis = case
    with np.errstate(all="ignore"):
        for how in ("max", "min", "mean", "std"):
            if how == "std" and a.dtype.kind == "f" and np.isinf(a).any():
                continue  # inf - inf: numpy and we both give NaN, checked elsewhere
            expected = NUMPY[how](a, axis)
            if how in ("mean", "std") and not np.isfinite(expected).all():
                np.testing.assert_array_equal(np.isnan(project(a, how, axis)), np.isnan(expected))
                continue
            assert_same(project(a, how, axis, workers=2), expected, how)


@FAST
@given(stacks(nan=True, dtypes=[np.float32, np.float64], max_dims=3))
def test_nan_omit_equals_numpy_nan_functions(tiny_tiles, case):
    a, axis = case
    # Keep to NaN semantics: no infinities, and no values whose double overflows (for an
    # odd count np.nanmedian returns (x + x) / 2, inf there; documented difference).
    a = np.where(np.isinf(a) | (np.abs(a) > np.finfo(a.dtype).max / 4), 1.0, a).astype(a.dtype)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on all-NaN slices
        for how in HOWS:
            expected = np.asarray(NUMPY_NAN[how](a, axis=axis))
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # ... we do not
                result = np.asarray(project(a, how, axis, nan_policy="omit"))
            assert result.dtype == (expected.dtype if how != "median" else a.dtype)
            if how in ("mean", "std"):
                np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-300)
            else:
                np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("z", [1, 2, 7, 8])
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_median_every_dtype_count_and_axis(dtype, z, axis):
    rng = np.random.default_rng(z)
    a = rng.integers(0, 300, (z, 5, 6)).astype(dtype)
    a = np.moveaxis(a, 0, axis)  # the planes along the axis under test
    assert_same(median_projection(a, axis=axis), np.median(a, axis=axis), "median")


def test_median_of_bool_is_float64_like_numpy():
    a = np.array([[True, False], [True, True]])
    result = median_projection(a)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, [1.0, 0.5])


def test_median_large_stack_several_threads_and_tiles():
    a = np.random.default_rng(0).integers(0, 4096, (31, 130, 150), dtype=np.uint16)
    for how in HOWS:
        assert_same(project(a, how, workers=2, memory_limit=2**16), NUMPY[how](a, 0), how)
    b = a[:30].astype(np.float32)  # even count, float32 halves
    assert_same(project(b, "median", workers=2), np.median(b, axis=0), "median")


def test_uint8_middle_values_do_not_overflow():
    a = np.array([[200], [250]], np.uint8)
    np.testing.assert_array_equal(median_projection(a), [225.0])


def test_float32_even_count_is_computed_in_float32():
    # numpy averages the two middle float32 values in float32: same rounding here
    a = np.array([[1.0000001], [1.0000003]], np.float32)
    assert_same(median_projection(a), np.median(a, axis=0), "median")
    big = np.array([[3e38], [3.2e38]], np.float32)  # the float32 sum overflows, as in numpy
    with np.errstate(over="ignore"):
        assert_same(median_projection(big), np.median(big, axis=0), "median")


def test_non_contiguous_and_memmap_inputs(tmp_path):
    a = np.random.default_rng(1).integers(0, 99, (9, 20, 30), dtype=np.int32)
    view = a[::2, 3:, ::-3]
    assert_same(median_projection(view), np.median(view, axis=0), "median")
    mm = np.lib.format.open_memmap(tmp_path / "a.npy", mode="w+", dtype=a.dtype, shape=a.shape)
    mm[:] = a
    assert_same(median_projection(mm, axis=1), np.median(a, axis=1), "median")


def test_one_dimensional_input_gives_a_scalar():
    a = np.array([3, 1, 2, 10], np.int16)
    for how in HOWS:
        result = project(a, how)
        assert np.ndim(result) == 0
        assert_same(result, NUMPY[how](a, 0), how)


def test_lists_are_accepted():
    assert_same(median_projection([[1, 2], [3, 5]]), np.median([[1, 2], [3, 5]], axis=0), "median")


def test_empty_other_axes():
    a = np.zeros((4, 0, 3), np.uint16)
    for how in HOWS:
        assert project(a, how).shape == (0, 3)


def test_wrappers_match_project():
    a = np.random.default_rng(2).integers(0, 50, (5, 4, 3), dtype=np.uint8)
    for how, func in [("max", max_projection), ("min", min_projection), ("mean", mean_projection),
                      ("std", std_projection), ("median", median_projection)]:  # fmt: skip
        for axis in (0, 2, -2):
            np.testing.assert_array_equal(func(a, axis), project(a, how, axis))
            np.testing.assert_array_equal(func(a, axis=axis), project(a, how, axis=axis))


def test_bad_arguments():
    a = np.zeros((3, 4, 5))
    with pytest.raises(ValueError, match="how must be one of"):
        project(a, "maximum")
    with pytest.raises(ValueError, match="nan_policy"):
        project(a, "max", nan_policy="raise")
    with pytest.raises(np.exceptions.AxisError, match="axis 3 is out of range"):
        project(a, "median", axis=3)
    with pytest.raises(np.exceptions.AxisError):
        project(np.float64(1.0), "max")
    with pytest.raises(ValueError, match="0 planes"):
        project(np.zeros((0, 4, 5)), "median")
    with pytest.raises(ValueError, match="workers"):
        project(a, "median", workers=0)
    with pytest.raises(ValueError, match="memory_limit"):
        project(a, "median", memory_limit=10)


def test_complex_median_falls_back_to_numpy():
    a = np.array([[1 + 2j, 3], [0, 1j], [5, 5]])
    np.testing.assert_array_equal(median_projection(a), np.median(a, axis=0))


def test_std_memory_is_bounded_in_memory():
    # np.std would allocate a float64 copy of the whole stack (8 MB here).
    a = np.random.default_rng(3).integers(0, 4096, (64, 128, 128), dtype=np.uint16)
    peak = peak_memory(lambda: project(a, "std", memory_limit=2**20, workers=2))
    assert peak < 2**20 + 2 * a[0].size * 8, peak


def test_median_memory_is_bounded_in_memory():
    a = np.random.default_rng(4).integers(0, 4096, (64, 128, 128), dtype=np.uint16)
    peak = peak_memory(lambda: project(a, "median", memory_limit=2**20, workers=2))
    result_bytes = a[0].size * 8
    assert peak < 2**20 + 2 * result_bytes, peak  # np.median copies the stack: 2 MB + 8 MB


# --------------------------------------------------------------------------- on disk


def peak_memory(func) -> int:
    """Peak bytes allocated (numpy reports its buffers to tracemalloc) while func runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        func()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def write_forms(tmp_path: Path, stack: np.ndarray, **kwargs) -> dict[str, Path]:
    planes = tmp_path / "planes"
    planes.mkdir()
    for i, plane in enumerate(stack):
        tifffile.imwrite(planes / f"z{i}.tif", plane, **kwargs)
    multi = tmp_path / "stack.tif"
    tifffile.imwrite(multi, stack, photometric="minisblack", **kwargs)
    return {"folder": planes, "multipage": multi}


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_])
@pytest.mark.parametrize("z", [6, 7])
@pytest.mark.parametrize("segment", [None, 7], ids=["segments", "7-pixel-segments"])
def test_streamed_equals_numpy_both_forms(tmp_path, monkeypatch, dtype, z, segment):
    if segment:
        monkeypatch.setattr(_stream, "_CHUNK", segment)
    rng = np.random.default_rng(z)
    stack = rng.normal(500, 200, (z, 21, 34)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        stack[1, 2, 3] = -0.0
    for form, path in write_forms(tmp_path, stack).items():
        seq = open_sequence(path)
        for how in HOWS:
            # A tiny memory_limit forces many bands and tiles.
            result = project(seq, how, memory_limit=2**16, workers=2)
            assert type(result) is np.ndarray, form
            assert_same(result, NUMPY[how](stack, 0), how)
        for axis in (1, -1):
            for how in ("max", "median", "std"):
                assert_same(project(seq, how, axis=axis), NUMPY[how](stack, axis), how)
        seq.close()


@pytest.mark.parametrize(
    "kwargs", [{"compression": "zlib"}, {"byteorder": ">"}], ids=["zlib", "bigendian"]
)
def test_streamed_median_compressed_and_big_endian(tmp_path, kwargs):
    stack = np.random.default_rng(5).integers(0, 60000, (9, 40, 50), dtype=np.uint16)
    for path in write_forms(tmp_path, stack, **kwargs).values():
        with open_sequence(path) as seq:
            assert_same(project(seq, "median", memory_limit=2**16), np.median(stack, 0), "median")
            assert_same(project(seq, "max"), stack.max(0), "max")


def test_streamed_png_folder(tmp_path):
    import imageio.v3 as iio

    stack = np.random.default_rng(6).integers(0, 255, (8, 30, 20), dtype=np.uint8)
    for i, plane in enumerate(stack):
        iio.imwrite(tmp_path / f"t{i}.png", plane)
    seq = open_sequence(tmp_path)
    for how in HOWS:
        assert_same(project(seq, how, memory_limit=2**16), NUMPY[how](stack, 0), how)


def test_streamed_nan_policies(tmp_path):
    stack = np.random.default_rng(7).normal(0, 1, (7, 12, 13)).astype(np.float32)
    stack[2, 3, 4] = np.nan
    stack[:, 5, 5] = np.nan
    with open_sequence(write_forms(tmp_path, stack)["multipage"]) as seq:
        for how in HOWS:
            assert_same(project(seq, how), NUMPY[how](stack, 0), how)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                expected = NUMPY_NAN[how](stack, axis=0)
            result = project(seq, how, nan_policy="omit")
            if how in ("mean", "std"):
                np.testing.assert_allclose(result, expected, rtol=1e-12)
            else:
                np.testing.assert_array_equal(result, expected)


def test_streamed_std_of_large_offsets_is_accurate(tmp_path):
    # A spread of 1e-3 on an offset of 1e6: sum and sum of squares would cancel to noise
    # (relative error ~ 1e-16 * (1e6 / 1e-3)^2 = 100). Welford keeps what the data hold:
    # the data's own conditioning (1e9 * 1e-16) limits any algorithm to ~1e-7.
    rng = np.random.default_rng(8)
    stack = (1e6 + rng.normal(0, 1e-3, (20, 8, 9))).astype(np.float64)
    with open_sequence(write_forms(tmp_path, stack)["multipage"]) as seq:
        np.testing.assert_allclose(project(seq, "std"), np.std(stack, axis=0), rtol=1e-6)
    exact = rng.integers(0, 65535, (20, 8, 9), dtype=np.uint16)  # exact int64 path
    path = tmp_path / "u16.tif"
    tifffile.imwrite(path, exact, photometric="minisblack")
    with open_sequence(path) as seq:
        np.testing.assert_allclose(project(seq, "std"), np.std(exact, axis=0), rtol=1e-14)
        np.testing.assert_array_equal(project(seq, "mean"), np.mean(exact, axis=0))


class DuckReader:
    """A minimal pims-style reader (frame_shape, __len__, __getitem__), like pims readers."""

    def __init__(self, stack):
        self.stack = stack
        self.frame_shape = stack.shape[1:]
        self.reads = 0

    def __len__(self):
        return len(self.stack)

    def __getitem__(self, i):
        self.reads += 1
        return self.stack[i].copy()


def test_pims_style_readers_are_streamed():
    stack = np.random.default_rng(9).integers(0, 1000, (11, 17, 19), dtype=np.uint16)
    for how in HOWS:
        assert_same(project(DuckReader(stack), how, memory_limit=2**16), NUMPY[how](stack, 0), how)
    reader = DuckReader(stack)
    project(reader, "max")
    assert reader.reads == 11 + 1  # one pass (+ the first frame, read to learn the dtype)


def test_pims_image_sequence(tmp_path):
    import pims

    stack = np.random.default_rng(10).integers(0, 1000, (5, 9, 8), dtype=np.uint16)
    paths = write_forms(tmp_path, stack)
    reader_class = pims.image_sequence.customize_image_sequence(lambda f, **kw: tifffile.imread(f))
    frames = reader_class(str(paths["folder"] / "*.tif"))
    assert_same(median_projection(frames), np.median(stack, 0), "median")


def test_reader_with_inconsistent_frames():
    class Bad(DuckReader):
        def __getitem__(self, i):
            return np.zeros((3, 3)) if i == 4 else super().__getitem__(i)

    with pytest.raises(SequenceError, match="frame 4 has shape"):
        project(Bad(np.zeros((6, 5, 5))), "max")


def test_streamed_errors_name_the_file(tmp_path):
    stack = np.zeros((5, 64, 64), np.uint16)
    paths = write_forms(tmp_path, stack)
    seq = open_sequence(paths["folder"])
    bad = paths["folder"] / "z3.tif"
    bad.write_bytes(bad.read_bytes()[:-500])
    for how in ("max", "median"):
        with pytest.raises(SequenceError, match=r"z3\.tif"):
            project(seq, how)


def test_streamed_axis_errors(tmp_path):
    path = write_forms(tmp_path, np.zeros((3, 4, 5), np.uint8))["multipage"]
    with open_sequence(path) as seq, pytest.raises(np.exceptions.AxisError):
        project(seq, "max", axis=3)


@pytest.mark.parametrize("form", ["folder", "multipage"])
def test_streaming_never_loads_the_whole_stack(tmp_path, form):
    z, y, x = 64, 256, 256  # 8 MiB of uint16
    stack = np.random.default_rng(11).integers(0, 4096, (z, y, x), dtype=np.uint16)
    with open_sequence(write_forms(tmp_path, stack)[form]) as seq:
        frame = y * x * 2
        result = y * x * 8  # float64 projection
        budget = 2**20  # 1 MiB, an eighth of the stack
        assert seq.nbytes == 16 * result  # the stack is 16x the float64 result
        peak = peak_memory(lambda: project(seq, "median", memory_limit=budget, workers=2))
        assert peak < budget + result + 2**18, f"median peak {peak / 2**20:.2f} MiB"
        np.testing.assert_array_equal(
            project(seq, "median", memory_limit=budget), np.median(stack, 0)
        )
        peak = peak_memory(lambda: project(seq, "max", workers=2))
        assert peak < 5 * frame, f"max peak {peak / 2**20:.2f} MiB"  # 3 buffers + result
        # float64 accumulators (2 frames' worth) + 3 read buffers + per-thread temporaries
        temporaries = 2 * 2 * min(y * x, _stream._CHUNK) * 8
        peak = peak_memory(lambda: project(seq, "std", workers=2))
        assert peak < 3 * result + 3 * frame + temporaries, f"std peak {peak / 2**20:.2f} MiB"
    path = tmp_path / "float.tif"  # the float (Welford) path: mean and M2 in float64
    tifffile.imwrite(path, stack.astype(np.float32), photometric="minisblack")
    with open_sequence(path) as seq:
        peak = peak_memory(lambda: project(seq, "std", workers=2))
        assert peak < 3 * result + 3 * 2 * frame + 2 * temporaries, f"{peak / 2**20:.2f} MiB"


def test_progress_bar(tmp_path, capsys):
    stack = np.zeros((4, 8, 8), np.uint8)
    with open_sequence(write_forms(tmp_path, stack)["multipage"]) as seq:
        project(seq, "median", progress=True)
        project(seq, "max", progress=True)
    assert "band" in capsys.readouterr().err


# --------------------------------------------------------------------------- dask


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_dask_input_gives_lazy_equal_result(how, axis):
    a = np.random.default_rng(12).integers(0, 1000, (10, 12, 14), dtype=np.uint16)
    x = da.from_array(a, chunks=(3, 5, 7))  # chunked along the axis: needs a rechunk
    result = project(x, how, axis)
    assert isinstance(result, da.Array)
    assert result.dtype == NUMPY[how](a, axis).dtype
    assert_same(result.compute(), NUMPY[how](a, axis), how)


def test_dask_nan_omit():
    a = np.random.default_rng(13).normal(0, 1, (8, 6, 5))
    a[:, 0, 0] = np.nan
    a[3, 1, 1] = np.nan
    x = da.from_array(a, chunks=(3, 3, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = {how: NUMPY_NAN[how](a, axis=0) for how in HOWS}
    for how in HOWS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = project(x, how, nan_policy="omit").compute()
        np.testing.assert_allclose(result, expected[how], rtol=1e-12)


def test_dask_from_a_sequence(tmp_path):
    stack = np.random.default_rng(14).integers(0, 99, (7, 10, 11), dtype=np.uint8)
    with open_sequence(write_forms(tmp_path, stack)["folder"]) as seq:
        x = seq.to_dask()
        assert_same(median_projection(x).compute(), np.median(stack, 0), "median")


def _projections_modules() -> list:
    prefix = "helpers.projections."
    names = [info.name for info in pkgutil.iter_modules(projections.__path__, prefix)]
    return [projections, *(importlib.import_module(name) for name in names)]


def test_docstring_examples_run_in_every_module():
    attempted = 0
    for module in _projections_modules():
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted > 10


def test_every_public_function_has_an_example():
    for name in projections.__all__:
        obj = getattr(projections, name)
        if callable(obj):
            assert "Examples\n--------" in inspect.cleandoc(obj.__doc__ or ""), name


def test_public_names():
    assert sorted(projections.__all__) == [
        "DEFAULT_MEMORY_LIMIT", "max_projection", "mean_projection", "median_dtype",
        "median_projection", "min_projection", "project", "std_projection",
    ]  # fmt: skip


def test_projections_read_sequences_only_through_frame_source(tmp_path):
    # A FrameSource that is not a Sequence is streamed like one, through its public
    # calls only: bands when partial_reads is true, whole frames when it is false.
    stack = np.random.default_rng(15).integers(0, 999, (7, 9, 11), dtype=np.uint16)

    class Frames:
        def __init__(self, partial_reads):
            self.partial_reads = partial_reads
            self.frame_shape, self.dtype = stack.shape[1:], stack.dtype
            self.calls = set()

        def __len__(self):
            return len(stack)

        def read_frame(self, i, out=None):
            self.calls.add("read_frame")
            out = np.empty(self.frame_shape, self.dtype) if out is None else out
            out[...] = stack[i]
            return out

        def read_pixels(self, i, start, stop, out=None):
            self.calls.add("read_pixels")
            out = np.empty(stop - start, self.dtype) if out is None else out
            out[...] = stack[i].reshape(-1)[start:stop]
            return out

    for partial_reads in (True, False):
        frames = Frames(partial_reads)
        assert isinstance(frames, FrameSource)
        for how in HOWS:
            assert_same(project(frames, how, memory_limit=2**16), NUMPY[how](stack, 0), how)
        expected = {"read_pixels"} if partial_reads else {"read_frame", "read_pixels"}
        assert frames.calls == expected
