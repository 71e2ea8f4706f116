"""Look at 3D images: single planes, grids of planes, a plane slider, histograms, surfaces.

The call signatures follow the helpers of the scikit-image 3D tutorial, so that its code
runs unchanged with ``import helpers as sc``:

- :func:`show_plane` draws one 2D plane on an Axes you made;
- :func:`slice_explorer` returns a widget with a slider over the planes of a volume;
- :func:`display` returns a figure with a grid of every ``step``-th plane;
- :func:`plot_hist` draws the histogram of an image's values on an Axes you made;
- :func:`plot_3d_surface` draws the surface of one labelled object and measures its area;
- :func:`scale_bar` adds a bar of a given physical length to an image drawn on an Axes.

How figures reach the notebook
------------------------------
The figures that these helpers create themselves (:func:`display`,
:func:`plot_3d_surface`, the figure inside :func:`slice_explorer`) are made without
pyplot. A pyplot figure that is also returned as a cell's value shows up twice under the
inline backend (once as the value, once when the backend flushes its figures); these
cannot. Inside a Jupyter kernel each new figure or explorer is shown exactly once, as a
PNG or a widget, at the end of the cell that made it, whether the call is the cell's last
line, ends with ``;`` or is assigned to a name, just as pyplot figures behave. Outside a
kernel (scripts, tests) nothing is shown: save the returned figure with
``fig.savefig(...)``.

No helper calls ``plt.show()`` or changes ``matplotlib.rcParams``.
"""

from __future__ import annotations

import base64
import io
import math
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

import ipywidgets
import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

# scipy.ndimage, skimage.measure and mpl_toolkits.mplot3d are imported inside
# plot_3d_surface, their only user: together they add about half a second to
# ``import helpers``, which every ``stacks`` command pays.

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
]

#: The colormap the tutorial uses for label images; it always gets nearest interpolation.
LABEL_CMAP = "nipy_spectral"

#: An integer image with at most this many distinct values is drawn as a label image.
FEW_VALUES = 32

#: Panels per row in :func:`display`.
MAX_COLUMNS = 6

#: Width of one panel of :func:`display`, and of the slice explorer's figure, in inches.
PANEL_INCHES = 2.4
EXPLORER_INCHES = 5.0


# --------------------------------------------------------------------------------------
# Input checks and shared drawing code
# --------------------------------------------------------------------------------------


def _is_rgb(array: np.ndarray, plane_ndim: int) -> bool:
    """True if ``array`` has one more axis than a plane and that axis holds RGB(A)."""
    return array.ndim == plane_ndim + 1 and array.shape[-1] in (3, 4)


def _as_volume(data: Any, function: str) -> np.ndarray:
    """Return ``data`` as a numpy array of planes, or raise an error a student can act on."""
    volume = np.asarray(data)
    if not (volume.ndim == 3 or _is_rgb(volume, 3)):
        raise ValueError(
            f"{function}() expects a 3D image with axes (plane, row, column), "
            f"got an array of shape {volume.shape}. "
            "To draw one 2D plane, use show_plane(axis, plane)."
        )
    if volume.shape[0] == 0 or volume.size == 0:
        raise ValueError(f"{function}() got an empty image of shape {volume.shape}.")
    _check_numeric(volume, function)
    return volume


def _check_numeric(array: np.ndarray, function: str) -> None:
    if not (array.dtype == bool or np.issubdtype(array.dtype, np.number)):
        raise TypeError(f"{function}() needs numbers or booleans, got dtype {array.dtype}.")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(
            f"{function}() cannot draw complex numbers; pass np.abs(data) or data.real."
        )


def _cmap_name(cmap: str | Colormap) -> str:
    return cmap.name if isinstance(cmap, Colormap) else str(cmap)


def _looks_like_labels(data: np.ndarray, cmap: str | Colormap) -> bool:
    """Decide whether ``data`` is a label (or binary) image.

    Label images must be drawn with nearest-neighbour interpolation: smoothing would invent
    in-between label values, which the label colormap paints as unrelated colours along
    every boundary.
    """
    if _cmap_name(cmap) == LABEL_CMAP or data.dtype == bool:
        return True
    if not np.issubdtype(data.dtype, np.integer) or data.size == 0:
        return False
    low, high = int(data.min()), int(data.max())
    if high - low < FEW_VALUES:  # cheap answer for most label images
        return True
    return np.unique(data).size <= FEW_VALUES


