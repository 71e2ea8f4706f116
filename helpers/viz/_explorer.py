"""A slider over the planes of a volume: :class:`SliceExplorer` and :func:`slice_explorer`.

Moving the slider updates one figure in place. Under the inline backend the figure is a
PNG inside an ``ipywidgets.Output``; under ``%matplotlib widget`` it is ipympl's
interactive canvas.
"""

from __future__ import annotations

import sys
from typing import Any

import ipywidgets
import matplotlib
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from ._figures import png, show_at_cell_end
from ._plane import as_volume, draw_plane, volume_look

#: Width of the explorer's figure, in inches.
EXPLORER_INCHES = 5.0


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
    >>> from helpers.viz import SliceExplorer
    >>> volume = np.random.default_rng(0).random((9, 32, 32))
    >>> explorer = SliceExplorer(volume)
    >>> explorer.slider.value
    4
    >>> explorer.slider.value = 2
    >>> bool((explorer.image.get_array() == volume[2]).all())
    True
    """

    def __init__(self, data: Any, cmap: str | Colormap = "gray") -> None:
        volume = as_volume(data, "slice_explorer()")  # check before any widget exists
        super().__init__()
        self.data = volume
        count = volume.shape[0]
        start = count // 2
        rows, columns = volume.shape[1:3]

        # One look for the whole volume, so that a plane looks brighter only when it is
        # brighter, not because it was rescaled on its own.
        vmin, vmax, labels = volume_look(volume, cmap)

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
        self.image = draw_plane(
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
            self._png_cache = (index, png(self.figure))
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
        """Close the slider, the figure view and the explorer itself.

        Closing frees the widgets in the kernel and removes their views from the notebook;
        the figure and the data stay readable.

        Examples
        --------
        >>> import numpy as np
        >>> from helpers.viz import SliceExplorer
        >>> explorer = SliceExplorer(np.zeros((3, 8, 8)))
        >>> slider = explorer.slider
        >>> explorer.close()
        >>> slider.comm is None and explorer.comm is None
        True
        """
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
    >>> from helpers.viz import slice_explorer
    >>> volume = np.random.default_rng(0).random((10, 32, 32))
    >>> explorer = slice_explorer(volume, cmap="magma")
    >>> explorer.slider.value, explorer.slider.max
    (5, 9)
    >>> explorer.slider.value = 3
    >>> explorer.axes.get_title()
    'plane 3'
    """
    explorer = SliceExplorer(data, cmap)
    show_at_cell_end(explorer)
    return explorer
