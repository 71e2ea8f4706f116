"""Physical simulators behind :mod:`helpers.datasets` (private: the API lives there).

Every simulator follows the same image-formation chain that a microscope or a CT scanner
imposes on a specimen, so that the images behave like real data under the course's
filters, thresholds and projections:

object (fluorophore density or X-ray attenuation) -> uneven illumination -> optics blur
(anisotropic PSF) -> background -> photon shot noise -> read noise -> gain and offset ->
quantisation and clipping to the bit depth.

Each simulator takes a :class:`numpy.random.Generator` (one per dataset, so a seed gives
identical bytes) and a ``step(stage)`` callback that advances the progress bar, and returns
a dict of arrays; :mod:`helpers.datasets` writes them to disk.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage, special
from scipy.spatial import cKDTree
from skimage import measure, segmentation

Step = Callable[[str], None]

# Physical constants of each dataset. helpers.datasets describes the data from these, so
# describe() never has to generate anything.
ZEBRAFISH_SHAPE = (40, 512, 512)
ZEBRAFISH_SPACING = (2.0, 350.0 / 512, 350.0 / 512)  # µm: 350 µm field of view, 2 µm steps
CELLS_SHAPE = (60, 256, 256)
CELLS_SPACING = (0.29, 0.26, 0.26)
BEADPACK_SHAPE = (128, 200, 200)
BEADPACK_SPACING = (5.0, 5.0, 5.0)  # a lab micro-CT scan of ~120 µm glass beads
TIMELAPSE_SHAPE = (20, 2, 76, 87)  # T, Z, Y, X
TIMELAPSE_SPACING = (8.0, 1.0, 1.0)  # Z, Y, X in µm
TIMELAPSE_INTERVAL = 0.5  # seconds between volumes


# --------------------------------------------------------------------------- shared tools


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma) -> np.ndarray:
    """White noise low-pass filtered with ``sigma`` (pixels), rescaled to unit std."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), sigma, mode="wrap")
    return field / max(float(field.std()), 1e-12)


def vignetting(shape: tuple[int, int], corner: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth illumination field: 1 near an off-centre optical axis, ``corner`` at corners.

    Real fields are never centred on the camera, so the axis is shifted a little.
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
    dtype: type,
) -> np.ndarray:
    """Turn an expected photon count into recorded digital numbers.

    Poisson shot noise, Gaussian read noise (in ADU), gain, offset, rounding and clipping at
    the converter's full scale, as a camera or a PMT and digitiser do.
    """
    counts = rng.poisson(np.maximum(photons, 0)).astype(np.float32)
    values = offset + gain * counts + rng.normal(0.0, read_noise, counts.shape).astype(np.float32)
    return np.clip(np.rint(values), 0, max_value).astype(dtype)


def slab_profile(z: np.ndarray, top: np.ndarray, thickness: np.ndarray, sigma: float) -> np.ndarray:
    """Axial profile of a thin sheet between ``top`` and ``top + thickness``, blurred by a
    Gaussian of ``sigma`` (all in µm): the exact convolution of a box with the axial PSF."""
    s = np.float32(np.sqrt(2.0) * sigma)
    return 0.5 * (special.erf((z - top) / s) - special.erf((z - top - thickness) / s))


