"""Grading kernels run sandboxed: what a submission's code can see, write, reach and keep.

Each test runs real kernels in bubblewrap, forked from the zygote and started the usual
way. There is no skip: ``make test`` installs bubblewrap, and without it these tests fail
with the message an instructor would get.
"""

from __future__ import annotations

import ast
import csv
import os
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest
from corpus import ROOT, student

from stacks import _sandbox, cli
from stacks._kernels import FORK_KERNEL
from stacks.preprocessors import ExecuteWithLimits

KINDS = ["fork", "native"]


def run(code: str, kind: str, **traits) -> tuple[str, dict]:
    """Run one cell in a sandboxed kernel; return its stdout and the execution outcome."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    execute = ExecuteWithLimits(
        timeout=60,
        sandbox=True,
        kernel_name=FORK_KERNEL,
        fork=kind == "fork",
        kernel_env={"MPLBACKEND": "Agg"},
        **traits,
    )
    nb, resources = execute.preprocess(nb, {})
    outputs = nb.cells[0].outputs
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    return text, resources["stacks"]["execution"]


def test_bubblewrap_can_make_the_sandbox_on_this_machine():
    assert _sandbox.available() is None, _sandbox.INSTALL_HINT


@pytest.mark.parametrize("kind", KINDS)
def test_a_kernel_sees_no_other_process_no_network_and_none_of_the_graders_files(kind, monkeypatch):
    monkeypatch.setenv("STACKS_GRADER_SECRET", "hunter2")
    sibling = _sandbox.kernels_folder() / "another-student"
    sibling.mkdir(exist_ok=True)
    (sibling / "answers.txt").write_text("someone else's work")
    probes = {
        "solutions": ROOT / "solutions",
        "gradebook": ROOT / "build" / "nbgrader",
        "sibling": sibling,
        "shadow": Path("/etc/shadow"),
    }
    code = f"""
import os, socket
print("pid", os.getpid(), "processes", sorted(p for p in os.listdir("/proc") if p.isdigit()))
for label, path in {dict((k, str(v)) for k, v in probes.items())!r}.items():
    print(label, os.path.exists(path) and bool(os.listdir(path) if os.path.isdir(path) else True))
print("secret", "STACKS_GRADER_SECRET" in os.environ)
home = {str(Path.home())!r}
print("home", sorted(os.listdir(home)) if os.path.isdir(home) else [])
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
    print("network yes")
except OSError:
    print("network no")
"""
    text, outcome = run(code, kind)
    assert outcome["status"] == "ok"
    lines = dict(line.split(" ", 1) for line in text.splitlines())
    assert lines["pid"] == "1 processes ['1']"
    for label in probes:
        assert lines[label] == "False", (label, text)
    # of the grader's HOME only the way to a read-only folder of the sandbox (Python
    # installed under HOME, as pyenv does) may show
    box = _sandbox.Sandbox(_sandbox.kernels_folder(), ROOT / "data")
    ways = {
        p.relative_to(Path.home()).parts[0]
        for p in box.read_only()
        if p.is_relative_to(Path.home())
    }
    assert set(ast.literal_eval(lines["home"])) <= ways, lines["home"]
    assert lines["secret"] == "False"
    assert lines["network"] == "no"


@pytest.mark.parametrize("kind", KINDS)
def test_a_kernel_writes_only_its_own_scratch(kind):
    import helpers
    from helpers import datasets

    targets = {
        "package": Path(helpers.__file__).parent / "planted.py",
        "data": datasets.data_root() / "zebrafish" / "MaxZ.tif",
        "tmp": Path("/tmp") / f"planted-{uuid.uuid4().hex}",
        "startup": Path.home() / ".ipython/profile_default/startup/00-planted.py",
    }
    code = f"""
import os, tempfile
for label, path in {dict((k, str(v)) for k, v in targets.items())!r}.items():
    try:
        with open(path, "a") as f:
            f.write("x")
        print(label, "written")
    except OSError as error:
        print(label, "refused")
with open(os.path.join(tempfile.gettempdir(), "mine.txt"), "w") as f:
    f.write("scratch is fine")