def _value_range(data: np.ndarray) -> tuple[float | None, float | None]:
    """Smallest and largest value, ignoring NaN and infinity; ``(None, None)`` if none."""
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


def _draw_plane(
    axis: Axes,
    plane: np.ndarray,
    cmap: str | Colormap,
    title: str | None,
    vmin: float | None,
    vmax: float | None,
    labels: bool,
) -> AxesImage:
    """Draw one plane; every helper goes through here so that all planes look alike."""
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


def _png(figure: Figure) -> str:
    """The figure rendered as a base64 PNG, as Jupyter's display messages carry it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# --------------------------------------------------------------------------------------
# Showing new figures once, at the end of the cell that made them
# --------------------------------------------------------------------------------------

_pending: list[Any] = []
_hooked_shells: list[Any] = []


def _kernel_shell() -> Any:
    """The running Jupyter kernel's shell, or None in a script, a terminal or a test."""
    ipython = sys.modules.get("IPython")  # never import IPython just to find out
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return shell


def _show_at_cell_end(obj: Any) -> None:
    """Show ``obj`` when the current cell finishes, unless the cell shows it already.

    This is how pyplot figures behave under the inline backend, and it keeps
    ``sc.display(cells);`` or ``fig = sc.display(cells)`` from showing nothing.
    """
    shell = _kernel_shell()
    if shell is None:
        return
    if not any(hooked is shell for hooked in _hooked_shells):
        shell.events.register("post_run_cell", _show_pending)
        _hooked_shells.append(shell)
    _pending.append(obj)


def _ipython_draws_figures(shell: Any) -> bool:
    """True if IPython already has a formatter for figures (PNG, SVG, retina, ...).

    The inline backend registers one only after pyplot has loaded it, which helpers that
    never touch pyplot do not do.
    """
    for formatter in shell.display_formatter.formatters.values():
        try:
            formatter.lookup_by_type(Figure)
        except KeyError:
            continue
        return True
    return False


class _NotebookFigure(Figure):
    """A plain Figure that shows itself as a PNG in a notebook and notes that it was shown.

    Without its own ``_repr_mimebundle_`` a Figure made without pyplot would appear in a
    notebook as the text ``<Figure size 640x480 with 1 Axes>`` until pyplot has loaded the
    inline backend. Once IPython has a figure formatter (``%matplotlib inline`` or
    ``widget``, ``%config InlineBackend.figure_formats``), that formatter is used instead.
    """

    _displayed = False

    def __repr__(self) -> str:  # the same text as any Figure, not the private class name
        return super().__repr__().replace(type(self).__name__, "Figure", 1)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict | None:
        self._displayed = True
        shell = _kernel_shell()
        if shell is not None and _ipython_draws_figures(shell):
            return None
        return {"image/png": _png(self), "text/plain": repr(self)}


def _show_pending(result: Any) -> None:
    """``post_run_cell`` callback: display what the cell made but did not show."""
    from IPython.display import display as ipython_display

    # The value the cell displayed as its result, if any, has been shown already.
    shown = getattr(result, "result", None)
    waiting = list(_pending)
    _pending.clear()
    for obj in waiting:
        if obj is shown or getattr(obj, "_displayed", False):
            continue
        ipython_display(obj)


# --------------------------------------------------------------------------------------
# show_plane
# --------------------------------------------------------------------------------------


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
    >>> volume = np.random.default_rng(0).integers(0, 256, (10, 32, 48), dtype=np.uint8)
    >>> axis = Figure().add_subplot()
    >>> image = show_plane(axis, volume[5], title="Plane = 5")
    >>> axis.get_title()
    'Plane = 5'
    >>> image.get_array().shape
    (32, 48)
    """
    array = np.asarray(plane)
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
    _check_numeric(array, "show_plane")
    if array.ndim == 2 and vmin is None and vmax is None:
        vmin, vmax = _value_range(array)
    return _draw_plane(
        axis, array, cmap, title, vmin, vmax, labels=_looks_like_labels(array, cmap)
    )


# --------------------------------------------------------------------------------------
# slice_explorer
# --------------------------------------------------------------------------------------


def _ipympl_active() -> bool:
    """True under ``%matplotlib widget``, where a figure's canvas is itself a widget."""
    # Only ask matplotlib for the backend once ipympl is loaded: asking earlier could make
    # matplotlib resolve (and so change) an undecided backend as a side effect.
    if "ipympl.backend_nbagg" not in sys.modules:
        return False
    backend = matplotlib.get_backend().lower()
    return "ipympl" in backend or backend == "widget"


