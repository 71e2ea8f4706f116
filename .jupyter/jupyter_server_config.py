"""Jupyter server settings for `make lab` and the browser test.

Found through JUPYTER_CONFIG_PATH=<repo>/.jupyter (set by `make lab` and by
tests/test_browser.py); a student's own ~/.jupyter is still read, with lower priority.
See docs/browser.md.
"""

c = get_config()  # noqa: F821 (provided by traitlets when this file is loaded)

# Lectures are MyST markdown notebooks (lectures/*.md). Jupytext's contents manager lets the
# server open and save them as notebooks; the server extension jupyterlab_jupytext would
# install it too, but naming it here keeps it working if extension loading order changes.
c.ServerApp.contents_manager_class = "jupytext.AsyncTextFileContentsManager"

# The kernel is the project's environment: .venv's ipykernel spec `python3`, whose
# command `python` jupyter_client replaces with the server's own interpreter (.venv/bin/python).
c.MappingKernelManager.default_kernel_name = "python3"

# No calls home: classrooms are often offline, and a news pop-up hides the notebook.
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

# "File > Save and Export Notebook As > HTML": a widget's picture instead of an empty space.
load_subconfig("jupyter_nbconvert_config.py")  # noqa: F821 (provided by traitlets)

# Terminals are ordinary (non-login) shells, which keep the PATH `make lab` gives the
# server, with the course's .venv/bin first: `stacks check work/...` works as the exercises
# say. A login shell (jupyter's default when the server has no terminal of its own) would
# read /etc/profile, which resets PATH on Debian.
import os  # noqa: E402

c.ServerApp.terminado_settings = {"shell_command": [os.environ.get("SHELL") or "/bin/sh"]}

# A student's JupyterLab has no instructor tools: nbgrader is installed for `stacks` (build,
# grade), but its server extensions (formgrader, the exchange's assignment and course lists,
# validate) and its lab extension (the nbgrader menu, the Create Assignment sidebar) would
# show students an instructor's screens and an exchange warning. Exercises are checked with
# `stacks check` instead. The lab extension is disabled in labconfig/page_config.json.
c.ServerApp.jpserver_extensions.update(
    {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.validate_assignment": False,
        "nbgrader.server_extensions.assignment_list": False,
        "nbgrader.server_extensions.course_list": False,
    }
)