print("scratch", "written")
"""
    before = {label: path.stat().st_mtime_ns for label, path in targets.items() if path.exists()}
    text, _ = run(code, kind)
    assert text.splitlines() == [
        "package refused",
        "data refused",
        "tmp refused",
        "startup refused",
        "scratch written",
    ]
    after = {label: path.stat().st_mtime_ns for label, path in targets.items() if path.exists()}
    assert after == before


@pytest.mark.parametrize("kind", KINDS)
def test_memory_and_file_size_are_limited(kind):
    code = """
import numpy
try:
    big = numpy.ones(3 * 1024**3 // 8)
    print("memory allowed")
except MemoryError:
    print("memory refused")
try:
    with open("big.bin", "wb") as f:
        f.write(b"x" * (2 * 1024 * 1024))
    print("file allowed")
except OSError:
    print("file refused")
"""
    text, outcome = run(code, kind, limits={"memory": "1GiB", "file_size": "1MiB"})
    assert text.splitlines() == ["memory refused", "file refused"], text
    assert outcome["status"] == "ok"


@pytest.mark.parametrize("kind", KINDS)
def test_no_process_outlives_its_kernel(kind):
    marker = f"stacks-daemon-{uuid.uuid4().hex}"
    code = f"""
import subprocess, sys
# a daemon in its own session, as an attack on later students would start one
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}],
                 start_new_session=True)
print("started")
"""
    text, _ = run(code, kind)
    assert text == "started\n"
    survivors = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    survivors.append(entry.name)
            except OSError:
                pass
    assert survivors == []


def test_grade_refuses_without_bubblewrap_and_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("STACKS_BWRAP", str(tmp_path / "no-bwrap"))
    _sandbox.available.cache_clear()
    try:
        submissions = tmp_path / "in"
        (submissions / "alice").mkdir(parents=True)
        nbformat.write(student("01_projections"), submissions / "alice" / "01_projections.ipynb")
        done = subprocess.run(
            [sys.executable, "-m", "stacks", "grade", str(submissions), "--assignment",
             "01_projections", "--out", str(tmp_path / "out"), "--quiet"],
            capture_output=True, text=True, env={**os.environ}, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 2
        assert "apt-get install bubblewrap" in done.stderr and "--no-sandbox" in done.stderr
        assert not (tmp_path / "out").exists()
    finally:
        _sandbox.available.cache_clear()


def test_every_row_records_whether_its_kernel_was_sandboxed(tmp_path, capsys):
    submissions = tmp_path / "in"
    (submissions / "alice").mkdir(parents=True)
    nbformat.write(
        student("00_images_are_arrays"), submissions / "alice" / "00_images_are_arrays.ipynb"
    )
    for flag, expected in (([], "bubblewrap"), (["--no-sandbox"], "none")):
        out = tmp_path / f"out{len(flag)}"
        argv = ["grade", str(submissions), "--assignment", "00_images_are_arrays"]
        assert cli.main([*argv, "--out", str(out), "--quiet", *flag]) == 0
        [row] = list(csv.DictReader((out / "grades.csv").open()))
        assert (row["sandbox"], row["score"], row["max_score"]) == (expected, "7", "7")
    capsys.readouterr()


def test_limits_are_checked_when_read():
    assert _sandbox.Limits.from_mapping({"memory": "3GiB"}).memory == 3 * 1024**3
    with pytest.raises(ValueError, match="unknown limit cpu"):
        _sandbox.Limits.from_mapping({"cpu": 2})
    with pytest.raises(ValueError, match="not a size"):
        _sandbox.Limits.from_mapping({"memory": "lots"})


@pytest.mark.parametrize("kind", KINDS)
def test_a_process_bomb_stops_at_the_limit_and_the_status_names_it(kind):
    code = """
import subprocess
children = []
try:
    for _ in range(40):
        children.append(subprocess.Popen(["sleep", "30"]))
finally:
    print(len(children), "started")
"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    execute = ExecuteWithLimits(
        timeout=60, sandbox=True, kernel_name=FORK_KERNEL, fork=kind == "fork",
        limits={"processes": 16},
    )  # fmt: skip
    nb, resources = execute.preprocess(nb, {})
    started = int(nb.cells[0].outputs[0].text.split()[0])
    assert 0 < started < 16
    outcome = resources["stacks"]["execution"]
    assert outcome["status"] == "limit"
    assert (
        outcome["message"]
        == "cell 1 ran into the processes limit (16); the other cells were graded"
    )


