"""Turn the single-source exercises (``solutions/*.md``) into student notebooks.

solutions/NN_name.md --jupytext--> build/nbgrader/source/NN_name/NN_name.ipynb
--nbgrader generate_assignment--> build/nbgrader/release/NN_name/NN_name.ipynb
--stable ids and serialisation--> exercises/NN_name.ipynb

nbgrader runs in-process with the configuration of :mod:`stacks._config` (also written to
``build/nbgrader/nbgrader_config.py`` so that an instructor can run the nbgrader command
line or formgrader in that folder). One process at a time works in the course folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from stacks import _config, _markup, _workspace
from stacks._errors import BuildError, StacksError
from stacks._exercise import Exercise, read_declaration
from stacks._paths import REPO, Paths, exercise_names

if TYPE_CHECKING:  # nbformat takes ~1.5 s to import (jsonschema); `stacks --help` should not wait
    from nbformat import NotebookNode

__all__ = ["build", "course_copy", "generate", "read_exercise", "read_source", "source_notebook"]


def _shown(path: Path) -> Path:
    try:
        return path.relative_to(REPO)
    except ValueError:
        return path


def _read_text(md: Path) -> str:
    try:
        return md.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError(f"no exercise source {md}") from None
    except OSError as error:
        raise BuildError(f"cannot read {md}: {error.strerror}") from None


def _parse(md: Path, text: str) -> NotebookNode:
    import jupytext

    try:
        return jupytext.reads(text, fmt="md:myst")
    except Exception as error:  # jupytext raises many kinds of parse errors
        raise BuildError(f"{md}: not a MyST notebook jupytext can read ({error})") from None


def read_source(md: Path) -> NotebookNode:
    """Read an exercise source, validate its markup and declaration, give it stable ids.

    Raises
    ------
    BuildError
        If the file cannot be read or parsed.
    MarkupError
        If the nbgrader markup or the ``stacks`` front matter is wrong.

    Examples
    --------
    >>> nb = read_source(Paths().source("01_projections"))
    >>> nb.cells[0].id, "stacks" in nb.metadata
    ('cell-01', False)
    """
    text = _read_text(md)
    nb = _parse(md, text)
    _markup.validate_markup(nb, _shown(md), text)
    read_declaration(md.stem, nb.metadata, _shown(md))
    return _markup.stabilise(nb)


def read_exercise(name: str, paths: Paths = Paths()) -> Exercise:
    """The declaration in the front matter of ``solutions/<name>.md``.

    Examples
    --------
    >>> read_exercise("02_segmentation").datasets
    ('beadpack',)
    """
    md = paths.source(name)
    return read_declaration(name, _parse(md, _read_text(md)).metadata, _shown(md))


def ensure_tools_on_path() -> None:
    """nbgrader runs the ``alembic`` command when it creates a gradebook: find it in our venv."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def _lock(paths: Paths) -> FileLock:
    """One process at a time in the course folder (parallel test workers, a grade during a build)."""
    paths.course.mkdir(parents=True, exist_ok=True)
    return FileLock(str(paths.course / ".lock"))


def generate(
    names: Sequence[str],
    paths: Paths = Paths(),
    *,
    force: bool = False,
    log: Callable[[str], None] = lambda s: None,
) -> dict[str, NotebookNode]:
    """Validate sources, write them into the course folder and run generate_assignment.

    nbgrader runs only for sources that changed since the last run (a stamp records the
    source digest), so grading can call this cheaply every time.

    Returns
    -------
    dict
        ``{name: release notebook}``, with stable ids.

    Examples
    --------
    >>> releases = generate(["01_projections"])
    >>> any("raise NotImplementedError()" in c.source for c in releases["01_projections"].cells)
    True
    """
    ensure_tools_on_path()
    with _lock(paths):
        return _generate(names, paths, force=force, log=log)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _generate(
    names: Sequence[str], paths: Paths, *, force: bool, log: Callable[[str], None]
) -> dict[str, NotebookNode]:
    import nbformat

    course = paths.course
    _config.write_config(course)
    sources = {name: read_source(paths.source(name)) for name in names}
    stale = []
    for name, nb in sources.items():
        text = _markup.dumps(nb)
        target = course / "source" / name / f"{name}.ipynb"
        stamp = course / f".stamp-{name}"
        release = course / "release" / name / f"{name}.ipynb"
        current = _digest(text)
        fresh = (
            target.exists()
            and target.read_text(encoding="utf-8") == text
            and release.exists()
            and stamp.exists()
            and stamp.read_text() == current
        )
        if force or not fresh:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            stale.append((name, current))
    if stale:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        configuration = _config.config(course)
        api = NbGraderAPI(CourseDirectory(config=configuration), config=configuration)
        for name, current in stale:
            log(f"nbgrader generate_assignment {name}")
            result = api.generate_assignment(name, force=True, create=True)
            if not result.get("success"):
                details = (result.get("error") or result.get("log") or "").strip().splitlines()
                raise BuildError(
                    f"nbgrader generate_assignment {name} failed: {details[-1] if details else 'no message'}"
                )
            (course / f".stamp-{name}").write_text(current)
    return {
        name: _markup.stabilise(
            nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        )
        for name in names
    }


