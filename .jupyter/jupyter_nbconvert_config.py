"""nbconvert settings: a static HTML page shows a widget's picture, not an empty space.

Read by `jupyter nbconvert` when JUPYTER_CONFIG_PATH=<repo>/.jupyter (as `make lab` sets
it), by JupyterLab's "File > Save and Export Notebook As" (jupyter_server_config.py loads
this file) and by scripts/browser_export.py.

Why: a notebook executed with its widget state stored (nbclient store_widget_state=True,
the default) has, for `sc.slice_explorer(...)`, an output holding both the widget view and
a PNG of the current plane. nbconvert's default order ranks the widget view first, so the
HTML gets a placeholder that only JavaScript from unpkg.com can fill: offline, or when that
CDN is blocked, the page shows nothing where the viewer was. Here every static picture or
text representation comes before the widget view; widgets without one (a bare slider)
still render as live widgets from the stored state.
"""

c = get_config()  # noqa: F821 (provided by traitlets when this file is loaded)

# NbConvertBase, not HTMLExporter: the template filters that choose the mimetype read it
# from this section, and the exporters' own defaults set it there too.
c.NbConvertBase.display_data_priority = [
    "application/javascript",
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/vnd.mermaid",
    "text/latex",
    "image/png",
    "image/jpeg",
    "application/vnd.jupyter.widget-view+json",
    "text/plain",
]
