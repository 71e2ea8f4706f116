"""The four course datasets, one :class:`DatasetSpec` each: everything :func:`describe`
reports, so describing never generates data, and how each file is made."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from types import MappingProxyType

import numpy as np

from helpers.datasets._simulate._beadpack import beadpack
from helpers.datasets._simulate._cells import cells
from helpers.datasets._simulate._timelapse import timelapse
from helpers.datasets._simulate._zebrafish import zebrafish
from helpers.datasets._spec import Arrays, DatasetSpec, OutputFile


def _stored(path: str, axes: str) -> OutputFile:
    """The file ``<key>.tif`` that holds the simulator's array ``<key>`` as it is."""
    return OutputFile(path, axes, itemgetter(path.removesuffix(".tif")))


def _plane(z: int) -> Callable[[Arrays], np.ndarray]:
    """Plane ``z`` of the simulated zebrafish stack, for a file of its own."""

    def plane(arrays: Arrays) -> np.ndarray:
        return arrays["stack"][z]

    return plane


def _max_z(arrays: Arrays) -> np.ndarray:
    return arrays["stack"].max(axis=0)


def _median_z(arrays: Arrays) -> np.ndarray:
    # exactly np.median: float64 halves (even plane count) are exact in float32
    return np.median(arrays["stack"], axis=0).astype(np.float32)


_ZEBRAFISH_SHAPE = (40, 512, 512)

ZEBRAFISH = DatasetSpec(
    name="zebrafish",
    simulates=(
        "A confocal stack of the fluorescent skin (epidermis) of a zebrafish larva, "
        "350 µm across, with a wound tear in the top-right corner."
    ),
    shape=_ZEBRAFISH_SHAPE,
    dtype="uint8",
    bit_depth=8,
    axes="ZYX",
    spacing=(2.0, 350.0 / 512, 350.0 / 512),  # 350 µm field of view, 2 µm steps
    simulator=zebrafish,
    files=(
        _stored("stack.tif", "ZYX"),
        *(OutputFile(f"planes/z{z}.tif", "YX", _plane(z)) for z in range(_ZEBRAFISH_SHAPE[0])),
        OutputFile("MaxZ.tif", "YX", _max_z),
        OutputFile("medianZ.tif", "YX", _median_z),
        _stored("labels.tif", "YX"),
    ),
    main="stack.tif",
    truth="labels.tif",
    truth_kind="labels",
    truth_description=(
        "labels.tif: (Y, X) uint16 label image of the outer-layer skin cells, 0 in the wound."
    ),
    references=("MaxZ.tif", "medianZ.tif"),
    objects="skin cells",
)

CELLS = DatasetSpec(
    name="cells",
    simulates=(
        "A confocal stack of cultured cells whose nuclei are stained with a DNA dye; "
        "many nuclei touch, so separating them needs a watershed."
    ),
    shape=(60, 256, 256),
    dtype="uint16",
    bit_depth=12,
    axes="ZYX",
    spacing=(0.29, 0.26, 0.26),
    simulator=cells,
    files=(
        _stored("cells.tif", "ZYX"),
        _stored("labels.tif", "ZYX"),
    ),
    main="cells.tif",
    truth="labels.tif",
    truth_kind="labels",
    truth_description="labels.tif: (Z, Y, X) uint16 label image, one label per nucleus.",
    objects="nuclei",
)

BEADPACK = DatasetSpec(
    name="beadpack",
    simulates=(
        "An X-ray micro-CT scan of a random pack of ~120 µm glass beads in air, with "
        "blur, reconstruction noise, beam hardening and ring artefacts."
    ),
    shape=(128, 200, 200),
    dtype="uint8",
    bit_depth=8,
    axes="ZYX",
    spacing=(5.0, 5.0, 5.0),  # a lab micro-CT scan of ~120 µm glass beads
    simulator=beadpack,
    files=(
        _stored("beadpack.tif", "ZYX"),
        _stored("labels.tif", "ZYX"),
    ),
    main="beadpack.tif",
    truth="labels.tif",
    truth_kind="labels",
    truth_description=(
        "labels.tif: (Z, Y, X) uint16 label image, one label per bead (beads cut by the "
        "border included)."
    ),
    objects="beads",
)

TIMELAPSE = DatasetSpec(
    name="timelapse",
    simulates=(
        "Two-photon calcium imaging of neurons in a larval zebrafish brain: 20 volumes "
        "of 2 planes, some neurons firing calcium transients, the others at rest."
    ),
    shape=(20, 2, 76, 87),
    dtype="uint16",
    bit_depth=12,
    axes="TZYX",
    spacing=(8.0, 1.0, 1.0),
    frame_interval=0.5,
    simulator=timelapse,
    files=(
        _stored("timelapse.tif", "TZYX"),
        _stored("active.tif", "ZYX"),
        _stored("labels.tif", "ZYX"),
    ),
    main="timelapse.tif",
    truth="active.tif",
    truth_kind="mask",
    truth_description=(
        "active.tif: (Z, Y, X) mask, 1 on the pixels of neurons that fire during the "
        "recording; labels.tif: (Z, Y, X) uint16 labels of all neurons."
    ),
    references=("labels.tif",),
    objects="active neurons",
)

#: Every dataset's spec, by name, in the order :data:`NAMES` lists them.
SPECS: Mapping[str, DatasetSpec] = MappingProxyType(
    {spec.name: spec for spec in (ZEBRAFISH, CELLS, BEADPACK, TIMELAPSE)}
)

NAMES: tuple[str, ...] = tuple(SPECS)
