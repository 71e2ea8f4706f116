"""The ``zebrafish`` simulator: a confocal stack of the wounded skin of a zebrafish larva."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from helpers.datasets._simulate._physics import detector, slab_profile, smooth_noise, vignetting
from helpers.datasets._simulate._truth import one_object_per_label
from helpers.datasets._spec import DatasetSpec, Step, simulator


def _ellipse_field(
    labels: np.ndarray,
    centres: np.ndarray,
    axes: np.ndarray,
    angles: np.ndarray,
    yy: np.ndarray,
    xx: np.ndarray,
) -> np.ndarray:
    """Normalised elliptical radius of every pixel from the nucleus of its own cell."""
    cy, cx = centres[labels, 0], centres[labels, 1]
    c, s = np.cos(angles)[labels], np.sin(angles)[labels]
    dy, dx = yy - cy, xx - cx
    u = (dx * c + dy * s) / axes[labels, 0]
    v = (-dx * s + dy * c) / axes[labels, 1]
    return np.sqrt(u * u + v * v)


def _tessellation(
    rng: np.random.Generator,
    shape: tuple[int, int],
    spacing_px: float,
    warp_px: float,
    lloyd: int = 2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polygonal cell sheet: relaxed Voronoi cells of a jittered hexagonal lattice.

    Returns the cell index of each pixel (0-based, into the returned centres), the distance
    of each pixel to its cell's border (px) and the centres. The query grid is warped by a
    smooth displacement so that cell borders are gently curved, as in tissue, not ruler
    straight.
    """
    ny, nx = shape
    pad = 2 * spacing_px
    rows = np.arange(-pad, ny + pad, spacing_px * np.sqrt(3) / 2)
    lattice = []
    for i, y in enumerate(rows):
        xs = np.arange(-pad, nx + pad, spacing_px) + (spacing_px / 2) * (i % 2)
        lattice.append(np.column_stack([np.full(xs.size, y), xs]))
    pts = np.concatenate(lattice)
    pts += rng.normal(0, 0.32 * spacing_px, pts.shape)  # irregular epithelium, not a honeycomb
    yy, xx = np.mgrid[:ny, :nx].astype(np.float32)
    wy = smooth_noise(rng, shape, 14) * warp_px
    wx = smooth_noise(rng, shape, 14) * warp_px
    query = np.column_stack([(yy + wy).ravel(), (xx + wx).ravel()])
    for _ in range(lloyd):  # Lloyd relaxation: cells become more even, like a real sheet
        idx = cKDTree(pts).query(query, k=1)[1]
        counts = np.bincount(idx, minlength=len(pts))
        inside = counts > 0
        sy = np.bincount(idx, query[:, 0], minlength=len(pts))
        sx = np.bincount(idx, query[:, 1], minlength=len(pts))
        pts[inside] = np.column_stack([sy[inside], sx[inside]]) / counts[inside, None]
    dist, idx = cKDTree(pts).query(query, k=2)
    p1, p2 = pts[idx[:, 0]], pts[idx[:, 1]]
    # distance to the bisector between the two nearest centres = distance to the cell border
    border = (dist[:, 1] ** 2 - dist[:, 0] ** 2) / (2 * np.linalg.norm(p1 - p2, axis=1))
    return idx[:, 0].reshape(shape), border.reshape(shape).astype(np.float32), pts


