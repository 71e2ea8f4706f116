"""Grading a class: incremental reruns, resuming a killed run, dask workers that die, the
exports read back with their formats' rules, and the class report.

Every run is a real ``stacks grade`` with real kernels in the sandbox.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from corpus import ROOT, TIMEOUT, read_grades, student, write_corpus

from stacks import cli
from stacks._ledger import Ledger

NAME = "01_projections"  # 9 points
MEAN = "def median_projection(stack):\n    return np.asarray(stack).mean(axis=0)"
CLASS = {
    "ada": student(NAME),
    "bo": student(NAME, {"median_function": MEAN}),  # 9 - 3 - 1
    "cy": student(NAME, blank=True),
    "di": "a Word document",
}
EXPECTED = {
    "ada": ("9", "graded"),
    "bo": ("5", "graded"),
    "cy": ("0", "graded"),
    "di": ("0", "invalid-notebook"),
}


def _grade(submissions: Path, out: Path, *extra: str) -> int:
    argv = ["grade", str(submissions), "--assignment", NAME, "--out", str(out)]
    return cli.main([*argv, "--timeout", str(TIMEOUT), "--quiet", *extra])


def _log(out: Path) -> list[str]:
    return (out / "grading.log").read_text().splitlines()


def _scores(out: Path) -> dict[str, tuple[str, str]]:
    return {who: (row["score"], row["status"]) for who, row in read_grades(out).items()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale")
    write_corpus(tmp / "submissions", NAME, CLASS)
    assert _grade(tmp / "submissions", tmp / "out") == 0
    return tmp / "submissions", tmp / "out"


def test_a_first_run_grades_everyone_once(graded):
    _, out = graded
    assert _scores(out) == EXPECTED
    assert sorted(line.split()[1] for line in _log(out)) == ["'ada'", "'bo'", "'cy'", "'di'"]


def test_a_rerun_with_nothing_changed_grades_nothing_and_changes_nothing(graded, capsys):
    submissions, out = graded
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "grading.log"}
    lines = len(_log(out))
    assert _grade(submissions, out) == 0
    assert "0 submissions graded" in capsys.readouterr().out
    assert len(_log(out)) == lines
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "grading.log"}
    assert after == before


def test_a_changed_submission_is_graded_again_and_merged(graded):
    submissions, out = graded
    nbformat.write(student(NAME), submissions / "bo" / f"{NAME}.ipynb")  # bo fixed the median
    lines = len(_log(out))
    assert _grade(submissions, out) == 0
    assert [line.split()[1] for line in _log(out)[lines:]] == ["'bo'"]
    assert _scores(out) == {**EXPECTED, "bo": ("9", "graded")}


def test_one_student_can_be_regraded_alone(graded, capsys):
    submissions, out = graded
    lines = len(_log(out))
    assert _grade(submissions, out, "--student", "cy") == 0
    assert [line.split()[1] for line in _log(out)[lines:]] == ["'cy'"]
    assert "1 submissions graded" in capsys.readouterr().out
    assert _grade(submissions, out, "--student", "zed") == 2
    assert "no folder for 'zed'" in capsys.readouterr().err


def test_a_second_run_on_the_same_folder_is_refused(graded, capsys):
    submissions, out = graded
    with Ledger(out).locked():
        assert _grade(submissions, out, "--regrade") == 2
    assert "another stacks grade is writing to" in capsys.readouterr().err


def test_a_killed_run_resumes_with_no_row_lost_or_graded_twice(tmp_path):
    students = {f"s{i:02d}": student(NAME) for i in range(6)}
    write_corpus(tmp_path / "submissions", NAME, students)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "stacks", "grade", str(tmp_path / "submissions"),
        "--assignment", NAME, "--out", str(out), "--quiet", "--jobs", "1", "--timeout", str(TIMEOUT),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    results = out / ".stacks" / "results"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 2:
        time.sleep(0.05)
    process.kill()  # as the power going off would: no clean-up at all
    process.wait()
    done = len(list(results.glob("*.json")))
    assert 2 <= done < 6, "the run should have been stopped half-way"
    assert len(read_grades(out)) in (done - 1, done)  # what was finished, nothing half-written
    assert _grade(tmp_path / "submissions", out) == 0
    graded = [line.split()[1] for line in _log(out)]
    assert len(graded) == len(set(graded)) >= len(students) - 1  # none graded twice
    assert len(list(results.glob("*.json"))) == len(students)
    assert {who: row["score"] for who, row in read_grades(out).items()} == dict.fromkeys(
        students, "9"
    )


# ---------------------------------------------------------------------------- exports


def test_canvas_gradebook_has_canvas_columns_and_the_scores(graded):
    _, out = graded
    with (out / "canvas.csv").open(newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", NAME]
    assert lines[1][0] == "Points Possible" and lines[1][-1] == "9"
    scores = {line[2]: line[-1] for line in lines[2:]}
    assert scores == {who: row["score"] for who, row in read_grades(out).items()}


#: Gradescope's autograder results format (its documentation's fields and values)
GRADESCOPE_SCHEMA = {
    "type": "object",
    "required": ["tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["score", "max_score", "name"],
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "name": {"type": "string"},
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "status": {"enum": ["passed", "failed"]},
                    "visibility": {
                        "enum": ["hidden", "after_due_date", "after_published", "visible"]
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


def test_gradescope_results_follow_its_schema_and_hide_hidden_tests(graded):
    import jsonschema

    _, out = graded
    rows = read_grades(out)
    for who, row in rows.items():
        results = json.loads((out / "gradescope" / who / "results.json").read_text())
        jsonschema.validate(results, GRADESCOPE_SCHEMA)
        total = results.get("score", sum(t["score"] for t in results["tests"]))
        assert f"{total:g}" == row["score"], who
    tests = {
        t["number"]: t
        for t in json.loads((out / "gradescope" / "ada" / "results.json").read_text())["tests"]
    }
    assert tests["test_max_function"]["visibility"] == "after_published"  # has hidden tests
    assert tests["test_load"]["visibility"] == "visible"


def test_nbgrader_gradebook_holds_every_submission_for_formgrader(graded):
    from nbgrader.api import Gradebook

    _, out = graded
    rows = read_grades(out)
    with Gradebook(f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}") as gradebook:
        for who, row in rows.items():
            submission = gradebook.find_submission(NAME, who)
            assert f"{submission.score:g}" == row["score"], who
            assert not submission.needs_manual_grade
    # where formgrader looks for the notebooks it shows
    assert (out / "nbgrader" / "autograded" / "ada" / NAME / f"{NAME}.ipynb").is_file()
    assert not (out / "nbgrader" / "autograded" / "di").exists()  # not a notebook: nothing to show
    assert (
        f"c.CourseDirectory.root = {str(out / 'nbgrader')!r}"
        in (out / "nbgrader" / "nbgrader_config.py").read_text()
    )


def test_manual_grades_made_in_formgrader_survive_a_regrade(graded):
    """Grades an instructor typed in out/nbgrader are theirs: a later run keeps them."""
    from nbgrader.api import Gradebook

    submissions, out = graded
    database = f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}"
    with Gradebook(database) as gradebook:
        grade = gradebook.find_grade("test_median_function", NAME, NAME, "bo")
        grade.manual_score, grade.extra_credit = 2.5, 1.0
        comment = gradebook.find_submission_notebook(NAME, NAME, "bo").comments[0]
        comment.manual_comment = "see me about the median"
        gradebook.db.commit()
    assert _grade(submissions, out, "--regrade") == 0
    with Gradebook(database) as gradebook:
        grade = gradebook.find_grade("test_median_function", NAME, NAME, "bo")
        assert (grade.manual_score, grade.extra_credit) == (2.5, 1.0)
        assert grade.auto_score is not None  # the automatic score is still written
        notebook = gradebook.find_submission_notebook(NAME, NAME, "bo")
        assert "see me about the median" in [c.manual_comment for c in notebook.comments]
        untouched = gradebook.find_grade("test_median_function", NAME, NAME, "ada")
        assert untouched.manual_score is None


# ---------------------------------------------------------------------------- report


def test_the_class_report_shows_scores_questions_failures_and_statuses(graded, chromium):
    from playwright.sync_api import sync_playwright

    _, out = graded
    page_text = (out / "report.html").read_text()
    assert "<script" not in page_text and "http" not in page_text.replace("http-equiv", "")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto((out / "report.html").as_uri())
        assert page.locator("svg.chart").count() == 3  # scores, pass rates, seconds
        body = page.inner_text("body")
        shots = ROOT / "build" / "report-screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "report.png"), full_page=True)
        browser.close()
    assert "4 students" in body.replace("\n", " ")
    assert "invalid-notebook" in body and "di" in body
    # cy's blank notebook fails every question with the same message
    assert "not answered yet: an answer cell above still raises NotImplementedError()" in body
    assert "test_median_function" in body and "2 of 3 (67%)" in body


@pytest.fixture(scope="module")
def chromium():
    sys.path.insert(0, str(ROOT / "tests"))
    from test_browser import _find_chromium

    path = _find_chromium()
    if path is None:
        pytest.fail("no Chromium: run scripts/ensure_chromium.sh (make test does)")
    return path


# ---------------------------------------------------------------------------- dask


@pytest.fixture(scope="module")
def local_cluster():
    """A cluster of 2 worker processes, as `dask scheduler` + 2 x `dask worker` would be."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as lc,
        Client(lc) as client,
    ):
        yield lc.scheduler_address, client


