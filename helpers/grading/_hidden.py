"""The seed of the hidden test data: fixed for practice, secret when an exercise is graded.

Hidden tests call a student's function on data made at grading time. ``stacks grade``
derives the seed from the course secret and runs the tests inside :func:`hidden_data`, in
its own process: a student's kernel never holds the seed, and the data it makes exist only
while the tests run. Outside grading (a student's own run, ``stacks selfcheck`` without a
secret) the practice seed is used, so the checks behave the same, on other numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

__all__ = ["PRACTICE_SEED", "hidden_data", "hidden_rng", "hidden_seed"]

#: The seed of hidden test data when no grader set one.
PRACTICE_SEED = 20240501

# a context variable, not a module global: submissions graded in parallel threads each
# see the seed their own run set
_SEED: ContextVar[int | None] = ContextVar("hidden_seed", default=None)


@contextmanager
def hidden_data(seed: int) -> Iterator[None]:
    """Make the hidden test data of the checks run inside the block come from ``seed``.

    Examples
    --------
    >>> with hidden_data(7):
    ...     hidden_seed()
    7
    >>> hidden_seed() == PRACTICE_SEED
    True
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"the hidden seed must be a whole number of 0 or more, not {seed!r}")
    token = _SEED.set(seed)
    try:
        yield
    finally:
        _SEED.reset(token)


def hidden_seed() -> int:
    """The seed of hidden test data here and now (see :func:`hidden_data`).

    Examples
    --------
    >>> hidden_seed() == PRACTICE_SEED
    True
    """
    seed = _SEED.get()
    return PRACTICE_SEED if seed is None else seed


def hidden_rng(topic: str) -> np.random.Generator:
    """A random generator of the hidden data about ``topic``, one stream per topic.

    Examples
    --------
    >>> a = hidden_rng("projections").integers(0, 100, 3)
    >>> b = hidden_rng("projections").integers(0, 100, 3)
    >>> bool((a == b).all())
    True
    """
    key = zlib.crc32(topic.encode())
    return np.random.default_rng(np.random.SeedSequence(hidden_seed(), spawn_key=(key,)))
