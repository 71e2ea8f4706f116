"""The ``timelapse`` simulator: two-photon calcium imaging of neurons, two planes."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from helpers.datasets._simulate._physics import detector, smooth_noise, vignetting
from helpers.datasets._spec import DatasetSpec, Step, simulator


@simulator("neurons", "activity", "imaging")
def timelapse(spec: DatasetSpec, rng: np.random.Generator, step: Step) -> dict[str, np.ndarray]:
    """Two-photon calcium imaging (GCaMP) of a larval zebrafish brain region: 2 planes.

    Returns ``{"timelapse": (T, Z, Y, X) uint16, "labels": (Z, Y, X) uint16 all neurons,
    "active": (Z, Y, X) uint8 1 where a neuron fires during the recording}`` of
    ``spec.shape``, ``spec.spacing`` and ``spec.frame_interval``.
    """
    nt, nz, ny, nx = spec.shape
    dxy = spec.spacing[1]
    interval = spec.frame_interval
    assert interval is not None, "DatasetSpec gives every TZYX dataset a frame interval"
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
        band = np.abs((yy - ny * (0.35 + 0.1 * z)) - 0.25 * (xx - nx / 2)) + 4 * smooth_noise(
            rng, (ny, nx), 8
        )
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
    t = np.arange(nt, dtype=np.float32) * interval
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
    frames = detector(
        rng, movie * 30.0, gain=20.0, offset=180.0, read_noise=12.0, max_value=4095, dtype=np.uint16
    )
    return {
        "timelapse": frames,
        "labels": labels.astype(np.uint16),
        "active": active.astype(np.uint8),
    }
