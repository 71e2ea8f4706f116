"""``stacks release DIR``: the course as students get it, with no answer in it.

A release holds the lectures, the student notebooks, the two packages (``helpers`` for the
notebooks, ``stacks`` for ``stacks start/check/update`` and ``stacks data``), the set-up
files and a README for students. It leaves out the exercise sources (solutions and hidden
tests), the tests, the benchmarks, every generated file (data, ``build/``) and the course
secret. Data are not shipped: ``make course`` simulates them on the student's machine. That
the visible data's ground truth can then be made there is by design: no point depends on
it, because every graded value also needs its function to pass hidden tests on data that
only the grader makes, from the secret.

Before anything is written, the files to ship are scanned for the hidden tests and the
solution code of every exercise (:func:`stacks._markup.secret_runs`) and for the secret;
a hit stops the release naming the file and the lines.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from stacks import _build, _markup, _roster
from stacks._errors import StacksError
from stacks._paths import REPO, Paths, exercise_names

__all__ = ["SHIPPED", "find_leaks", "release"]

#: What a release holds, relative to the repository: the one list of it.
SHIPPED = (
    ".gitignore",
    ".jupyter",
    "LICENSE",
    "Makefile",
    "constraints.txt",
    "environment.yml",
    "pyproject.toml",
    "data/README.md",
    "docs/datasets.png",
    "exercises",
    "helpers",
    "lectures",
    "scripts",
    "stacks",
)

#: Never shipped, wherever it turns up inside what is.
_SKIPPED_NAMES = {
    "__pycache__",
    ".ipynb_checkpoints",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
}

_README = Path(__file__).parent / "templates" / "release-README.md"


def _files(root: Path) -> Iterator[Path]:
    """Every file of :data:`SHIPPED` under ``root``, relative to it."""
    for entry in SHIPPED:
        path = root / entry
        if path.is_file():
            yield Path(entry)
        elif path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(root)
                skipped = _SKIPPED_NAMES & set(relative.parts) or found.suffix == ".pyc"
                if found.is_file() and not skipped:
                    yield relative
        else:
            raise StacksError(f"{path} is missing: a release needs it")


def find_leaks(
    root: Path, files: list[Path], runs: set[tuple[str, ...]], secret: bytes | None
) -> list[str]:
    """Where ``files`` hold a run of answer lines (:func:`stacks._markup.secret_runs`) or
    the course ``secret``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "a.py").write_text("x = 1\\nsmooth = blur(image)\\n\\nanswer = f(smooth)\\n")
    ...     find_leaks(Path(folder), [Path("a.py")], {("smooth = blur(image)", "answer = f(smooth)")}, None)
    ['a.py: smooth = blur(image) / answer = f(smooth)']
    """
    leaks = []
    for relative in files:
        data = (root / relative).read_bytes()
        if secret and secret in data:
            leaks.append(f"{relative}: the course secret")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # pictures: no source lines in them
        sources = [text]
        if relative.suffix == ".ipynb":
            import nbformat

            sources = [cell.source for cell in nbformat.reads(text, as_version=4).cells]
        found: set[tuple[str, ...]] = set()
        for source in sources:
            lines = [line.strip() for line in source.splitlines() if line.strip()]
            found |= {(line,) for line in lines} | set(itertools.pairwise(lines))
        leaks += [f"{relative}: {' / '.join(run)}" for run in sorted(found & runs)]
    return leaks


def release(
    destination: Path,
    paths: Paths = Paths(),
    *,
    root: Path = REPO,
    roster: Path | None = None,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Write the student release of the course into ``destination``.

    The student notebooks are rebuilt first, so that the release has the current ones.
    ``destination`` must not exist or be empty: nothing is ever written over. With a
    ``roster``, the release also holds ``data/seeds.csv``, each student's data seed
    (:mod:`stacks._roster`), for ``stacks data --student ID``.

    Returns
    -------
    list of Path
        The files written, relative to ``destination``.

    Raises
    ------
    StacksError
        When ``destination`` holds files, or a file to ship holds an answer or the secret.

    Examples
    --------
    >>> written = release(Path("student-release"))  # doctest: +SKIP
    >>> Path("exercises/01_projections.ipynb") in written  # doctest: +SKIP
    True
    """
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise StacksError(f"{destination} exists and is not an empty folder; give a new one")
    if destination.resolve().is_relative_to(root.resolve()):
        raise StacksError(f"{destination} is inside the course ({root}); give a folder outside it")
    students = _roster.read_roster(roster) if roster is not None else []
    _build.build(paths=paths, log=lambda line: None)
    runs: set[tuple[str, ...]] = set()
    for name in exercise_names(paths):
        runs |= _markup.secret_runs(_build.read_source(paths.source(name)))
    secret = paths.secret.read_bytes().strip() if paths.secret.is_file() else None
    files = list(_files(root))
    leaks = find_leaks(root, files, runs, secret)
    if leaks:
        raise StacksError(f"not released: an answer would be in it, {leaks[0]}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    # written next to the destination, then renamed: never half a release
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        for relative in files:
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / relative, staging / relative)
        shutil.copyfile(_README, staging / "README.md")
        if students:
            _roster.write_seeds(students, staging / "data", paths)
        os.chmod(staging, 0o755)
        if destination.exists():
            destination.rmdir()
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written = [
        *files,
        Path("README.md"),
        *([Path("data") / _roster.SEEDS_FILE] if students else []),
    ]
    log(f"released {len(written)} files to {destination}")
    return written
