"""Benchmark projections of a large stack: numpy, the pims route, dask, and helpers.

Usage::

    python benchmarks/bench_projections.py            # 200 x 1024 x 1024 uint16 (419 MB)
    python benchmarks/bench_projections.py --small    # 50 x 512 x 512, a few seconds
    python benchmarks/bench_projections.py --markdown results.md

A synthetic uint16 stack is written to a temporary folder (deleted afterwards) both as a
folder of single-page TIFFs and as one multi-page TIFF. Each method runs ``--repeat``
times; the table shows the median time. Memory is measured in one extra run under
``tracemalloc`` (numpy reports its buffers to it; timings come from the runs without
tracing, which slows Python code down): the peak of memory allocated during the call,
including the result, excluding the input stack when it was already in memory. Files are
read from a warm page cache (they were just written). The table is printed as Markdown,
ready for the README, followed by the machine, the versions and whether the targets hold.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from helpers.projections import project
from helpers.sequences import open_sequence

MB = 1e6


def measure(func: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median seconds, peak MB allocated during one traced run, result)."""
    times = []
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    result = None
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = func()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return statistics.median(times), peak / MB, result


def interleaved_ratio(numerator: Callable[[], Any], floor: Callable[[], Any], runs: int) -> float:
    """median(time of numerator) / median(time of floor), the two run alternately.

    On a shared machine the load changes from second to second; alternating the runs
    exposes both to the same conditions, which a ratio of separate medians does not.
    """
    top, bottom = [], []
    for _ in range(runs):
        for func, times in ((floor, bottom), (numerator, top)):
            t0 = time.perf_counter()
            func()
            times.append(time.perf_counter() - t0)
    return statistics.median(top) / statistics.median(bottom)


