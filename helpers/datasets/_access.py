"""The public functions of :mod:`helpers.datasets`: a dataset by name, generated or
repaired when needed, its arrays and its description."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from helpers.datasets._catalog import NAMES, SPECS
from helpers.datasets._spec import DatasetSpec
from helpers.datasets._store import build, data_root, lock, rng_of, verify


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
    spec = _spec(name)
    root = data_root()
    folder = root / name
    if sealed():
        # a grading sandbox shows the data read-only with the answers held back: nothing
        # here can be checked against the manifest, rebuilt or repaired
        if not folder.is_dir():
            raise FileNotFoundError(f"the dataset {name!r} is not available here")
        return folder
    problem, seed = verify(folder, spec)
    if problem is None:
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with lock(root, name):
        problem, seed = verify(folder, spec)  # another process may have fixed it meanwhile
        if problem is not None:
            if problem == "missing":
                print(
                    f"stacks: generating the {name!r} dataset (seed {seed}) in {folder}", flush=True
                )
            else:
                print(f"stacks: {problem}; regenerating {name!r} with seed {seed}", flush=True)
            # A progress bar only on a terminal: in a notebook graded by nbgrader any
            # output on stderr costs the student the points of the cell.
            build(spec, seed, progress=sys.stderr.isatty())
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
    return _made(name, seed, progress, keep=False)


def variant(name: str, seed: int, progress: bool = False) -> Path:
    """The dataset made from ``seed`` in the current data folder, generated only when needed.

    Unlike :func:`generate`, a folder that already holds this seed's files, undamaged, is
    left as it is; unlike :func:`path`, a folder made from another seed is replaced. A
    grader uses it inside :func:`use_data` to keep one variant per student.

    Examples
    --------
    >>> import tempfile
    >>> from helpers import datasets
    >>> with tempfile.TemporaryDirectory() as folder, datasets.use_data(Path(folder)):
    ...     first = datasets.variant("timelapse", 3)
    ...     stamp = (first / "manifest.json").stat().st_mtime_ns
    ...     again = datasets.variant("timelapse", 3)
    ...     (again / "manifest.json").stat().st_mtime_ns == stamp
    True
    """
    return _made(name, seed, progress, keep=True)


def _made(name: str, seed: int, progress: bool, *, keep: bool) -> Path:
    """Build ``name`` from ``seed`` under its lock; with ``keep``, not when it is there already."""
    spec = _spec(name)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number of 0 or more, not {seed!r}")
    root = data_root()
    root.mkdir(parents=True, exist_ok=True)
    with lock(root, name):
        if keep and verify(root / name, spec) == (None, seed):
            return root / name
        return build(spec, int(seed), progress)


def simulate(name: str, seed: int, shape: tuple[int, ...] | None = None) -> dict[str, np.ndarray]:
    """Simulate a variant of a dataset in memory: its arrays by name, no file written.

    The same ``name`` and ``seed`` give the same arrays as the files that
    ``generate(name, seed)`` writes; a ``shape`` other than the dataset's own gives a
    variant of that size from the same physics. Hidden tests grade students' functions
    on such variants.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.
    seed : int
        Random seed, 0 or more.
    shape : tuple of int, optional
        The shape of the main array (default: the dataset's own).

    Returns
    -------
    dict
        The simulator's arrays, e.g. ``{"beadpack": ..., "labels": ...}``.

    Examples
    --------
    >>> arrays = simulate("beadpack", seed=3, shape=(32, 48, 48))
    >>> arrays["beadpack"].shape, arrays["beadpack"].dtype, arrays["labels"].max() > 0
    ((32, 48, 48), dtype('uint8'), np.True_)
    """
    import dataclasses

    spec = _spec(name)
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number of 0 or more, not {seed!r}")
    if shape is not None:
        if len(shape) != len(spec.shape) or min(shape) < 1:
            raise ValueError(
                f"{name} has {len(spec.shape)} axes of at least 1, not the shape {shape}"
            )
        spec = dataclasses.replace(spec, shape=tuple(int(n) for n in shape))
    return dict(spec.simulator(spec, rng_of(spec.name, seed), lambda stage: None))


def load(name: str) -> np.ndarray:
    """Load a dataset's main array (generating the dataset on first use).

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    numpy.ndarray
        The main array. zebrafish: ``stack.tif``, (Z, Y, X) uint8; cells: ``cells.tif``,
        (Z, Y, X) uint16 with 12-bit values; beadpack: ``beadpack.tif``, (Z, Y, X) uint8;
        timelapse: ``timelapse.tif``, (T, Z, Y, X) uint16 with 12-bit values.

    Examples
    --------
    >>> from helpers import datasets
    >>> cells = datasets.load("cells")
    >>> cells.shape, cells.dtype
    ((60, 256, 256), dtype('uint16'))
    """
    folder = path(name)
    return tifffile.imread(folder / SPECS[name].main)


#: Set by the grading sandbox (stacks._sandbox): the data are read-only, without answers.
SEALED_ENV = "STACKS_DATA_SEALED"


def sealed() -> bool:
    """True inside a grading sandbox, where ground truth and reference files are held back.

    Examples
    --------
    >>> from helpers import datasets
    >>> datasets.sealed()
    False
    """
    return os.environ.get(SEALED_ENV) == "1"


def held_back(name: str) -> tuple[str, ...]:
    """The files of a dataset that are answers (ground truth, references), by relative path.

    A grading sandbox hides them from the student's kernel: the grader compares with them
    itself.

    Examples
    --------
    >>> from helpers import datasets
    >>> datasets.held_back("zebrafish")
    ('labels.tif', 'MaxZ.tif', 'medianZ.tif')
    """
    spec = _spec(name)
    return tuple(dict.fromkeys((spec.truth, *spec.references)))


def load_truth(name: str) -> np.ndarray:
    """Load a dataset's ground truth (generating the dataset on first use).

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    numpy.ndarray
        The ground truth. zebrafish: (Y, X) uint16 labels of the outer-layer skin cells
        (0 in the wound); cells: (Z, Y, X) uint16 nucleus labels; beadpack: (Z, Y, X)
        uint16 bead labels; timelapse: (Z, Y, X) bool mask of the pixels of neurons that
        fire. Labels run 1..N with 0 for background, and each label is one connected
        object.

    Examples
    --------
    >>> from helpers import datasets
    >>> labels = datasets.load_truth("beadpack")
    >>> int(labels.max()) > 100
    True
    """
    if sealed():
        raise PermissionError(
            f"the ground truth of {name!r} is not available while a notebook is graded: "
            "the grader compares your answer with it itself"
        )
    folder = path(name)
    spec = SPECS[name]
    truth = tifffile.imread(folder / spec.truth)
    return truth.astype(bool) if spec.truth_kind == "mask" else truth


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
    spec = _spec(name)
    info: dict[str, Any] = {
        "name": name,
        "simulates": spec.simulates,
        "shape": spec.shape,
        "dtype": spec.dtype,
        "bit_depth": spec.bit_depth,
        "axes": spec.axes,
        "spacing": spec.spacing,
        "spacing_axes": spec.spacing_axes,
        "unit": "µm",
        "main": spec.main,
        "truth": spec.truth,
        "truth_description": spec.truth_description,
        "references": list(spec.references),
        "files": [*spec.file_paths, "manifest.json"],
        "folder": data_root() / name,
    }
    if spec.frame_interval is not None:
        info["frame_interval"] = spec.frame_interval
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
    return _spec(name).spacing


def _spec(name: str) -> DatasetSpec:
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; the known datasets are: {', '.join(NAMES)}")
    return SPECS[name]