def test_a_worker_killed_mid_run_loses_no_submission(local_cluster, tmp_path):
    address, client = local_cluster
    students = {f"w{i:02d}": student(NAME) for i in range(6)}
    students["w_mean"] = student(NAME, {"median_function": MEAN})
    write_corpus(tmp_path / "submissions", NAME, students)
    killed = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            busy = [w for w, keys in client.processing().items() if keys]
            if busy and len(list((tmp_path / "out" / ".stacks" / "results").glob("*.json"))) >= 1:
                pids = client.run(os.getpid, workers=[busy[0]])
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    assert _grade(tmp_path / "submissions", tmp_path / "out", "--scheduler", address) == 0
    killer.join()
    assert killed, "no worker was killed: the test did not test anything"
    rows = read_grades(tmp_path / "out")
    assert {who: row["score"] for who, row in rows.items()} == {
        **dict.fromkeys(students, "9"),
        "w_mean": "5",
    }
    assert len(_log(tmp_path / "out")) == len(students)
    workers = {line.split()[2] for line in _log(tmp_path / "out")}
    assert len(workers) >= 2  # the work was spread, and finished by the survivors


class KillOnPoison:
    """A worker plugin that kills its worker when the poisoned student's task starts."""

    name = "kill-on-poison"

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and "grade-poison-" in str(key):
            os._exit(1)


def test_a_submission_that_kills_every_worker_gets_a_row_and_the_batch_finishes(
    local_cluster, tmp_path
):
    import cloudpickle
    from distributed import WorkerPlugin

    address, client = local_cluster
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    plugin = type("Plugin", (KillOnPoison, WorkerPlugin), {})()
    client.register_plugin(plugin)
    try:
        students = {"poison": student(NAME), "fine": student(NAME)}
        write_corpus(tmp_path / "submissions", NAME, students)
        assert _grade(tmp_path / "submissions", tmp_path / "out", "--scheduler", address) == 0
    finally:
        client.unregister_worker_plugin(KillOnPoison.name)
    rows = read_grades(tmp_path / "out")
    assert (rows["fine"]["score"], rows["fine"]["status"]) == ("9", "graded")
    assert (rows["poison"]["score"], rows["poison"]["status"]) == ("0", "worker-died")
    assert "stopped every worker it was given to" in rows["poison"]["message"]
