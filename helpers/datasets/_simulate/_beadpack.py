"""The ``beadpack`` simulator: a lab micro-CT scan of a random pack of glass beads."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from helpers.datasets._simulate._physics import smooth_noise
from helpers.datasets._simulate._truth import one_object_per_label
from helpers.datasets._spec import DatasetSpec, Step, simulator


def _pack_spheres(
    rng: np.random.Generator,
    box: np.ndarray,
    r_mean: float,
    r_sd: float,
    fraction: float,
    iters: int = 400,
) -> tuple[np.ndarray, np.ndarray]:
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


@simulator("packing", "beads", "attenuation", "reconstruction", "quantise")
def beadpack(spec: DatasetSpec, rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
    """Lab micro-CT of a random pack of glass beads in air.

    Returns ``{"beadpack": (Z, Y, X) uint8, "labels": (Z, Y, X) uint16}`` of ``spec.shape``;
    the voxels are cubes of ``spec.spacing[0]``.
    """
    shape = np.array(spec.shape)
    step("packing")
    r_mean = 60.0 / spec.spacing[0]  # ~120 µm glass beads, sieved (narrow size range)
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
    for k, (c, r) in enumerate(zip(centres, radii, strict=True), start=1):
        lo = np.maximum(np.floor(c - r - 2).astype(int), 0)
        hi = np.minimum(np.ceil(c + r + 3).astype(int), shape)
        box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        gz, gy, gx = (g[s] - ci for g, s, ci in zip(grids, box, c, strict=True))
        dist = np.sqrt(gz[:, None, None] ** 2 + gy[None, :, None] ** 2 + gx[None, None, :] ** 2) - r
        win = dist < sd[box]
        sd[box] = np.where(win, dist, sd[box])
        labels[box] = np.where(win & (dist < 0), k, labels[box])
        if rng.random() < 0.12:  # an air bubble trapped in the glass
            rb = rng.uniform(1.2, 2.8)
            off = rng.normal(0, 0.3 * r, 3)
            db = np.sqrt(
                (gz[:, None, None] - off[0]) ** 2
                + (gy[None, :, None] - off[1]) ** 2
                + (gx[None, None, :] - off[2]) ** 2
            )
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
