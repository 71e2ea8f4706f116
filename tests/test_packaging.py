"""The environment files agree, and the `stacks` command answers bad input clearly."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-")


def _pyproject_requirements() -> dict[str, SpecifierSet]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    wanted: dict[str, SpecifierSet] = {}
    for line in lines:
        requirement = Requirement(line)
        wanted[_canonical(requirement.name)] = requirement.specifier
        # conda-forge packages dask's pip extras as separate packages
        if requirement.name == "dask" and "distributed" in requirement.extras:
            wanted["distributed"] = requirement.specifier
    wanted["python"] = SpecifierSet(project["requires-python"])
    return wanted


def _conda_requirements() -> dict[str, SpecifierSet]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    found: dict[str, SpecifierSet] = {}
    for entry in environment["dependencies"]:
        if not isinstance(entry, str) or entry == "pip":
            continue
        requirement = Requirement(entry)
        found[_canonical(requirement.name)] = requirement.specifier
    return found


def test_environment_yml_matches_pyproject():
    assert _conda_requirements() == _pyproject_requirements()


def test_constraints_pin_every_direct_dependency_within_its_range():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            (pin,) = requirement.specifier
            pins[_canonical(requirement.name)] = pin.version
    for name, specifier in _pyproject_requirements().items():
        if name == "python":
            continue
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert pins[name] in specifier, f"{name}=={pins[name]} is outside {specifier}"


def _stacks(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stacks.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("data", "--seed", "abc"), "--seed must be a whole number"),
        (("data", "--seed", "-3"), "--seed must be 0 or more"),
        (("data", "nosuchdata"), "the known datasets are: zebrafish, cells, beadpack, timelapse"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_stacks_rejects_bad_arguments_without_a_traceback(args, expected):
    result = _stacks(*args)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
