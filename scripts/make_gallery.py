"""Draw docs/datasets.png: one row per course dataset, with its ground truth.

Columns: one plane, a projection, a side view (or, for the time series, the time course of
some neurons) and the ground truth, all with axes in µm. The datasets are generated on
first use, like in the notebooks.

Usage::

    python scripts/make_gallery.py [--out docs/datasets.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a file, never a window

import matplotlib.pyplot as plt
import numpy as np
import tifffile

from helpers import datasets

REPO = Path(__file__).resolve().parents[1]


def label_colours(labels: np.ndarray, seed: int = 3) -> np.ndarray:
    """RGB image of a label image: a random, distinct colour per label, black background.

    Indexing a colour table never blends neighbouring labels, unlike a smooth colormap.
    """
    rng = np.random.default_rng(seed)
    table = rng.uniform(0.25, 1.0, (int(labels.max()) + 1, 3))
    table[0] = 0
    return table[labels]


def show(ax, image, extent, title, xlabel="x (µm)", ylabel="y (µm)", **kwargs) -> None:
    """Show an image with axes in µm; ``extent`` is (width, height) in µm."""
    width, height = extent
    ax.imshow(image, extent=(0, width, height, 0), interpolation="nearest", **kwargs)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)


def gray_limits(image: np.ndarray) -> dict[str, float]:
    """Display range from the 0.1 and 99.9 percentiles: robust to a few hot pixels."""
    lo, hi = np.percentile(image, [0.1, 99.9])
    return {"cmap": "gray", "vmin": float(lo), "vmax": float(hi)}


def volume_row(axes, name: str, plane: int, column: int, slab: int | None = None) -> None:
    """Plane, max projection over Z, side view (YZ at ``column``) and truth of a ZYX dataset.

    ``slab``: project only that many planes around ``plane`` (a dense bead pack projected
    whole is a uniform grey).
    """
    data = datasets.load(name)
    truth = datasets.load_truth(name)
    dz, dy, dx = datasets.spacing(name)
    nz, ny, nx = data.shape
    xy = (nx * dx, ny * dy)
    show(
        axes[0],
        data[plane],
        xy,
        f"{name}: plane {plane} (z = {plane * dz:g} µm)",
        **gray_limits(data[plane]),
    )
    if slab:
        first = plane - slab // 2
        projection = data[first : first + slab].max(axis=0)
        title = f"{name}: maximum projection of planes {first}-{first + slab - 1}"
    else:
        projection = data.max(axis=0)
        title = f"{name}: maximum projection over z"
    show(axes[1], projection, xy, title, **gray_limits(projection))
    side = data[:, :, column]
    show(
        axes[2],
        side,
        (ny * dy, nz * dz),
        f"{name}: side view at x = {column * dx:.0f} µm",
        xlabel="y (µm)",
        ylabel="z (µm)",
        **gray_limits(side),
    )
    axes[2].set_aspect("equal")
    if truth.ndim == 2:
        show(axes[3], label_colours(truth), xy, f"{name}: ground truth, {truth.max()} cells")
    else:
        show(
            axes[3],
            label_colours(truth[plane]),
            xy,
            f"{name}: ground truth, plane {plane} ({truth.max()} labels)",
        )


def timelapse_row(axes) -> None:
    """One volume's plane, max over time, traces of some neurons, and the active mask."""
    series = datasets.load("timelapse")
    active = datasets.load_truth("timelapse")
    labels = tifffile.imread(datasets.path("timelapse") / "labels.tif")
    _dz, dy, dx = datasets.spacing("timelapse")
    dt = datasets.describe("timelapse")["frame_interval"]
    nt, _nz, ny, nx = series.shape
    xy = (nx * dx, ny * dy)
    show(axes[0], series[10, 0], xy, "timelapse: t = 10, plane 0", **gray_limits(series[:, 0]))
    peak = series[:, 0].max(axis=0)
    show(axes[1], peak, xy, "timelapse: maximum over time, plane 0", **gray_limits(peak))
    t = np.arange(nt) * dt
    ids = np.unique(labels[0][labels[0] > 0])
    fired = [i for i in ids if active[0][labels[0] == i].all()][:5]
    rest = [i for i in ids if not active[0][labels[0] == i].any()][:3]
    for i, colour in zip(
        fired + rest, ["C0", "C1", "C2", "C3", "C4", "0.5", "0.6", "0.7"], strict=False
    ):
        trace = series[:, 0][:, labels[0] == i].mean(axis=1)
        dff = trace / np.percentile(trace, 20) - 1
        axes[2].plot(t, dff, color=colour, lw=1.2 if i in fired else 0.8)
    axes[2].set_title("ΔF/F of 5 active (colour) and 3 resting (grey) neurons", fontsize=10)
    axes[2].set_xlabel("time (s)", fontsize=8)
    axes[2].set_ylabel("ΔF/F", fontsize=8)
    axes[2].tick_params(labelsize=7)
    rgb = np.where(active[0][..., None], label_colours(labels[0]), 0.3 * (labels[0] > 0)[..., None])
    show(axes[3], rgb, xy, "timelapse: truth, active (colour), resting (grey)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=REPO / "docs" / "datasets.png", help="PNG to write"
    )
    args = parser.parse_args(argv)
    fig, axes = plt.subplots(4, 4, figsize=(17, 17), layout="constrained")
    volume_row(axes[0], "zebrafish", plane=14, column=200)
    volume_row(axes[1], "cells", plane=30, column=128)
    volume_row(axes[2], "beadpack", plane=100, column=100, slab=10)
    timelapse_row(axes[3])
    fig.suptitle(
        "Simulated course datasets (seed recorded in each data/<name>/manifest.json)", fontsize=13
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=80)
    plt.close(fig)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