def build(
    names: Sequence[str] | None = None,
    paths: Paths = Paths(),
    *,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Build the student notebooks ``exercises/*.ipynb`` (the release) from the sources.

    A release that someone edited is copied to ``work/`` before it is replaced, so that
    no answer is ever lost (:func:`stacks._workspace.preserve_edits`); students' own
    copies in ``work/`` are never touched.

    Parameters
    ----------
    names : sequence of str, optional
        Exercises to build (default: every ``solutions/*.md``).
    paths : Paths
        Source, output and course folders.
    log : callable
        Receives one line per step.

    Returns
    -------
    list of Path
        The student notebooks written (or already up to date).

    Raises
    ------
    StacksError
        On an unknown exercise, a bad source, a failed nbgrader run, or solution text left
        in a student notebook; nothing is written to ``exercises/`` then.

    Examples
    --------
    >>> build(["01_projections"], log=print)  # doctest: +SKIP
    unchanged .../exercises/01_projections.ipynb
    [PosixPath('.../exercises/01_projections.ipynb')]
    """
    known = exercise_names(paths)
    for name in names or []:
        if name not in known:
            raise StacksError(
                f"unknown exercise {name!r}; the sources in {paths.solutions} are: {', '.join(known) or 'none'}"
            )
    names = list(names) if names else known
    if not names:
        raise BuildError(f"no exercise sources (*.md) in {paths.solutions}")
    releases = generate(names, paths, log=log)
    students = {}
    for name in names:
        secret = _markup.secret_lines(read_source(paths.source(name)))
        leaks = _markup.find_leaks(releases[name], secret)
        if leaks:
            raise BuildError(
                f"{name}: solution or hidden-test text left in the student notebook: {leaks[0]!r}"
            )
        students[name] = student_text(name, releases[name], paths)
    paths.exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in students.items():
        target = paths.exercises / f"{name}.ipynb"
        if target.exists() and target.read_text(encoding="utf-8") == text:
            log(f"unchanged {target}")
        else:
            kept = _workspace.preserve_edits(target, paths)
            if kept is not None:
                log(
                    f"{target} had edits: kept them in {kept} (exercises/ holds the release; "
                    "students work on their copies in work/)"
                )
            tmp = target.with_name(f".{target.name}.partial")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)  # never a half-written notebook
            log(f"wrote {target}")
        written.append(target)
    return written


def course_copy(name: str, destination: Path, paths: Paths = Paths()) -> str:
    """Make a private copy of the gradebook and source of ``name``; return the database URL.

    Each grading run works on its own copy so that runs never see each other's students
    and a crashed run leaves the course folder untouched. The source notebook (with its
    hidden tests) is what the judge runs the tests from.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     course_copy("01_projections", Path(folder)).startswith("sqlite:///")
    True
    """
    generate([name], paths)
    destination.mkdir(parents=True, exist_ok=True)
    with _lock(paths):
        shutil.copyfile(paths.course / "gradebook.db", destination / "gradebook.db")
        source = destination / "source" / name
        source.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths.course / "source" / name / f"{name}.ipynb", source / f"{name}.ipynb")
    return f"sqlite:///{destination / 'gradebook.db'}"


def student_text(name: str, release: NotebookNode, paths: Paths = Paths()) -> str:
    """The text of ``exercises/<name>.ipynb``: the release, stamped so that copies can be merged.

    Examples
    --------
    >>> text = student_text("01_projections", generate(["01_projections"])["01_projections"])
    >>> '"stacks_release"' in text
    True
    """
    hidden = _markup.hidden_test_ids(read_source(paths.source(name)))
    return _markup.dumps(_workspace.stamp(name, release, hidden))


def source_notebook(name: str, paths: Paths = Paths()) -> NotebookNode:
    """The full solution notebook of ``name`` as nbgrader sees it (with hidden tests).

    Examples
    --------
    >>> nb = source_notebook("01_projections")
    >>> any("BEGIN HIDDEN TESTS" in cell.source for cell in nb.cells)
    True
    """
    import nbformat

    generate([name], paths)
    return nbformat.read(paths.course / "source" / name / f"{name}.ipynb", as_version=4)
