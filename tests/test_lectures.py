"""Every lecture runs top to bottom in a real kernel, warning-free, with current APIs only.

- ``test_lecture_runs``: executes each ``lectures/*.md`` (jupytext -> nbclient, kernel
  ``python3``, working directory ``lectures/``) with ``FutureWarning`` and
  ``DeprecationWarning`` turned into errors inside the kernel. It also fails when any cell
  writes to stderr or prints warning text, because a warning that reaches the student is a
  warning. Each lecture's run time is printed, recorded as a junit property, written to
  ``build/lecture_times.csv`` and summarised in a table at the end of the module. Timing is
  reported, not asserted: budgets belong to benchmarks.
- ``test_lecture_runs_second_seed``: the same run, with the same checks, on the data of a
  second seed (``SECOND_SEED``), so that a lecture whose code or prose only holds for the seed-0
  data fails here. That data is generated once per module into a temporary folder by the code
  behind ``stacks data --seed``, and the kernel is started with ``STACKS_DATA`` pointing at it;
  the kernel itself checks that it reads that folder and that the folder holds that seed.
- ``test_lecture_avoids_removed_apis``: code cells and the (unexecuted) code in solution
  dropdowns use none of the APIs that scikit-image 0.26, NumPy 2 or Matplotlib 3.9+ removed
  or deprecated.
- ``test_lecture_structure``: objectives, a time estimate, key points, at least one solution
  folded into a dropdown, and solution code that at least compiles.

Datasets (of both seeds) are generated once, before the first lecture runs, so that the first
lecture's time is its own and not the data generator's.
"""

from __future__ import annotations

import ast
import csv
import os
import re
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
LECTURES_DIR = ROOT / "lectures"
LECTURES = sorted(LECTURES_DIR.glob("*.md"))

CELL_TIMEOUT = 120  # seconds per cell: generous; run time is reported, not enforced here

SECOND_SEED = 7  # the lectures must also run, warning-free, on the data of this seed

WARNINGS_AS_ERRORS = (
    "import warnings\n"
    "warnings.simplefilter('error', FutureWarning)\n"
    "warnings.simplefilter('error', DeprecationWarning)"
)

# How Python prints a warning: "<path>:<line>: SomeWarning: message", or a bare
# "SomeWarning: message" from logging and from libraries that format their own.
WARNING_TEXT = re.compile(r"\b[A-Z]\w*Warning\b\s*:")

# Removed or deprecated APIs: (pattern, what to use instead).
REMOVED_APIS = [
    (r"\bselem\s*=", "footprint="),
    (r"\bmultichannel\s*=", "channel_axis="),
    (r"morphology\.watershed\b", "skimage.segmentation.watershed"),
    (r"\bindices\s*=\s*False", "build a mask from peak_local_max's coordinates"),
    (r"marching_cubes_lewiner", "measure.marching_cubes"),
    (r"\bnp\.bool\b(?!_)", "bool or np.bool_"),
    (r"\bnp\.product\b", "np.prod"),
    (r"\bcm\.get_cmap\b", "matplotlib.colormaps[name]"),
    (r"\bio\.imshow\b", "plt.imshow or helpers.show_plane"),
    (r"\bio\.imshow_collection\b", "plt.subplots + imshow"),
    (r"remove_small_objects\([^)]*\bmin_size\s*=", "max_size="),
    (r"remove_small_holes\([^)]*\barea_threshold\s*=", "max_size="),
    (r"morphology\.(cube|square|rectangle)\(", "morphology.footprint_rectangle"),
    (r"morphology\.binary_(erosion|dilation|opening|closing)\b", "morphology.erosion etc."),
    (r"\bplugin\s*=", "tifffile or imageio directly"),
]

FENCED_PYTHON = re.compile(r"^(`{3,})(?:python|ipython3?|py)\s*\n(.*?)^\1\s*$", re.M | re.S)
DROPDOWN = re.compile(r"^`{3,}\{(?:admonition\}[^\n]*\n:class:[^\n]*\bdropdown\b|dropdown\})", re.M)

_times: dict[str, float] = {}


def _ids(paths):
    return [p.stem for p in paths]


@pytest.fixture(scope="module")
def course_data():
    """Generate the course datasets once, before any lecture is timed."""
    from helpers import datasets

    names = getattr(datasets, "NAMES", None) or ("zebrafish", "cells", "beadpack", "timelapse")
    for name in names:
        datasets.path(name)
    return names


@pytest.fixture(scope="module")
def second_seed_data(tmp_path_factory):
    """A temporary data folder with every dataset made from ``SECOND_SEED``, made once.

    ``datasets.variant`` inside ``use_data`` is what ``stacks data --seed N`` runs, with the
    folder chosen the way ``STACKS_DATA`` chooses it, and without touching ``os.environ``.
    """
    from helpers import datasets

    folder = tmp_path_factory.mktemp(f"data_seed{SECOND_SEED}")
    with datasets.use_data(folder):
        for name in datasets.NAMES:
            datasets.variant(name, SECOND_SEED)
    return folder


