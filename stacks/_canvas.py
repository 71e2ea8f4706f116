"""Feedback pictures drawn as pixels: panels of images with titles, in a grid, as a PNG.

Grading draws one picture per submission. A matplotlib figure with axes, a colour bar and
a tight bounding box costs about 0.2 s of a grading core each time; putting the panels
side by side with Pillow costs a few milliseconds, and a panel of an image needs no axes.
Colours still come from matplotlib's colour maps (a lookup table, no figure).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Panel", "diverging", "grey", "png_of_grid"]

_PANEL = 256  # pixels of the longer side of a panel's image
_TITLE = 22  # pixels above each panel for its title
_GAP = 12  # pixels between panels
_BAR = 12  # the width of a colour scale


@dataclass(frozen=True)
class Panel:
    """One cell of the grid: an RGB image (or None) under a title, with an optional scale.

    ``note`` is written in the middle of an empty panel (when ``rgb`` is None); ``scale``
    is ``(colour map name, low, high)`` for a colour bar at the right of the image.

    Examples
    --------
    >>> Panel("your max_z (4, 4)", grey(np.eye(4))).rgb.shape
    (4, 4, 3)
    """

    title: str
    rgb: np.ndarray | None = None
    note: str = ""
    scale: tuple[str, float, float] | None = None


def _fit(rgb: np.ndarray) -> np.ndarray:
    """Resize an RGB image to a panel, nearest neighbour, so that pixels stay pixels."""
    height, width = rgb.shape[:2]
    factor = _PANEL / max(height, width)
    rows = np.minimum((np.arange(round(height * factor)) / factor).astype(int), height - 1)
    cols = np.minimum((np.arange(round(width * factor)) / factor).astype(int), width - 1)
    return rgb[rows][:, cols]


def grey(image: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """An image as grey RGB, ``low`` black and ``high`` white (default: its own range).

    Examples
    --------
    >>> grey(np.array([[0, 5, 10]]))[0, :, 0].tolist()
    [0, 127, 255]
    """
    values = np.asarray(image, dtype=np.float64)
    low = float(np.nanmin(values)) if low is None else low
    high = float(np.nanmax(values)) if high is None else high
    scaled = np.clip((values - low) / max(high - low, 1e-12), 0, 1)
    level = (scaled * 255).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=-1)


def diverging(values: np.ndarray, limit: float, cmap: str = "RdBu_r") -> np.ndarray:
    """``values`` in [-limit, limit] coloured with a diverging colour map (0 is white).

    Examples
    --------
    >>> diverging(np.array([[0.0]]), 1.0)[0, 0].tolist()
    [246, 247, 247]
    """
    table = _table(cmap)
    index = np.clip((np.asarray(values, dtype=np.float64) / limit + 1) / 2 * 255, 0, 255)
    return table[index.astype(np.uint8)]


def label_colours(labels: np.ndarray, cmap: str = "nipy_spectral") -> np.ndarray:
    """A label image in colours, background (0) white, neighbours in unlike colours.

    The labels are shuffled before they are coloured (the same way every time), so that
    objects numbered one after the other do not get nearly the same colour.

    Examples
    --------
    >>> rgb = label_colours(np.array([[0, 1, 2]]))
    >>> rgb[0, 0].tolist(), bool((rgb[0, 1] != rgb[0, 2]).any())
    ([255, 255, 255], True)
    """
    labels = np.asarray(labels, dtype=np.int64)
    top = int(labels.max()) if labels.size else 0
    order = np.random.default_rng(0).permutation(top + 1)
    shades = (order[labels] % 255 + 1).astype(np.uint8)  # 1..255: never the white of 0
    rgb = _table(cmap)[shades]
    rgb[labels == 0] = 255
    return rgb


@lru_cache(maxsize=4)
def _table(cmap: str) -> np.ndarray:
    from matplotlib import colormaps

    return (colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)


@lru_cache(maxsize=2)
def _font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _bar(panel: Panel, height: int) -> np.ndarray:
    assert panel.scale is not None
    cmap, _, _ = panel.scale
    ramp = np.linspace(1, -1, height)[:, None] * np.ones((1, _BAR))
    return diverging(ramp, 1.0, cmap)


def png_of_grid(rows: list[list[Panel]]) -> str:
    """Draw rows of panels on white, each under its title; the PNG as base64 text.

    Examples
    --------
    >>> text = png_of_grid([[Panel("a", grey(np.eye(8))), Panel("b", note="nothing to show")]])
    >>> base64.b64decode(text)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    from PIL import Image, ImageDraw

    columns = max(len(row) for row in rows)
    cell_w = _PANEL + _BAR + 48  # room for a colour bar and its labels
    cell_h = _TITLE + _PANEL
    canvas = Image.new(
        "RGB", (columns * cell_w + _GAP, len(rows) * (cell_h + _GAP) + _GAP), "white"
    )
    pen = ImageDraw.Draw(canvas)
    font, small = _font(13), _font(11)
    for r, row in enumerate(rows):
        for c, panel in enumerate(row):
            x, y = _GAP + c * cell_w, _GAP + r * (cell_h + _GAP)
            pen.text((x, y), panel.title, fill="black", font=font)
            top = y + _TITLE
            if panel.rgb is None:
                pen.rectangle((x, top, x + _PANEL - 1, top + _PANEL - 1), outline=(200, 200, 200))
                pen.multiline_text(
                    (x + _PANEL // 2, top + _PANEL // 2),
                    panel.note,
                    fill="black",
                    font=font,
                    anchor="mm",
                    align="center",
                )
                continue
            image = _fit(np.ascontiguousarray(panel.rgb[..., :3], dtype=np.uint8))
            canvas.paste(Image.fromarray(image), (x, top))
            if panel.scale is not None:
                height = image.shape[0]
                bar_x = x + image.shape[1] + 6
                canvas.paste(Image.fromarray(_bar(panel, height)), (bar_x, top))
                _, low, high = panel.scale
                pen.text((bar_x + _BAR + 3, top), f"{high:+.3g}", fill="black", font=small)
                pen.text(
                    (bar_x + _BAR + 3, top + height - 12), f"{low:+.3g}", fill="black", font=small
                )
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", compress_level=3)  # speed over the last bytes
    return base64.b64encode(buffer.getvalue()).decode("ascii")
