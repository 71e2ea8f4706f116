"""A grid of every ``step``-th plane of a volume: :func:`display`."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from .._shared import whole_number
from ._figures import NotebookFigure, show_at_cell_end
from ._plane import as_volume, draw_plane, volume_look

#: Panels per row.
MAX_COLUMNS = 6

#: Width of one panel, in inches.
PANEL_INCHES = 2.4


def display(data: Any, cmap: str | Colormap = "gray", step: int = 2) -> Figure:
    """Show every ``step``-th plane of a 3D image in a grid.

    Parameters
    ----------
    data : array_like, shape (P, M, N) or (P, M, N, 3 or 4)
        The volume; planes are taken along the first axis.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap; ``"nipy_spectral"`` marks a label image (nearest interpolation).
    step : int, optional
        Distance between the planes shown: planes 0, step, 2 * step, ...

    Returns
    -------
    matplotlib.figure.Figure
        One panel per plane shown, titled with its plane number, up to six per row and no
        empty panels. All panels share the volume's intensity range.

    Notes
    -----
    Every selected plane is shown: 60 planes with ``step=1`` make 60 panels (matplotlib
    needs a few seconds for a hundred panels; a larger ``step`` is quicker). In a
    notebook the figure appears once, at the end of the cell.

    Examples
    --------
    >>> import numpy as np
    >>> from helpers.viz import display
    >>> volume = np.random.default_rng(0).random((60, 16, 16))
    >>> fig = display(volume)
    >>> len(fig.axes)
    30
    >>> [axis.get_title() for axis in fig.axes[:3]]
    ['plane 0', 'plane 2', 'plane 4']
    >>> len(display(volume, step=7).axes)
    9
    """
    stride = whole_number(step, "step", "display()")
    volume = as_volume(data, "display()")
    planes = range(0, volume.shape[0], stride)
    count = len(planes)
    columns = min(MAX_COLUMNS, count)
    rows = math.ceil(count / columns)

    plane_rows, plane_columns = volume.shape[1:3]
    panel_height = min(max(PANEL_INCHES * plane_rows / plane_columns, 0.6), 3 * PANEL_INCHES)
    figure = NotebookFigure(
        figsize=(columns * PANEL_INCHES, rows * (panel_height + 0.3)), layout="compressed"
    )
    axes = figure.subplots(rows, columns, squeeze=False)

    vmin, vmax, labels = volume_look(volume, cmap)
    for axis, index in zip(axes.flat[:count], planes, strict=True):
        draw_plane(axis, volume[index], cmap, f"plane {index}", vmin, vmax, labels)
        axis.title.set_fontsize("small")
    for axis in axes.flat[count:]:
        axis.remove()  # the unused end of the last row: no blank panels
    show_at_cell_end(figure)
    return figure
