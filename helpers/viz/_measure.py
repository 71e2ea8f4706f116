"""The surface area of one labelled object in physical units: :func:`surface_area`.

The mesh it measures is the one :func:`~helpers.viz.plot_3d_surface` draws, made here by
:func:`region_mesh`, so the area in that figure's title is :func:`surface_area`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import _shared


class RegionMesh(NamedTuple):
    """The triangle mesh of one object's surface, in physical units.

    Attributes
    ----------
    vertices : numpy.ndarray, shape (V, 3)
        Corner coordinates in the array's axis order (plane, row, column), in the units of
        the spacing, measured from the corner of the whole volume.
    faces : numpy.ndarray, shape (F, 3)
        Each triangle as three row indices into ``vertices``.
    area : float
        Total area of the triangles.
    region : int or bool
        The label value whose surface this is, as it occurs in the labels: True for a
        binary mask.

    Examples
    --------
    >>> import numpy as np
    >>> cube = np.zeros((12, 12, 12), dtype=bool)
    >>> cube[3:9, 3:9, 3:9] = True
    >>> mesh = region_mesh(cube, None, (1, 1, 1), "surface_area()")
    >>> mesh.vertices.shape[1], mesh.faces.shape[1], mesh.region
    (3, 3, True)
    """

    vertices: np.ndarray
    faces: np.ndarray
    area: float
    region: int | bool


def _label_volume(labels: Any, where: str) -> np.ndarray:
    """``labels`` as a 3D array of integer labels or booleans, or a clear error."""
    label_image = np.asarray(labels)
    if label_image.ndim != 3:
        raise ValueError(
            f"{where} needs labels as a 3D image (plane, row, column), got shape "
            f"{label_image.shape}."
        )
    if not (label_image.dtype == bool or np.issubdtype(label_image.dtype, np.integer)):
        raise TypeError(
            f"{where} needs labels as integers (one value per object) or a boolean mask, "
            f"got dtype {label_image.dtype}. Label a mask with skimage.measure.label(mask)."
        )
    return label_image


def _region_mask(label_image: np.ndarray, region: Any, where: str) -> tuple[int | bool, np.ndarray]:
    """The label to measure (by default the object with most voxels) and its voxels."""
    if region is not None:
        # A mask's one object is True; in a label image 0 is the background, and a bool,
        # a float or a list is no label value.
        if not (label_image.dtype == bool and region is True):
            region = _shared.whole_number(region, "region", where)
        mask = label_image == region
        if mask.any():
            return label_image.dtype.type(region).item(), mask  # True for a binary mask
    objects, voxels = np.unique(label_image[label_image != 0], return_counts=True)
    if objects.size == 0:
        raise ValueError(f"{where} found no object: every voxel is background (0 or False).")
    if region is None:
        largest = objects[np.argmax(voxels)].item()
        return largest, label_image == largest
    listed = ", ".join(str(v) for v in objects[:10]) + (" ..." if objects.size > 10 else "")
    raise ValueError(
        f"{where}: label {region} does not occur in labels; the labels present are {listed}."
    )


def _bounding_box(mask: np.ndarray) -> list[tuple[int, int]]:
    """First and last index of ``mask`` along each axis (``mask`` must not be empty)."""
    box = []
    for axis in range(mask.ndim):
        others = tuple(a for a in range(mask.ndim) if a != axis)
        hits = np.flatnonzero(mask.any(axis=others))
        box.append((int(hits[0]), int(hits[-1])))
    return box


def region_mesh(labels: Any, region: Any, spacing: Any, where: str) -> RegionMesh:
    """Mesh the surface of one labelled object, as :func:`surface_area` describes.

    Parameters
    ----------
    labels : array_like of int or bool, shape (P, M, N)
        Label image (0 is background) or a binary mask.
    region : int or None
        The label of the object; None for the object with the most voxels.
    spacing : sequence of 3 floats
        Distance between planes, rows and columns, in physical units.
    where : str
        The public function that was called, with parentheses, for error messages.

    Returns
    -------
    RegionMesh
        The mesh, its area and the label it belongs to.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((10, 10, 10), dtype=np.uint8)
    >>> labels[2:5, 2:5, 2:5] = 4
    >>> region_mesh(labels, None, (1, 1, 1), "surface_area()").region
    4
    >>> region_mesh(labels.astype(float), None, (1, 1, 1), "surface_area()")
    Traceback (most recent call last):
    ...
    TypeError: surface_area() needs labels as integers (one value per object) or a boolean mask, got dtype float64. Label a mask with skimage.measure.label(mask).
    """
    # Imported on first use: they add about a third of a second to ``import helpers.viz``,
    # which a notebook that only looks at planes need not pay.
    from scipy import ndimage as ndi
    from skimage import measure

    label_image = _label_volume(labels, where)
    voxel = _shared.spacing(spacing, 3, where)
    region, mask = _region_mask(label_image, region, where)

    # Smoothing removes the staircase of the voxels. A voxel that is four times deeper
    # than wide makes terraces four times taller, so the fine axes are smoothed over at
    # least half the coarsest spacing, never less than one voxel.
    coarsest = max(voxel)
    sigma = [max(1.0, 0.5 * coarsest / size) for size in voxel]
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

    # marching_cubes pairs spacing[i] with array axis i, so each spacing stays with its
    # own axis: the volume is never transposed.
    vertices, faces, _, _ = measure.marching_cubes(smooth, level=level, spacing=voxel)
    area = float(measure.mesh_surface_area(vertices, faces))
    # Back to the coordinates of the whole volume: the crop began a margin before the box.
    corner = np.array([first - m for (first, _), m in zip(box, margin, strict=True)])
    return RegionMesh(vertices + corner * np.array(voxel), faces, area, region)


def surface_area(
    labels: Any, region: int | None = None, spacing: Sequence[float] = (1, 1, 1)
) -> float:
    """Measure the surface area of one labelled object in physical units.

    Parameters
    ----------
    labels : array_like of int or bool, shape (P, M, N)
        Label image (0 is background) or a binary mask.
    region : int, optional
        The label of the object. By default the largest object (most voxels).
    spacing : sequence of 3 floats, optional
        Distance between planes, rows and columns, in that order (the order of the
        array's axes), in physical units, e.g. ``(0.29, 0.26, 0.26)`` µm.

    Returns
    -------
    float
        The area in the units of ``spacing`` squared (µm² for a spacing in µm).

    Raises
    ------
    ValueError
        If ``labels`` is not 3D, holds no object or not the label ``region``, if
        ``region`` is not a whole number of 1 or more, or if ``spacing`` is not three
        positive numbers.
    TypeError
        If ``labels`` holds neither integers nor booleans.

    See Also
    --------
    helpers.viz.plot_3d_surface : Draws the mesh that is measured here.

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
    :func:`skimage.measure.mesh_surface_area` of the mesh.

    ``spacing`` is paired with the array's axes exactly as given: the same voxels with
    the spacing in another order describe another object, with another area.

    Examples
    --------
    A ball of radius 10 µm in voxels 2 µm deep and 0.5 µm wide; its true area is
    4π 10² ≈ 1257 µm²:

    >>> import numpy as np
    >>> from helpers.viz import surface_area
    >>> z, y, x = np.ogrid[-6:7, -24:25, -24:25]
    >>> ball = (z * 2.0) ** 2 + (y * 0.5) ** 2 + (x * 0.5) ** 2 <= 10**2
    >>> area = surface_area(ball, spacing=(2, 0.5, 0.5))
    >>> bool(abs(area / (4 * np.pi * 10**2) - 1) < 0.05)
    True

    One object of a label image, chosen by its label:

    >>> labels = np.where(ball, 3, 0)
    >>> surface_area(labels, region=3, spacing=(2, 0.5, 0.5)) == area
    True
    """
    return region_mesh(labels, region, spacing, "surface_area()").area
