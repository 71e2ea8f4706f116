"""Helpers for the course on quantitative analysis of image sequences and 3D images.

Notebooks use ``import helpers as sc`` and call the viewers (``sc.show_plane``,
``sc.slice_explorer``, ``sc.display``, ``sc.plot_hist``, ``sc.plot_3d_surface``) and
``sc.scale_bar``; the submodules ``datasets``, ``sequences``, ``projections`` and
``grading`` are imported by name.

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
    "show_plane",
    "slice_explorer",
    "scale_bar",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("helpers.viz"), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
