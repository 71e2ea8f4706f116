"""A class with attackers in it, graded end to end in the sandbox: every attack fails, and
no other student's row, no dataset, no package file and no gradebook changes.

Each attacker's notebook is the honest solution with the attack appended to its first
answer cell; the attack's own errors are swallowed, as a careful attacker would, so the
points it deserves are the solution's 7, except where it kills its own kernel.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from corpus import ROOT, grade_corpus, student

import helpers
from helpers import datasets
from stacks import _build

NAME = "00_images_are_arrays"  # 7 points; its first answer cell defines draw_h

ATTACKS = {
    "rewrite_package": f"open({str(Path(helpers.__file__).parent / 'grading' / '__init__.py')!r}, 'a').write('\\nraise SystemExit')",
    "poison_data": f"open({str(datasets.data_root() / 'zebrafish' / 'MaxZ.tif')!r}, 'wb').write(b'x')",
    "poison_data_view": "from helpers import datasets as d\nopen(d.path('zebrafish') / 'stack.tif', 'wb').write(b'x')",
    "gradebook": f"open({str(ROOT / 'build' / 'nbgrader' / 'gradebook.db')!r}, 'wb').write(b'x')",
    "startup_file": (
        "import os\np = os.path.expanduser('~/.ipython/profile_default/startup')\n"
        "os.makedirs(p, exist_ok=True)\nopen(p + '/00-evil.py', 'w').write('raise SystemExit')"
    ),
    "grader_home": f"open({str(Path.home() / '.bashrc')!r}, 'a').write('evil')",
    "daemon": (
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
        '\'import time, glob\\ntime.sleep(3)\\nfor f in glob.glob("/tmp/**/grades.csv", recursive=True): open(f, "w").write("x")\'], '
        "start_new_session=True)"
    ),
    "environment": "import os\nprint(sorted(os.environ))",
    # markup in every kind of output: feedback must show it as text and run none of it
    "script_output": (
        "from IPython.display import HTML, Javascript, display\n"
        "print('<script>alert(\"printed\")</script>')\n"
        "display(HTML('<script>alert(\"html\")</script><img src=x onerror=alert(1)>'))\n"
        "display(Javascript('alert(\"js\")'))"
    ),
    # leaving Python from an answer cell: IPython catches it, the later cells still run
    "sys_exit": "import sys\nsys.exit(0)",
}
#: a wrong brighten (no saturation) costs its 2 points; these students then edit the
#: notebook's cells or their nbgrader metadata to win them back
WRONG_BRIGHTEN = "def brighten(image, amount):\n    return image + amount"
EDITS = {
    # a passing test cell made worth 100 points
    "inflate_points": lambda cells: cells["test_draw_h"].metadata.nbgrader.update(points=100),
    # an answer cell declared a graded test cell worth 10
    "answer_as_test": lambda cells: cells["draw_h"].metadata.nbgrader.update(
        grade=True, points=10, solution=False, locked=True
    ),
    # the failing test cell no longer a test, and emptied
    "unmark_test": lambda cells: (
        cells["test_brighten"].metadata.pop("nbgrader"),
        setattr(cells["test_brighten"], "source", "pass"),
    ),
    # the failing test cell renamed, so that it looks like a new cell of the student's
    "rename_test": lambda cells: cells["test_brighten"].metadata.nbgrader.update(
        grade_id="my_cell", grade=False
    ),
}
#: kill(-1) signals every process the caller may: in the sandbox there is none but itself
KILLERS = {"kill_everyone": "import os, signal\nos.kill(-1, signal.SIGKILL)"}


def _wrapped(code: str) -> str:
    return (
        "try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except Exception:\n    pass\n"
    )


def _hashes() -> dict[str, str]:
    roots = [Path(helpers.__file__).parent, datasets.data_root(), ROOT / "build" / "nbgrader"]
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("STACKS_GRADER_SECRET", "do-not-show")
    for name in ("zebrafish",):
        datasets.path(name)
    # The grader builds the course folder itself when it is missing (a fresh clone);
    # build it first so that the snapshot holds what the grader makes, not what students do.
    _build.generate([NAME])
    before = _hashes()
    solution = student(NAME)
    first = next(c for c in solution.cells if c.metadata.get("nbgrader", {}).get("solution"))
    gid = first.metadata["nbgrader"]["grade_id"]
    base = {gid: first.source.replace("### BEGIN SOLUTION\n", "").replace("### END SOLUTION\n", "")}
    students = {f"honest_{i}": student(NAME) for i in range(3)}
    for who, attack in {**ATTACKS, **KILLERS}.items():
        students[who] = student(NAME, {gid: base[gid] + "\n" + _wrapped(attack)})
    for who, edit in EDITS.items():
        nb = student(NAME, {"brighten": WRONG_BRIGHTEN})
        edit({c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells})
        students[who] = nb
    students["wrong_brighten"] = student(NAME, {"brighten": WRONG_BRIGHTEN})
    rows, out = grade_corpus(tmp_path_factory.mktemp("attacks"), NAME, students)
    return rows, out, before


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_every_honest_student_keeps_full_marks(graded):
    rows, _, _ = graded
    for i in range(3):
        assert (rows[f"honest_{i}"]["score"], rows[f"honest_{i}"]["status"]) == ("7", "graded")


@pytest.mark.parametrize("who", list(ATTACKS))
def test_an_attack_that_fails_costs_nothing_and_gains_nothing(graded, who):
    rows, _, _ = graded
    assert (rows[who]["score"], rows[who]["status"]) == ("7", "graded"), rows[who]


@pytest.mark.parametrize("who", list(EDITS))
def test_editing_cells_or_their_metadata_wins_no_point(graded, who):
    rows, _, _ = graded
    assert (rows["wrong_brighten"]["score"], rows["wrong_brighten"]["max_score"]) == ("5", "7")
    assert (rows[who]["score"], rows[who]["max_score"], rows[who]["status"]) == (
        "5",
        "7",
        "graded",
    ), rows[who]


def test_markup_in_outputs_is_shown_as_text_and_never_run(graded):
    _, out, _ = graded
    page = (out / "feedback" / "script_output.html").read_text()
    # the page has no script of its own, so any script tag would be the student's
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert '&lt;script&gt;alert("printed")&lt;/script&gt;' in page  # the printed text, as text


def test_a_kernel_that_kills_everything_it_sees_kills_nothing(graded):
    rows, _, _ = graded
    assert (rows["kill_everyone"]["score"], rows["kill_everyone"]["status"]) == ("7", "graded")
    assert all(rows[f"honest_{i}"]["status"] == "graded" for i in range(3))


def test_no_dataset_package_file_or_gradebook_changed(graded):
    _, _, before = graded
    assert _hashes() == before


def test_nothing_of_the_graders_environment_reaches_the_feedback(graded):
    _, out, _ = graded
    page = (out / "feedback" / "environment.html").read_text()
    assert "STACKS_GRADER_SECRET" not in page and "PATH" in page


def test_a_daemon_could_not_rewrite_the_grades_afterwards(graded):
    import time

    _, out, _ = graded
    time.sleep(4)  # longer than the daemon waited
    assert (out / "grades.csv").read_text().startswith("student,assignment,score")
    assert not any("do-not-show" in p.read_text(errors="replace") for p in out.rglob("*.html"))


def test_nothing_was_planted_in_the_graders_home():
    assert not (Path.home() / ".ipython/profile_default/startup/00-evil.py").exists()
    bashrc = Path.home() / ".bashrc"
    assert not bashrc.exists() or not bashrc.read_text(errors="replace").endswith("evil")
