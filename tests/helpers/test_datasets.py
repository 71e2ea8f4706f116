"""Tests of helpers.datasets: files, metadata, ground truth, determinism and self-repair.

All datasets are generated once for this module into a temporary data root (STACKS_DATA),
so the repository's data/ folder is never touched.
"""

from __future__ import annotations

import dataclasses
import doctest
import hashlib
import importlib
import json
import pkgutil
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
from scipy import ndimage
from skimage import measure

from helpers import datasets
from helpers.datasets import _store
from helpers.datasets._spec import DatasetSpec, Simulator, Step

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root holding every dataset, generated once with seed 0.

    Generating runs each simulator, which fails unless it reports exactly the stages it
    declares (see test_a_simulator_reports_the_stages_it_declares).
    """
    folder = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STACKS_DATA", str(folder))
        for name in datasets.NAMES:
            datasets.generate(name, seed=0, progress=False)
        yield folder


def _natural(p: Path) -> int:
    return int(re.fullmatch(r"z(\d+)\.tif", p.name).group(1))


def _sha(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def _one_piece_per_label(labels: np.ndarray) -> None:
    for value, box in enumerate(ndimage.find_objects(labels), start=1):
        assert box is not None, f"label {value} is missing: labels are not 1..N"
        # face connectivity, the strictest: connected under any definition
        _, pieces = ndimage.label(labels[box] == value)
        assert pieces == 1, f"label {value} has {pieces} separate pieces"


# --------------------------------------------------------------------------- API basics


def test_names_and_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert datasets.NAMES == ("zebrafish", "cells", "beadpack", "timelapse")
    monkeypatch.delenv("STACKS_DATA", raising=False)
    assert datasets.data_root() == REPO / "data"
    monkeypatch.setenv("STACKS_DATA", str(tmp_path))
    assert datasets.data_root() == tmp_path


@pytest.mark.parametrize("func", ["path", "load", "load_truth", "describe", "spacing", "generate"])
def test_unknown_name_lists_known_names(func: str) -> None:
    with pytest.raises(ValueError) as error:
        getattr(datasets, func)("zebrafsh")
    assert "zebrafsh" in str(error.value)
    for name in datasets.NAMES:
        assert name in str(error.value)


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        datasets.generate("timelapse", seed=seed, progress=False)


def test_describe_needs_no_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STACKS_DATA", str(tmp_path / "nothing"))
    for name in datasets.NAMES:
        info = datasets.describe(name)
        assert {"name", "shape", "dtype", "spacing", "axes", "simulates", "files"} <= set(info)
        assert info["name"] == name
        assert isinstance(info["dtype"], str) and isinstance(info["simulates"], str)
        assert all(isinstance(s, float) for s in info["spacing"])
        assert (
            len(info["spacing"]) == len(info["axes"].replace("T", "")) == len(info["spacing_axes"])
        )
        assert len(info["shape"]) == len(info["axes"])
        assert datasets.spacing(name) == info["spacing"]
    assert not (tmp_path / "nothing").exists()
    assert datasets.describe("cells")["spacing"] == (0.29, 0.26, 0.26)
    assert datasets.describe("cells")["shape"] == (60, 256, 256)
    assert datasets.describe("zebrafish")["shape"] == (40, 512, 512)
    assert datasets.describe("timelapse")["shape"] == (20, 2, 76, 87)
    assert datasets.describe("timelapse")["axes"] == "TZYX"
    zebrafish_xy = datasets.spacing("zebrafish")[1]
    assert 512 * zebrafish_xy == pytest.approx(350, rel=0.02)  # ~350 µm field of view
    z, y, x = datasets.describe("beadpack")["shape"]
    assert z >= 128 and y >= 200 and x >= 200


# --------------------------------------------------------------------------- files


def test_describe_matches_files(root: Path) -> None:
    for name in datasets.NAMES:
        info = datasets.describe(name)
        folder = datasets.path(name)
        assert folder == root / name == info["folder"]
        on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert on_disk == set(info["files"])
        data = datasets.load(name)
        assert data.shape == info["shape"]
        assert str(data.dtype) == info["dtype"]
        assert int(data.max()) < 2 ** info["bit_depth"]
        assert data.std() > 0
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["seed"] == 0
        assert manifest["generator_version"] == datasets.GENERATOR_VERSION
        for rel, entry in manifest["files"].items():
            assert (folder / rel).stat().st_size == entry["size"]
            assert _sha(folder / rel) == entry["sha256"]


def test_spacing_in_tiff_metadata(root: Path) -> None:
    for name in datasets.NAMES:
        info = datasets.describe(name)
        dz, dy, dx = info["spacing"]
        for rel in info["files"]:
            if not rel.endswith(".tif"):
                continue
            with tifffile.TiffFile(root / name / rel) as tif:
                page = tif.pages[0]
                meta = tif.imagej_metadata
                xres, yres = page.resolution  # pixels per unit
                assert 1 / xres == pytest.approx(dx, rel=1e-6), rel
                assert 1 / yres == pytest.approx(dy, rel=1e-6), rel
                assert meta["unit"] == "um"
                if tif.series[0].ndim >= 3:
                    assert meta["spacing"] == pytest.approx(dz), rel
    with tifffile.TiffFile(root / "timelapse" / "timelapse.tif") as tif:
        assert tif.series[0].axes == "TZYX"
        assert tif.imagej_metadata["finterval"] == datasets.describe("timelapse")["frame_interval"]


def test_zebrafish_planes_equal_stack_in_natural_order(root: Path) -> None:
    folder = datasets.path("zebrafish")
    stack = datasets.load("zebrafish")
    planes = sorted((folder / "planes").glob("*.tif"), key=_natural)
    assert len(planes) == stack.shape[0] == 40
    assert [p.name for p in planes[:3]] == ["z0.tif", "z1.tif", "z2.tif"]
    assert sorted(p.name for p in planes)[2] == "z10.tif"  # unpadded: plain sorting is wrong
    for z, plane in enumerate(planes):
        np.testing.assert_array_equal(tifffile.imread(plane), stack[z])
    # references sit beside the planes folder, not inside it
    assert {p.name for p in (folder / "planes").iterdir()} == {p.name for p in planes}
    assert (folder / "MaxZ.tif").is_file() and (folder / "medianZ.tif").is_file()


def test_zebrafish_projections_exact(root: Path) -> None:
    stack = datasets.load("zebrafish")
    max_z = tifffile.imread(root / "zebrafish" / "MaxZ.tif")
    assert max_z.dtype == np.uint8
    np.testing.assert_array_equal(max_z, stack.max(axis=0))
    median_z = tifffile.imread(root / "zebrafish" / "medianZ.tif")
    assert median_z.dtype == np.float32
    expected = np.median(stack, axis=0)
    np.testing.assert_array_equal(median_z.astype(np.float64), expected)
    assert np.any(median_z % 1 == 0.5)  # even plane count: halves occur


def test_zebrafish_looks_like_the_specimen(root: Path) -> None:
    stack = datasets.load("zebrafish")
    labels = datasets.load_truth("zebrafish")
    max_z = stack.max(axis=0).astype(float)
    # the wound: no cells in the top-right corner, bright skin in the middle
    assert np.all(labels[:40, -40:] == 0)
    assert max_z[:40, -40:].mean() < 0.6 * max_z[200:300, 200:300].mean()
    # the curved sheet: the plane of best focus changes across the field
    best = stack.astype(np.float32).argmax(axis=0)
    assert np.median(best[380:450, :]) - np.median(best[150:200, :200]) >= 5
    assert 120 < labels.max() < 400
    _one_piece_per_label(labels)


# --------------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("name", ["cells", "beadpack"])
def test_labels_are_touching_single_objects(root: Path, name: str) -> None:
    labels = datasets.load_truth(name)
    assert labels.shape == datasets.describe(name)["shape"]
    assert np.issubdtype(labels.dtype, np.integer)
    np.testing.assert_array_equal(np.unique(labels), np.arange(labels.max() + 1))
    _one_piece_per_label(labels)
    # touching objects: labelling the thresholded foreground merges them, so a
    # watershed is needed to count them
    merged = measure.label(labels > 0).max()
    assert merged < labels.max()
    # and the image agrees with the truth: objects are bright
    image = datasets.load(name).astype(float)
    assert image[labels > 0].mean() > 1.8 * image[labels == 0].mean()


def test_cells_counts(root: Path) -> None:
    labels = datasets.load_truth("cells")
    assert 30 <= labels.max() <= 60
    sizes = np.bincount(labels.ravel())[1:]
    assert sizes.min() >= 2500 and sizes.max() / np.median(sizes) > 1.3  # varied sizes


def test_beads_fill_the_volume(root: Path) -> None:
    labels = datasets.load_truth("beadpack")
    assert 0.5 < (labels > 0).mean() < 0.7  # random close packing, ~0.6
    assert labels.max() > 200


def test_timelapse_active_cells_vary(root: Path) -> None:
    series = datasets.load("timelapse").astype(np.float64)
    active = datasets.load_truth("timelapse")
    labels = tifffile.imread(root / "timelapse" / "labels.tif")
    assert active.dtype == bool and active.shape == series.shape[1:]
    assert np.all(labels[active] > 0)
    _one_piece_per_label(labels.astype(np.int64))
    spread = series.std(axis=0)
    resting = (labels > 0) & ~active
    assert active.any() and resting.any()
    assert spread[active].mean() > 1.5 * spread[resting].mean()
    # resting neurons are as steady as the background's noise allows
    assert np.abs(series[:, resting].mean(axis=1) / series[:, resting].mean() - 1).max() < 0.05


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes(root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STACKS_DATA", str(tmp_path))
    for name in ("beadpack", "timelapse"):
        again = datasets.generate(name, seed=0, progress=False)
        for rel in datasets.describe(name)["files"]:
            assert (again / rel).read_bytes() == (root / name / rel).read_bytes(), rel


def test_other_seed_other_data(root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STACKS_DATA", str(tmp_path))
    other = datasets.generate("timelapse", seed=1, progress=False)
    assert not np.array_equal(
        tifffile.imread(other / "timelapse.tif"),
        tifffile.imread(root / "timelapse" / "timelapse.tif"),
    )
    assert not np.array_equal(
        tifffile.imread(other / "active.tif"), tifffile.imread(root / "timelapse" / "active.tif")
    )
    assert json.loads((other / "manifest.json").read_text())["seed"] == 1


# --------------------------------------------------------------------------- repair


def test_deleted_plane_is_regenerated(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # regenerating the zebrafish restores the exact bytes: this also proves it deterministic
    plane = root / "zebrafish" / "planes" / "z7.tif"
    original = plane.read_bytes()
    plane.unlink()
    folder = datasets.path("zebrafish")
    out = capsys.readouterr().out
    assert "z7.tif" in out and "regenerating" in out and "seed 0" in out
    assert (folder / "planes" / "z7.tif").read_bytes() == original


def test_truncated_file_is_regenerated_with_recorded_seed(
    root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STACKS_DATA", str(tmp_path))
    folder = datasets.generate("timelapse", seed=5, progress=False)
    file = folder / "timelapse.tif"
    original = file.read_bytes()
    file.write_bytes(original[: len(original) // 2])
    np.testing.assert_array_equal(
        datasets.load("timelapse"), tifffile.imread(tmp_path / "timelapse" / "timelapse.tif")
    )
    assert file.read_bytes() == original
    assert "seed 5" in capsys.readouterr().out
    # same size, different bytes (a damaged file) is caught by the checksum
    damaged = bytearray(original)
    damaged[-100:] = bytes(100)
    file.write_bytes(bytes(damaged))
    datasets.path("timelapse")
    assert file.read_bytes() == original
    assert "damaged" in capsys.readouterr().out


def test_cells_truncated_is_regenerated(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = root / "cells" / "labels.tif"
    original = file.read_bytes()
    with open(file, "r+b") as fh:
        fh.truncate(1000)
    labels = datasets.load_truth("cells")
    assert file.read_bytes() == original
    assert labels.max() >= 30
    assert "labels.tif" in capsys.readouterr().out


def test_healthy_dataset_is_left_alone(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stamp = (root / "beadpack" / "beadpack.tif").stat().st_mtime_ns
    datasets.path("beadpack")
    datasets.load("beadpack")
    assert capsys.readouterr().out == ""
    assert (root / "beadpack" / "beadpack.tif").stat().st_mtime_ns == stamp


def test_first_use_generates_quietly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STACKS_DATA", str(tmp_path))
    truth = datasets.load_truth("timelapse")
    assert truth.any()
    captured = capsys.readouterr()
    assert "generating" in captured.out and "seed 0" in captured.out
    assert captured.err == ""  # no stderr in notebooks: nbgrader would fail the cell


def test_progress_bar_on_stderr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STACKS_DATA", str(tmp_path))
    datasets.generate("timelapse", seed=0, progress=True)
    bar = capsys.readouterr().err
    assert "timelapse" in bar
    # one step per stage the simulator declares, one for writing, all of them done
    steps = len(datasets.SPECS["timelapse"].simulator.stages) + 1
    assert f" {steps}/{steps} " in bar
    datasets.generate("timelapse", seed=0, progress=False)
    assert capsys.readouterr().err == ""


def test_interrupted_generation_leaves_old_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STACKS_DATA", str(tmp_path))
    folder = datasets.generate("timelapse", seed=2, progress=False)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    calls = []
    real_write = _store.write_tiff

    def failing_write(*args: object, **kwargs: object) -> None:
        calls.append(args[0])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl-C mid-write
        return real_write(*args, **kwargs)

    monkeypatch.setattr(_store, "write_tiff", failing_write)
    with pytest.raises(KeyboardInterrupt):
        datasets.generate("timelapse", seed=3, progress=False)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    # an interrupted first generation leaves nothing that path() would accept
    calls.clear()
    monkeypatch.setenv("STACKS_DATA", str(tmp_path / "fresh"))
    with pytest.raises(KeyboardInterrupt):
        datasets.generate("timelapse", seed=0, progress=False)
    assert not (tmp_path / "fresh" / "timelapse").exists()


# --------------------------------------------------------------------------- specs


def _reporting(*stages: str) -> Simulator:
    """A simulator that declares the stages "load" and "save" and reports ``stages``."""

    def simulate(spec: DatasetSpec, rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
        for stage in stages:
            step(stage)
        return {}

    return Simulator(simulate, ("load", "save"))


def test_a_simulator_reports_the_stages_it_declares() -> None:
    timelapse = datasets.SPECS["timelapse"]  # the quickest to simulate
    seen: list[str] = []
    timelapse.simulator(timelapse, np.random.default_rng(0), seen.append)
    assert tuple(seen) == timelapse.simulator.stages
    spec = datasets.SPECS["cells"]
    seen.clear()
    _reporting("load", "save")(spec, np.random.default_rng(0), seen.append)
    assert seen == ["load", "save"]
    for wrong in [("load",), ("save", "load"), ("load", "save", "save"), ("load", "mix")]:
        with pytest.raises(
            RuntimeError, match=r"cells simulator reported .* declares \('load', 'save'\)"
        ):
            _reporting(*wrong)(spec, np.random.default_rng(0), seen.append)


def test_contradicting_specs_are_refused() -> None:
    cells = datasets.SPECS["cells"]
    for change, problem in [
        ({"main": "nuclei.tif"}, "main, truth and reference files"),
        ({"references": ("MaxZ.tif",)}, "main, truth and reference files"),
        ({"shape": (256, 256)}, "shape"),
        ({"spacing": (0.26, 0.26)}, "spacing"),
        ({"frame_interval": 0.5}, "frame interval"),
    ]:
        with pytest.raises(ValueError, match=problem):
            dataclasses.replace(cells, **change)


def test_docstring_examples(root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The examples run on a copy of the test data: those that generate data write neither
    # into the repository's data/ nor over the data the other tests check.
    data = tmp_path / "data"  # named like the repository's data folder, as the examples show
    shutil.copytree(root, data, ignore=shutil.ignore_patterns(".locks"))
    monkeypatch.setenv("STACKS_DATA", str(data))
    found = pkgutil.walk_packages(datasets.__path__, f"{datasets.__name__}.")
    modules = [datasets, *(importlib.import_module(module.name) for module in found)]
    tried = 0
    for module in modules:
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
        assert result.failed == 0, module.__name__
        tried += result.attempted
    assert tried > 0
