"""A bar of a given physical length on an image: :func:`scale_bar`."""

from __future__ import annotations

from matplotlib.axes import Axes
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from .._shared import positive_number


def scale_bar(
    axis: Axes,
    length: float,
    pixel_size: float,
    units: str = "µm",
    color: str = "white",
    location: str = "lower right",
    *,
    thickness: float = 2,
) -> AnchoredSizeBar:
    """Add a scale bar of a given physical length to an image drawn one pixel per unit.

    Parameters
    ----------
    axis : matplotlib.axes.Axes
        The Axes holding the image, drawn with one data unit per pixel (the default of
        ``imshow`` and :func:`show_plane`).
    length : float
        Length of the bar in physical units, for instance 10 for 10 µm.
    pixel_size : float
        Width of one pixel in the same units, for instance ``spacing[2]`` of a volume
        with spacing (z, y, x).
    units : str, optional
        Units written after the length in the label.
    color : str, optional
        Colour of the bar and its label.
    location : str, optional
        Where the bar goes, as in ``legend``: ``"lower right"``, ``"upper left"``, ...
    thickness : float, optional
        Height of the bar in pixels (data units).

    Returns
    -------
    mpl_toolkits.axes_grid1.anchored_artists.AnchoredSizeBar
        The artist added to ``axis``. ``bar.size_bar`` holds the bar (its rectangle is
        ``length / pixel_size`` data units wide) and ``bar.txt_label`` the label.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from helpers.viz import scale_bar, show_plane
    >>> axis = Figure().add_subplot()
    >>> image = show_plane(axis, np.zeros((64, 64)))
    >>> bar = scale_bar(axis, 10, pixel_size=0.25)
    >>> bar.size_bar.get_children()[0].get_width()  # 10 µm / 0.25 µm per pixel
    40.0
    >>> bar.txt_label.get_text()
    '10 µm'
    >>> bar in axis.artists
    True
    """
    length_value = positive_number(length, "length", "scale_bar()")
    pixel_value = positive_number(pixel_size, "pixel_size", "scale_bar()")
    bar = AnchoredSizeBar(
        axis.transData,
        length_value / pixel_value,
        f"{length_value:g} {units}",
        location,
        color=color,
        frameon=False,
        size_vertical=positive_number(thickness, "thickness", "scale_bar()"),
    )
    axis.add_artist(bar)
    return bar
