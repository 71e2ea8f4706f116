"""The surface of one labelled object in 3D: :func:`plot_3d_surface` and :class:`Surface`.

The mesh and its area come from :mod:`helpers.viz._measure`; this module only draws them,
with x, y and z in physical units and the object's true proportions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LightSource
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from ._figures import NotebookFigure, show_at_cell_end
from ._measure import region_mesh

#: Colour of the drawn surface, and of its triangles' edges.
SURFACE_COLOR = "#5b9bd5"


class Surface(NamedTuple):
    """What :func:`plot_3d_surface` measured and drew.

    Attributes
    ----------
    area : float
        Surface area of the object in physical units squared (µm² when ``spacing`` is in
        µm), the same number as :func:`~helpers.viz.surface_area` gives.
    figure : matplotlib.figure.Figure
        The new figure with the 3D view.
    axes : mpl_toolkits.mplot3d.axes3d.Axes3D
        Its 3D axes: x (columns), y (rows) and z (planes) in physical units.

    Examples
    --------
    >>> import numpy as np
    >>> from helpers.viz import plot_3d_surface
    >>> cube = np.zeros((12, 12, 12), dtype=bool)
    >>> cube[3:9, 3:9, 3:9] = True
    >>> area, figure, axes = plot_3d_surface(None, cube)
    >>> axes.figure is figure
    True
    """

    area: float
    figure: Figure
    axes: Axes

    def __repr__(self) -> str:
        return f"Surface(area={self.area:.6g}, figure={self.figure!r})"


def plot_3d_surface(
    data: Any,
    labels: Any,
    region: int | None = None,
    spacing: Sequence[float] = (1, 1, 1),
    *,
    units: str = "µm",
) -> Surface:
    """Draw the surface of one labelled object in 3D and measure its area.

    Parameters
    ----------
    data : array_like or None
        The image the labels were made from. Only its shape is checked against
        ``labels``; it is accepted so that the tutorial's calls run unchanged.
    labels : array_like of int or bool, shape (P, M, N)
        Label image (0 is background) or a binary mask.
    region : int, optional
        The label of the object. By default the largest object (most voxels).
    spacing : sequence of 3 floats, optional
        Distance between planes, rows and columns, in that order (the order of the
        array's axes), in physical units.
    units : str, optional
        Name of the physical unit of ``spacing``, for the axis labels and the title.

    Returns
    -------
    Surface
        A named tuple ``(area, figure, axes)``: the surface area in ``units`` squared, the
        new figure and its 3D axes.

    See Also
    --------
    helpers.viz.surface_area : The area alone, and how the mesh is made.

    Notes
    -----
    The mesh drawn is the one :func:`~helpers.viz.surface_area` measures: the object
    smoothed just enough to remove the staircase of its voxels, at the level that keeps
    its volume. ``spacing`` is paired with the array's axes exactly as given, and the
    axes of the plot show x, y and z in physical units with the object's true
    proportions.

    Examples
    --------
    >>> import numpy as np
    >>> from helpers.viz import plot_3d_surface
    >>> z, y, x = np.ogrid[-6:7, -24:25, -24:25]
    >>> ball = (z * 2.0) ** 2 + (y * 0.5) ** 2 + (x * 0.5) ** 2 <= 10**2  # radius 10 µm
    >>> surface = plot_3d_surface(None, ball, spacing=(2, 0.5, 0.5))
    >>> bool(abs(surface.area / (4 * np.pi * 10**2) - 1) < 0.05)
    True
    >>> surface.axes.get_xlabel()
    'x (µm)'
    """
    if data is not None and np.shape(data) != np.shape(labels):
        raise ValueError(
            f"plot_3d_surface(): data has shape {np.shape(data)} but labels has shape "
            f"{np.shape(labels)}; they must describe the same volume."
        )
    mesh = region_mesh(labels, region, spacing, "plot_3d_surface()")

    # From the array's (z, y, x) order to matplotlib's (x, y, z): only the columns of the
    # vertices are swapped, so each spacing stays with its own axis.
    points = mesh.vertices[:, ::-1]

    figure = NotebookFigure(figsize=(6, 6), layout="constrained")
    axes = figure.add_subplot(projection="3d")
    polygons = Poly3DCollection(
        points[mesh.faces],
        # Edges in the face colour hide the hairline seams that antialiasing leaves
        # between neighbouring triangles.
        facecolors=SURFACE_COLOR,
        edgecolors=SURFACE_COLOR,
        linewidths=0.3,
        shade=True,
        lightsource=LightSource(azdeg=315, altdeg=45),
    )
    axes.add_collection3d(polygons)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, 1e-9)
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
    axes.set_zlim(low[2], high[2])
    axes.set_box_aspect(tuple(extent))  # true proportions, whatever the spacing
    axes.set_xlabel(f"x ({units})")
    axes.set_ylabel(f"y ({units})")
    axes.set_zlabel(f"z ({units})")
    name = "object" if isinstance(mesh.region, bool) else f"label {mesh.region}"
    axes.set_title(f"{name}: surface area {mesh.area:,.1f} {units}²")
    show_at_cell_end(figure)
    return Surface(mesh.area, figure, axes)
