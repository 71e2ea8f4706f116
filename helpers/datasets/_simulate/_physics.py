"""Image-formation physics shared by the simulators: noise fields, uneven illumination,
the blurred profile of a thin sheet, and the detector."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import ndimage, special


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, ...], sigma: float | Sequence[float] | np.ndarray
) -> np.ndarray:
    """White noise low-pass filtered with a Gaussian, rescaled to unit standard deviation.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the white noise.
    shape : tuple of int
        Shape of the field.
    sigma : float or sequence of float
        Width of the Gaussian in pixels, one value or one per axis. The field wraps
        around its edges.

    Returns
    -------
    numpy.ndarray
        A float32 field of ``shape`` with mean about 0 and standard deviation 1.

    Examples
    --------
    >>> field = smooth_noise(np.random.default_rng(0), (64, 64), 3)
    >>> field.dtype, round(float(field.std()), 3)
    (dtype('float32'), 1.0)
    """
    field = ndimage.gaussian_filter(
        rng.standard_normal(shape, dtype=np.float32), sigma, mode="wrap"
    )
    return field / max(float(field.std()), 1e-12)


def vignetting(shape: tuple[int, int], corner: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth illumination field: 1 near an off-centre optical axis, ``corner`` at corners.

    Real fields are never centred on the camera, so the axis is shifted a little.

    Parameters
    ----------
    shape : tuple of int
        (Y, X) shape of the field.
    corner : float
        Relative illumination in the corners, between 0 and 1.
    rng : numpy.random.Generator
        Draws the shift of the optical axis.

    Returns
    -------
    numpy.ndarray
        A float32 field of ``shape``, at most 1.

    Examples
    --------
    >>> field = vignetting((100, 100), 0.6, np.random.default_rng(0))
    >>> bool(field.max() <= 1), bool(0.5 < field[0, 0] < 0.7)
    (True, True)
    """
    ny, nx = shape
    cy = ny / 2 + rng.uniform(-0.08, 0.08) * ny
    cx = nx / 2 + rng.uniform(-0.08, 0.08) * nx
    yy, xx = np.ogrid[:ny, :nx]
    r2 = ((yy - cy) / (ny / 2)) ** 2 + ((xx - cx) / (nx / 2)) ** 2
    # cos^4-like fall-off, (1 + r^2 k)^-2, scaled so the corners (r^2 ~ 2) reach ``corner``
    k = (corner**-0.5 - 1) / 2
    return ((1 + k * r2) ** -2).astype(np.float32)


def detector(
    rng: np.random.Generator,
    photons: np.ndarray,
    gain: float,
    offset: float,
    read_noise: float,
    max_value: int,
    dtype: npt.DTypeLike,
) -> np.ndarray:
    """Turn an expected photon count into recorded digital numbers.

    Poisson shot noise, Gaussian read noise (in ADU), gain, offset, rounding and clipping at
    the converter's full scale, as a camera or a PMT and digitiser do.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the shot noise and the read noise.
    photons : numpy.ndarray
        Expected number of photons per pixel (negative values count as 0).
    gain : float
        ADU per photon.
    offset : float
        ADU added to every pixel.
    read_noise : float
        Standard deviation of the read noise, in ADU.
    max_value : int
        Full scale of the converter: larger values are clipped.
    dtype : numpy dtype
        Data type of the result.

    Returns
    -------
    numpy.ndarray
        The recorded values, of ``photons``' shape.

    Examples
    --------
    >>> values = detector(np.random.default_rng(0), np.full((50, 50), 100.0), gain=2.0,
    ...                   offset=10.0, read_noise=1.0, max_value=255, dtype=np.uint8)
    >>> values.dtype, int(values.max())
    (dtype('uint8'), 255)
    """
    counts = rng.poisson(np.maximum(photons, 0)).astype(np.float32)
    values = offset + gain * counts + rng.normal(0.0, read_noise, counts.shape).astype(np.float32)
    return np.clip(np.rint(values), 0, max_value).astype(dtype)


def slab_profile(
    z: np.ndarray, top: np.ndarray, thickness: np.ndarray | np.float32, sigma: float
) -> np.ndarray:
    """Axial profile of a thin sheet between ``top`` and ``top + thickness``, blurred.

    The exact convolution of a box with a Gaussian axial PSF of ``sigma``.

    Parameters
    ----------
    z : numpy.ndarray
        Depths at which to evaluate the profile, in µm.
    top : numpy.ndarray
        Depth of the sheet's upper face, in µm (broadcast against ``z``).
    thickness : numpy.ndarray or float
        Thickness of the sheet, in µm.
    sigma : float
        Standard deviation of the axial PSF, in µm.

    Returns
    -------
    numpy.ndarray
        Relative brightness, 1 deep inside a thick sheet, 0 far from it.

    Examples
    --------
    >>> z = np.array([0.0, 5.0, 10.0], dtype=np.float32)
    >>> np.round(slab_profile(z, np.full(3, 2.0, np.float32), np.float32(6.0), 0.5), 3)
    array([0., 1., 0.], dtype=float32)
    """
    s = np.float32(np.sqrt(2.0) * sigma)
    return 0.5 * (special.erf((z - top) / s) - special.erf((z - top - thickness) / s))
