"""The nbgrader configuration of the course, in one place.

``stacks grade`` runs the preprocessors listed here, configured with these settings; ``stacks
build`` writes the same settings to ``build/nbgrader/nbgrader_config.py`` so that plain
``nbgrader autograde`` (or formgrader) in that folder grades exactly the same way. Every
setting is here because a default set-up mis-grades silently (see the team's findings); the
comment written beside it in ``nbgrader_config.py`` says how.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stacks._kernels import FORK_KERNEL, GRADING_ENV

__all__ = [
    "AUTOGRADE",
    "CHECK",
    "COURSE_ID",
    "FEEDBACK",
    "SANITIZE",
    "config",
    "nbgrader_settings",
    "preprocessors",
    "write_config",
]

COURSE_ID = "stacks"

#: Before a submission runs: nbgrader's sanitize list, with deleted test cells restored.
SANITIZE = [
    "nbgrader.preprocessors.ClearOutput",
    "stacks.preprocessors.ResolveDuplicateCells",
    "stacks.preprocessors.RestoreCellMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "stacks.preprocessors.RestoreTestCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
#: Running and scoring it: nbgrader's autograde list with our execution and stderr policy.
AUTOGRADE = [
    "stacks.preprocessors.ExecuteWithLimits",
    "stacks.preprocessors.IgnoreStderrInTests",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
#: ``stacks check`` on a student's machine: the same policies, with no gradebook.
CHECK = [
    "nbgrader.preprocessors.ClearOutput",
    "stacks.preprocessors.ResolveDuplicateCells",
    "stacks.preprocessors.RestoreCellMetadata",
    "stacks.preprocessors.RestoreTestCells",
    "stacks.preprocessors.ExecuteWithLimits",
    "stacks.preprocessors.IgnoreStderrInTests",
]
#: Feedback: no hidden test, in cells or tracebacks.
FEEDBACK = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "stacks.preprocessors.ScrubHiddenTests",
]

_WHY = {
    "CourseDirectory.ignore": "the MyST sources hold the solutions: never copy them into a release",
    "Autograde.sanitize_preprocessors": (
        "ResolveDuplicateCells: copied cells run as ordinary cells (not a 0 for the notebook); "
        "RestoreCellMetadata: nbgrader metadata is the release's, whatever the file says; "
        "RestoreTestCells puts deleted or edited test cells back"
    ),
    "Autograde.autograde_preprocessors": (
        "ExecuteWithLimits: per-cell time limit, cells that never ran score 0; "
        "IgnoreStderrInTests: a warning on stderr never costs points"
    ),
    "ExecuteWithLimits.timeout": "seconds per cell",
    "ExecuteWithLimits.kernel_env": "warnings off in kernels; grading never counts them",
    "ExecuteWithLimits.kernel_name": "kernels forked from a pre-loaded zygote (stacks/_provisioner.py)",
    "ExecuteWithLimits.judge": (
        "test cells run in the grader on values copied out of the kernel (stacks/_judge.py): "
        "nothing a kernel prints or patches changes a score"
    ),
    "ExecuteWithLimits.sandbox": (
        "each kernel in a bubblewrap sandbox with limits (stacks/_sandbox.py); False only "
        "for trusted notebooks"
    ),
    "GenerateFeedback.preprocessors": "ScrubHiddenTests keeps hidden tests out of the feedback, tracebacks included",
}


def nbgrader_settings(course: Path, *, timeout: float = 60) -> dict[str, dict[str, Any]]:
    """The nbgrader configuration of a course folder, as ``{section: {option: value}}``.

    Examples
    --------
    >>> settings = nbgrader_settings(Path("/course"))
    >>> settings["Autograde"]["autograde_preprocessors"][0]
    'stacks.preprocessors.ExecuteWithLimits'
    >>> settings["ExecuteWithLimits"]["timeout"]
    60
    """
    return {
        "CourseDirectory": {
            "root": str(course),
            "course_id": COURSE_ID,
            "ignore": [
                ".ipynb_checkpoints",
                "*.pyc",
                "__pycache__",
                "feedback",
                "*.md",
                ".stamp-*",
            ],
        },
        "ClearSolutions": {
            "code_stub": {"python": "# YOUR CODE HERE\nraise NotImplementedError()"},
            "text_stub": "YOUR ANSWER HERE",
        },
        "Autograde": {"sanitize_preprocessors": SANITIZE, "autograde_preprocessors": AUTOGRADE},
        "ExecuteWithLimits": {
            "timeout": timeout,
            "kernel_env": dict(GRADING_ENV),
            "kernel_name": FORK_KERNEL,
            "sandbox": True,
            "judge": True,
        },
        "GenerateFeedback": {"preprocessors": FEEDBACK},
    }


def config(course: Path, *, timeout: float = 60, **overrides: dict[str, Any]) -> Any:
    """The settings as a traitlets ``Config``; ``overrides`` add or replace options by section.

    Examples
    --------
    >>> c = config(Path("/course"), ExecuteWithLimits={"kernel_name": "stacks-fork"})
    >>> c.ExecuteWithLimits.kernel_name, c.ExecuteWithLimits.timeout
    ('stacks-fork', 60)
    """
    from traitlets.config import Config

    settings = nbgrader_settings(course, timeout=timeout)
    for section, options in overrides.items():
        settings.setdefault(section, {}).update(options)
    result = Config()
    for section, options in settings.items():
        for key, value in options.items():
            setattr(getattr(result, section), key, value)
    return result


def preprocessors(names: list[str], configuration: Any, **traits: Any) -> list[Any]:
    """Instantiate a list of preprocessors by import name with a configuration.

    ``traits`` are passed to the preprocessors that have them (e.g. ``harvest``).

    Examples
    --------
    >>> [type(p).__name__ for p in preprocessors(FEEDBACK, config(Path("/course")))]
    ['GetGrades', 'CSSHTMLHeaderPreprocessor', 'ScrubHiddenTests']
    """
    from traitlets.utils.importstring import import_item

    made = []
    for name in names:
        cls = import_item(name)
        own = {key: value for key, value in traits.items() if cls.class_traits().get(key)}
        made.append(cls(config=configuration, **own))
    return made


def write_config(course: Path, *, timeout: float = 60) -> Path:
    """Write ``nbgrader_config.py`` for the course folder (only if it changed); return its path.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_config(Path(folder))
    ...     "stacks.preprocessors.RestoreTestCells" in path.read_text()
    True
    """
    lines = [
        "# Written by `stacks build` for running nbgrader by hand in this folder; edit",
        "# stacks/_config.py instead. `stacks grade` applies the same settings itself.",
        "c = get_config()  # noqa: F821",
    ]
    for section, options in nbgrader_settings(course, timeout=timeout).items():
        for key, value in options.items():
            why = _WHY.get(f"{section}.{key}")
            if why:
                lines.append(f"# {why}")
            lines.append(f"c.{section}.{key} = {value!r}")
    path = course / "nbgrader_config.py"
    course.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
