"""The course datasets: simulated microscopy and micro-CT with ground truth.

Nothing is downloaded. Each dataset is simulated from a physical image-formation model
(see ``data/README.md`` and :mod:`helpers._simulate`), deterministically from a seed, on
first use or by ``stacks data --seed N``. Every dataset folder holds a ``manifest.json``
with the seed and the size and SHA-256 of each file, so that a missing, truncated or
damaged file is noticed and the dataset is rebuilt, with the same seed, before use.

=============  =======================================  ==================  ================
name           simulates                                main array          ground truth
=============  =======================================  ==================  ================
``zebrafish``  confocal stack of larval skin, wounded   (40, 512, 512) u8   cell labels (YX)
``cells``      confocal stack of stained nuclei         (60, 256, 256) u16  nucleus labels
``beadpack``   micro-CT of packed glass beads           (128, 200, 200) u8  bead labels
``timelapse``  two-photon calcium imaging, 2 planes     (20, 2, 76, 87) u16 active-cell mask
=============  =======================================  ==================  ================

The data folder is ``<repo>/data``, or the folder named by the ``STACKS_DATA``
environment variable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
from tqdm import tqdm

from helpers import _simulate as sim

NAMES: tuple[str, ...] = ("zebrafish", "cells", "beadpack", "timelapse")

#: Bump when a simulator changes its output: folders made by another version are rebuilt.
GENERATOR_VERSION = 1

_ZEBRAFISH_PLANES = [f"planes/z{i}.tif" for i in range(sim.ZEBRAFISH_SHAPE[0])]

# Everything describe() reports comes from here, so describing never generates data.
_SPECS: dict[str, dict[str, Any]] = {
    "zebrafish": {
        "simulates": (
            "A confocal stack of the fluorescent skin (epidermis) of a zebrafish larva, "
            "350 µm across, with a wound tear in the top-right corner."
        ),
        "shape": sim.ZEBRAFISH_SHAPE,
        "dtype": "uint8",
        "bit_depth": 8,
        "axes": "ZYX",
        "spacing": sim.ZEBRAFISH_SPACING,
        "main": "stack.tif",
        "truth": "labels.tif",
        "truth_description": (
            "labels.tif: (Y, X) uint16 label image of the outer-layer skin cells, 0 in the wound."
        ),
        "references": ["MaxZ.tif", "medianZ.tif"],
        "files": ["stack.tif", *_ZEBRAFISH_PLANES, "MaxZ.tif", "medianZ.tif", "labels.tif"],
        "stages": 7,
    },
    "cells": {
        "simulates": (
            "A confocal stack of cultured cells whose nuclei are stained with a DNA dye; "
            "many nuclei touch, so separating them needs a watershed."
        ),
        "shape": sim.CELLS_SHAPE,
        "dtype": "uint16",
        "bit_depth": 12,
        "axes": "ZYX",
        "spacing": sim.CELLS_SPACING,
        "main": "cells.tif",
        "truth": "labels.tif",
        "truth_description": "labels.tif: (Z, Y, X) uint16 label image, one label per nucleus.",
        "references": [],
        "files": ["cells.tif", "labels.tif"],
        "stages": 5,
    },
    "beadpack": {
        "simulates": (
            "An X-ray micro-CT scan of a random pack of ~120 µm glass beads in air, with "
            "blur, reconstruction noise, beam hardening and ring artefacts."
        ),
        "shape": sim.BEADPACK_SHAPE,
        "dtype": "uint8",
        "bit_depth": 8,
        "axes": "ZYX",
        "spacing": sim.BEADPACK_SPACING,
        "main": "beadpack.tif",
        "truth": "labels.tif",
        "truth_description": (
            "labels.tif: (Z, Y, X) uint16 label image, one label per bead (beads cut by the "
            "border included)."
        ),
        "references": [],
        "files": ["beadpack.tif", "labels.tif"],
        "stages": 6,
    },
    "timelapse": {
        "simulates": (
            "Two-photon calcium imaging of neurons in a larval zebrafish brain: 20 volumes "
            "of 2 planes, some neurons firing calcium transients, the others at rest."
        ),
        "shape": sim.TIMELAPSE_SHAPE,
        "dtype": "uint16",
        "bit_depth": 12,
        "axes": "TZYX",
        "spacing": sim.TIMELAPSE_SPACING,
        "frame_interval": sim.TIMELAPSE_INTERVAL,
        "main": "timelapse.tif",
        "truth": "active.tif",
        "truth_description": (
            "active.tif: (Z, Y, X) mask, 1 on the pixels of neurons that fire during the "
            "recording; labels.tif: (Z, Y, X) uint16 labels of all neurons."
        ),
        "references": ["labels.tif"],
        "files": ["timelapse.tif", "active.tif", "labels.tif"],
        "stages": 4,
    },
}

_SIMULATORS: dict[str, Callable[[np.random.Generator, Callable[[str], None]], dict[str, np.ndarray]]] = {
    "zebrafish": sim.zebrafish,
    "cells": sim.cells,
    "beadpack": sim.beadpack,
    "timelapse": sim.timelapse,
}

# Files whose checksum this process has already verified, keyed by their stat signature,
# so that repeated path()/load() calls do not re-hash tens of megabytes each time.
_verified: dict[Path, tuple[int, int, int, int]] = {}


# --------------------------------------------------------------------------- public API


def data_root() -> Path:
    """Return the folder that holds the datasets.

    Returns
    -------
    pathlib.Path
        ``$STACKS_DATA`` if that environment variable is set, else the repository's
        ``data`` folder. It need not exist yet.

    Examples
    --------
    >>> from helpers import datasets
    >>> datasets.data_root().name  # doctest: +SKIP
    'data'
    """
    env = os.environ.get("STACKS_DATA")
    if env:
        return Path(env).expanduser().absolute()
    return Path(__file__).resolve().parents[1] / "data"


def path(name: str) -> Path:
    """Return a dataset's folder, generating or repairing it first if needed.

    On first use the dataset is generated with seed 0. If a file is missing, truncated or
    damaged (its size or SHA-256 differs from ``manifest.json``), or the folder was made
    by another generator version, the dataset is regenerated with the seed recorded in
    its manifest, and a one-line message says so.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    pathlib.Path
        ``data_root() / name``, holding every file that ``describe(name)["files"]`` lists.

    Raises
    ------
    ValueError
        If ``name`` is not a known dataset.

    Examples
    --------
    >>> from helpers import datasets
    >>> folder = datasets.path("zebrafish")
    >>> sorted(p.name for p in folder.iterdir())
    ['MaxZ.tif', 'labels.tif', 'manifest.json', 'medianZ.tif', 'planes', 'stack.tif']
    """
    _check_name(name)
    root = data_root()
    folder = root / name
    problem, seed = _verify(folder, name)
    if problem is None:
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with _lock(root, name):
        problem, seed = _verify(folder, name)  # another process may have fixed it meanwhile
        if problem is not None:
            if problem == "missing":
                print(f"stacks: generating the {name!r} dataset (seed {seed}) in {folder}", flush=True)
            else:
                print(f"stacks: {problem}; regenerating {name!r} with seed {seed}", flush=True)
            # A progress bar only on a terminal: in a notebook graded by nbgrader any
            # output on stderr costs the student the points of the cell.
            _build(name, seed, progress=sys.stderr.isatty())
    return folder


def generate(name: str, seed: int = 0, progress: bool = True) -> Path:
    """(Re)generate one dataset from a seed.

    The same seed always gives byte-identical files; another seed gives other data with
    the same statistics (an instructor can hand a cohort data whose answers are not
    published). The dataset is built in a temporary folder inside :func:`data_root` and
    moved into place only when complete, so an interrupted run never leaves a half
    dataset that looks whole.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.
    seed : int, optional
        Random seed, 0 or more. Default 0.
    progress : bool, optional
        Show a progress bar on stderr. Default True.

    Returns
    -------
    pathlib.Path
        The dataset's folder, ``data_root() / name``.

    Raises
    ------
    ValueError
        If ``name`` is unknown or ``seed`` is not a whole number of 0 or more.

    Examples
    --------
    >>> from helpers import datasets
    >>> folder = datasets.generate("timelapse", seed=7, progress=False)
    >>> import json
    >>> json.loads((folder / "manifest.json").read_text())["seed"]
    7
    """
    _check_name(name)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number of 0 or more, not {seed!r}")
    root = data_root()
    root.mkdir(parents=True, exist_ok=True)
    with _lock(root, name):
        return _build(name, int(seed), progress)


def load(name: str) -> np.ndarray:
    """Load a dataset's main array (generating the dataset on first use).

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    numpy.ndarray
        zebrafish: ``stack.tif``, (Z, Y, X) uint8; cells: ``cells.tif``, (Z, Y, X) uint16
        with 12-bit values; beadpack: ``beadpack.tif``, (Z, Y, X) uint8; timelapse:
        ``timelapse.tif``, (T, Z, Y, X) uint16 with 12-bit values.

    Examples
    --------
    >>> from helpers import datasets
    >>> cells = datasets.load("cells")
    >>> cells.shape, cells.dtype
    ((60, 256, 256), dtype('uint16'))
    """
    folder = path(name)
    return tifffile.imread(folder / _SPECS[name]["main"])


def load_truth(name: str) -> np.ndarray:
    """Load a dataset's ground truth (generating the dataset on first use).

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    numpy.ndarray
        zebrafish: (Y, X) uint16 labels of the outer-layer skin cells (0 in the wound);
        cells: (Z, Y, X) uint16 nucleus labels; beadpack: (Z, Y, X) uint16 bead labels;
        timelapse: (Z, Y, X) bool mask of the pixels of neurons that fire. Labels run
        1..N with 0 for background, and each label is one connected object.

    Examples
    --------
    >>> from helpers import datasets
    >>> labels = datasets.load_truth("beadpack")
    >>> int(labels.max()) > 100
    True
    """
    folder = path(name)
    truth = tifffile.imread(folder / _SPECS[name]["truth"])
    return truth.astype(bool) if name == "timelapse" else truth


def describe(name: str) -> dict[str, Any]:
    """Describe a dataset without generating or reading it.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    dict
        ``name``, ``simulates`` (one sentence), ``shape``, ``dtype`` (str), ``bit_depth``,
        ``axes`` (e.g. ``"ZYX"``), ``spacing`` (µm per *spatial* axis, in the order of
        ``spacing_axes``), ``spacing_axes``, ``unit``, ``main`` (file of the main array),
        ``truth`` (file of the ground truth), ``truth_description``, ``references``
        (other reference files), ``files`` (every file, relative to the folder, including
        ``manifest.json``) and ``folder``; timelapse adds ``frame_interval`` in seconds.

    Examples
    --------
    >>> from helpers import datasets
    >>> info = datasets.describe("cells")
    >>> info["shape"], info["dtype"], info["spacing"]
    ((60, 256, 256), 'uint16', (0.29, 0.26, 0.26))
    """
    _check_name(name)
    spec = _SPECS[name]
    info: dict[str, Any] = {
        "name": name,
        "simulates": spec["simulates"],
        "shape": tuple(spec["shape"]),
        "dtype": spec["dtype"],
        "bit_depth": spec["bit_depth"],
        "axes": spec["axes"],
        "spacing": tuple(float(s) for s in spec["spacing"]),
        "spacing_axes": spec["axes"].replace("T", ""),
        "unit": "µm",
        "main": spec["main"],
        "truth": spec["truth"],
        "truth_description": spec["truth_description"],
        "references": list(spec["references"]),
        "files": [*spec["files"], "manifest.json"],
        "folder": data_root() / name,
    }
    if "frame_interval" in spec:
        info["frame_interval"] = spec["frame_interval"]
    return info


def spacing(name: str) -> tuple[float, ...]:
    """Return the voxel spacing of a dataset in µm, one value per spatial axis.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    tuple of float
        (Z, Y, X) spacing in µm. For ``timelapse`` (axes TZYX) the time axis has no
        spacing; its frame interval is ``describe("timelapse")["frame_interval"]``.

    Examples
    --------
    >>> from helpers import datasets
    >>> datasets.spacing("beadpack")
    (5.0, 5.0, 5.0)
    """
    return describe(name)["spacing"]


# --------------------------------------------------------------------------- internals


def _check_name(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; the known datasets are: {', '.join(NAMES)}")


def _rng(name: str, seed: int) -> np.random.Generator:
    # One generator per dataset, its stream keyed by the dataset's name so that adding or
    # reordering datasets never changes the data of the others.
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),)))


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _verify(folder: Path, name: str) -> tuple[str | None, int]:
    """Check a dataset folder against its manifest: (problem or None, seed to rebuild with)."""
    if not folder.is_dir():
        return "missing", 0
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        seed = int(manifest["seed"])
        version = int(manifest["generator_version"])
        files = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"{folder / 'manifest.json'} is missing or unreadable", 0
    if version != GENERATOR_VERSION:
        return f"{folder} was made by generator version {version}, this is version {GENERATOR_VERSION}", seed
    expected = set(_SPECS[name]["files"])
    if set(files) != expected:
        return f"{folder / 'manifest.json'} does not list the expected files", seed
    for rel in _SPECS[name]["files"]:
        file = folder / rel
        try:
            st = file.stat()
        except OSError:
            return f"{file} is missing", seed
        if st.st_size != files[rel]["size"]:
            return f"{file} is truncated or damaged ({st.st_size} bytes, expected {files[rel]['size']})", seed
        if _verified.get(file) == _signature(st):
            continue
        if _sha256(file) != files[rel]["sha256"]:
            return f"{file} is damaged (its checksum differs from the manifest)", seed
        _verified[file] = _signature(st)
    return None, seed


@contextlib.contextmanager
def _lock(root: Path, name: str) -> Iterator[None]:
    """Hold an inter-process lock for one dataset, so that two notebooks or test workers
    that both find it missing do not build it at the same time."""
    lockdir = root / ".locks"
    lockdir.mkdir(parents=True, exist_ok=True)
    with open(lockdir / f"{name}.lock", "a+b") as fh:
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt
            import time

            while True:
                try:
                    fh.seek(0)
                    msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.2)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _write_tiff(file: Path, array: np.ndarray, name: str, axes: str) -> None:
    """Write an ImageJ TIFF carrying the physical spacing (µm) in its metadata.

    X/Y pixel size goes into the resolution tags (pixels per µm), the Z step into the
    ImageJ ``spacing`` entry and the frame interval (s) into ``finterval``: what ImageJ,
    Fiji, napari and tifffile read back.
    """
    spec = _SPECS[name]
    dz, dy, dx = spec["spacing"]
    metadata: dict[str, Any] = {"unit": "um", "axes": axes}
    if "Z" in axes:
        metadata["spacing"] = dz
    if "T" in axes:
        metadata["finterval"] = spec["frame_interval"]
    file.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(file, array, imagej=True, resolution=(1 / dx, 1 / dy), metadata=metadata)


def _build(name: str, seed: int, progress: bool) -> Path:
    """Simulate and write a dataset into a temporary folder, then swap it into place.

    The caller holds the dataset's lock.
    """
    root = data_root()
    target = root / name
    for stale in [*root.glob(f".{name}-*.partial"), *root.glob(f".{name}-*.old")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted run
    spec = _SPECS[name]
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", suffix=".partial", dir=root))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the dataset should not be
    bar = tqdm(total=spec["stages"], desc=f"{name} (seed {seed})", file=sys.stderr, disable=not progress, leave=True)
    started = []
    try:

        def step(stage: str) -> None:
            # called when a stage starts: the bar counts the stages finished
            if started:
                bar.update()
            started.append(stage)
            bar.set_postfix_str(stage)

        arrays = _SIMULATORS[name](_rng(name, seed), step)
        step("writing")
        if name == "zebrafish":
            stack = arrays["stack"]
            _write_tiff(tmp / "stack.tif", stack, name, "ZYX")
            for z, plane in enumerate(stack):
                _write_tiff(tmp / f"planes/z{z}.tif", plane, name, "YX")
            _write_tiff(tmp / "MaxZ.tif", stack.max(axis=0), name, "YX")
            # exactly np.median: float64 halves (even plane count) are exact in float32
            _write_tiff(tmp / "medianZ.tif", np.median(stack, axis=0).astype(np.float32), name, "YX")
            _write_tiff(tmp / "labels.tif", arrays["labels"], name, "YX")
        else:
            for key, array in arrays.items():
                axes = spec["axes"] if key == name else spec["axes"].replace("T", "")
                _write_tiff(tmp / f"{key}.tif", array, name, axes)
        files = {}
        for rel in spec["files"]:
            file = tmp / rel
            files[rel] = {"size": file.stat().st_size, "sha256": _sha256(file)}
        manifest = {
            "dataset": name,
            "seed": seed,
            "generator_version": GENERATOR_VERSION,
            "regenerate": f"stacks data {name} --seed {seed}",
            "software": {pkg: version(pkg) for pkg in ("numpy", "scipy", "scikit-image", "tifffile")},
            "files": files,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        _swap(tmp, target)
        bar.update()
        for rel in spec["files"]:  # just hashed: no need to hash again in this process
            file = target / rel
            _verified[file] = _signature(file.stat())
    finally:
        bar.close()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _swap(new: Path, target: Path) -> None:
    """Put the complete folder ``new`` where ``target`` is, by renames only."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-", suffix=".old", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)
