"""How a plane is drawn: :func:`show_plane`, and the drawing every viewer shares.

The slice explorer and the grid of :func:`~helpers.viz.display` draw their planes through
:func:`draw_plane` too, with the label look and the intensity range decided once for the
whole volume, so that every plane in the course looks alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.image import AxesImage

from .._shared import numeric_array

#: The colormap the tutorial uses for label images; it always gets nearest interpolation.
LABEL_CMAP = "nipy_spectral"

#: An integer image with at most this many distinct values is drawn as a label image.
FEW_VALUES = 32


def _is_rgb(array: np.ndarray, plane_ndim: int) -> bool:
    """True if ``array`` has one more axis than a plane and that axis holds RGB(A)."""
    return array.ndim == plane_ndim + 1 and array.shape[-1] in (3, 4)


def as_volume(data: Any, where: str) -> np.ndarray:
    """Return ``data`` as a numpy array of planes, or raise an error a student can act on.

    Parameters
    ----------
    data : array_like
        What the student passed as a 3D image.
    where : str
        The public function that was called, with parentheses: ``"display()"``.

    Returns
    -------
    numpy.ndarray, shape (P, M, N) or (P, M, N, 3 or 4)
        The volume, not empty, of real numbers or booleans.

    Examples
    --------
    >>> import numpy as np
    >>> as_volume(np.zeros((4, 5, 6)), "display()").shape
    (4, 5, 6)
    >>> as_volume(np.zeros((5, 6)), "display()")
    Traceback (most recent call last):
    ...
    ValueError: display() expects a 3D image with axes (plane, row, column), got an array of shape (5, 6). To draw one 2D plane, use show_plane(axis, plane).
    """
    volume = numeric_array(data, where)
    if not (volume.ndim == 3 or _is_rgb(volume, 3)):
        raise ValueError(
            f"{where} expects a 3D image with axes (plane, row, column), "
            f"got an array of shape {volume.shape}. "
            "To draw one 2D plane, use show_plane(axis, plane)."
        )
    if volume.size == 0:
        raise ValueError(f"{where} got an empty image of shape {volume.shape}.")
    return volume


def _cmap_name(cmap: str | Colormap) -> str:
    return cmap.name if isinstance(cmap, Colormap) else str(cmap)


def looks_like_labels(data: np.ndarray, cmap: str | Colormap) -> bool:
    """Decide whether ``data`` is a label (or binary) image.

    Label images must be drawn with nearest-neighbour interpolation: smoothing would invent
    in-between label values, which the label colormap paints as unrelated colours along
    every boundary.

    Parameters
    ----------
    data : numpy.ndarray
        A plane or a volume.
    cmap : str or matplotlib.colors.Colormap
        The colormap it will be drawn with; ``"nipy_spectral"`` marks a label image.

    Returns
    -------
    bool
        True for the label colormap, a boolean image, or an integer image with at most
        32 distinct values.

    Examples
    --------
    >>> import numpy as np
    >>> looks_like_labels(np.array([[0, 1], [2, 2]]), "gray")
    True
    >>> looks_like_labels(np.arange(100).reshape(10, 10), "gray")
    False
    >>> looks_like_labels(np.linspace(0, 1, 4), "nipy_spectral")
    True
    """
    if _cmap_name(cmap) == LABEL_CMAP or data.dtype == bool:
        return True
    if not np.issubdtype(data.dtype, np.integer) or data.size == 0:
        return False
    low, high = int(data.min()), int(data.max())
    if high - low < FEW_VALUES:  # cheap answer for most label images
        return True
    return np.unique(data).size <= FEW_VALUES


def value_range(data: np.ndarray) -> tuple[float | None, float | None]:
    """Return the smallest and largest value, ignoring NaN and infinity.

    Parameters
    ----------
    data : numpy.ndarray
        Real numbers or booleans.

    Returns
    -------
    tuple of (float or None, float or None)
        ``(vmin, vmax)`` for ``imshow``; ``(None, None)`` when no value is finite, which
        leaves the choice to matplotlib.

    Examples
    --------
    >>> import numpy as np
    >>> value_range(np.array([np.nan, 1.0, 5.0, np.inf]))
    (1.0, 5.0)
    >>> value_range(np.array([True, False]))
    (0.0, 1.0)
    """
    if data.dtype == bool:
        return 0.0, 1.0
    if np.issubdtype(data.dtype, np.integer):
        return float(data.min()), float(data.max())
    finite = np.isfinite(data)
    if finite.all():
        return float(data.min()), float(data.max())
    if not finite.any():
        return None, None
    values = data[finite]
    return float(values.min()), float(values.max())


def volume_look(
    volume: np.ndarray, cmap: str | Colormap
) -> tuple[float | None, float | None, bool]:
    """Decide the intensity range and the label look once, for every plane of a volume.

    Deciding per plane would let a dark plane look as bright as a bright one, and a plane
    with few values pass for a label image.

    Parameters
    ----------
    volume : numpy.ndarray, shape (P, M, N) or (P, M, N, 3 or 4)
        The volume, already checked by :func:`as_volume`.
    cmap : str or matplotlib.colors.Colormap
        The colormap it will be drawn with.

    Returns
    -------
    tuple of (float or None, float or None, bool)
        ``(vmin, vmax, labels)`` for :func:`draw_plane`; the range is ``(None, None)``
        for RGB volumes, whose colours are drawn as they are.

    Examples
    --------
    >>> import numpy as np
    >>> volume = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    >>> volume_look(volume, "gray")
    (0.0, 23.0, True)
    >>> volume_look(np.zeros((2, 3, 4, 3)), "gray")
    (None, None, False)
    """
    vmin, vmax = value_range(volume) if volume.ndim == 3 else (None, None)
    return vmin, vmax, looks_like_labels(volume, cmap)


def draw_plane(
    axis: Axes,
    plane: np.ndarray,
    cmap: str | Colormap,
    title: str | None,
    vmin: float | None,
    vmax: float | None,
    labels: bool,
) -> AxesImage:
    """Draw one plane without ticks; every viewer goes through here.

    Parameters
    ----------
    axis : matplotlib.axes.Axes
        Where to draw.
    plane : numpy.ndarray, shape (M, N) or (M, N, 3 or 4)
        The plane, already checked.
    cmap : str or matplotlib.colors.Colormap
        Colormap of a 2D plane (RGB images ignore it).
    title : str or None
        Title above the plane.
    vmin, vmax : float or None
        Intensity range of a 2D plane.
    labels : bool
        Whether the plane is a label image, drawn with nearest interpolation.

    Returns
    -------
    matplotlib.image.AxesImage
        The drawn image.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> axis = Figure().add_subplot()
    >>> draw_plane(axis, np.eye(3), "gray", "eye", 0, 1, labels=True).get_interpolation()
    'nearest'
    """
    options: dict[str, Any] = {}
    if labels:
        options["interpolation"] = "nearest"
    if plane.ndim == 2:
        options.update(cmap=cmap, vmin=vmin, vmax=vmax)
    image = axis.imshow(plane, **options)
    # Pixel indices on the axes are noise next to a picture of cells; the frame stays so
    # that a dark image still shows where it ends.
    axis.set_xticks([])
    axis.set_yticks([])
    if title is not None:
        axis.set_title(title)
    return image


def show_plane(
    axis: Axes,
    plane: Any,
    cmap: str | Colormap = "gray",
    title: str | None = None,
    *,
    vmin: float | None = None,
    vmax: float | None = None,
) -> AxesImage:
    """Draw one 2D plane of an image on a matplotlib Axes, without ticks.

    Parameters
    ----------
    axis : matplotlib.axes.Axes
        Where to draw, for instance one of the axes from ``plt.subplots``.
    plane : array_like, shape (M, N) or (M, N, 3 or 4)
        A 2D image such as ``volume[32]``, ``volume[:, 128, :]`` or an RGB(A) image.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap for a 2D plane. ``"nipy_spectral"`` marks a label image.
    title : str, optional
        Title above the plane.
    vmin, vmax : float, optional
        Values drawn as the darkest and the brightest colour. By default the plane's own
        smallest and largest finite values, so NaN does not spoil the range.

    Returns
    -------
    matplotlib.image.AxesImage
        The drawn image; ``image.get_array()`` is the plane and ``image.get_clim()`` the
        intensity range.

    Notes
    -----
    Label images are drawn with ``interpolation="nearest"`` so that no in-between
    colours appear along the boundaries of objects. A plane counts as a label image when
    ``cmap`` is ``"nipy_spectral"``, when it is boolean, or when it is an integer image
    with at most 32 distinct values.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from helpers.viz import show_plane
    >>> volume = np.random.default_rng(0).integers(0, 256, (10, 32, 48), dtype=np.uint8)
    >>> axis = Figure().add_subplot()
    >>> image = show_plane(axis, volume[5], title="Plane = 5")
    >>> axis.get_title()
    'Plane = 5'
    >>> image.get_array().shape
    (32, 48)
    """
    array = numeric_array(plane, "show_plane()")
    if not (array.ndim == 2 or _is_rgb(array, 2)):
        hint = (
            " It looks like a whole volume: pick one plane, e.g. volume[32]."
            if array.ndim == 3
            else ""
        )
        raise ValueError(
            "show_plane() expects a 2D plane (rows, columns) or an RGB(A) image "
            f"(rows, columns, 3 or 4), got an array of shape {array.shape}.{hint}"
        )
    if array.ndim == 2 and vmin is None and vmax is None:
        vmin, vmax = value_range(array)
    return draw_plane(axis, array, cmap, title, vmin, vmax, labels=looks_like_labels(array, cmap))
