"""What a dataset is, as data: :class:`DatasetSpec`, its files and its simulator.

Every dataset is described by one :class:`DatasetSpec`, so that describing, building,
writing, verifying and loading are the same code for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

#: Called by a simulator with the name of each stage as the stage starts.
Step = Callable[[str], None]

#: What a simulator returns: its arrays by name.
Arrays = Mapping[str, np.ndarray]

#: ``simulate(spec, rng, step)``: the arrays of the dataset that ``spec`` describes.
SimulateFunction = Callable[["DatasetSpec", np.random.Generator, Step], Arrays]


@dataclass(frozen=True)
class Simulator:
    """A dataset's simulation and the stages it reports, in the order it reports them.

    Calling it runs the simulation and checks that it reported exactly the stages it
    declares, since the progress bar's length is computed from them.

    Parameters
    ----------
    simulate : callable
        ``simulate(spec, rng, step)``: returns the arrays of the dataset that ``spec``
        describes, drawing every random number from ``rng`` and calling ``step(stage)`` as
        each stage starts.
    stages : tuple of str
        The stages ``simulate`` reports.

    Examples
    --------
    >>> from helpers.datasets import SPECS
    >>> SPECS["timelapse"].simulator.stages
    ('neurons', 'activity', 'imaging')
    >>> def silent(spec, rng, step):
    ...     return {}
    >>> Simulator(silent, ("photons",))(SPECS["cells"], np.random.default_rng(0), print)
    Traceback (most recent call last):
    ...
    RuntimeError: the cells simulator reported the stages (), but it declares ('photons',)
    """

    simulate: SimulateFunction
    stages: tuple[str, ...]

    def __call__(self, spec: DatasetSpec, rng: np.random.Generator, step: Step) -> Arrays:
        reported: list[str] = []

        def mismatch() -> RuntimeError:
            return RuntimeError(
                f"the {spec.name} simulator reported the stages {tuple(reported)}, "
                f"but it declares {self.stages}"
            )

        def checked_step(stage: str) -> None:
            reported.append(stage)
            if tuple(reported) != self.stages[: len(reported)]:
                raise mismatch()
            step(stage)

        arrays = self.simulate(spec, rng, checked_step)
        if tuple(reported) != self.stages:
            raise mismatch()
        return arrays


def simulator(*stages: str) -> Callable[[SimulateFunction], Simulator]:
    """Declare a function as a simulator that reports ``stages``, in this order.

    Parameters
    ----------
    *stages : str
        The names the function passes to ``step``, one per stage.

    Returns
    -------
    callable
        A decorator that turns the function into a :class:`Simulator`.

    Examples
    --------
    >>> @simulator("photons")
    ... def flat(spec, rng, step):
    ...     step("photons")
    ...     return {"flat": rng.poisson(10.0, spec.shape)}
    >>> flat.stages
    ('photons',)
    """

    def declare(simulate: SimulateFunction) -> Simulator:
        return Simulator(simulate, stages)

    return declare


@dataclass(frozen=True)
class OutputFile:
    """One TIFF file of a dataset and how it is made from the simulator's arrays.

    Parameters
    ----------
    path : str
        Where the file goes, relative to the dataset's folder, with ``/`` between folders.
    axes : str
        The axes of the array it holds, e.g. ``"ZYX"`` or ``"YX"``: they decide which
        spacing entries its metadata carries.
    array : callable
        ``array(arrays)``: the array to write, from the simulator's arrays.

    Examples
    --------
    >>> from helpers.datasets import SPECS
    >>> [(file.path, file.axes) for file in SPECS["cells"].files]
    [('cells.tif', 'ZYX'), ('labels.tif', 'ZYX')]
    """

    path: str
    axes: str
    array: Callable[[Arrays], np.ndarray]


@dataclass(frozen=True)
class DatasetSpec:
    """Everything about one course dataset that can be known without generating it.

    Parameters
    ----------
    name : str
        The dataset's name and the name of its folder.
    simulates : str
        One sentence: what the data stand in for.
    shape : tuple of int
        Shape of the main array.
    dtype : str
        Data type of the main array, e.g. ``"uint16"``.
    bit_depth : int
        Bits the values use (12 for a 12-bit camera stored as uint16).
    axes : str
        Axes of the main array, e.g. ``"ZYX"`` or ``"TZYX"``.
    spacing : tuple of float
        Distance between neighbouring samples along Z, Y and X, in µm.
    simulator : Simulator
        Makes the arrays from a random generator.
    files : tuple of OutputFile
        Every file of the dataset, in the order its manifest lists them.
    main : str
        The file that :func:`helpers.datasets.load` reads.
    truth : str
        The file that :func:`helpers.datasets.load_truth` reads.
    truth_kind : {"labels", "mask"}
        ``"labels"``: the truth is returned as stored; ``"mask"``: as a bool array.
    truth_description : str
        What the ground-truth files hold.
    references : tuple of str, optional
        Other reference files, e.g. projections to compare with.
    frame_interval : float, optional
        Seconds between time points; given exactly when ``axes`` has a ``T``.
    objects : str, optional
        What the ground truth's objects are, in the plural ("beads", "nuclei"): the
        word grading messages use.

    Raises
    ------
    ValueError
        If the fields contradict each other (a main file that is not among the files, a
        spacing that does not match the spatial axes, ...).

    Examples
    --------
    >>> from helpers.datasets import SPECS
    >>> spec = SPECS["timelapse"]
    >>> spec.axes, spec.spacing_axes, spec.frame_interval
    ('TZYX', 'ZYX', 0.5)
    >>> spec.file_paths
    ('timelapse.tif', 'active.tif', 'labels.tif')
    """

    name: str
    simulates: str
    shape: tuple[int, ...]
    dtype: str
    bit_depth: int
    axes: str
    spacing: tuple[float, float, float]
    simulator: Simulator
    files: tuple[OutputFile, ...]
    main: str
    truth: str
    truth_kind: Literal["labels", "mask"]
    truth_description: str
    references: tuple[str, ...] = ()
    frame_interval: float | None = None
    objects: str = "objects"

    def __post_init__(self) -> None:
        listed = set(self.file_paths)
        checks = [
            (len(self.shape) == len(self.axes), f"shape {self.shape} has not the axes {self.axes}"),
            (
                len(self.spacing) == len(self.spacing_axes),
                f"spacing {self.spacing} does not match the axes {self.spacing_axes}",
            ),
            (
                {self.main, self.truth, *self.references} <= listed,
                "its main, truth and reference files must be among its files",
            ),
            (
                (self.frame_interval is not None) == ("T" in self.axes),
                "it needs a frame interval exactly when its axes have a T",
            ),
        ]
        problems = [problem for ok, problem in checks if not ok]
        if problems:
            raise ValueError(f"dataset spec {self.name!r}: {'; '.join(problems)}")

    @property
    def spacing_axes(self) -> str:
        """The spatial axes, those that :attr:`spacing` describes: :attr:`axes` without T."""
        return self.axes.replace("T", "")

    @property
    def file_paths(self) -> tuple[str, ...]:
        """The paths of :attr:`files`, relative to the dataset's folder."""
        return tuple(file.path for file in self.files)
