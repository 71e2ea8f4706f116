"""Plain `nbgrader autograde`, in the course folder that `stacks build` writes, grades a
corpus exactly as `stacks grade` does: the policies are nbgrader preprocessors, configured
once, not behaviour of our own runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import grade_corpus, student, write_corpus

from stacks import _build

NAME = "01_projections"
TIMEOUT = 10
MEAN = "def median_projection(stack):\n    return np.asarray(stack).mean(axis=0)"
WARNS = (
    "import sys\nimport warnings\n\ndef max_projection(stack):\n"
    "    warnings.simplefilter('always')\n"
    "    warnings.warn('this argument will change', FutureWarning)\n"
    "    print('projecting...', file=sys.stderr)\n"
    "    return np.asarray(stack).max(axis=0)"
)


@pytest.fixture(scope="module")
def corpus():
    return {
        "solution": student(NAME),
        "blank": student(NAME, blank=True),
        "mean": student(NAME, {"median_function": MEAN}),
        "warns": student(NAME, {"max_function": WARNS}),
        "deleted": student(NAME, drop={"test_max_z"}),
        "edited": student(
            NAME, {"median_function": MEAN}, edit={"test_median_function": "print('all good')"}
        ),
        "endless": student(NAME, {"median_z": "while True:\n    pass"}),
        "crash": student(NAME, {"median_z": "import os\nos._exit(1)"}),
    }


def _plain_nbgrader(tmp: Path, corpus: dict) -> dict[str, float]:
    from nbgrader.api import Gradebook

    course = tmp / "course"
    _build.generate([NAME])  # the course folder `stacks build` writes
    shutil.copytree(_build.Paths().course, course, ignore=shutil.ignore_patterns(".lock"))
    for who, nb in corpus.items():
        write_corpus(course / "submitted" / who, NAME, {NAME: nb})
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "autograde",
            NAME,
            f"--CourseDirectory.root={course}",
            f"--ExecuteWithLimits.timeout={TIMEOUT}",
            "--force",
        ],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {who: float(gb.find_submission(NAME, who).score) for who in corpus}


def test_plain_nbgrader_and_stacks_grade_give_the_same_scores(tmp_path, corpus):
    rows, _ = grade_corpus(tmp_path / "stacks", NAME, corpus, "--timeout", str(TIMEOUT))
    ours = {who: float(row["score"]) for who, row in rows.items()}
    theirs = _plain_nbgrader(tmp_path / "nbgrader", corpus)
    assert ours == theirs
    # and the corpus tells the policies apart: each would change a score if it were off
    assert ours["solution"] == 9 and ours["blank"] == 0
    assert ours["warns"] == 9  # stderr never costs points
    assert ours["deleted"] == 9 and ours["edited"] == 5  # test cells restored
    assert ours["endless"] == 8 and ours["crash"] == 7  # cells that did not run score 0
