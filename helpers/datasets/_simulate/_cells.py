"""The ``cells`` simulator: a confocal stack of touching, DNA-stained nuclei."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from helpers.datasets._simulate._physics import detector, smooth_noise, vignetting
from helpers.datasets._simulate._truth import one_object_per_label
from helpers.datasets._spec import DatasetSpec, Step, simulator


def _ellipse_radius(a: float, b: float, theta: float, phi: float) -> float:
    """Radius of an ellipse (semi-axes a, b, rotated by theta) in the direction phi."""
    c, s = np.cos(phi - theta), np.sin(phi - theta)
    return a * b / np.sqrt((b * c) ** 2 + (a * s) ** 2)


def _place_nuclei(rng: np.random.Generator, field_um: np.ndarray, n_target: int) -> np.ndarray:
    """Centres (z, y, x µm) and shapes of nuclei that grow in touching clusters.

    A new nucleus is mostly put against an existing one, pressed slightly into it (the
    contact becomes a flat interface, as between neighbouring nuclei in a dense culture),
    and rejected if it would squash any nucleus too much.
    """
    fz, fy, fx = field_um
    nuclei: list[tuple[float, ...]] = []  # (z, y, x, a, b, c, theta, brightness)
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
            d = (
                _ellipse_radius(j[3], j[4], j[6], phi) + _ellipse_radius(a, b, theta, phi)
            ) * rng.uniform(0.86, 0.96)
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


@simulator("nuclei", "chromatin", "optics", "camera")
def cells(spec: DatasetSpec, rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
    """Confocal stack of fluorescently stained nuclei (DNA dye) of cultured cells.

    Returns ``{"cells": (Z, Y, X) uint16 (12-bit), "labels": (Z, Y, X) uint16}`` of
    ``spec.shape`` and ``spec.spacing``.
    """
    shape = spec.shape
    sp = np.array(spec.spacing)
    field = np.array(shape) * sp

    step("nuclei")
    nuclei = _place_nuclei(rng, field, int(rng.integers(40, 50)))
    # Nuclear envelopes are not perfect ellipsoids: a smooth 3D field bends the surface.
    bumps = smooth_noise(rng, shape, 2.0 / sp) * 0.05
    best = np.full(shape, 1.15, dtype=np.float32)  # normalised radius of the nearest nucleus
    labels = np.zeros(shape, dtype=np.int32)
    zz, yy, xx = (np.arange(n, dtype=np.float32) * s for n, s in zip(shape, sp, strict=True))
    for i, (z, y, x, a, b, c, theta, _) in enumerate(nuclei, start=1):
        lo = np.maximum(
            np.floor((np.array([z, y, x]) - 1.2 * np.array([c, a, a])) / sp).astype(int), 0
        )
        hi = np.minimum(
            np.ceil((np.array([z, y, x]) + 1.2 * np.array([c, a, a])) / sp).astype(int) + 1, shape
        )
        if np.any(hi <= lo):
            continue
        box = tuple(slice(start, stop) for start, stop in zip(lo, hi, strict=True))
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
        for kind, count in (
            ("nucleolus", rng.integers(1, 4)),
            ("chromocentre", rng.integers(2, 9)),
        ):
            for _ in range(int(count)):
                r = rng.uniform(0.9, 1.5) if kind == "nucleolus" else rng.uniform(0.35, 0.6)
                off = rng.normal(0, 0.3 * a_um, 3) * np.array([0.4, 1, 1])
                p = np.array([cz, cy, cx]) + off / sp
                p = np.clip(np.round(p).astype(int), 0, np.array(shape) - 1)
                if labels[tuple(p)] != i:
                    continue
                amp = -0.6 if kind == "nucleolus" else 0.9
                h = np.ceil(2.5 * r / sp).astype(int)
                box = tuple(
                    slice(max(q - w, 0), min(q + w + 1, s))
                    for q, w, s in zip(p, h, shape, strict=True)
                )
                g = np.exp(
                    -0.5
                    * (
                        ((zz[box[0]][:, None, None] - p[0] * sp[0]) / r) ** 2
                        + ((yy[box[1]][None, :, None] - p[1] * sp[1]) / r) ** 2
                        + ((xx[box[2]][None, None, :] - p[2] * sp[2]) / r) ** 2
                    )
                    ** 2
                )  # flat-topped
                spots[box] += amp * g * (labels[box] == i)
    density *= np.clip(1 + spots, 0.25, None)

    # Optics: illumination, anisotropic PSF (axial sigma ~3x lateral), a weak broad
    # out-of-focus component, background, then a 12-bit camera.
    step("optics")
    density *= vignetting((shape[1], shape[2]), 0.75, rng)[None]
    sharp = ndimage.gaussian_filter(density, (0.85 / sp[0], 0.28 / sp[1], 0.28 / sp[2]))
    broad = ndimage.gaussian_filter(
        density[::2, ::4, ::4], (4.0 / sp[0] / 2, 2.5 / sp[1] / 4, 2.5 / sp[2] / 4)
    )
    broad = ndimage.zoom(
        broad, np.array(shape) / np.array(broad.shape), order=1, grid_mode=True, mode="nearest"
    )
    image = sharp + 0.10 * broad + 0.035

    step("camera")
    photons = image * 320.0
    stack = detector(
        rng, photons, gain=2.4, offset=100.0, read_noise=3.5, max_value=4095, dtype=np.uint16
    )
    return {"cells": stack, "labels": labels.astype(np.uint16)}