def one_object_per_label(labels: np.ndarray, min_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Keep only the largest connected piece of each label; drop labels under ``min_size``.

    Clipping objects (by a wound, a border, a neighbour) can split one into pieces; ground
    truth must have one connected object per label, numbered 1..N. Returns the new labels
    and, for each new label k, the old label it came from (at index k - 1).
    """
    pieces = measure.label(labels, background=0, connectivity=1)
    sizes = np.bincount(pieces.ravel())
    owner = np.zeros(sizes.size, dtype=np.int64)
    owner[pieces.ravel()] = labels.ravel()
    best = np.zeros(int(labels.max()) + 1, dtype=np.int64)  # size of each label's largest piece
    np.maximum.at(best, owner[1:], sizes[1:])
    largest = np.flatnonzero((sizes == best[owner]) & (sizes >= min_size) & (owner > 0))
    _, first = np.unique(owner[largest], return_index=True)  # one piece if two tie
    keep = np.zeros(sizes.size, dtype=bool)
    keep[largest[first]] = True
    out = np.where(keep[pieces], labels, 0)
    return segmentation.relabel_sequential(out)[0], np.unique(out)[1:]


def _ellipse_field(labels, centres, axes, angles, yy, xx):
    """Normalised elliptical radius of every pixel from the nucleus of its own cell."""
    cy, cx = centres[labels, 0], centres[labels, 1]
    c, s = np.cos(angles)[labels], np.sin(angles)[labels]
    dy, dx = yy - cy, xx - cx
    u = (dx * c + dy * s) / axes[labels, 0]
    v = (-dx * s + dy * c) / axes[labels, 1]
    return np.sqrt(u * u + v * v)


# --------------------------------------------------------------------------- zebrafish


def _tessellation(rng, shape, spacing_px, warp_px, lloyd=2):
    """Polygonal cell sheet: relaxed Voronoi cells of a jittered hexagonal lattice.

    Returns the cell index of each pixel (0-based, into the returned centres), the distance
    of each pixel to its cell's border (px) and the centres. The query grid is warped by a
    smooth displacement so that cell borders are gently curved, as in tissue, not ruler
    straight.
    """
    ny, nx = shape
    pad = 2 * spacing_px
    rows = np.arange(-pad, ny + pad, spacing_px * np.sqrt(3) / 2)
    pts = []
    for i, y in enumerate(rows):
        xs = np.arange(-pad, nx + pad, spacing_px) + (spacing_px / 2) * (i % 2)
        pts.append(np.column_stack([np.full(xs.size, y), xs]))
    pts = np.concatenate(pts)
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


def zebrafish(rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
    """Confocal stack of the fluorescent epidermis of a zebrafish larva with a wound.

    Returns ``{"stack": (Z, Y, X) uint8, "labels": (Y, X) uint16 cells of the outer layer}``.
    """
    nz, ny, nx = ZEBRAFISH_SHAPE
    dz, dxy = ZEBRAFISH_SPACING[0], ZEBRAFISH_SPACING[1]
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
    basal = basal_expr[basal_cell] * (0.55 + 0.2 * texture + np.exp(-0.5 * (basal_border / (0.6 * um)) ** 2))
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
    top = 5 + 900 - np.sqrt(900**2 - ycurve**2) + 0.025 * (xx * dxy) + 2.0 * smooth_noise(rng, (ny, nx), 60)
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
    fibres = np.sin(2 * np.pi * (yy * 0.97 + xx * 0.24) * dxy / 8.0 + 2.0 * smooth_noise(rng, (ny, nx), 30))
    striation = 1 + 0.08 * fibres * np.clip(smooth_noise(rng, (ny, nx), 25), 0, None)
    volume += (deep * striation)[None] * slab_profile(z, top[None] + 16, np.float32(40.0), 6.0)

    # Debris in the tear: bright cell fragments at and below the skin surface.
    step("debris")
    wy, wx = np.nonzero(wound)
    n_debris = int(rng.integers(35, 55))
    pick = rng.integers(0, wy.size, n_debris)
    for y0, x0 in zip(wy[pick], wx[pick]):
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
    stack = detector(rng, photons, gain=5.0, offset=2.0, read_noise=1.5, max_value=255, dtype=np.uint8)
    return {"stack": stack, "labels": labels.astype(np.uint16)}


# --------------------------------------------------------------------------- cells


def _ellipse_radius(a, b, theta, phi):
    """Radius of an ellipse (semi-axes a, b, rotated by theta) in the direction phi."""
    c, s = np.cos(phi - theta), np.sin(phi - theta)
    return a * b / np.sqrt((b * c) ** 2 + (a * s) ** 2)


def _place_nuclei(rng, field_um, n_target):
    """Centres (z, y, x µm) and shapes of nuclei that grow in touching clusters.

    A new nucleus is mostly put against an existing one, pressed slightly into it (the
    contact becomes a flat interface, as between neighbouring nuclei in a dense culture),
    and rejected if it would squash any nucleus too much.
    """
    fz, fy, fx = field_um
    nuclei: list[tuple] = []  # (z, y, x, a, b, c, theta, brightness)
    tries = 0
    while len(nuclei) < n_target and tries < 20000:
        tries += 1
        a = rng.uniform(4.2, 6.2)
        b = a * rng.uniform(0.68, 0.95)
        c = rng.uniform(2.8, 3.7)
        theta = rng.uniform(0, np.pi)
        if nuclei and rng.random() < 0.75:
            j = nuclei[rng.integers(len(nuclei))]
            phi = rng.uniform(0, 2 * np.pi)
            d = (_ellipse_radius(j[3], j[4], j[6], phi) + _ellipse_radius(a, b, theta, phi)) * rng.uniform(0.86, 0.96)
            y, x = j[1] + d * np.sin(phi), j[2] + d * np.cos(phi)
            z = j[0] + rng.normal(0, 0.7)
        else:
            y, x = rng.uniform(-2, fy + 2), rng.uniform(-2, fx + 2)
            z = fz / 2 + rng.normal(0, 0.9)
        if not (-3 < y < fy + 3 and -3 < x < fx + 3):
            continue
        ok = True
        for k in nuclei:
            dy, dx = y - k[1], x - k[2]
            dist = np.hypot(dy, dx)
            phi = np.arctan2(dy, dx)
            reach = _ellipse_radius(k[3], k[4], k[6], phi) + _ellipse_radius(a, b, theta, phi)
            if dist < 0.84 * reach and abs(z - k[0]) < k[5] + c:
                ok = False
                break
        if ok:
            nuclei.append((z, y, x, a, b, c, theta, rng.lognormal(0, 0.28)))
    return np.array(nuclei, dtype=np.float64)


def cells(rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
    """Confocal stack of fluorescently stained nuclei (DNA dye) of cultured cells.

    Returns ``{"cells": (Z, Y, X) uint16 (12-bit), "labels": (Z, Y, X) uint16}``.
    """
    shape = CELLS_SHAPE
    sp = np.array(CELLS_SPACING)
    field = np.array(shape) * sp

    step("nuclei")
    nuclei = _place_nuclei(rng, field, int(rng.integers(40, 50)))
    # Nuclear envelopes are not perfect ellipsoids: a smooth 3D field bends the surface.
    bumps = smooth_noise(rng, shape, 2.0 / sp) * 0.05
    best = np.full(shape, 1.15, dtype=np.float32)  # normalised radius of the nearest nucleus
    labels = np.zeros(shape, dtype=np.int32)
    zz, yy, xx = (np.arange(n, dtype=np.float32) * s for n, s in zip(shape, sp))
    for i, (z, y, x, a, b, c, theta, _) in enumerate(nuclei, start=1):
        lo = np.maximum(np.floor((np.array([z, y, x]) - 1.2 * np.array([c, a, a])) / sp).astype(int), 0)
        hi = np.minimum(np.ceil((np.array([z, y, x]) + 1.2 * np.array([c, a, a])) / sp).astype(int) + 1, shape)
        if np.any(hi <= lo):
            continue
        box = tuple(slice(l, h) for l, h in zip(lo, hi))
        dz = (zz[box[0]] - z)[:, None, None]
        dy = (yy[box[1]] - y)[None, :, None]
        dx = (xx[box[2]] - x)[None, None, :]
        u = (dx * np.cos(theta) + dy * np.sin(theta)) / a
        v = (-dx * np.sin(theta) + dy * np.cos(theta)) / b
        f = np.sqrt(u * u + v * v + (dz / c) ** 2) * (1 + bumps[box])
        win = f < best[box]
        best[box] = np.where(win, f, best[box])
        labels[box] = np.where(win, i, labels[box])
    labels[best >= 1.0] = 0
    # nuclei cut by the field's edge count only when a good part of them is visible
    labels, original = one_object_per_label(labels, min_size=2500)

    step("chromatin")
    n = int(labels.max())
    # Object: DNA density. A soft edge (partial volume), a brighter rim of peripheral
    # heterochromatin, granular chromatin texture, bright chromocentres, dark nucleoli.
    edge = np.clip((1.0 - best) * 14 + 0.5, 0, 1) * (labels > 0)
    rim = 1 + 0.22 * np.exp(-(((1.0 - best) / 0.08) ** 2))
    fine = smooth_noise(rng, shape, (0.25 / sp[0], 0.35 / sp[1], 0.35 / sp[2]))
    coarse = smooth_noise(rng, shape, (0.9 / sp[0], 1.0 / sp[1], 1.0 / sp[2]))
    texture = np.clip(1 + 0.16 * fine + 0.14 * coarse, 0.3, None)
    bright = np.concatenate([[0], nuclei[original - 1, 7]]).astype(np.float32)
    density = edge * rim * texture * bright[labels]
    centres = ndimage.center_of_mass(labels > 0, labels, np.arange(1, n + 1))
    spots = np.zeros(shape, dtype=np.float32)
    for i, (cz, cy, cx) in enumerate(centres, start=1):
        a_um = nuclei[original[i - 1] - 1, 3]
        for kind, count in (("nucleolus", rng.integers(1, 4)), ("chromocentre", rng.integers(2, 9))):
            for _ in range(int(count)):
                r = rng.uniform(0.9, 1.5) if kind == "nucleolus" else rng.uniform(0.35, 0.6)
                off = rng.normal(0, 0.3 * a_um, 3) * np.array([0.4, 1, 1])
                p = np.array([cz, cy, cx]) + off / sp
                p = np.clip(np.round(p).astype(int), 0, np.array(shape) - 1)
                if labels[tuple(p)] != i:
                    continue
                amp = -0.6 if kind == "nucleolus" else 0.9
                h = np.ceil(2.5 * r / sp).astype(int)
                box = tuple(slice(max(q - w, 0), min(q + w + 1, s)) for q, w, s in zip(p, h, shape))
                g = np.exp(-0.5 * (
                    ((zz[box[0]][:, None, None] - p[0] * sp[0]) / r) ** 2
                    + ((yy[box[1]][None, :, None] - p[1] * sp[1]) / r) ** 2
                    + ((xx[box[2]][None, None, :] - p[2] * sp[2]) / r) ** 2
                ) ** 2)  # flat-topped
                spots[box] += amp * g * (labels[box] == i)
    density *= np.clip(1 + spots, 0.25, None)

    # Optics: illumination, anisotropic PSF (axial sigma ~3x lateral), a weak broad
    # out-of-focus component, background, then a 12-bit camera.
    step("optics")
    density *= vignetting(shape[1:], 0.75, rng)[None]
    sharp = ndimage.gaussian_filter(density, (0.85 / sp[0], 0.28 / sp[1], 0.28 / sp[2]))
    broad = ndimage.gaussian_filter(density[::2, ::4, ::4], (4.0 / sp[0] / 2, 2.5 / sp[1] / 4, 2.5 / sp[2] / 4))
    broad = ndimage.zoom(broad, np.array(shape) / np.array(broad.shape), order=1, grid_mode=True, mode="nearest")
    image = sharp + 0.10 * broad + 0.035

    step("camera")
    photons = image * 320.0
    stack = detector(rng, photons, gain=2.4, offset=100.0, read_noise=3.5, max_value=4095, dtype=np.uint16)
    return {"cells": stack, "labels": labels.astype(np.uint16)}


# --------------------------------------------------------------------------- beadpack


def _pack_spheres(rng, box, r_mean, r_sd, fraction, iters=400):
    """Dense random packing of polydisperse spheres in a periodic box (voxel units).

    Random centres, then repeated removal of overlaps (each overlapping pair is pushed
    apart along its axis) while the radii grow to their final size: a cheap relative of
    the Lubachevsky-Stillinger compression that reaches random packings of ~0.6 in well
    under a second. Stops when no overlap exceeds 2 % of a contact distance, so the
    spheres press on each other the way settled beads do.
    """
    box = np.asarray(box, dtype=float)
    n = int(fraction * box.prod() / (4 / 3 * np.pi * (r_mean**3 + 3 * r_mean * r_sd**2)))
    r = np.clip(rng.normal(r_mean, r_sd, n), r_mean - 2.5 * r_sd, r_mean + 2.5 * r_sd)
    p = rng.random((n, 3)) * box
    for it in range(iters):
        grown = r * min(1.0, 0.75 + 0.5 * it / iters)
        pairs = cKDTree(p, boxsize=box).query_pairs(2 * grown.max(), output_type="ndarray")
        i, j = pairs[:, 0], pairs[:, 1]
        d = p[j] - p[i]
        d -= box * np.round(d / box)  # minimum image across the periodic box
        dist = np.linalg.norm(d, axis=1)
        overlap = grown[i] + grown[j] - dist
        hit = overlap > 0
        if it >= iters // 2 and not np.any(overlap[hit] > 0.02 * (grown[i] + grown[j])[hit]):
            break
        push = (0.525 * overlap[hit] / np.maximum(dist[hit], 1e-9))[:, None] * d[hit]
        move = np.zeros_like(p)
        np.add.at(move, i[hit], -push)
        np.add.at(move, j[hit], push)
        p = (p + move) % box
    return p, r


def beadpack(rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
    """Lab micro-CT of a random pack of glass beads in air.

    Returns ``{"beadpack": (Z, Y, X) uint8, "labels": (Z, Y, X) uint16}``.
    """
    shape = np.array(BEADPACK_SHAPE)
    step("packing")
    r_mean = 60.0 / BEADPACK_SPACING[0]  # ~120 µm glass beads, sieved (narrow size range)
    margin = int(np.ceil(r_mean * 1.3)) + 2
    centres, radii = _pack_spheres(rng, shape + 2 * margin, r_mean, 0.07 * r_mean, 0.60)
    centres -= margin  # the scan is a crop from inside the pack, so the pack has no walls

    # Ground truth: each voxel belongs to the bead whose surface is nearest from inside
    # (flat interfaces at the contacts). Caps that barely enter the field are left out.
    step("beads")
    outside = np.maximum(np.maximum(-0.5 - centres, centres - (shape - 0.5)), 0)
    depth = radii - np.linalg.norm(outside, axis=1)
    inside = depth > 3.0
    centres, radii = centres[inside], radii[inside]
    sd = np.full(tuple(shape), 2.0, dtype=np.float32)  # signed distance to the nearest surface
    labels = np.zeros(tuple(shape), dtype=np.int32)
    bubbles = np.zeros(tuple(shape), dtype=np.float32)
    grids = [np.arange(n, dtype=np.float32) for n in shape]
    for k, (c, r) in enumerate(zip(centres, radii), start=1):
        lo = np.maximum(np.floor(c - r - 2).astype(int), 0)
        hi = np.minimum(np.ceil(c + r + 3).astype(int), shape)
        box = tuple(slice(a, b) for a, b in zip(lo, hi))
        gz, gy, gx = (g[s] - ci for g, s, ci in zip(grids, box, c))
        dist = np.sqrt(gz[:, None, None] ** 2 + gy[None, :, None] ** 2 + gx[None, None, :] ** 2) - r
        win = dist < sd[box]
        sd[box] = np.where(win, dist, sd[box])
        labels[box] = np.where(win & (dist < 0), k, labels[box])
        if rng.random() < 0.12:  # an air bubble trapped in the glass
            rb = rng.uniform(1.2, 2.8)
            off = rng.normal(0, 0.3 * r, 3)
            db = np.sqrt((gz[:, None, None] - off[0]) ** 2 + (gy[None, :, None] - off[1]) ** 2 + (gx[None, None, :] - off[2]) ** 2)
            bubbles[box] = np.maximum(bubbles[box], np.clip(rb + 0.5 - db, 0, 1))
    labels, _ = one_object_per_label(labels, min_size=50)

    # Object: X-ray attenuation. Glass with a little batch-to-batch variation, air in the
    # pores; partial-volume edges from the exact distance to the surface.
    step("attenuation")
    glass = np.concatenate([[0], rng.normal(1.0, 0.025, int(labels.max()))]).astype(np.float32)
    occupancy = np.clip(0.5 - sd, 0, 1)
    mu = 0.06 + occupancy * (glass[labels] + (labels == 0) * 0.94) * (1 - 0.8 * bubbles)
    # Beam hardening: rays through the middle of the sample are harder, so its centre
    # reconstructs darker (cupping), radially about the rotation axis (Z).
    ny, nx = shape[1:]
    axis = np.array([ny / 2, nx / 2]) + rng.normal(0, 3, 2)
    yy, xx = np.ogrid[:ny, :nx]
    rho = np.hypot(yy - axis[0], xx - axis[1]).astype(np.float32)
    rho_n = np.clip(rho / (0.75 * np.hypot(ny, nx)), 0, 1)
    mu *= (1 - 0.09 * (1 - rho_n**2))[None]

    # Optics: focal spot and detector blur, plus the edge enhancement that propagation
    # phase contrast adds at glass/air interfaces in micro-CT.
    step("reconstruction")
    mu = ndimage.gaussian_filter(mu, 0.8)
    mu += 0.35 * (mu - ndimage.gaussian_filter(mu, 1.6))
    # Ring artefacts: miscalibrated detector pixels draw circles about the rotation axis
    # over the rows (Z planes) they image.
    rings = np.zeros((shape[0], ny, nx), dtype=np.float32)
    z = np.arange(shape[0], dtype=np.float32)[:, None, None]
    for _ in range(int(rng.integers(5, 9))):
        radius = rng.uniform(3, 0.7 * np.hypot(ny, nx))
        z0, z1 = np.sort(rng.uniform(-40, shape[0] + 40, 2))
        span = np.clip(np.minimum(z - z0, z1 - z) / 4, 0, 1)
        profile = np.exp(-0.5 * ((rho - radius) / 0.7) ** 2)
        rings += rng.choice([-1, 1]) * rng.uniform(0.025, 0.06) * span * profile[None]
    mu += rings
    # Reconstruction noise: filtered back-projection turns photon noise into fine-grained,
    # slightly correlated noise, stronger at the centre where fewer photons get through.
    noise = smooth_noise(rng, tuple(shape), 0.6)
    mu += noise * (0.075 * (1 + 0.35 * (1 - rho_n**2)))[None]

    step("quantise")
    # The reconstruction software exports 8-bit: grey = 42 + 165 * attenuation, a window
    # chosen so that neither the pores nor the beads clip.
    volume = np.clip(np.rint(42 + 165 * mu), 0, 255).astype(np.uint8)
    return {"beadpack": volume, "labels": labels.astype(np.uint16)}


# --------------------------------------------------------------------------- timelapse


def timelapse(rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
    """Two-photon calcium imaging (GCaMP) of a larval zebrafish brain region: 2 planes.

    Returns ``{"timelapse": (T, Z, Y, X) uint16, "labels": (Z, Y, X) uint16 all neurons,
    "active": (Z, Y, X) uint8 1 where a neuron fires during the recording}``.
    """
    nt, nz, ny, nx = TIMELAPSE_SHAPE
    dxy = TIMELAPSE_SPACING[1]
    step("neurons")
    yy, xx = np.mgrid[:ny, :nx].astype(np.float32)
    labels = np.zeros((nz, ny, nx), dtype=np.int32)
    body = np.zeros((nz, ny, nx), dtype=np.float32)  # GCaMP density of the cell bodies
    tissue = np.zeros((nz, ny, nx), dtype=np.float32)
    next_label = 1
    for z in range(nz):
        # The brain fills most of the field; a band of densely packed cell bodies (the
        # periventricular layer) runs along it, beside dimmer neuropil.
        edge = 0.06 * smooth_noise(rng, (ny, nx), 6)
        brain = np.hypot((yy - ny * 0.55) / (ny * 0.62), (xx - nx * 0.45) / (nx * 0.68)) + edge
        tissue[z] = np.clip((1.0 - brain) / 0.08, 0, 1)
        band = np.abs((yy - ny * (0.35 + 0.1 * z)) - 0.25 * (xx - nx / 2)) + 4 * smooth_noise(rng, (ny, nx), 8)
        layer = (band < 17) & (tissue[z] > 0.9)
        best = np.full((ny, nx), np.inf, dtype=np.float32)
        placed: list[tuple[float, float, float]] = []
        for _ in range(3000):  # Poisson-disc placement: neurons packed but not overlapping
            y, x = rng.uniform(0, ny), rng.uniform(0, nx)
            if not layer[int(y), int(x)]:
                continue
            r = rng.uniform(2.4, 3.3) / dxy
            if any(np.hypot(y - q[0], x - q[1]) < 0.92 * (r + q[2]) for q in placed):
                continue
            placed.append((y, x, r))
            d = np.hypot(yy - y, xx - x) / r
            win = (d < 1.15) & (d < best)
            best[win] = d[win]
            labels[z][win & (d < 1.0)] = next_label
            # cytosolic indicator: nucleus dimmer than the ring of cytoplasm around it
            shell = np.clip((1 - d) * r + 0.5, 0, 1) * (1 - 0.45 * np.exp(-((d / 0.55) ** 4)))
            body[z][win] = (shell * rng.lognormal(0, 0.3))[win]
            next_label += 1
    n = next_label - 1

    # Activity: about a third of the neurons fire 1-3 calcium transients (fast rise,
    # exponential decay of ~1.2 s); the others stay at baseline.
    step("activity")
    t = np.arange(nt, dtype=np.float32) * TIMELAPSE_INTERVAL
    dff = np.zeros((n + 1, nt), dtype=np.float32)
    active_ids = np.flatnonzero(rng.random(n) < 0.33) + 1
    for i in active_ids:
        for onset in rng.uniform(0.5, t[-1] - 1.0, int(rng.integers(1, 4))):
            amp = rng.uniform(1.0, 3.0)
            lag = t - onset
            dff[i] += np.where(lag > 0, amp * (1 - np.exp(-lag / 0.15)) * np.exp(-lag / 1.2), 0)
    active = np.isin(labels, active_ids)

    # Image formation per volume: neuropil and cell bodies, lateral blur of the two-photon
    # spot (the 8 µm plane spacing is far beyond its axial reach), background, PMT noise.
    step("imaging")
    neuropil = tissue * 0.25 * (1 + 0.3 * smooth_noise(rng, (nz, ny, nx), (0, 1.0, 1.0)))
    illum = vignetting((ny, nx), 0.8, rng)[None, None]
    movie = neuropil[None] + body[None] * (1 + dff[labels].transpose(3, 0, 1, 2))
    movie = ndimage.gaussian_filter(movie, (0, 0, 0.7, 0.7)) * illum + 0.03
    frames = detector(rng, movie * 30.0, gain=20.0, offset=180.0, read_noise=12.0, max_value=4095, dtype=np.uint16)
    return {"timelapse": frames, "labels": labels.astype(np.uint16), "active": active.astype(np.uint8)}
