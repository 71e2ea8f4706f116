"""The datasets on disk: where they live, their manifests, checking a folder against its
manifest, and building a dataset in a temporary folder that is swapped into place, under
an inter-process lock."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.metadata import version
from pathlib import Path

import numpy as np
from filelock import FileLock
from tqdm import tqdm

from helpers.datasets._simulate import GENERATOR_VERSION
from helpers.datasets._spec import DatasetSpec
from helpers.datasets._tiff import write_tiff

# Files whose checksum this process has already verified, keyed by their stat signature,
# so that repeated path()/load() calls do not re-hash tens of megabytes each time.
_verified: dict[Path, tuple[int, int, int, int]] = {}


# the data folder chosen for a block of code (use_data): a context variable, so that
# threads and tasks grading different students each see their own
_CHOSEN: ContextVar[Path | None] = ContextVar("data_folder", default=None)


@contextmanager
def use_data(folder: Path) -> Iterator[Path]:
    """Make :func:`data_root` return ``folder`` inside the block (and its threads).

    A grader uses it to give each student's notebook that student's variant of the data.

    Examples
    --------
    >>> with use_data(Path("/tmp/variants/7")):
    ...     data_root()
    PosixPath('/tmp/variants/7')
    >>> data_root().name
    'data'
    """
    token = _CHOSEN.set(Path(folder).expanduser().absolute())
    try:
        yield _CHOSEN.get()  # type: ignore[misc]
    finally:
        _CHOSEN.reset(token)


def data_root() -> Path:
    """Return the folder that holds the datasets.

    Returns
    -------
    pathlib.Path
        The folder chosen with :func:`use_data`, else ``$STACKS_DATA`` if that
        environment variable is set, else the repository's ``data`` folder. It need not
        exist yet.

    Examples
    --------
    >>> from helpers import datasets
    >>> datasets.data_root().name
    'data'
    """
    chosen = _CHOSEN.get()
    if chosen is not None:
        return chosen
    env = os.environ.get("STACKS_DATA")
    if env:
        return Path(env).expanduser().absolute()
    return Path(__file__).resolve().parents[2] / "data"


def lock(root: Path, name: str) -> FileLock:
    """Return the inter-process lock of one dataset, to hold in a ``with`` block.

    Two notebooks or test workers that both find a dataset missing must not build it at
    the same time: each builds only while it holds the lock.

    Parameters
    ----------
    root : pathlib.Path
        The data root; the lock files are in its ``.locks`` folder.
    name : str
        The dataset's name.

    Returns
    -------
    filelock.FileLock
        The lock, not yet acquired.

    Examples
    --------
    >>> with lock(data_root(), "cells"):
    ...     pass  # no other process builds "cells" meanwhile
    """
    folder = root / ".locks"
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(folder / f"{name}.lock")


def verify(folder: Path, spec: DatasetSpec) -> tuple[str | None, int]:
    """Check a dataset's folder against its manifest.

    Parameters
    ----------
    folder : pathlib.Path
        The dataset's folder.
    spec : DatasetSpec
        The dataset's spec, which lists the files the folder must hold.

    Returns
    -------
    problem : str or None
        None if every file is there with the size and SHA-256 that the manifest records,
        ``"missing"`` if there is no folder, else a sentence that names the problem.
    seed : int
        The seed to rebuild with: the manifest's, or 0 without one.

    Examples
    --------
    >>> from helpers.datasets import SPECS
    >>> verify(data_root() / "cells", SPECS["cells"])
    (None, 0)
    >>> verify(data_root() / "nowhere", SPECS["cells"])
    ('missing', 0)
    """
    if not folder.is_dir():
        return "missing", 0
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        seed = int(manifest["seed"])
        made_by = int(manifest["generator_version"])
        files = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"{folder / 'manifest.json'} is missing or unreadable", 0
    if made_by != GENERATOR_VERSION:
        return (
            f"{folder} was made by generator version {made_by}, this is version {GENERATOR_VERSION}",
            seed,
        )
    if set(files) != set(spec.file_paths):
        return f"{folder / 'manifest.json'} does not list the expected files", seed
    for rel in spec.file_paths:
        file = folder / rel
        try:
            st = file.stat()
        except OSError:
            return f"{file} is missing", seed
        if st.st_size != files[rel]["size"]:
            return (
                f"{file} is truncated or damaged ({st.st_size} bytes, expected {files[rel]['size']})",
                seed,
            )
        if _verified.get(file) == _signature(st):
            continue
        if _sha256(file) != files[rel]["sha256"]:
            return f"{file} is damaged (its checksum differs from the manifest)", seed
        _verified[file] = _signature(st)
    return None, seed


def build(spec: DatasetSpec, seed: int, progress: bool) -> Path:
    """Simulate and write a dataset into a temporary folder, then swap it into place.

    The caller holds the dataset's :func:`lock`.

    Parameters
    ----------
    spec : DatasetSpec
        The dataset to build.
    seed : int
        Random seed, 0 or more.
    progress : bool
        Show a progress bar on stderr: one step per stage of the simulator, and one for
        writing the files.

    Returns
    -------
    pathlib.Path
        The dataset's folder, ``data_root() / spec.name``.

    Examples
    --------
    >>> from helpers.datasets import SPECS
    >>> with lock(data_root(), "timelapse"):
    ...     folder = build(SPECS["timelapse"], seed=7, progress=False)
    >>> verify(folder, SPECS["timelapse"])
    (None, 7)
    """
    root = data_root()
    target = root / spec.name
    for stale in [*root.glob(f".{spec.name}-*.partial"), *root.glob(f".{spec.name}-*.old")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted run
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", suffix=".partial", dir=root))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the dataset should not be
    bar = tqdm(
        total=len(spec.simulator.stages) + 1,
        desc=f"{spec.name} (seed {seed})",
        file=sys.stderr,
        disable=not progress,
        leave=True,
    )
    started: list[str] = []
    try:

        def step(stage: str) -> None:
            # called when a stage starts: the bar counts the stages finished
            if started:
                bar.update()
            started.append(stage)
            bar.set_postfix_str(stage)

        arrays = spec.simulator(spec, rng_of(spec.name, seed), step)
        step("writing")
        for entry in spec.files:
            write_tiff(
                tmp / entry.path, entry.array(arrays), entry.axes, spec.spacing, spec.frame_interval
            )
        _write_manifest(tmp, spec, seed)
        _swap(tmp, target)
        bar.update()
        for rel in spec.file_paths:  # just hashed: no need to hash again in this process
            file = target / rel
            _verified[file] = _signature(file.stat())
    finally:
        bar.close()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def rng_of(name: str, seed: int) -> np.random.Generator:
    # One generator per dataset, its stream keyed by the dataset's name so that adding or
    # reordering datasets never changes the data of the others.
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),))
    )


def _write_manifest(folder: Path, spec: DatasetSpec, seed: int) -> None:
    files = {}
    for rel in spec.file_paths:
        file = folder / rel
        files[rel] = {"size": file.stat().st_size, "sha256": _sha256(file)}
    manifest = {
        "dataset": spec.name,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "regenerate": f"stacks data {spec.name} --seed {seed}",
        "software": {pkg: version(pkg) for pkg in ("numpy", "scipy", "scikit-image", "tifffile")},
        "files": files,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _swap(new: Path, target: Path) -> None:
    """Put the complete folder ``new`` where ``target`` is, by renames only."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-", suffix=".old", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)
