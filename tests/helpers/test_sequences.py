"""Tests for helpers.sequences: lazy image sequences from folders, globs, lists and TIFFs."""

from __future__ import annotations

import doctest
import gc
import importlib
import inspect
import pickle
import pkgutil
import warnings
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pims
import pytest
import tifffile

import helpers.sequences as sequences
from helpers.sequences import Sequence, SequenceError, natural_key, open_sequence


def make_stack(
    z: int = 12, y: int = 6, x: int = 7, dtype: type = np.uint16, seed: int = 0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.normal(100, 20, (z, y, x)).astype(dtype)
    return rng.integers(0, 200, (z, y, x)).astype(dtype)


def write_planes(folder: Path, stack: np.ndarray, name: str = "z{}.tif", **kwargs) -> list[Path]:
    """One single-page TIFF per plane, unpadded numbers (z0, z1, ... z10)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, plane in enumerate(stack):
        path = folder / name.format(i)
        tifffile.imwrite(path, plane, **kwargs)
        paths.append(path)
    return paths


def write_stack(path: Path, stack: np.ndarray, **kwargs) -> Path:
    # photometric="minisblack": without it tifffile reads a leading 3 or 4 as colour.
    kwargs.setdefault("photometric", "minisblack")
    tifffile.imwrite(path, stack, **kwargs)
    return path


# --------------------------------------------------------------------------- order


def test_natural_key_orders_numbers_by_value():
    names = ["z10.tif", "z2.tif", "z1.tif", "Z0.tif", "z100.tif", "z20.tif"]
    assert sorted(names, key=natural_key) == [
        "Z0.tif", "z1.tif", "z2.tif", "z10.tif", "z20.tif", "z100.tif"
    ]  # fmt: skip


@pytest.mark.parametrize("form", ["folder", "glob", "path"])
def test_folder_is_read_in_natural_order(tmp_path, form):
    stack = make_stack(z=12)
    write_planes(tmp_path / "planes", stack)
    source = {
        "folder": str(tmp_path / "planes"),
        "glob": str(tmp_path / "planes" / "z*.tif"),
        "path": tmp_path / "planes",
    }[form]
    seq = open_sequence(source)
    assert len(seq) == 12
    for i in (0, 1, 2, 9, 10, 11):  # z10 must be frame 10, not frame 2
        np.testing.assert_array_equal(seq[i], stack[i])
    np.testing.assert_array_equal(np.asarray(seq), stack)
    assert [p.name for p in seq.files][:4] == ["z0.tif", "z1.tif", "z2.tif", "z3.tif"]


def test_list_of_files_keeps_given_order(tmp_path):
    stack = make_stack(z=4)
    paths = write_planes(tmp_path, stack)
    seq = open_sequence([paths[3], paths[1], str(paths[0])])
    np.testing.assert_array_equal(seq[:], stack[[3, 1, 0]])


# --------------------------------------------------------------------------- API


@pytest.fixture(params=["folder", "multipage"])
def seq_and_stack(request, tmp_path):
    stack = make_stack(z=9, y=5, x=8)
    if request.param == "folder":
        write_planes(tmp_path / "planes", stack)
        seq = open_sequence(tmp_path / "planes")
    else:
        seq = open_sequence(write_stack(tmp_path / "stack.tif", stack))
    with seq:
        yield seq, stack


def test_attributes(seq_and_stack):
    seq, stack = seq_and_stack
    assert len(seq) == 9
    assert seq.frame_shape == (5, 8)
    assert seq.shape == stack.shape
    assert seq.ndim == 3
    assert seq.dtype == np.dtype(np.uint16)
    assert seq.pixel_type == np.dtype(np.uint16)
    assert seq.size == stack.size and seq.nbytes == stack.nbytes
    assert "9 frames of 5 x 8 uint16" in repr(seq)


def test_indexing_returns_numpy_arrays(seq_and_stack):
    seq, stack = seq_and_stack
    frame = seq[3]
    assert type(frame) is np.ndarray and frame.shape == (5, 8)
    np.testing.assert_array_equal(frame, stack[3])
    np.testing.assert_array_equal(seq[np.int64(-1)], stack[-1])
    for key in (slice(None), slice(2, 7), slice(None, None, -2), slice(5, 2)):
        out = seq[key]
        assert type(out) is np.ndarray
        np.testing.assert_array_equal(out, stack[key])
    np.testing.assert_array_equal(seq[[4, 0, 4]], stack[[4, 0, 4]])
    mask = np.arange(9) % 3 == 0
    np.testing.assert_array_equal(seq[mask], stack[mask])
    np.testing.assert_array_equal(seq[2:5, 1:3, -1], stack[2:5, 1:3, -1])
    np.testing.assert_array_equal(seq[4, 2], stack[4, 2])
    np.testing.assert_array_equal(seq[..., 0], stack[..., 0])
    assert seq[[]].shape == (0, 5, 8)


@pytest.mark.parametrize("key", [9, -10, 100])
def test_index_out_of_range(seq_and_stack, key):
    seq, _ = seq_and_stack
    with pytest.raises(IndexError, match="out of range"):
        seq[key]


def test_bad_index_type(seq_and_stack):
    seq, _ = seq_and_stack
    with pytest.raises(IndexError):
        seq[1.5]
    with pytest.raises(IndexError):
        seq[np.ones(3, bool)]


def test_iteration_and_array_protocol(seq_and_stack):
    seq, stack = seq_and_stack
    frames = list(seq)
    assert len(frames) == 9 and all(type(f) is np.ndarray for f in frames)
    np.testing.assert_array_equal(np.stack(frames), stack)
    arr = np.asarray(seq)
    assert arr.dtype == np.uint16
    np.testing.assert_array_equal(arr, stack)
    as_float = np.asarray(seq, dtype=np.float32)
    assert as_float.dtype == np.float32
    np.testing.assert_array_equal(as_float, stack.astype(np.float32))
    np.testing.assert_array_equal(np.array(seq, copy=True), stack)
    with pytest.raises(ValueError, match="copy=False"):
        np.asarray(seq, copy=False)
    # numpy functions accept it directly
    np.testing.assert_array_equal(np.max(seq, axis=0), stack.max(axis=0))


def test_read_frame_into_buffer_and_bands(seq_and_stack):
    seq, stack = seq_and_stack
    buf = np.empty(seq.frame_shape, seq.dtype)
    assert seq.read_frame(2, out=buf) is buf
    np.testing.assert_array_equal(buf, stack[2])
    with pytest.raises(ValueError, match="out must be"):
        seq.read_frame(0, out=np.empty((2, 2), seq.dtype))
    flat = stack.reshape(9, -1)
    for start, stop in [(0, 40), (3, 17), (39, 40), (8, 8)]:
        np.testing.assert_array_equal(seq.read_band(start, stop), flat[:, start:stop])
    with pytest.raises(ValueError, match="outside"):
        seq.read_band(0, 41)


def test_pims_compatibility(seq_and_stack):
    seq, stack = seq_and_stack
    assert isinstance(seq, pims.FramesSequence)
    frame = seq.get_frame(4)
    assert isinstance(frame, pims.Frame) and frame.frame_no == 4
    np.testing.assert_array_equal(frame, stack[4])

    @pims.pipeline
    def invert(image):
        return 255 - image

    inverted = invert(seq)
    assert len(inverted) == 9
    np.testing.assert_array_equal(inverted[2], 255 - stack[2])
    assert "png" in seq.class_exts() and "tif" in seq.class_exts()


def test_to_dask_keeps_order(seq_and_stack):
    seq, stack = seq_and_stack
    x = seq.to_dask(frames_per_chunk=4)
    assert x.shape == stack.shape and x.dtype == stack.dtype
    assert x.chunks[0] == (4, 4, 1)
    np.testing.assert_array_equal(x.compute(), stack)
    np.testing.assert_array_equal(x[7].compute(), stack[7])


def test_frames_are_read_lazily(tmp_path):
    # Pixels are read at access time: changing a file after opening shows up.
    stack = make_stack(z=5)
    paths = write_planes(tmp_path, stack)
    seq = open_sequence(tmp_path)
    tifffile.imwrite(paths[2], stack[2] + 1)
    np.testing.assert_array_equal(seq[2], stack[2] + 1)


def test_pickle_roundtrip_reopens_multipage(tmp_path):
    stack = make_stack(z=6)
    seq = open_sequence(write_stack(tmp_path / "s.tif", stack))
    clone = pickle.loads(pickle.dumps(seq))
    np.testing.assert_array_equal(clone[5], stack[5])
    clone.close()
    seq.close()


def test_close_and_context_manager(tmp_path):
    path = write_stack(tmp_path / "s.tif", make_stack(z=5))
    with open_sequence(path) as seq:
        handle = seq._store._fh
        assert len(seq[1:3]) == 2
    assert seq.closed and handle.closed
    with pytest.raises(SequenceError, match="closed"):
        seq[0]
    # Closing a folder sequence is harmless.
    write_planes(tmp_path / "p", make_stack(z=3))
    folder_seq = open_sequence(tmp_path / "p")
    folder_seq.close()
    folder_seq.close()


def _unclosed(caught, path):
    return [
        w for w in caught if issubclass(w.category, ResourceWarning) and str(path) in str(w.message)
    ]


def test_no_resource_warning_when_dropped(tmp_path):
    path = write_stack(tmp_path / "s.tif", make_stack(z=5))
    # Collect what earlier tests left behind first: their unclosed sockets and pipes would
    # otherwise warn inside the block below. Only a handle on this test's file counts.
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seq = open_sequence(path)
        seq[0]
        del seq
        gc.collect()
    assert not _unclosed(caught, path)


def test_unclosed_handle_would_be_caught(tmp_path):
    # the check above is able to fail: a file left open is reported with its path
    path = write_stack(tmp_path / "s.tif", make_stack(z=5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handle = open(path, "rb")  # noqa: SIM115
        del handle
        gc.collect()
    assert _unclosed(caught, path)


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"compression": "zlib"},
        {"byteorder": ">"},
        {"tile": (16, 16)},
        {"imagej": True},
    ],
    ids=["plain", "zlib", "bigendian", "tiled", "imagej"],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_tiff_variants_multipage_and_folder(tmp_path, kwargs, dtype):
    stack = make_stack(z=7, y=32, x=48, dtype=dtype)
    seq = open_sequence(write_stack(tmp_path / "s.tif", stack, **kwargs))
    assert seq.dtype == np.dtype(dtype) and seq.dtype.isnative
    np.testing.assert_array_equal(seq[:], stack)
    np.testing.assert_array_equal(seq.read_band(40, 1000), stack.reshape(7, -1)[:, 40:1000])
    seq.close()
    kwargs = {k: v for k, v in kwargs.items() if k != "imagej"}
    write_planes(tmp_path / "planes", stack, **kwargs)
    seq = open_sequence(tmp_path / "planes")
    np.testing.assert_array_equal(seq[:], stack)
    np.testing.assert_array_equal(seq.read_band(40, 1000), stack.reshape(7, -1)[:, 40:1000])


def test_bool_tiff(tmp_path):
    stack = make_stack(z=5, dtype=np.uint8) > 100
    seq = open_sequence(write_stack(tmp_path / "b.tif", stack))
    assert seq.dtype == bool
    np.testing.assert_array_equal(seq[:], stack)


def test_pages_with_interleaved_headers(tmp_path):
    # Pages written one by one, each after its own header (as Micro-Manager does): not
    # contiguous as a series, but each page's pixels can still be read raw.
    stack = make_stack(z=6, y=16, x=16)
    path = tmp_path / "mm.tif"
    with tifffile.TiffWriter(path) as tif:
        for plane in stack:
            tif.write(plane, contiguous=False, metadata=None)
    seq = open_sequence(path)
    assert len(seq) == 6
    assert seq._store._contiguous_offset is None and seq.partial_reads
    np.testing.assert_array_equal(seq[:], stack)
    np.testing.assert_array_equal(seq.read_band(3, 50), stack.reshape(6, -1)[:, 3:50])


def test_rgb_frames(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (4, 8, 9, 3), dtype=np.uint8)
    seq = open_sequence(write_stack(tmp_path / "rgb.tif", rgb, photometric="rgb"))
    assert seq.frame_shape == (8, 9, 3)
    np.testing.assert_array_equal(seq[:], rgb)


def test_png_folder_and_single_png(tmp_path):
    stack = make_stack(z=11, dtype=np.uint8)
    for i, plane in enumerate(stack):
        iio.imwrite(tmp_path / f"frame_{i}.png", plane)
    seq = open_sequence(tmp_path)
    np.testing.assert_array_equal(seq[:], stack)
    np.testing.assert_array_equal(seq.read_band(5, 20), stack.reshape(11, -1)[:, 5:20])
    one = open_sequence(tmp_path / "frame_3.png")
    assert one.shape == (1, 6, 7)
    np.testing.assert_array_equal(one[0], stack[3])


def test_jpeg_folder(tmp_path):
    stack = make_stack(z=3, y=16, x=16, dtype=np.uint8)
    for i, plane in enumerate(stack):
        iio.imwrite(tmp_path / f"img{i}.jpg", plane)
    seq = open_sequence(tmp_path)
    assert seq.shape == (3, 16, 16) and seq.dtype == np.uint8
    assert np.abs(seq[:].astype(int) - stack).mean() < 20  # lossy


def test_single_page_tiff_is_one_frame(tmp_path):
    plane = make_stack(z=1)[0]
    tifffile.imwrite(tmp_path / "one.tif", plane)
    seq = open_sequence(tmp_path / "one.tif")
    assert seq.shape == (1, *plane.shape)
    np.testing.assert_array_equal(seq[0], plane)


def test_tiff_recognised_by_content_in_a_list(tmp_path):
    plane = make_stack(z=1)[0]
    tifffile.imwrite(tmp_path / "a.dat", plane)
    seq = open_sequence([tmp_path / "a.dat", tmp_path / "a.dat"])
    np.testing.assert_array_equal(seq[1], plane)


def test_series_choice(tmp_path):
    path = tmp_path / "two.tif"
    a, b = make_stack(z=5, seed=1), make_stack(z=5, y=3, x=3, seed=2)
    with tifffile.TiffWriter(path) as tif:
        tif.write(a, photometric="minisblack")
        tif.write(b, photometric="minisblack")
    np.testing.assert_array_equal(open_sequence(path, series=1)[:], b)
    with pytest.raises(SequenceError, match="series=5"):
        open_sequence(path, series=5)


# --------------------------------------------------------------------------- spacing


def test_spacing_from_imagej(tmp_path):
    path = write_stack(
        tmp_path / "ij.tif",
        make_stack(z=5),
        imagej=True,
        resolution=(1 / 0.5, 1 / 0.25),  # (x, y) pixels per unit
        metadata={"spacing": 2.0, "unit": "um", "axes": "ZYX"},
    )
    assert open_sequence(path).spacing == pytest.approx((2.0, 0.25, 0.5))


@pytest.mark.parametrize(
    "unit, factor", [("micron", 1.0), ("nm", 1e-3), ("mm", 1e3), ("\\u00B5m", 1.0)]
)
def test_spacing_units_imagej(tmp_path, unit, factor):
    path = write_stack(
        tmp_path / "ij.tif",
        make_stack(z=5),
        imagej=True,
        resolution=(1 / 0.5, 1 / 0.5),
        metadata={"spacing": 3.0, "unit": unit, "axes": "ZYX"},
    )
    assert open_sequence(path).spacing == pytest.approx((3.0 * factor, 0.5 * factor, 0.5 * factor))


def test_spacing_from_ome(tmp_path):
    path = write_stack(
        tmp_path / "s.ome.tif",
        make_stack(z=5),
        ome=True,
        metadata={"axes": "ZYX", "PhysicalSizeX": 0.3, "PhysicalSizeY": 0.4, "PhysicalSizeZ": 1.5},
    )
    assert open_sequence(path).spacing == pytest.approx((1.5, 0.4, 0.3))


def test_spacing_from_ome_with_units(tmp_path):
    path = write_stack(
        tmp_path / "s.ome.tif",
        make_stack(z=5),
        ome=True,
        metadata={
            "axes": "ZYX",
            "PhysicalSizeX": 300.0, "PhysicalSizeXUnit": "nm",
            "PhysicalSizeY": 300.0, "PhysicalSizeYUnit": "nm",
        },
    )  # fmt: skip
    spacing = open_sequence(path).spacing
    assert spacing[0] is None and spacing[1:] == pytest.approx((0.3, 0.3))


def test_spacing_unknown_is_none(tmp_path):
    assert open_sequence(write_stack(tmp_path / "plain.tif", make_stack(z=5))).spacing is None
    # dpi-style resolution is print metadata, not a pixel size
    inch = write_stack(
        tmp_path / "dpi.tif", make_stack(z=5), resolution=(300, 300), resolutionunit="INCH"
    )
    assert open_sequence(inch).spacing is None


def test_spacing_from_resolution_in_centimetres(tmp_path):
    # 20000 pixels per cm = 0.5 µm per pixel
    path = write_stack(
        tmp_path / "cm.tif", make_stack(z=5), resolution=(20000, 10000), resolutionunit="CENTIMETER"
    )
    spacing = open_sequence(path).spacing
    assert spacing[0] is None and spacing[1:] == pytest.approx((1.0, 0.5))


def test_spacing_of_folder_comes_from_first_file(tmp_path):
    write_planes(
        tmp_path,
        make_stack(z=3),
        imagej=True,
        resolution=(1 / 0.65, 1 / 0.65),
        metadata={"unit": "um"},
    )
    spacing = open_sequence(tmp_path).spacing
    assert spacing[0] is None and spacing[1:] == pytest.approx((0.65, 0.65))
    assert "spacing (z, y, x) = (?, 0.65, 0.65) µm" in repr(open_sequence(tmp_path))


# --------------------------------------------------------------------------- file rules


def test_hidden_and_non_image_files_are_skipped(tmp_path):
    stack = make_stack(z=4)
    write_planes(tmp_path, stack)
    (tmp_path / "README.md").write_text("notes")
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (tmp_path / "._z0.tif").write_bytes(b"\0\5\26\7 AppleDouble")
    (tmp_path / "sub").mkdir()
    tifffile.imwrite(tmp_path / "sub" / "z99.tif", stack[0])
    seq = open_sequence(tmp_path)
    assert len(seq) == 4
    assert {p.name for p in seq.skipped} == {"._z0.tif", ".DS_Store", "README.md"}
    np.testing.assert_array_equal(seq[:], stack)


def test_reference_image_beside_planes_is_refused(tmp_path):
    stack = make_stack(z=12)
    write_planes(tmp_path, stack)
    tifffile.imwrite(tmp_path / "MaxZ.tif", stack.max(0))
    tifffile.imwrite(tmp_path / "medianZ.tif", np.median(stack, 0).astype(np.float32))
    with pytest.raises(SequenceError) as err:
        open_sequence(tmp_path)
    message = str(err.value)
    assert "MaxZ.tif" in message and "medianZ.tif" in message
    assert "12 files like z0.tif" in message
    assert repr(str(tmp_path / "z*.tif")) in message  # a glob that selects the series
    # The suggested glob works, and so does opting out of the check.
    np.testing.assert_array_equal(open_sequence(tmp_path / "z*.tif")[:], stack)
    # Opting out of the check takes every image, here refused for another reason.
    with pytest.raises(SequenceError, match=r"medianZ\.tif.*float32"):
        open_sequence(tmp_path, check_names=False)
    (tmp_path / "medianZ.tif").unlink()
    assert len(open_sequence(tmp_path, check_names=False)) == 13
    # A broad glob is checked too: '*.tif' would silently include the references.
    with pytest.raises(SequenceError, match=r"MaxZ\.tif"):
        open_sequence(tmp_path / "*.tif")


def test_two_channels_are_not_interleaved(tmp_path):
    write_planes(tmp_path, make_stack(z=3, seed=1), name="ch1_z{}.tif")
    write_planes(tmp_path, make_stack(z=3, seed=2), name="ch2_z{}.tif")
    with pytest.raises(SequenceError, match=r"ch2_z0\.tif"):
        open_sequence(tmp_path)
    assert len(open_sequence(tmp_path / "ch2_z*.tif")) == 3


def test_glob_hint_only_when_it_selects_the_series(tmp_path):
    write_planes(tmp_path, make_stack(z=3), name="z{}.tif")
    tifffile.imwrite(tmp_path / "zmax.tif", make_stack(z=1)[0])
    with pytest.raises(SequenceError, match="a list of the files"):
        open_sequence(tmp_path)


def test_unnumbered_names_are_used_whole(tmp_path):
    stack = make_stack(z=3)
    for name, plane in zip(["control.tif", "treated.tif", "washout.tif"], stack, strict=True):
        tifffile.imwrite(tmp_path / name, plane)
    np.testing.assert_array_equal(open_sequence(tmp_path)[:], stack)


def test_zero_padded_and_unpadded_numbers(tmp_path):
    stack = make_stack(z=11)
    write_planes(tmp_path, stack, name="img_{:04d}.tif")
    np.testing.assert_array_equal(open_sequence(tmp_path)[:], stack)


# --------------------------------------------------------------------------- errors


def test_empty_folder(tmp_path):
    (tmp_path / "README.txt").write_text("x")
    with pytest.raises(SequenceError, match="holds no image files") as err:
        open_sequence(tmp_path)
    assert str(tmp_path) in str(err.value) and "README.txt" in str(err.value)


def test_dataset_folder_instead_of_its_planes(tmp_path):
    # data/zebrafish holds stack.tif, MaxZ.tif, medianZ.tif and the folder planes/
    stack = make_stack(z=5)
    write_planes(tmp_path / "planes", stack)
    write_stack(tmp_path / "stack.tif", stack)
    tifffile.imwrite(tmp_path / "MaxZ.tif", stack.max(0))
    tifffile.imwrite(tmp_path / "medianZ.tif", np.median(stack, 0).astype(np.float32))
    with pytest.raises(SequenceError) as err:
        open_sequence(tmp_path)
    assert "'planes' (5 image files)" in str(err.value)
    assert repr(str(tmp_path / "planes")) in str(err.value)
    empty = tmp_path / "experiment"
    write_planes(empty / "day1", stack[:2])
    with pytest.raises(SequenceError, match=r"holds no image files.*'day1' \(2 image files\)"):
        open_sequence(empty)


def test_glob_matching_nothing(tmp_path):
    write_planes(tmp_path, make_stack(z=2))
    pattern = str(tmp_path / "plane*.tif")
    with pytest.raises(SequenceError, match="no file matches") as err:
        open_sequence(pattern)
    assert pattern in str(err.value) and "z0.tif" in str(err.value)
    with pytest.raises(SequenceError, match="does not exist"):
        open_sequence(str(tmp_path / "nowhere" / "*.tif"))


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothere\.tif"):
        open_sequence(tmp_path / "nothere.tif")
    with pytest.raises(FileNotFoundError, match=r"gone\.tif"):
        open_sequence([tmp_path / "gone.tif"])
    with pytest.raises(SequenceError, match="empty"):
        open_sequence([])
    with pytest.raises(TypeError, match="folder, a glob"):
        open_sequence(42)


def test_frames_of_different_shapes(tmp_path):
    stack = make_stack(z=4, y=6, x=7)
    write_planes(tmp_path, stack)
    tifffile.imwrite(tmp_path / "z2.tif", np.zeros((6, 9), np.uint16))
    with pytest.raises(SequenceError) as err:
        open_sequence(tmp_path)
    message = str(err.value)
    assert (
        "z2.tif" in message and "(6, 9)" in message and "(6, 7)" in message and "z0.tif" in message
    )


def test_frames_of_different_dtypes(tmp_path):
    write_planes(tmp_path, make_stack(z=3))
    tifffile.imwrite(tmp_path / "z1.tif", np.zeros((6, 7), np.float32))
    with pytest.raises(SequenceError, match=r"z1\.tif.*float32.*uint16"):
        open_sequence(tmp_path)


def test_png_with_other_shape_found_at_open(tmp_path):
    stack = make_stack(z=3, dtype=np.uint8)
    for i, plane in enumerate(stack):
        iio.imwrite(tmp_path / f"f{i}.png", plane)
    iio.imwrite(tmp_path / "f1.png", np.zeros((3, 3), np.uint8))
    with pytest.raises(SequenceError, match=r"f1\.png.*\(3, 3\)"):
        open_sequence(tmp_path)


def test_truncated_single_page_file(tmp_path):
    paths = write_planes(tmp_path, make_stack(z=3, y=64, x=64))
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[: len(data) - 100])
    with pytest.raises(SequenceError, match=r"z1\.tif.* truncated"):
        open_sequence(tmp_path)


def test_file_truncated_after_opening(tmp_path):
    paths = write_planes(tmp_path, make_stack(z=3, y=64, x=64))
    seq = open_sequence(tmp_path)
    data = paths[2].read_bytes()
    paths[2].write_bytes(data[: len(data) - 100])
    with pytest.raises(SequenceError, match=r"z2\.tif.* truncated"):
        seq[2]


@pytest.mark.parametrize("kwargs", [{"imagej": True}, {}, {"compression": "zlib"}])
@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9, 0.99, 0.999])
def test_truncated_multipage_file(tmp_path, kwargs, fraction):
    # tifffile only *logs* such damage and returns what it could parse (e.g. one page of
    # a 40-page ImageJ file). Whatever the cut, the result must be an error naming the
    # file or, if the pixels survived (only trailing headers lost), the exact data.
    stack = make_stack(z=40, y=32, x=32)
    path = write_stack(tmp_path / "stack.tif", stack, **kwargs)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    try:
        with open_sequence(path) as seq:
            got = seq[:]
    except SequenceError as err:
        assert "stack.tif" in str(err)
    else:
        np.testing.assert_array_equal(got, stack)


def test_garbage_file_with_tif_extension(tmp_path):
    write_planes(tmp_path, make_stack(z=2))
    (tmp_path / "z2.tif").write_bytes(b"II*\x00" + b"\xff" * 50)
    with pytest.raises(SequenceError, match=r"z2\.tif"):
        open_sequence(tmp_path)
    (tmp_path / "z2.tif").write_bytes(b"this is not an image")
    with pytest.raises(SequenceError, match=r"z2\.tif"):
        open_sequence(tmp_path)


def test_corrupt_png(tmp_path):
    for i in range(2):
        iio.imwrite(tmp_path / f"f{i}.png", np.zeros((4, 4), np.uint8))
    data = (tmp_path / "f1.png").read_bytes()
    (tmp_path / "f1.png").write_bytes(data[:40])
    with pytest.raises(SequenceError, match=r"f1\.png"):
        open_sequence(tmp_path)[:]


def test_multipage_file_inside_folder(tmp_path):
    write_planes(tmp_path, make_stack(z=2))
    write_stack(tmp_path / "z2.tif", make_stack(z=5))
    with pytest.raises(SequenceError, match=r"z2\.tif.* holds 5 images"):
        open_sequence(tmp_path)


def test_sequence_error_is_a_value_error():
    assert issubclass(SequenceError, ValueError)


def test_opening_emits_no_warning(tmp_path):
    stack = make_stack(z=4)
    write_planes(tmp_path / "p", stack)
    path = write_stack(
        tmp_path / "s.tif", stack, imagej=True, metadata={"spacing": 1.0, "unit": "um"}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for source in (tmp_path / "p", path):
            with open_sequence(source) as seq:
                seq[:]
                list(seq)


def _sequences_modules() -> list:
    names = [info.name for info in pkgutil.iter_modules(sequences.__path__, "helpers.sequences.")]
    return [sequences, *(importlib.import_module(name) for name in names)]


def test_docstring_examples_run_in_every_module():
    attempted = 0
    for module in _sequences_modules():
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted > 20


def test_every_public_function_class_and_method_has_an_example():
    documented = []
    for name in sequences.__all__:
        obj = getattr(sequences, name)
        if not callable(obj):
            continue  # IMAGE_EXTENSIONS
        members = [(name, obj)]
        if isinstance(obj, type):
            members += [
                (f"{name}.{key}", value)
                for key, value in vars(obj).items()
                if not key.startswith("_")
            ]
        for label, member in members:
            assert "Examples\n--------" in inspect.cleandoc(member.__doc__ or ""), label
            documented.append(label)
    assert "FrameSource.read_pixels" in documented and "Sequence.to_dask" in documented


def test_public_names():
    assert sorted(sequences.__all__) == [
        "FrameSource", "IMAGE_EXTENSIONS", "Sequence", "SequenceError", "natural_key",
        "open_sequence",
    ]  # fmt: skip


def test_sequence_class_is_exported():
    assert Sequence is sequences.Sequence