@simulator("cell sheet", "wound", "cell appearance", "optics", "debris", "noise")
def zebrafish(spec: DatasetSpec, rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
    """Confocal stack of the fluorescent epidermis of a zebrafish larva with a wound.

    Returns ``{"stack": (Z, Y, X) uint8, "labels": (Y, X) uint16 cells of the outer layer}``
    of ``spec.shape`` and ``spec.spacing``.
    """
    nz, ny, nx = spec.shape
    dz, dxy = spec.spacing[0], spec.spacing[1]
    um = 1 / dxy  # pixels per µm
    yy, xx = np.mgrid[:ny, :nx].astype(np.float32)

    # Outer epidermal layer (periderm): large flat polygonal cells, ~26 µm across.
    step("cell sheet")
    cell, border, centres = _tessellation(rng, (ny, nx), 26 * um, 1.6 * um)

    # Wound: a ragged tear at the top-right corner. Cells mostly inside it are lost whole,
    # those at its edge are torn through.
    step("wound")
    ry = yy / (118 * um)
    rx = (nx - 1 - xx) / (165 * um)
    ragged = 0.16 * smooth_noise(rng, (ny, nx), 18) + 0.05 * smooth_noise(rng, (ny, nx), 4)
    tear = np.sqrt(ry**2 + rx**2) + ragged  # < 1 inside the tear
    pieces = ndimage.label(tear < 1.0)[0]
    core = np.sqrt(ry**2 + rx**2) < 0.5  # ragged noise never reaches this far
    torn = np.isin(pieces, np.unique(pieces[core & (pieces > 0)]))  # no stray holes
    lost = np.bincount(cell.ravel(), torn.ravel(), minlength=len(centres))
    area = np.bincount(cell.ravel(), minlength=len(centres))
    gone = lost > 0.45 * np.maximum(area, 1)
    wound = torn | gone[cell]
    labels = np.where(wound, 0, cell + 1)
    labels = one_object_per_label(labels, min_size=int(40 * um * um))[0]
    sheet = labels > 0
    wound = ~sheet

    # Per-cell appearance: expression level, a dark nucleus off-centre, granular cytoplasm.
    step("cell appearance")
    n = int(labels.max())
    expr = np.concatenate([[0], rng.lognormal(0, 0.22, n)]).astype(np.float32)
    area = np.bincount(labels.ravel(), minlength=n + 1).astype(np.float32)
    cy = ndimage.mean(yy, labels, np.arange(n + 1))
    cx = ndimage.mean(xx, labels, np.arange(n + 1))
    centre = np.column_stack([cy, cx]).astype(np.float32) + rng.normal(0, 1.2 * um, (n + 1, 2))
    radius = np.sqrt(area / np.pi)
    a = np.minimum(radius * rng.uniform(0.38, 0.46, n + 1), 6.5 * um)  # nuclei ~ 9-13 µm
    axes = np.column_stack([a, a * rng.uniform(0.7, 0.92, n + 1)]).astype(np.float32)
    nucleus = _ellipse_field(labels, centre, axes, rng.uniform(0, np.pi, n + 1), yy, xx)
    nucleus = np.clip((1 - nucleus) * axes[labels, 1] / 1.2 + 0.5, 0, 1) * sheet
    # wounded edge: cells nearest the tear respond (brighter), torn edges show as a rim
    edge_dist = ndimage.distance_transform_edt(sheet).astype(np.float32) / um
    response = 1 + 0.45 * np.exp(-edge_dist / 18)
    texture = 1 + 0.22 * smooth_noise(rng, (ny, nx), 1.2) + 0.12 * smooth_noise(rng, (ny, nx), 5)
    membrane = np.exp(-0.5 * (border / (0.55 * um)) ** 2)
    rim = np.exp(-0.5 * ((edge_dist - 0.8) / 0.8) ** 2)
    level = expr[labels] * response * sheet
    cytoplasm = 0.42 * texture * (1 - 0.72 * nucleus)
    pattern = level * (cytoplasm + 0.95 * membrane + 0.6 * rim)

    # Inner (basal) layer: smaller, dimmer cells under the periderm.
    basal_cell, basal_border, _ = _tessellation(rng, (ny, nx), 15 * um, 1.0 * um)
    basal_expr = rng.lognormal(np.log(0.3), 0.25, basal_cell.max() + 1).astype(np.float32)
    basal = basal_expr[basal_cell] * (
        0.55 + 0.2 * texture + np.exp(-0.5 * (basal_border / (0.6 * um)) ** 2)
    )
    # torn with the periderm: only a narrow rim of it shows at the edge of the gap
    into_gap = ndimage.distance_transform_edt(wound).astype(np.float32) / um
    basal *= np.clip(1 - (into_gap - 2.0) / 3.0, 0, 1)

    # Lateral PSF (sigma 0.45 µm) acts on the 2D patterns; the sheets are thin and flat
    # at the PSF scale, so the 3D blur separates into lateral blur times an axial profile.
    step("optics")
    sig_xy, sig_z = 0.45, 1.4  # µm, axial ~3x lateral
    pattern = ndimage.gaussian_filter(pattern, sig_xy * um)
    basal = ndimage.gaussian_filter(basal, sig_xy * um)

    # The skin follows the larva's curved flank: depth of the outer surface below the first
    # plane, in µm, from ~5 µm (top rows) to ~70 µm (bottom rows) across the field.
    ycurve = yy * dxy - 40.0
    top = (
        5
        + 900
        - np.sqrt(900**2 - ycurve**2)
        + 0.025 * (xx * dxy)
        + 2.0 * smooth_noise(rng, (ny, nx), 60)
    )
    thick = 2.2 + 2.3 * nucleus  # flat cells, thicker over the nucleus
    z = (np.arange(nz, dtype=np.float32) * dz)[:, None, None]
    volume = pattern[None] * slab_profile(z, top[None], thick[None], sig_z)
    volume += basal[None] * slab_profile(z, (top + 3.5)[None], np.float32(4.0), sig_z)

    # Out-of-focus haze: a broad, weak component of the PSF, plus autofluorescence of the
    # deeper tissue (muscle) that is visible through the tear.
    haze = ndimage.gaussian_filter(pattern + basal, 7 * um)
    volume += 0.22 * haze[None] * slab_profile(z, top[None] - 4, np.float32(12.0), 9.0)
    deep = 0.09 * (1 + 0.35 * smooth_noise(rng, (ny, nx), 25 * um))
    # muscle fibres run head to tail (along x), ~8 µm apart, slightly oblique
    fibres = np.sin(
        2 * np.pi * (yy * 0.97 + xx * 0.24) * dxy / 8.0 + 2.0 * smooth_noise(rng, (ny, nx), 30)
    )
    striation = 1 + 0.08 * fibres * np.clip(smooth_noise(rng, (ny, nx), 25), 0, None)
    volume += (deep * striation)[None] * slab_profile(z, top[None] + 16, np.float32(40.0), 6.0)

    # Debris in the tear: bright cell fragments at and below the skin surface.
    step("debris")
    wy, wx = np.nonzero(wound)
    n_debris = int(rng.integers(35, 55))
    pick = rng.integers(0, wy.size, n_debris)
    for y0, x0 in zip(wy[pick], wx[pick], strict=True):
        # a fragment is an irregular clump of a few blobs, not a bead
        z0 = top[y0, x0] + rng.uniform(-2, 10)
        for _ in range(int(rng.integers(1, 6))):
            r = rng.uniform(0.5, 1.8)  # µm
            yc, xc = y0 + rng.normal(0, 1.5 * um), x0 + rng.normal(0, 1.5 * um)
            zc = z0 + rng.normal(0, 1.0)
            b = rng.lognormal(np.log(0.6), 0.6)
            sxy, szz = np.hypot(r, sig_xy) * um, np.hypot(r, sig_z) / dz  # in pixels / planes
            h = int(3 * sxy) + 1
            iy, ix = int(yc), int(xc)
            ys = slice(min(max(iy - h, 0), ny), min(max(iy + h + 1, 0), ny))
            xs = slice(min(max(ix - h, 0), nx), min(max(ix + h + 1, 0), nx))
            g2 = np.exp(-0.5 * ((yy[ys, xs] - yc) ** 2 + (xx[ys, xs] - xc) ** 2) / sxy**2)
            gz = np.exp(-0.5 * ((np.arange(nz) - zc / dz) / szz) ** 2).astype(np.float32)
            volume[:, ys, xs] += b * gz[:, None, None] * g2

    # Illumination, depth attenuation, background, then the detector.
    step("noise")
    volume *= vignetting((ny, nx), 0.62, rng)[None]
    volume *= np.exp(-z / 160.0)  # scattering dims the deeper planes
    volume += 0.02
    photons = volume * 42.0
    stack = detector(
        rng, photons, gain=5.0, offset=2.0, read_noise=1.5, max_value=255, dtype=np.uint8
    )
    return {"stack": stack, "labels": labels.astype(np.uint16)}
