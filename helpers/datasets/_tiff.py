"""Writing ImageJ TIFFs that carry their physical spacing, as Fiji, napari and tifffile
read it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tifffile


def write_tiff(
    file: Path,
    array: np.ndarray,
    axes: str,
    spacing: tuple[float, float, float],
    frame_interval: float | None = None,
) -> None:
    """Write an ImageJ TIFF carrying the physical spacing (µm) in its metadata.

    The X/Y pixel size goes into the resolution tags (pixels per µm), the Z step into the
    ImageJ ``spacing`` entry and the frame interval (s) into ``finterval``.

    Parameters
    ----------
    file : pathlib.Path
        The file to write; its folder is made if needed.
    array : numpy.ndarray
        The data, with the axes ``axes``.
    axes : str
        Axes of ``array``, from ``"TZYX"``: a Z step is written only when it has a Z, the
        frame interval only when it has a T.
    spacing : tuple of float
        Distance between neighbouring samples along Z, Y and X, in µm.
    frame_interval : float, optional
        Seconds between time points; needed when ``axes`` has a T.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = Path(folder) / "plane.tif"
    ...     write_tiff(file, np.zeros((4, 5), np.uint8), "YX", (2.0, 0.5, 0.25))
    ...     with tifffile.TiffFile(file) as tif:
    ...         x_resolution, y_resolution = tif.pages[0].resolution
    ...         print(1 / x_resolution, 1 / y_resolution, tif.imagej_metadata["unit"])
    0.25 0.5 um
    """
    dz, dy, dx = spacing
    metadata: dict[str, Any] = {"unit": "um", "axes": axes}
    if "Z" in axes:
        metadata["spacing"] = dz
    if "T" in axes:
        metadata["finterval"] = frame_interval
    file.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(file, array, imagej=True, resolution=(1 / dx, 1 / dy), metadata=metadata)