def make_data(folder: Path, shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """A 12-bit camera-like uint16 stack, saved as planes/z0.tif... and stack.tif."""
    import tifffile

    rng = np.random.default_rng(seed)
    z, y, x = shape
    stack = np.empty(shape, np.uint16)
    yy, xx = np.mgrid[0:y, 0:x]
    cells = 800 * np.exp(-(((yy % 64) - 32) ** 2 + ((xx % 64) - 32) ** 2) / 200.0)
    for i in range(z):  # plane by plane: bounded memory while generating
        plane = 100 + cells * (0.5 + 0.5 * np.sin(i / 7)) + rng.normal(0, 40, (y, x))
        stack[i] = np.clip(plane, 0, 4095)
    planes = folder / "planes"
    planes.mkdir()
    for i in range(z):
        tifffile.imwrite(planes / f"z{i}.tif", stack[i])
    tifffile.imwrite(folder / "stack.tif", stack, photometric="minisblack")
    return stack


def read_floor_folder(planes: Path, n: int, frame_bytes: int) -> int:
    """Only read every file's bytes once, into one reused buffer (the I/O floor)."""
    buf = bytearray(frame_bytes + 65536)
    view = memoryview(buf)
    total = 0
    for i in range(n):
        with open(planes / f"z{i}.tif", "rb") as fh:
            while got := fh.readinto(view):
                total += got
    return total


def read_floor_file(path: Path, chunk: int) -> int:
    buf = bytearray(chunk)
    view = memoryview(buf)
    total = 0
    with open(path, "rb") as fh:
        while got := fh.readinto(view):
            total += got
    return total


def student_route(pattern: str, how: str) -> np.ndarray:
    """What a student following the seed notebook writes: pims, then numpy."""
    import pims

    with warnings.catch_warnings():
        # pims' ImageSequence passes plugin= to skimage.io.imread: a FutureWarning per frame.
        warnings.simplefilter("ignore")
        frames = pims.open(pattern)
        stack = np.asarray(frames)
    return np.median(stack, axis=0) if how == "median" else np.max(stack, axis=0)


def dask_median(stack: np.ndarray) -> np.ndarray:
    import dask.array as da

    x = da.from_array(stack, chunks=(stack.shape[0], 128, stack.shape[2]))  # whole-Z chunks
    return da.median(x, axis=0).compute()


def our_dask_median(stack: np.ndarray) -> np.ndarray:
    import dask.array as da

    x = da.from_array(stack, chunks=(stack.shape[0], 128, stack.shape[2]))
    return project(x, "median").compute()


def streamed(path: Path, how: str) -> np.ndarray:
    with open_sequence(path) as seq:
        return project(seq, how)


def versions() -> str:
    import dask
    import pims
    import skimage
    import tifffile

    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, tifffile "
        f"{tifffile.__version__}, dask {dask.__version__}, pims {pims.__version__}, "
        f"scikit-image {skimage.__version__}"
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{usable} usable cores ({os.cpu_count()} in total), {cpu}, {platform.system()}{load}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--small", action="store_true", help="50 x 512 x 512 instead of 200 x 1024 x 1024"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per method (default 5)")
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    shape = (50, 512, 512) if args.small else (200, 1024, 1024)
    z, y, x = shape
    frame_bytes = y * x * 2
    stack_mb = z * frame_bytes / MB
    result_mb = y * x * 8 / MB
    repeat = max(1, args.repeat)
    slow = min(repeat, 3)  # the baselines that take seconds
    rows: list[tuple[str, float, float, str]] = []
    times: dict[str, float] = {}
    peaks: dict[str, float] = {}
    ratios: dict[str, float] = {}

    def add(key: str, name: str, func: Callable[[], Any], reference: Any, n: int = repeat) -> None:
        seconds, peak, result = measure(func, n)
        exact = ""
        if reference is not None:
            result = np.asarray(result)
            same = np.array_equal(result, reference) and result.dtype == reference.dtype
            exact = "yes" if same else "NO"
        rows.append((name, seconds, peak, exact))
        times[key], peaks[key] = seconds, peak
        print(f"  {name:<64} {seconds:8.3f} s {peak:9.1f} MB {exact}", file=sys.stderr, flush=True)

    print(f"machine: {machine()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="stacks-bench-") as tmp:
        folder = Path(tmp)
        print(f"writing a {z} x {y} x {x} uint16 stack ({stack_mb:.0f} MB) twice", file=sys.stderr)
        stack = make_data(folder, shape)
        planes, multi = folder / "planes", folder / "stack.tif"
        glob = str(planes / "*.tif")
        med, mx = np.median(stack, axis=0), stack.max(axis=0)

        add("np_median", "`np.median(stack, axis=0)`, in memory",
            lambda: np.median(stack, axis=0), med, slow)  # fmt: skip
        add("np_max", "`np.max(stack, axis=0)`, in memory", lambda: np.max(stack, axis=0), mx)
        add("pims_median", "pims route: `np.median(np.asarray(pims.open('planes/*.tif')), 0)`",
            lambda: student_route(glob, "median"), med, slow)  # fmt: skip
        add("pims_max", "pims route: `np.max(np.asarray(pims.open('planes/*.tif')), 0)`",
            lambda: student_route(glob, "max"), mx, slow)  # fmt: skip
        add("dask_median", "`da.median(x, axis=0)`, whole-Z chunks, in memory",
            lambda: dask_median(stack), med, slow)  # fmt: skip
        add("our_dask", "ours on the same dask array: `project(x, 'median').compute()`",
            lambda: our_dask_median(stack), med, slow)  # fmt: skip
        add("median", "**ours** `median_projection(stack)`, in memory",
            lambda: project(stack, "median"), med)  # fmt: skip
        add("max", "**ours** `max_projection(stack)`, in memory", lambda: project(stack, "max"), mx)
        add("mean", "**ours** `mean_projection(stack)`, in memory",
            lambda: project(stack, "mean"), None)  # fmt: skip
        add("std", "**ours** `std_projection(stack)`, in memory",
            lambda: project(stack, "std"), None)  # fmt: skip
        for form, path, floor in [
            ("folder", planes, lambda: read_floor_folder(planes, z, frame_bytes)),
            ("multi", multi, lambda: read_floor_file(multi, 8 * 2**20)),
        ]:
            label = "folder of planes" if form == "folder" else "multi-page TIFF"
            add(f"floor_{form}", f"floor: only read the files' bytes, {label}", floor, None)
            add(f"open_{form}", f"`open_sequence` alone (headers, no pixels), {label}",
                lambda path=path: open_sequence(path).close(), None)  # fmt: skip
            with open_sequence(path) as seq:
                add(f"max_open_{form}", f"**ours** streamed max, {label}, already opened",
                    lambda seq=seq: project(seq, "max"), mx)  # fmt: skip
                ratios[form] = interleaved_ratio(lambda seq=seq: project(seq, "max"), floor, 15)
            ratios[f"{form}_open"] = interleaved_ratio(
                lambda path=path: streamed(path, "max"), floor, 15
            )
            for how, ref in [("max", mx), ("median", med), ("mean", None)]:
                add(f"{how}_{form}", f"**ours** streamed {how}, {label} (incl. opening)",
                    lambda path=path, how=how: streamed(path, how), ref)  # fmt: skip

    lines = [
        f"Projections along Z of a {z} x {y} x {x} uint16 stack ({stack_mb:.0f} MB). Time: "
        f"median of {repeat} runs ({slow} for the baselines that take seconds). Memory: "
        "tracemalloc peak during one extra call, including the result (a float64 "
        f"projection is {result_mb:.0f} MB, a uint16 one {frame_bytes / MB:.0f} MB) and "
        "excluding a stack already in memory. Files are read from a warm page cache.",
        "",
        "| method | time (s) | peak extra memory (MB) | equals numpy |",
        "|---|---:|---:|:---:|",
        *(f"| {n} | {t:.3f} | {p:.1f} | {e} |" for n, t, p, e in rows),
        "",
        f"Machine: {machine()}. {versions()}.",
        "",
    ]
    speedup = times["np_median"] / times["median"]
    extra = peaks["median"] - result_mb
    ratio_f, ratio_m, ratio_f_open = ratios["folder"], ratios["multi"], ratios["folder_open"]
    max_mem = max(peaks["max_folder"], peaks["max_multi"]) / (frame_bytes / MB)
    med_mem = max(peaks["median_folder"], peaks["median_multi"])
    checks = [
        (speedup >= 5, f"median in memory is {speedup:.1f}x faster than np.median (target 5x)"),
        (extra <= 64, f"median in memory uses {extra:.1f} MB beyond its result (target 64 MB)"),
        (
            max(ratio_f, ratio_m) <= 1.5,
            f"streamed max takes {ratio_f:.2f}x (folder) and {ratio_m:.2f}x (multi-page) the time "
            f"of only reading the files (target 1.5x; 15 interleaved runs each); "
            f"{ratio_f_open:.2f}x for the folder counting open_sequence ({z} headers)",
        ),
        (max_mem <= 6, f"streamed max holds at most {max_mem:.1f} frames' worth of memory"),
        (
            med_mem <= 64 * 2**20 / MB + result_mb + 4,
            f"streamed median peaks at {med_mem:.0f} MB for a {stack_mb:.0f} MB stack "
            "(bound: 64 MiB of bands and tiles + the result)",
        ),
    ]
    lines += ["Targets:", ""]
    lines += [f"- {'met' if ok else '**not met**'}: {text}" for ok, text in checks]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
