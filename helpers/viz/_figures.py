"""Figures that show themselves once, at the end of the notebook cell that made them.

The viewers build their figures without pyplot: under the inline backend a pyplot figure
that a cell also returns shows up twice (once as the cell's value, once when the backend
flushes its figures). :class:`NotebookFigure` renders itself as a PNG, and
:func:`show_at_cell_end` registers an IPython ``post_run_cell`` callback that displays
whatever a viewer made and the cell did not show, so ``sc.display(cells);`` still shows
its grid. The callback is the only thing the helpers register, and only inside a running
kernel.
"""

from __future__ import annotations

import base64
import io
import sys
from typing import Any

from matplotlib.figure import Figure

#: Objects made during the current cell, waiting for the cell to end.
_pending: list[Any] = []

#: Shells whose ``post_run_cell`` already calls :func:`_show_pending`.
_hooked_shells: list[Any] = []


def png(figure: Figure) -> str:
    """Render a figure as a base64 PNG, the form Jupyter's display messages carry.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure to render.

    Returns
    -------
    str
        The PNG file, base64-encoded as ASCII text.

    Examples
    --------
    >>> import base64
    >>> from matplotlib.figure import Figure
    >>> base64.b64decode(png(Figure(figsize=(1, 1))))[1:4]
    b'PNG'
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _kernel_shell() -> Any:
    """The running Jupyter kernel's shell, or None in a script, a terminal or a test."""
    ipython = sys.modules.get("IPython")  # never import IPython just to find out
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return shell


def show_at_cell_end(obj: Any) -> None:
    """Show ``obj`` when the current cell finishes, unless the cell shows it already.

    This is how pyplot figures behave under the inline backend, and it keeps
    ``sc.display(cells);`` or ``fig = sc.display(cells)`` from showing nothing. An object
    counts as shown when it is the cell's displayed value or when it has set its
    ``_displayed`` attribute to True while rendering itself.

    Parameters
    ----------
    obj : object
        A figure or widget that a viewer has just made.

    Examples
    --------
    Outside a Jupyter kernel nothing is shown and nothing waits:

    >>> from matplotlib.figure import Figure
    >>> show_at_cell_end(Figure())
    >>> _pending
    []
    """
    shell = _kernel_shell()
    if shell is None:
        return
    if not any(hooked is shell for hooked in _hooked_shells):
        shell.events.register("post_run_cell", _show_pending)
        _hooked_shells.append(shell)
    _pending.append(obj)


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


class NotebookFigure(Figure):
    """A plain Figure that shows itself as a PNG in a notebook and notes that it was shown.

    Without its own ``_repr_mimebundle_`` a Figure made without pyplot would appear in a
    notebook as the text ``<Figure size 640x480 with 1 Axes>`` until pyplot has loaded the
    inline backend. Once IPython has a figure formatter (``%matplotlib inline`` or
    ``widget``, ``%config InlineBackend.figure_formats``), that formatter is used instead.

    Examples
    --------
    >>> figure = NotebookFigure(figsize=(2, 1))
    >>> figure
    <Figure size 200x100 with 0 Axes>
    >>> sorted(figure._repr_mimebundle_())
    ['image/png', 'text/plain']
    """

    _displayed = False

    def __repr__(self) -> str:  # the same text as any Figure, not the private class name
        return super().__repr__().replace(type(self).__name__, "Figure", 1)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str] | None:
        self._displayed = True
        shell = _kernel_shell()
        if shell is not None and _ipython_draws_figures(shell):
            return None
        return {"image/png": png(self), "text/plain": repr(self)}