def test_an_allocation_over_the_memory_limit_names_the_limit_and_the_cell():
    cells = ["import numpy", "big = numpy.ones(3 * 1024**3 // 8)", "small = 1"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    execute = ExecuteWithLimits(
        timeout=60, sandbox=True, kernel_name=FORK_KERNEL, limits={"memory": "1GiB"}
    )
    nb, resources = execute.preprocess(nb, {})
    assert resources["stacks"]["execution"]["status"] == "limit"
    assert resources["stacks"]["execution"]["message"].startswith(
        "cell 2 ran into the memory limit (1 GiB)"
    )
    assert nb.cells[2].outputs == []  # the next cell ran normally


def test_the_answers_on_disk_are_held_back_from_the_kernel():
    from helpers import datasets

    folder = datasets.path("zebrafish")
    code = """
from pathlib import Path
from helpers import datasets
folder = datasets.path("zebrafish")
print("stack", (folder / "stack.tif").stat().st_size > 0)
for name in ("MaxZ.tif", "medianZ.tif", "labels.tif"):
    print(name, len((folder / name).read_bytes()))
try:
    datasets.load_truth("beadpack")
except PermissionError as error:
    print("truth", error)
"""
    text, _ = run(code, "fork")
    assert text.splitlines() == [
        "stack True",
        "MaxZ.tif 0",
        "medianZ.tif 0",
        "labels.tif 0",
        "truth the ground truth of 'beadpack' is not available while a notebook is graded: "
        "the grader compares your answer with it itself",
    ]
    assert (folder / "MaxZ.tif").stat().st_size > 0  # the grader still has them


def test_answers_copied_from_the_disk_earn_nothing(tmp_path):
    from corpus import grade_corpus

    name = "02_segmentation"
    students = {
        "truth": student(name, {"labels": 'bead_labels = datasets.load_truth("beadpack")'}),
        "file": student(
            name,
            {"labels": 'bead_labels = tifffile.imread(datasets.path("beadpack") / "labels.tif")'},
        ),
    }
    rows, _ = grade_corpus(tmp_path, name, students)
    # the labels earn nothing; the mask and the volume function, computed honestly, keep
    # their points (2 + 2 of 9)
    assert {who: float(row["score"]) for who, row in rows.items()} == {"truth": 4, "file": 4}


def test_a_flood_of_output_is_cut_with_a_note():
    code = "for _ in range(300):\n    print('x' * 100_000)\nprint('after the flood')"
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell("print('next cell')")]
    )
    execute = ExecuteWithLimits(
        timeout=60, sandbox=True, kernel_name=FORK_KERNEL, output_limit=1024 * 1024
    )
    nb, _ = execute.preprocess(nb, {})
    kept = sum(len(o.get("text", "")) for o in nb.cells[0].outputs)
    assert kept < 1.2 * 1024 * 1024  # of 30 MB printed
    assert "[output stopped: this cell made more than 1 MiB of it]" in nb.cells[0].outputs[-1].text
    assert nb.cells[1].outputs[0].text == "next cell\n"


def test_the_limits_an_exercise_declares_apply_when_it_is_graded(tmp_path):
    import re

    from stacks import _autograde, _build, _paths

    guide = (ROOT / "docs" / "adding-an-exercise.md").read_text(encoding="utf-8")
    [example] = re.findall(r"^````markdown\n(.*?)^````$", guide, flags=re.MULTILINE | re.DOTALL)
    example = example.replace("stacks:\n", "stacks:\n  limits: {memory: 300MiB}\n", 1)
    example = example.replace(
        "max_z = stack.max(axis=0)\n", "max_z = stack.max(axis=0)\nbig = np.ones(2**30 // 8)\n"
    )
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "07_limited.md").write_text(example, encoding="utf-8")
    paths = _paths.Paths(
        solutions=solutions, exercises=tmp_path / "exercises", course=tmp_path / "course"
    )
    _build.build(paths=paths, log=lambda line: None)
    (tmp_path / "in" / "ann").mkdir(parents=True)
    source = paths.course / "source" / "07_limited" / "07_limited.ipynb"
    (tmp_path / "in" / "ann" / "07_limited.ipynb").write_bytes(source.read_bytes())
    [row] = _autograde.grade(
        tmp_path / "in", "07_limited", tmp_path / "out", paths=paths, progress=False
    )
    assert row.status == "limit", row
    assert "memory limit (300 MiB)" in row.message
