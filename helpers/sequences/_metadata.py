"""Pixel spacing in micrometres from the metadata tifffile parses: OME, ImageJ, resolution tags."""

from __future__ import annotations

import contextlib
import math
import xml.etree.ElementTree as ET
from typing import Any

import tifffile

#: ``(z, y, x)`` in micrometres, ``None`` for an axis the file does not describe.
Spacing = tuple[float | None, float | None, float | None]

_UM_PER_UNIT = {
    "µm": 1.0, "μm": 1.0, "um": 1.0, "micron": 1.0, "microns": 1.0,
    "micrometer": 1.0, "micrometre": 1.0, "micrometers": 1.0, "micrometres": 1.0,
    "nm": 1e-3, "nanometer": 1e-3, "nanometre": 1e-3,
    "mm": 1e3, "millimeter": 1e3, "millimetre": 1e3,
    "cm": 1e4, "centimeter": 1e4, "centimetre": 1e4,
    "m": 1e6, "meter": 1e6, "metre": 1e6,
    "å": 1e-4, "angstrom": 1e-4, "pm": 1e-6,
}  # fmt: skip
# Micrometres per ResolutionUnit that is a length; INCH ("dpi") is print metadata, not a
# pixel size. Dividing by the resolution once, rather than inverting tifffile's
# get_resolution(MICROMETER), keeps 1/0.65 pixels per mm at exactly 650 µm.
_UM_PER_RESUNIT = {
    tifffile.RESUNIT.CENTIMETER: 1e4,
    tifffile.RESUNIT.MILLIMETER: 1e3,
    tifffile.RESUNIT.MICROMETER: 1.0,
}
_XRESOLUTION = 282
_UNKNOWN: Spacing = (None, None, None)


def _um_per(unit: object) -> float | None:
    """Micrometres in one ``unit`` (a name such as ``"nm"`` or ``"micron"``), or None."""
    if not isinstance(unit, str):
        return None
    text = unit.strip()
    if "\\u" in text:  # ImageJ sometimes stores "\\u00B5m" literally
        with contextlib.suppress(UnicodeDecodeError):
            text = text.encode("ascii", "backslashreplace").decode("unicode_escape")
    return _UM_PER_UNIT.get(text.casefold()) or _UM_PER_UNIT.get(text)


def _positive(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _length(size: object, unit: object) -> float | None:
    """``size`` in ``unit`` as micrometres, or None unless both are meaningful."""
    value, scale = _positive(size), _um_per(unit)
    return value * scale if value and scale else None


def _ome_spacing(ome_xml: str, series_index: int) -> Spacing:
    """``PhysicalSizeZ/Y/X`` (and their units) of the image ``series_index`` of OME-XML."""
    try:
        ome = tifffile.xml2dict(ome_xml).get("OME", {})
    except (ET.ParseError, ValueError):  # defusedxml's refusals are ValueErrors
        return _UNKNOWN
    images = ome.get("Image", [])
    images = images if isinstance(images, list) else [images]
    pixels = [
        image["Pixels"]
        for image in images
        if isinstance(image, dict) and isinstance(image.get("Pixels"), dict)
    ]
    if not pixels:
        return _UNKNOWN
    px = pixels[min(series_index, len(pixels) - 1)]
    z, y, x = (
        _length(px.get(f"PhysicalSize{axis}"), px.get(f"PhysicalSize{axis}Unit", "µm"))
        for axis in "ZYX"
    )
    return (z, y, x)


def spacing_from_tiff(tif: Any, series_index: int) -> Spacing | None:
    """``(z, y, x)`` in µm from a :class:`tifffile.TiffFile`'s metadata; None if none is known.

    OME-XML comes first; ImageJ metadata fill the axes it leaves out (``spacing`` for z,
    the resolution tags in the ImageJ ``unit`` for y and x); a plain TIFF's resolution
    tags count only when their unit is a length.

    Examples
    --------
    >>> import numpy as np, tifffile, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stack.tif")
    >>> tifffile.imwrite(path, np.zeros((3, 4, 4), np.uint8), imagej=True,
    ...                  resolution=(1 / 0.5, 1 / 0.25), metadata={"spacing": 2.0, "unit": "um"})
    >>> with tifffile.TiffFile(path) as tif:
    ...     spacing_from_tiff(tif, 0)
    (2.0, 0.25, 0.5)
    """
    ome_xml = tif.ome_metadata if tif.is_ome else None
    z, y, x = _ome_spacing(ome_xml, series_index) if ome_xml else _UNKNOWN
    page = tif.pages.first
    has_resolution = _XRESOLUTION in page.tags
    imagej = tif.imagej_metadata if tif.is_imagej else None
    if imagej:
        if z is None:
            z = _length(imagej.get("spacing"), imagej.get("zunit", imagej.get("unit")))
        unit = _um_per(imagej.get("unit"))
        if unit and (x is None or y is None) and has_resolution:
            # ImageJ stores pixels per ImageJ unit, with ResolutionUnit NONE.
            xres, yres = page.resolution
            x = x or (unit / xres if _positive(xres) else None)
            y = y or (unit / yres if _positive(yres) else None)
    elif x is None and y is None and has_resolution and page.resolutionunit in _UM_PER_RESUNIT:
        scale = _UM_PER_RESUNIT[page.resolutionunit]
        xres, yres = page.resolution
        x = scale / xres if _positive(xres) else None
        y = scale / yres if _positive(yres) else None
    if z is None and y is None and x is None:
        return None
    return (z, y, x)
