"""Where the course's folders are: exercise sources, releases, students' copies, the nbgrader course."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["REPO", "Paths", "exercise_names"]

#: The repository: ``stacks/`` sits at its top, beside ``solutions/`` and ``exercises/``.
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Paths:
    """The folders the pipeline reads and writes.

    Parameters
    ----------
    solutions : Path
        The single sources ``NN_name.md`` of the exercises.
    exercises : Path
        The released student notebooks that ``stacks build`` writes (students work on copies).
    course : Path
        The nbgrader course folder (source, release, gradebook, ``nbgrader_config.py``).
    work : Path, optional
        The student's own copies of the exercises, which no command overwrites (default:
        ``work/`` beside ``exercises``).
    secret : Path, optional
        The course secret (default: ``instructor/course-secret`` beside ``exercises``).

    Examples
    --------
    >>> from pathlib import Path
    >>> paths = Paths(solutions=Path("my/solutions"))
    >>> paths.solutions, paths.course.name
    (PosixPath('my/solutions'), 'nbgrader')
    >>> Paths(exercises=Path("class/exercises")).work
    PosixPath('class/work')
    """

    solutions: Path = REPO / "solutions"
    exercises: Path = REPO / "exercises"
    course: Path = REPO / "build" / "nbgrader"
    work: Path = None  # type: ignore[assignment]  # set in __post_init__
    secret: Path = None  # type: ignore[assignment]  # set in __post_init__

    def __post_init__(self) -> None:
        if self.work is None:
            object.__setattr__(self, "work", self.exercises.parent / "work")
        if self.secret is None:
            object.__setattr__(
                self, "secret", self.exercises.parent / "instructor" / "course-secret"
            )

    def source(self, name: str) -> Path:
        """The single source of exercise ``name``.

        Examples
        --------
        >>> Paths().source("01_projections").name
        '01_projections.md'
        """
        return self.solutions / f"{name}.md"


def exercise_names(paths: Paths = Paths()) -> list[str]:
    """Names of the exercises: one per ``solutions/NN_name.md``, in order.

    Examples
    --------
    >>> exercise_names()[:2]
    ['00_images_are_arrays', '01_projections']
    """
    return sorted(p.stem for p in paths.solutions.glob("*.md") if not p.name.startswith((".", "_")))
