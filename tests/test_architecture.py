"""The shape of the code: two packages with a one-way import arrow, documented public
surfaces, and docs that exist where the code cites them."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = [
    "helpers",
    "helpers.viz",
    "helpers.sequences",
    "helpers.projections",
    "helpers.datasets",
    "helpers.grading",
    "stacks",
    "stacks.preprocessors",
    "stacks.cli",
]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_helpers_never_imports_stacks():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n == "stacks" or n.startswith("stacks.")
        )
        for path in (ROOT / "helpers").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_import_scan_sees_an_import_of_stacks(tmp_path):
    """The test above can fail: an import of stacks, however written, is found."""
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nif True:\n    from stacks._build import build\nimport stacks.cli as c\n"
    )
    assert {"stacks._build", "stacks.cli"} <= _imports(module)


def _public_objects():
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{module_name}.{name}", obj
                if inspect.isclass(obj):
                    for attr, member in vars(obj).items():
                        # an override (e.g. a preprocessor's preprocess) is the base class's interface
                        inherited = any(hasattr(base, attr) for base in obj.__mro__[1:])
                        if (
                            not attr.startswith("_")
                            and inspect.isfunction(member)
                            and not inherited
                        ):
                            yield f"{module_name}.{name}.{attr}", member


def test_every_public_function_and_class_has_a_numpydoc_example():
    from numpydoc.docscrape import NumpyDocString

    missing = []
    for qualified, obj in _public_objects():
        doc = NumpyDocString(inspect.getdoc(obj) or "")
        if not "".join(doc["Examples"]).strip():
            missing.append(qualified)
    assert missing == []


def test_every_public_function_is_typed():
    untyped = []
    for qualified, obj in _public_objects():
        functions = [obj] if inspect.isfunction(obj) else []
        for function in functions:
            signature = inspect.signature(function)
            parameters = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
            if signature.return_annotation is inspect.Signature.empty or any(
                p.annotation is inspect.Parameter.empty for p in parameters
            ):
                untyped.append(qualified)
    assert untyped == []


def _stacks_modules():
    import stacks

    yield "stacks"
    for info in pkgutil.walk_packages(stacks.__path__, "stacks."):
        if info.name != "stacks.__main__":
            yield info.name


@pytest.mark.parametrize("name", list(_stacks_modules()))
def test_docstring_examples_of_the_pipeline(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, name


# a path of the repository quoted in code or docs, e.g. docs/adding-an-exercise.md
_CITED = re.compile(
    r"(?<![\w/.])((?:docs|data|benchmarks|scripts|lectures|solutions|exercises|stacks|helpers)/[\w./-]*\w\.(?:md|py|png|ipynb|j2|json|css))"
)


def test_every_file_that_code_and_docs_cite_exists():
    sources = [
        *ROOT.glob("*.md"),
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "data").glob("*.md"),
        *(ROOT / "helpers").rglob("*.py"),
        *(ROOT / "stacks").rglob("*.py"),
        *(ROOT / "scripts").glob("*.py"),
        *(ROOT / "benchmarks").glob("*.py"),
        ROOT / "Makefile",
    ]
    # the exercise that docs/adding-an-exercise.md has the reader write: tests/stacks/test_guide.py
    # builds it; it is not meant to be in the repository
    guide = (ROOT / "docs" / "adding-an-exercise.md").read_text(encoding="utf-8")
    [example] = set(re.findall(r"solutions/(\d\d_\w+)\.md", guide))
    missing = set()
    for source in sources:
        for line in source.read_text(encoding="utf-8").splitlines():
            if ">>>" in line:  # doctests make up paths to show a message
                continue
            for cited in _CITED.findall(line):
                placeholder = "NN_" in cited or example in cited
                if not placeholder and not (ROOT / cited).exists():
                    missing.add(f"{source.relative_to(ROOT)} cites {cited}")
    assert sorted(missing) == []