class SliceExplorer(ipywidgets.VBox):
    """A slider over the planes of a 3D image above one figure showing the chosen plane.

    Make one with :func:`slice_explorer`, which also takes care of showing it in a
    notebook; build the class directly to put explorers inside other widgets, e.g.
    ``ipywidgets.HBox([SliceExplorer(raw), SliceExplorer(labels, "nipy_spectral")])``.

    Parameters
    ----------
    data : array_like, shape (P, M, N) or (P, M, N, 3 or 4)
        The volume; the slider runs over the first axis.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap; ``"nipy_spectral"`` marks a label image.

    Attributes
    ----------
    slider : ipywidgets.IntSlider
        The plane number, from 0 to P - 1; it starts at the middle plane, P // 2.
    figure : matplotlib.figure.Figure
        The one figure of the explorer; moving the slider updates it in place.
    axes : matplotlib.axes.Axes
        The figure's only Axes.
    image : matplotlib.image.AxesImage
        The drawn plane; ``image.get_array()`` is ``data[slider.value]``.
    output : ipywidgets.Output or None
        Under the inline backend, the Output holding the figure as a PNG (which is also
        what a notebook saved with its widget state shows without a kernel). None under
        ``%matplotlib widget``, where the figure's own canvas is the view.
    data : numpy.ndarray
        The volume.

    Examples
    --------
    >>> import numpy as np
    >>> volume = np.random.default_rng(0).random((9, 32, 32))
    >>> explorer = SliceExplorer(volume)
    >>> explorer.slider.value
    4
    >>> explorer.slider.value = 2
    >>> bool((explorer.image.get_array() == volume[2]).all())
    True
    """

    def __init__(self, data: Any, cmap: str | Colormap = "gray") -> None:
        volume = _as_volume(data, "slice_explorer")  # check before any widget exists
        super().__init__()
        self.data = volume
        count = volume.shape[0]
        start = count // 2
        rows, columns = volume.shape[1:3]

        # One intensity range for the whole volume, so that a plane looks brighter only
        # when it is brighter, not because it was rescaled on its own.
        vmin, vmax = _value_range(volume) if volume.ndim == 3 else (None, None)
        labels = _looks_like_labels(volume, cmap)

        height = min(max(EXPLORER_INCHES * rows / columns, 1.5), 8.0) + 0.4  # + title
        size = (EXPLORER_INCHES, height)
        self._displayed = False
        self._png_cache: tuple[int, str] | None = None
        if _ipympl_active():
            # Under %matplotlib widget the canvas is an interactive widget (zoom, pan);
            # drawing into it in place is all an update needs. new_figure_manager makes
            # the canvas without registering the figure with pyplot, so explorers do not
            # pile up as open pyplot figures; ioff keeps ipympl from showing it by itself.
            import matplotlib.pyplot as plt

            with plt.ioff():
                manager = plt.new_figure_manager(0, figsize=size, layout="constrained")
            figure = manager.canvas.figure
            figure.canvas.header_visible = False
            view: ipywidgets.Widget = figure.canvas
            self.output: ipywidgets.Output | None = None
        else:
            # Under the inline backend a figure is a picture: keep one Figure, update its
            # image and put the new PNG into the Output. A plain Figure (not plt.figure)
            # is never shown a second time by the backend at the end of the cell.
            figure = Figure(figsize=size, layout="constrained")
            self.output = ipywidgets.Output()
            view = self.output
        self.figure = figure
        self.axes = figure.add_subplot()
        self.image = _draw_plane(
            self.axes, volume[start], cmap, self._title(start), vmin, vmax, labels
        )
        self.slider = ipywidgets.IntSlider(
            value=start,
            min=0,
            max=count - 1,
            step=1,
            description="plane",
            continuous_update=True,
            layout=ipywidgets.Layout(width=f"{EXPLORER_INCHES * 100:.0f}px"),
        )
        self.slider.observe(self._on_plane, names="value")
        self.children = (self.slider, view)
        # Put the first picture into the Output now, so that it is part of the widget's
        # state from the start (and in a notebook exported with that state).
        self._refresh()

    @staticmethod
    def _title(index: int) -> str:
        return f"plane {index}"

    def _on_plane(self, change: dict[str, Any]) -> None:
        index = int(change["new"])
        self.image.set_data(self.data[index])
        self.axes.set_title(self._title(index))
        self._refresh()

    def _current_png(self) -> str:
        index = int(self.slider.value)
        if self._png_cache is None or self._png_cache[0] != index:
            self._png_cache = (index, _png(self.figure))
        return self._png_cache[1]

    def _refresh(self) -> None:
        if self.output is None:
            self.figure.canvas.draw_idle()
            return
        # Replacing the Output's one display message swaps the picture in a single
        # update: no flicker, and no new figure per slider move.
        width, height = (self.figure.get_size_inches() * self.figure.dpi).round()
        self.output.outputs = (
            {
                "output_type": "display_data",
                "data": {
                    "image/png": self._current_png(),
                    "text/plain": f"<Figure: {self._title(int(self.slider.value))}>",
                },
                "metadata": {"image/png": {"width": int(width), "height": int(height)}},
            },
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        self._displayed = True
        if bundle is not None:
            # Where widgets cannot be drawn (nbconvert without widget state, GitHub, a
            # frontend without the widget extension) the picture still shows.
            bundle["image/png"] = self._current_png()
        return bundle

    def close(self) -> None:
        """Close the slider, the figure view and the explorer itself."""
        for child in self.children:
            child.close()
        super().close()


def slice_explorer(data: Any, cmap: str | Colormap = "gray") -> SliceExplorer:
    """Explore the planes of a 3D image with a slider.

    Parameters
    ----------
    data : array_like, shape (P, M, N) or (P, M, N, 3 or 4)
        The volume; the slider runs over the first axis (planes).
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap, e.g. ``"viridis"`` for a distance map or ``"nipy_spectral"`` for labels
        (drawn with nearest interpolation, never smoothed).

    Returns
    -------
    SliceExplorer
        An ``ipywidgets.VBox`` holding an ``IntSlider`` (``.slider``) and one figure
        (``.figure``, with the drawn plane in ``.image``). The slider starts at the middle
        plane. Every plane is drawn with the intensity range of the whole volume.

    Notes
    -----
    In a notebook the explorer appears once at the end of the cell, also when the line
    ends with ``;`` or the result is assigned. It works with the default inline backend
    (the picture is redrawn as a PNG) and with ``%matplotlib widget`` (an interactive
    canvas). To place explorers inside your own widgets, use :class:`SliceExplorer`.

    Examples
    --------
    >>> import numpy as np
    >>> volume = np.random.default_rng(0).random((10, 32, 32))
    >>> explorer = slice_explorer(volume, cmap="magma")
    >>> explorer.slider.value, explorer.slider.max
    (5, 9)
    >>> explorer.slider.value = 3
    >>> explorer.axes.get_title()
    'plane 3'
    """
    explorer = SliceExplorer(data, cmap)
    _show_at_cell_end(explorer)
    return explorer


# --------------------------------------------------------------------------------------
# display
# --------------------------------------------------------------------------------------


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
    >>> volume = np.random.default_rng(0).random((60, 16, 16))
    >>> fig = display(volume)
    >>> len(fig.axes)
    30
    >>> [axis.get_title() for axis in fig.axes[:3]]
    ['plane 0', 'plane 2', 'plane 4']
    >>> len(display(volume, step=7).axes)
    9
    """
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"display() needs step to be a whole number of 1 or more, not {step!r}.")
    volume = _as_volume(data, "display")
    planes = range(0, volume.shape[0], int(step))
    count = len(planes)
    columns = min(MAX_COLUMNS, count)
    rows = math.ceil(count / columns)

    plane_rows, plane_columns = volume.shape[1:3]
    panel_height = min(max(PANEL_INCHES * plane_rows / plane_columns, 0.6), 3 * PANEL_INCHES)
    figure = _NotebookFigure(
        figsize=(columns * PANEL_INCHES, rows * (panel_height + 0.3)), layout="compressed"
    )
    axes = figure.subplots(rows, columns, squeeze=False)

    # Decide the range and the label look once for the volume: deciding per plane would
    # let a dark plane look as bright as a bright one.
    vmin, vmax = _value_range(volume) if volume.ndim == 3 else (None, None)
    labels = _looks_like_labels(volume, cmap)
    for axis, index in zip(axes.flat, planes):
        _draw_plane(axis, volume[index], cmap, f"plane {index}", vmin, vmax, labels)
        axis.title.set_fontsize("small")
    for axis in axes.flat[count:]:
        axis.remove()  # the unused end of the last row: no blank panels
    _show_at_cell_end(figure)
    return figure


# --------------------------------------------------------------------------------------
# plot_hist
# --------------------------------------------------------------------------------------


class Histogram(NamedTuple):
    """What :func:`plot_hist` counted and drew.

    Attributes
    ----------
    counts : numpy.ndarray
        Number of values in each bin.
    edges : numpy.ndarray
        Bin edges, one more than ``counts``. Integer data have edges halfway between
        integers, so every bin holds whole values; boolean data have the two bins
        ``[-0.5, 0.5)`` (False) and ``[0.5, 1.5)`` (True).
    artist : matplotlib.artist.Artist
        The drawn histogram: a ``StepPatch``, or a ``BarContainer`` for boolean data.
    """

    counts: np.ndarray
    edges: np.ndarray
    artist: Any

    def __repr__(self) -> str:  # the arrays would flood a notebook cell
        return f"Histogram({self.counts.size} bins, {int(self.counts.sum())} values)"


def _integer_histogram(values: np.ndarray, max_bins: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Histogram with bins of a whole number of values; one bin per value when it fits."""
    low, high = int(values.min()), int(values.max())
    span = high - low + 1
    width = max(1, math.ceil(span / max_bins))
    bins = math.ceil(span / width)
    edges = low - 0.5 + width * np.arange(bins + 1, dtype=np.float64)
    if np.issubdtype(values.dtype, np.unsignedinteger):
        shifted = values - values.min()  # stays non-negative in its own dtype
    else:
        shifted = values.astype(np.int64) - low  # int8 - min could overflow in int8
    index = shifted // width if width > 1 else shifted
    counts = np.bincount(index.ravel().astype(np.intp, copy=False), minlength=bins)
    return counts, edges


def plot_hist(axis: Axes, data: Any, title: str | None = None) -> Histogram:
    """Draw the histogram of an image's values.

    Parameters
    ----------
    axis : matplotlib.axes.Axes
        Where to draw.
    data : array_like
        Image of any dimension: integer, floating point or boolean.
    title : str, optional
        Title above the histogram.

    Returns
    -------
    Histogram
        A named tuple ``(counts, edges, artist)``: the counts per bin, the bin edges and
        the drawn artist.

    Notes
    -----
    - Integer data: one bin per value when the values span at most 256 numbers (so a
      ``uint8`` image gets one bin for each of its values); otherwise at most 256 bins,
      each holding the same whole number of values.
    - Floating-point data: 256 equal bins between the smallest and the largest finite
      value; NaN and infinite values are left out.
    - Boolean data: two bars, False and True.

    The y axis counts pixels (voxels for 3D data) on a linear scale; call
    ``axis.set_yscale("log")`` to see small counts next to a large background.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> image = np.random.default_rng(0).integers(0, 256, (8, 64, 64), dtype=np.uint8)
    >>> hist = plot_hist(Figure().add_subplot(), image, "uint8")
    >>> hist.counts.size, int(hist.counts.sum()) == image.size
    (256, True)
    >>> plot_hist(Figure().add_subplot(), image > 128).counts.size
    2
    >>> plot_hist(Figure().add_subplot(), np.array([0.5, np.nan, 1.5]))
    Histogram(256 bins, 2 values)
    """
    values = np.asarray(data)
    if values.size == 0:
        raise ValueError("plot_hist() got an empty image: there are no values to count.")
    _check_numeric(values, "plot_hist")
    if values.dtype == bool:
        true = int(np.count_nonzero(values))
        counts = np.array([values.size - true, true])
        edges = np.array([-0.5, 0.5, 1.5])
        artist = axis.bar([0, 1], counts, width=0.6, tick_label=["False", "True"])
    else:
        if np.issubdtype(values.dtype, np.integer):
            counts, edges = _integer_histogram(values)
        else:
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                raise ValueError(
                    "plot_hist() found no finite values to count: every value is NaN or "
                    "infinite."
                )
            counts, edges = np.histogram(finite, bins=256)
        artist = axis.stairs(counts, edges, fill=True)
        axis.set_xlim(edges[0], edges[-1])
    axis.set_xlabel("intensity")
    axis.set_ylabel("voxel count" if values.ndim >= 3 else "pixel count")
    if title is not None:
        axis.set_title(title)
    return Histogram(counts, edges, artist)


# --------------------------------------------------------------------------------------
# plot_3d_surface
# --------------------------------------------------------------------------------------


class Surface(NamedTuple):
    """What :func:`plot_3d_surface` measured and drew.

    Attributes
    ----------
    area : float
        Surface area of the object in physical units squared (µm² when ``spacing`` is in
        µm).
    figure : matplotlib.figure.Figure
        The new figure with the 3D view.
    axes : mpl_toolkits.mplot3d.axes3d.Axes3D
        Its 3D axes: x (columns), y (rows) and z (planes) in physical units.
    """

    area: float
    figure: Figure
    axes: Axes

    def __repr__(self) -> str:
        return f"Surface(area={self.area:.6g}, figure={self.figure!r})"


def _spacing(spacing: Any) -> tuple[float, float, float]:
    try:
        values = tuple(float(value) for value in spacing)
    except (TypeError, ValueError):
        raise ValueError(
            "plot_3d_surface() needs spacing as three numbers (plane, row, column), "
            f"e.g. (0.29, 0.26, 0.26) µm; got {spacing!r}."
        ) from None
    if len(values) != 3 or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(
            "plot_3d_surface() needs spacing as three positive numbers, the distance "
            f"between planes, rows and columns, e.g. (0.29, 0.26, 0.26); got {spacing!r}."
        )
    return values  # type: ignore[return-value]


def _largest_region(labels: np.ndarray) -> Any:
    if labels.dtype == bool:
        return True
    values, counts = np.unique(labels[labels != 0], return_counts=True)
    if values.size == 0:
        raise ValueError("plot_3d_surface() found no object: every label is 0 (background).")
    return values[np.argmax(counts)].item()


def _bounding_box(mask: np.ndarray) -> list[tuple[int, int]]:
    """First and last index of ``mask`` along each axis (``mask`` must not be empty)."""
    box = []
    for axis in range(mask.ndim):
        others = tuple(a for a in range(mask.ndim) if a != axis)
        hits = np.flatnonzero(mask.any(axis=others))
        box.append((int(hits[0]), int(hits[-1])))
    return box


def plot_3d_surface(
    data: Any,
    labels: Any,
    region: Any = None,
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

    Notes
    -----
    The object's mask is cropped to its bounding box plus a margin (for speed), padded
    with background so that objects touching the border still get a closed surface,
    smoothed with a Gaussian of one voxel along fine axes and at least half the coarsest
    spacing along every axis, and meshed with :func:`skimage.measure.marching_cubes` at
    the level that keeps the object's volume equal to its voxel count times the voxel
    volume. Marching cubes on the raw binary mask would report the area of a staircase,
    8 % (isotropic voxels) to 20 % (voxels four times deeper than wide) too large for a
    sphere; the smoothing removes the staircase, and the volume-preserving level keeps
    small objects from shrinking. Spheres and ellipsoids of radius 3 voxels and more come
    out within a few percent of their true area. The area is
    :func:`skimage.measure.mesh_surface_area` of the mesh that is drawn.

    ``spacing`` is paired with the array's axes exactly as given, and the axes of the
    plot show x, y and z in physical units with the object's true proportions.

    Examples
    --------
    >>> import numpy as np
    >>> z, y, x = np.ogrid[-6:7, -24:25, -24:25]
    >>> ball = (z * 2.0) ** 2 + (y * 0.5) ** 2 + (x * 0.5) ** 2 <= 10**2  # radius 10 µm
    >>> surface = plot_3d_surface(None, ball, spacing=(2, 0.5, 0.5))
    >>> bool(abs(surface.area / (4 * np.pi * 10**2) - 1) < 0.05)
    True
    >>> surface.axes.get_xlabel()
    'x (µm)'
    """
    # Imported here, not at the top: see the note next to the imports.
    from matplotlib.colors import LightSource
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection
    from scipy import ndimage as ndi
    from skimage import measure

    label_image = np.asarray(labels)
    if label_image.ndim != 3:
        raise ValueError(
            "plot_3d_surface() needs labels as a 3D image (plane, row, column), got "
            f"shape {label_image.shape}."
        )
    if not (label_image.dtype == bool or np.issubdtype(label_image.dtype, np.integer)):
        raise TypeError(
            "plot_3d_surface() needs labels as integers (one value per object) or a "
            f"boolean mask, got dtype {label_image.dtype}. Label a mask with "
            "skimage.measure.label(mask)."
        )
    if data is not None and np.shape(data) != label_image.shape:
        raise ValueError(
            f"plot_3d_surface(): data has shape {np.shape(data)} but labels has shape "
            f"{label_image.shape}; they must describe the same volume."
        )
    sizes = _spacing(spacing)
    if region is None:
        region = _largest_region(label_image)
    mask = label_image == region
    if not mask.any():
        present = np.unique(label_image)
        listed = ", ".join(str(v) for v in present[:10]) + (" ..." if present.size > 10 else "")
        raise ValueError(
            f"plot_3d_surface(): label {region!r} does not occur in labels; the labels "
            f"present are {listed}."
        )

    # Smoothing removes the staircase of the voxels. A voxel that is four times deeper
    # than wide makes terraces four times taller, so the fine axes are smoothed over at
    # least half the coarsest spacing, never less than one voxel.
    coarsest = max(sizes)
    sigma = [max(1.0, 0.5 * coarsest / size) for size in sizes]
    margin = [math.ceil(3 * s) + 1 for s in sigma]  # room for the Gaussian's tails

    box = _bounding_box(mask)
    crop = mask[tuple(slice(first, last + 1) for first, last in box)]
    padded = np.pad(crop, [(m, m) for m in margin]).astype(np.float64)
    smooth = ndi.gaussian_filter(padded, sigma, mode="constant")

    # The level at which the smooth object holds as many voxels as the mask: the mean of
    # the n-th and (n+1)-th largest smoothed values, n being the object's voxel count.
    voxels = int(np.count_nonzero(crop))
    cut = smooth.size - voxels
    ordered = np.partition(smooth.ravel(), (cut - 1, cut))
    level = 0.5 * (ordered[cut - 1] + ordered[cut])
    level = min(level, 0.999 * float(smooth.max()))  # strictly inside the data range

    verts, faces, _, _ = measure.marching_cubes(smooth, level=level, spacing=sizes)
    area = float(measure.mesh_surface_area(verts, faces))

    # Back to the coordinates of the whole volume, then from the array's (z, y, x) order
    # to matplotlib's (x, y, z). Only the columns are swapped: the volume is never
    # transposed, so each spacing stays with its own axis.
    offset = np.array([first - m for (first, _), m in zip(box, margin)]) * np.array(sizes)
    points = (verts + offset)[:, ::-1]

    figure = _NotebookFigure(figsize=(6, 6), layout="constrained")
    axes = figure.add_subplot(projection="3d")
    mesh = Poly3DCollection(
        points[faces],
        # Edges in the face colour hide the hairline seams that antialiasing leaves
        # between neighbouring triangles.
        facecolors="#5b9bd5",
        edgecolors="#5b9bd5",
        linewidths=0.3,
        shade=True,
        lightsource=LightSource(azdeg=315, altdeg=45),
    )
    axes.add_collection3d(mesh)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, 1e-9)
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
    axes.set_zlim(low[2], high[2])
    axes.set_box_aspect(tuple(extent))  # true proportions, whatever the spacing
    axes.set_xlabel(f"x ({units})")
    axes.set_ylabel(f"y ({units})")
    axes.set_zlabel(f"z ({units})")
    name = "object" if label_image.dtype == bool else f"label {region}"
    axes.set_title(f"{name}: surface area {area:,.1f} {units}²")
    _show_at_cell_end(figure)
    return Surface(area, figure, axes)


# --------------------------------------------------------------------------------------
# scale_bar
# --------------------------------------------------------------------------------------


def _positive(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"scale_bar() needs {name} as a positive number, got {value!r}.")
    return number


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
    length_value = _positive(length, "length")
    pixel_value = _positive(pixel_size, "pixel_size")
    bar = AnchoredSizeBar(
        axis.transData,
        length_value / pixel_value,
        f"{length_value:g} {units}",
        location,
        color=color,
        frameon=False,
        size_vertical=_positive(thickness, "thickness"),
    )
    axis.add_artist(bar)
    return bar
