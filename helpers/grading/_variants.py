"""Hidden variants of the datasets, and calling a student's function on one of them.

A ``check_*_function`` check calls the student's function on a volume simulated from the
hidden seed (``_hidden``), which nobody has seen, and says so in front of any message.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ._failure import GradingError, fail, shape_text
from ._hidden import hidden_seed
from ._student_code import call_student_function


@functools.lru_cache(maxsize=16)  # a tolerance test tries several secrets and shapes
def _variant(
    dataset: str, seed: int, shape: tuple[int, ...] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The main array and the ground truth of a simulated variant of ``dataset``."""
    from helpers import datasets

    spec = datasets.SPECS[dataset]
    arrays = datasets.simulate(dataset, seed, shape)
    entries = {entry.path: entry for entry in spec.files}
    if spec.truth is None:
        raise ValueError(f"{dataset} has no ground truth to grade against")
    image, truth = entries[spec.main].array(arrays), entries[spec.truth].array(arrays)
    image.flags.writeable = truth.flags.writeable = False  # shared by every check of a run
    return image, truth


def hidden_variant(
    dataset: str, shape: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A variant of ``dataset`` made from the hidden seed: its main array and ground truth.

    Examples
    --------
    >>> image, truth = hidden_variant("beadpack", shape=(24, 40, 40))
    >>> image.shape == truth.shape == (24, 40, 40)
    True
    """
    return _variant(dataset, hidden_seed(), None if shape is None else tuple(int(n) for n in shape))


def _spacing(dataset: str) -> tuple[float, ...]:
    from helpers import datasets

    return tuple(float(s) for s in datasets.SPECS[dataset].spacing)


def _objects(dataset: str) -> str:
    """What the dataset's objects are called in messages (plural), e.g. "nuclei"."""
    from helpers import datasets

    return datasets.SPECS[dataset].objects


def _call_on(func: Callable[..., Any], image: np.ndarray, *rest: Any, what: str = "volume") -> Any:
    """Call the student's function on a copy of the hidden image; it must not change it."""
    given = image.copy()
    fname = getattr(func, "__name__", "your function")
    out = call_student_function(func, fname, given, *rest)
    if not np.array_equal(given, image):
        fail(f"{fname} changed the {what} it was given; work on a copy.")
    return out


def _where(dataset: str, shape: tuple[int, ...], light: float = 1.0) -> str:
    dim = "" if light >= 1 else f", recorded with {light:.0%} of the light"
    return f"on a hidden {dataset} volume of shape {shape_text(shape)}{dim} (made at grading time)"


def dimmed(image: np.ndarray, light: float) -> np.ndarray:
    """``image`` as recorded with a fraction ``light`` of its photo-electrons.

    Each counted electron is kept with probability ``light`` (binomial thinning of the
    counts), which is what a shorter exposure or a weaker laser does: the image is darker
    and its relative noise larger. The draw comes from the hidden seed.

    Examples
    --------
    >>> counts = np.full((4, 4), 1000, dtype=np.uint16)
    >>> dark = dimmed(counts, 0.1)
    >>> dark.dtype, bool(80 < dark.mean() < 120)
    (dtype('uint16'), True)
    """
    from ._hidden import hidden_rng

    rng = hidden_rng("light")
    counts = np.clip(np.asarray(image), 0, None).astype(np.int64)
    out = rng.binomial(counts, light).astype(image.dtype)
    out.flags.writeable = False
    return out


@contextlib.contextmanager
def _prefixed(where: str) -> Iterator[None]:
    """Put ``where`` in front of the message of a check that fails inside the block."""
    try:
        yield
    except GradingError as error:
        raise GradingError(f"{where}: {error}") from None
