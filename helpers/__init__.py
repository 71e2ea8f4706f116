"""Helpers for the course on quantitative analysis of image sequences and 3D images.

Notebooks use ``import helpers as sc`` and call the viewers of :mod:`helpers.viz`
(``sc.show_plane``, ``sc.slice_explorer``, ``sc.display``, ``sc.plot_hist``,
``sc.plot_3d_surface``, ``sc.scale_bar``) and its measurement ``sc.surface_area``; the
submodules ``datasets``, ``sequences``, ``projections`` and ``grading`` are imported by
name.

The viewers are loaded on first use (PEP 562), so that the ``stacks`` command and grading
kernels do not pay for importing matplotlib and ipywidgets when they do not draw.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "display",
    "plot_3d_surface",
    "plot_hist",
    "scale_bar",
    "show_plane",
    "slice_explorer",
    "surface_area",
]


def __getattr__(name: str) -> Any:
    """Import :mod:`helpers.viz` when a notebook first asks for one of its functions.

    Parameters
    ----------
    name : str
        The attribute asked for, e.g. ``"show_plane"`` for ``sc.show_plane``.

    Returns
    -------
    object
        The function of :mod:`helpers.viz` by that name.

    Raises
    ------
    AttributeError
        If ``name`` is none of the names in ``__all__``.

    Examples
    --------
    >>> import helpers as sc
    >>> from helpers import viz
    >>> sc.surface_area is viz.surface_area
    True
    """
    if name in __all__:
        return getattr(importlib.import_module("helpers.viz"), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the lazily loaded functions too, so that tab completion offers them.

    Returns
    -------
    list of str
        The module's own names and those in ``__all__``, sorted.

    Examples
    --------
    >>> import helpers as sc
    >>> "slice_explorer" in dir(sc)
    True
    """
    return sorted(list(globals()) + __all__)
