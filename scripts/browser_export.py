"""Export a lecture to a static HTML page in which the viewers are pictures.

Usage::

    .venv/bin/python scripts/browser_export.py lectures/02_3d_filtering.md [more.md ...]
        [--out build/html] [--upto PATTERN]

Each notebook (MyST ``.md`` or ``.ipynb``) is executed with nbclient in its own folder,
with the widget state stored (``store_widget_state=True``), and converted with nbconvert's
``lab`` HTML template. The output of ``sc.slice_explorer(...)`` holds both the widget view
and a PNG of the plane the slider shows (``helpers/viz/_explorer.py`` adds it). nbconvert's default
order would pick the widget view, an empty placeholder that needs JavaScript from
unpkg.com; the settings in ``.jupyter/jupyter_nbconvert_config.py`` put static pictures
first, so the page shows the image, also offline. ``--upto PATTERN`` stops after the first
code cell containing PATTERN (the browser test uses it to export only up to the viewer).

Writes ``<out>/<name>.html`` and prints its path. Nothing is written next to the notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from traitlets.config import Config, PyFileConfigLoader

REPO = Path(__file__).resolve().parents[1]
NBCONVERT_CONFIG = REPO / ".jupyter" / "jupyter_nbconvert_config.py"


def course_nbconvert_config() -> Config:
    """The course's nbconvert settings (static pictures before widget views)."""
    loader = PyFileConfigLoader(NBCONVERT_CONFIG.name, str(NBCONVERT_CONFIG.parent))
    return loader.load_config()


def read_notebook(path: Path, upto: str | None = None) -> nbformat.NotebookNode:
    """Read a MyST or ipynb notebook; with ``upto``, keep the cells up to the first code
    cell whose source contains it."""
    notebook = jupytext.read(path)
    if upto is not None:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code" and upto in cell.source:
                notebook.cells = notebook.cells[: index + 1]
                break
        else:
            raise ValueError(f"{path}: no code cell contains {upto!r}")
    return notebook


def execute(notebook: nbformat.NotebookNode, cwd: Path, timeout: int = 600) -> None:
    """Run every cell in a fresh ``python3`` kernel started in ``cwd``, storing widget
    state in the notebook's metadata."""
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()


def to_html(notebook: nbformat.NotebookNode) -> str:
    """The notebook as one self-contained HTML page (``lab`` template, pictures inline)."""
    exporter = HTMLExporter(config=course_nbconvert_config(), template_name="lab")
    html, _ = exporter.from_notebook_node(notebook)
    return html


def export(path: Path, out: Path, upto: str | None = None) -> Path:
    """Execute ``path`` and write ``out/<name>.html``; return the written file."""
    path = Path(path).resolve()
    notebook = read_notebook(path, upto)
    execute(notebook, cwd=path.parent)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{path.stem}.html"
    target.write_text(to_html(notebook), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="lectures/*.md or *.ipynb")
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "build" / "html",
        help="folder for the HTML pages (default: build/html)",
    )
    parser.add_argument("--upto", help="stop after the first code cell containing this text")
    args = parser.parse_args(argv)
    for notebook in args.notebooks:
        if not notebook.is_file():
            parser.error(f"{notebook}: no such notebook")
        print(export(notebook, args.out, args.upto))
    return 0


if __name__ == "__main__":
    sys.exit(main())
