"""The course datasets: simulated microscopy and micro-CT with ground truth.

Nothing is downloaded. Each dataset is simulated from a physical image-formation model
(see ``data/README.md`` and :mod:`helpers.datasets._simulate`), deterministically from a
seed, on first use or by ``stacks data --seed N``. Every dataset folder holds a
``manifest.json`` with the seed and the size and SHA-256 of each file, so that a missing,
truncated or damaged file is noticed and the dataset is rebuilt, with the same seed,
before use.

=============  =======================================  ==================  ================
name           simulates                                main array          ground truth
=============  =======================================  ==================  ================
``zebrafish``  confocal stack of larval skin, wounded   (40, 512, 512) u8   cell labels (YX)
``cells``      confocal stack of stained nuclei         (60, 256, 256) u16  nucleus labels
``beadpack``   micro-CT of packed glass beads           (128, 200, 200) u8  bead labels
``timelapse``  two-photon calcium imaging, 2 planes     (20, 2, 76, 87) u16 active-cell mask
=============  =======================================  ==================  ================

Each dataset is described by one :class:`DatasetSpec` in :data:`SPECS`. The data folder is
``<repo>/data``, or the folder named by the ``STACKS_DATA`` environment variable.
"""

from helpers.datasets._access import (
    describe,
    generate,
    held_back,
    load,
    load_truth,
    path,
    sealed,
    simulate,
    spacing,
    variant,
)
from helpers.datasets._catalog import NAMES, SPECS
from helpers.datasets._simulate import GENERATOR_VERSION
from helpers.datasets._spec import DatasetSpec
from helpers.datasets._store import data_root, use_data

__all__ = [
    "GENERATOR_VERSION",
    "NAMES",
    "SPECS",
    "DatasetSpec",
    "data_root",
    "describe",
    "generate",
    "held_back",
    "load",
    "load_truth",
    "path",
    "sealed",
    "simulate",
    "spacing",
    "use_data",
    "variant",
]