@pytest.fixture(scope="module")
def timing_table(request):
    """Print a table of lecture run times at the end of the module and save it as CSV."""
    yield _times
    if not _times:
        return
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    with open(build / "lecture_times.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lecture", "seconds"])
        for name, seconds in _times.items():
            writer.writerow([name, f"{seconds:.1f}"])
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    lines = [f"{name:<40} {seconds:7.1f} s" for name, seconds in _times.items()]
    with capture.global_and_fixture_disabled() if capture else _nullcontext():
        reporter.write_line("")
        reporter.write_sep("-", "lecture run times (reported, not asserted)")
        for line in lines:
            reporter.write_line(line)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _output_text(output) -> str:
    """The human-readable text of one cell output."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    data = output.get("data", {})
    return str(data.get("text/plain", "")) + str(data.get("text/html", ""))


def _problems(nb) -> list[str]:
    """Errors, stderr output and warning text in the executed notebook's outputs."""
    found = []
    for index, cell in enumerate(nb.cells[1:], start=1):  # cell 0 is the injected one
        if cell.cell_type != "code":
            continue
        first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        where = f"cell {index - 1} of the lecture ({first_line[:60]!r})"
        for output in cell.get("outputs", []):
            text = _output_text(output)
            if output.get("output_type") == "error":
                found.append(f"{where}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"{where} wrote to stderr: {text.strip()[:400]}")
            elif WARNING_TEXT.search(text):
                found.append(f"{where} shows a warning: {text.strip()[:400]}")
    return found


def _data_check(folder: Path, seed: int) -> str:
    """Kernel code that fails unless the datasets come from ``folder`` and were made from ``seed``."""
    return (
        "import json as _json\n"
        "from pathlib import Path as _Path\n"
        "from helpers import datasets as _datasets\n"
        f"assert _datasets.data_root() == _Path({str(folder)!r}), _datasets.data_root()\n"
        "for _name in _datasets.NAMES:\n"
        "    _seed = _json.loads((_datasets.path(_name) / 'manifest.json').read_text())['seed']\n"
        f"    assert _seed == {seed}, (_name, _seed)\n"
        "del _json, _Path, _datasets, _name, _seed"
    )


def _run_lecture(lecture: Path, record_property, data: Path | None = None) -> None:
    """Execute one lecture in a fresh kernel and fail on any error, stderr output or warning.

    With ``data`` (the folder of the ``SECOND_SEED`` datasets), the kernel is started with
    ``STACKS_DATA=data``, and the run is timed and reported under its own name.
    """
    key, label = lecture.stem, lecture.name
    if data is not None:
        key, label = f"{key} (seed {SECOND_SEED})", f"{label} (seed {SECOND_SEED})"
    nb = jupytext.read(lecture)
    first = WARNINGS_AS_ERRORS
    kernel_options = {}
    if data is not None:
        first += "\n" + _data_check(data, SECOND_SEED)
        kernel_options["env"] = {**os.environ, "STACKS_DATA": str(data)}
    nb.cells.insert(0, nbformat.v4.new_code_cell(first))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(LECTURES_DIR)}},
    )
    start = time.perf_counter()
    failure = None
    try:
        client.execute(**kernel_options)
    except CellExecutionError as error:
        failure = error
    seconds = time.perf_counter() - start
    _times[key] = seconds
    record_property("seconds", round(seconds, 1))
    print(f"{label}: {seconds:.1f} s")

    problems = _problems(nb)
    if failure is not None and not problems:
        problems.append(str(failure)[-2000:])
    assert not problems, f"{label}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lecture", LECTURES, ids=_ids(LECTURES))
def test_lecture_runs(lecture, course_data, timing_table, record_property):
    _run_lecture(lecture, record_property)


@pytest.mark.parametrize("lecture", LECTURES, ids=_ids(LECTURES))
def test_lecture_runs_second_seed(lecture, second_seed_data, timing_table, record_property):
    _run_lecture(lecture, record_property, second_seed_data)


def _code_sources(lecture: Path) -> list[tuple[str, str]]:
    """(where, code) for every code cell and every fenced Python block in markdown."""
    nb = jupytext.read(lecture)
    sources = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            sources.append((f"code cell {index}", cell.source))
        elif cell.cell_type == "markdown":
            for match in FENCED_PYTHON.finditer(cell.source):
                sources.append((f"code block in markdown cell {index}", match.group(2)))
    return sources


@pytest.mark.parametrize("lecture", LECTURES, ids=_ids(LECTURES))
def test_lecture_avoids_removed_apis(lecture):
    offences = []
    for where, code in _code_sources(lecture):
        for pattern, instead in REMOVED_APIS:
            for match in re.finditer(pattern, code):
                offences.append(f"{where}: {match.group(0)!r} -> use {instead}")
    assert not offences, f"{lecture.name} uses removed APIs:\n" + "\n".join(offences)


@pytest.mark.parametrize("lecture", LECTURES, ids=_ids(LECTURES))
def test_lecture_structure(lecture):
    text = lecture.read_text(encoding="utf-8")
    nb = jupytext.read(lecture)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec python3 missing"
    assert re.search(r"objectives", text, re.I), "no learning objectives"
    assert re.search(r"Teaching:?\**:?\s*\d+\s*min", text, re.I), "no teaching time estimate"
    assert re.search(r"Exercises:?\**:?\s*\d+\s*min", text, re.I), "no exercise time estimate"
    assert re.search(r"^#+\s*Key points", text, re.I | re.M), "no 'Key points' section"
    assert DROPDOWN.search(text), "no solution folded into a dropdown"

    broken = []
    for where, code in _code_sources(lecture):
        if where.startswith("code cell"):
            continue  # executed by test_lecture_runs
        try:
            ast.parse(code)
        except SyntaxError as error:
            broken.append(f"{where}: {error}")
    assert not broken, f"{lecture.name}: solution code does not compile:\n" + "\n".join(broken)
