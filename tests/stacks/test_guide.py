"""docs/adding-an-exercise.md is right: its example, written into a solutions folder of its
own and nothing else, builds and self-checks (full marks for the solution, 0 when blank)."""

from __future__ import annotations

import re

from corpus import ROOT

from stacks import Paths, _build, _selfcheck

GUIDE = ROOT / "docs" / "adding-an-exercise.md"


def test_the_example_of_the_guide_builds_and_selfchecks(tmp_path):
    text = GUIDE.read_text(encoding="utf-8")
    [example] = re.findall(r"^````markdown\n(.*?)^````$", text, flags=re.MULTILINE | re.DOTALL)
    name = re.search(r"solutions/(\d\d_\w+)\.md", text).group(1)
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / f"{name}.md").write_text(example, encoding="utf-8")
    paths = Paths(solutions=solutions, exercises=tmp_path / "exercises", course=tmp_path / "course")

    [written] = _build.build(paths=paths, log=lambda line: None)
    assert written == tmp_path / "exercises" / f"{name}.ipynb"
    student = written.read_text(encoding="utf-8")
    assert "BEGIN HIDDEN TESTS" not in student and "mean(axis=(1, 2))" not in student

    lines: list[str] = []
    assert _selfcheck.selfcheck(paths=paths, timeout=60, out=lines.append) == 0, lines
    assert re.search(rf"{name}\s+3/3\s+ok\s+0\s+ok\s+yes", "\n".join(lines)), lines
    assert _build.read_exercise(name, paths).datasets == ("zebrafish",)
