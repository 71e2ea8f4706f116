"""What the pipeline needs to know about an exercise, read from the exercise's own source.

Each ``solutions/NN_name.md`` declares, in a ``stacks:`` entry of its front matter, the
datasets its notebook uses (generated before any kernel starts, so that no two kernels
build them at once and no kernel spends its time limit on it), the variables to copy out
of the graded kernel and the pictures drawn from them in the feedback::

    stacks:
      datasets: [beadpack]
      harvest:
        bead_labels: {plane: middle}     # a 3D label image: keep its middle plane only
      feedback:
        - figure: label_overlay          # one of stacks._figures.KINDS
          variable: bead_labels
          dataset: beadpack
          caption: The middle plane of the volume...

An optional ``limits:`` entry changes the sandbox's limits for this exercise, e.g.
``limits: {memory: 4GiB, processes: 128}`` (:class:`stacks._sandbox.Limits`).

Adding an exercise of a known kind therefore touches ``solutions/`` only. Every problem is
reported at once, naming the file and the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks._errors import MarkupError

__all__ = ["Exercise", "FigureSpec", "Harvest", "read_declaration"]

#: How a harvested array may be cut down before it leaves the kernel.
PLANES = ("middle",)
_KEYS = ("datasets", "harvest", "feedback", "limits")


@dataclass(frozen=True)
class Harvest:
    """A variable to copy out of the kernel after the notebook ran.

    ``plane="middle"`` keeps only the middle plane along axis 0 of a 3D array, so that a
    label volume costs a few hundred kB rather than tens of MB.

    Examples
    --------
    >>> Harvest("bead_labels", plane="middle")
    Harvest(name='bead_labels', plane='middle')
    """

    name: str
    plane: str | None = None


@dataclass(frozen=True)
class FigureSpec:
    """One picture of the feedback page: a kind from :data:`stacks._figures.KINDS` and its options.

    Examples
    --------
    >>> spec = FigureSpec("label_overlay", {"variable": "bead_labels", "dataset": "beadpack"})
    >>> spec.variables()
    ['bead_labels']
    """

    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def variables(self) -> list[str]:
        """The harvested variables this picture draws."""
        from stacks import _figures

        return _figures.KINDS[self.kind].variables(self.options)


@dataclass(frozen=True)
class Exercise:
    """The declaration of one exercise.

    Examples
    --------
    >>> exercise = read_declaration("demo", {"stacks": {"datasets": ["cells"]}}, "demo.md")
    >>> exercise.datasets, exercise.harvest, exercise.feedback, exercise.limits
    (('cells',), (), (), {})
    """

    name: str
    datasets: tuple[str, ...] = ()
    harvest: tuple[Harvest, ...] = ()
    feedback: tuple[FigureSpec, ...] = ()
    #: the sandbox's limits that this exercise changes, e.g. ``{"memory": "4GiB"}``
    limits: Mapping[str, Any] = field(default_factory=dict)


def read_declaration(name: str, metadata: Mapping[str, Any], where: Path | str) -> Exercise:
    """Read and check the ``stacks`` entry of an exercise notebook's metadata.

    Parameters
    ----------
    name : str
        The exercise, e.g. ``"01_projections"``.
    metadata : mapping
        The notebook metadata (the MyST front matter, as jupytext reads it).
    where : path-like
        The source file, for messages.

    Returns
    -------
    Exercise
        An exercise without a ``stacks`` entry declares nothing: no datasets to prepare,
        nothing harvested, no pictures.

    Raises
    ------
    MarkupError
        Listing every problem: unknown keys, unknown datasets, figures of unknown kinds or
        with wrong options, pictures of variables that are not harvested.

    Examples
    --------
    >>> read_declaration("demo", {"stacks": {"datasets": ["nope"]}}, "demo.md")
    Traceback (most recent call last):
    ...
    stacks._errors.MarkupError: demo.md: the stacks front matter has 1 problem:
      stacks.datasets: unknown dataset 'nope'; the datasets are zebrafish, cells, beadpack, timelapse
    """
    from helpers import datasets as course_datasets

    entry = metadata.get("stacks") or {}
    problems: list[str] = []
    if not isinstance(entry, Mapping):
        raise MarkupError(f"{where}: `stacks:` in the front matter must be a mapping")
    for key in entry:
        if key not in _KEYS:
            problems.append(f"stacks.{key}: unknown entry; the entries are {', '.join(_KEYS)}")

    names = entry.get("datasets") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        problems.append("stacks.datasets: a list of dataset names, e.g. [zebrafish]")
        names = []
    for dataset in names:
        if dataset not in course_datasets.NAMES:
            problems.append(
                f"stacks.datasets: unknown dataset {dataset!r}; the datasets are "
                f"{', '.join(course_datasets.NAMES)}"
            )

    harvest = _read_harvest(entry.get("harvest") or {}, problems)
    figures = _read_figures(entry.get("feedback") or [], {h.name for h in harvest}, problems)
    limits = entry.get("limits") or {}
    if not isinstance(limits, Mapping):
        problems.append("stacks.limits: a mapping such as {memory: 4GiB, processes: 128}")
        limits = {}
    try:
        from stacks._sandbox import Limits

        Limits.from_mapping(limits)
    except ValueError as error:
        problems.append(f"stacks.limits: {error}")
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise MarkupError(
            f"{where}: the stacks front matter has {len(problems)} {noun}:\n  "
            + "\n  ".join(problems)
        )
    return Exercise(name, tuple(names), tuple(harvest), tuple(figures), dict(limits))


def _read_harvest(entry: Any, problems: list[str]) -> list[Harvest]:
    if not isinstance(entry, Mapping):
        problems.append("stacks.harvest: a mapping of variable names, e.g. {max_z: {}}")
        return []
    harvest = []
    for variable, options in entry.items():
        where = f"stacks.harvest.{variable}"
        if not str(variable).isidentifier():
            problems.append(f"{where}: not a Python variable name")
            continue
        options = options or {}
        if not isinstance(options, Mapping) or set(options) - {"plane"}:
            problems.append(f"{where}: the only option is `plane: middle`")
            continue
        plane = options.get("plane")
        if plane is not None and plane not in PLANES:
            problems.append(f"{where}: plane must be one of {', '.join(PLANES)}, not {plane!r}")
            continue
        harvest.append(Harvest(str(variable), plane))
    return harvest


def _read_figures(entry: Any, harvested: set[str], problems: list[str]) -> list[FigureSpec]:
    from stacks import _figures

    if not isinstance(entry, list):
        problems.append("stacks.feedback: a list of figures, e.g. [{figure: label_overlay, ...}]")
        return []
    figures = []
    for index, item in enumerate(entry):
        where = f"stacks.feedback[{index}]"
        if not isinstance(item, Mapping) or "figure" not in item:
            problems.append(f"{where}: each entry names its `figure:` kind")
            continue
        kind = item["figure"]
        if kind not in _figures.KINDS:
            problems.append(
                f"{where}: unknown figure {kind!r}; the figures are {', '.join(_figures.KINDS)}"
            )
            continue
        options = {key: value for key, value in item.items() if key != "figure"}
        found = _figures.KINDS[kind].check(options)
        problems.extend(f"{where}: {problem}" for problem in found)
        if found:
            continue
        spec = FigureSpec(kind, options)
        for variable in spec.variables():
            if variable not in harvested:
                problems.append(
                    f"{where}: draws {variable!r}, which stacks.harvest does not copy out of the kernel"
                )
        figures.append(spec)
    return figures
