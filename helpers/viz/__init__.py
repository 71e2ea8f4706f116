"""Look at 3D images: single planes, grids of planes, a plane slider, histograms, surfaces.

The call signatures follow the helpers of the scikit-image 3D tutorial, so that its code
runs unchanged with ``import helpers as sc``:

- :func:`show_plane` draws one 2D plane on an Axes you made;
- :func:`slice_explorer` returns a widget with a slider over the planes of a volume;
- :func:`display` returns a figure with a grid of every ``step``-th plane;
- :func:`plot_hist` draws the histogram of an image's values on an Axes you made;
- :func:`plot_3d_surface` draws the surface of one labelled object and measures its area;
- :func:`surface_area` measures that area without drawing;
- :func:`scale_bar` adds a bar of a given physical length to an image drawn on an Axes.

Notes
-----
How figures reach the notebook: the figures that these helpers create themselves
(:func:`display`, :func:`plot_3d_surface`, the figure inside :func:`slice_explorer`) are
made without pyplot. A pyplot figure that is also returned as a cell's value shows up twice under the
inline backend (once as the value, once when the backend flushes its figures); these
cannot. Inside a Jupyter kernel each new figure or explorer is shown exactly once, as a
PNG or a widget, at the end of the cell that made it, whether the call is the cell's last
line, ends with ``;`` or is assigned to a name, just as pyplot figures behave. Outside a
kernel (scripts, tests) nothing is shown: save the returned figure with
``fig.savefig(...)``.

No helper calls ``plt.show()`` or changes ``matplotlib.rcParams``.

This module only declares what is public; each private module does one job: ``_plane``
(drawing a plane), ``_explorer`` (the slider), ``_grid`` (:func:`display`),
``_histogram``, ``_measure`` (the surface mesh and its area), ``_surface`` (drawing it),
``_scalebar``, and ``_figures`` (showing figures once).

Examples
--------
>>> import numpy as np
>>> import helpers as sc
>>> volume = np.random.default_rng(0).random((20, 32, 32))
>>> figure = sc.display(volume, step=5)
>>> [axis.get_title() for axis in figure.axes]
['plane 0', 'plane 5', 'plane 10', 'plane 15']
"""

from __future__ import annotations

from ._explorer import SliceExplorer, slice_explorer
from ._grid import display
from ._histogram import Histogram, plot_hist
from ._measure import surface_area
from ._plane import show_plane
from ._scalebar import scale_bar
from ._surface import Surface, plot_3d_surface

__all__ = [
    "Histogram",
    "SliceExplorer",
    "Surface",
    "display",
    "plot_3d_surface",
    "plot_hist",
    "scale_bar",
    "show_plane",
    "slice_explorer",
    "surface_area",
]
