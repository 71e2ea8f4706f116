# The course's commands. Each target creates or reuses .venv by itself, so a fresh clone
# needs nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: course test lint lab bench data clean-data help sandbox

help:
	@echo "make course   set up the environment, generate the data, build the exercises"
	@echo "make test     run the lint and type checks and the whole test suite"
	@echo "make lab      start JupyterLab in this folder"
	@echo "make bench    run the benchmarks (projections, grading)"

# Re-install when the dependencies change. constraints.txt pins every package so that a
# class installs the same versions next month; pyproject.toml holds the supported ranges.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

course: $(STAMP) sandbox
	$(BIN)/stacks data $(if $(STUDENT),--student $(STUDENT))
	@# the exercise sources are the instructor's: a student release has none to build
	@if [ -d solutions ]; then $(BIN)/stacks build && $(BIN)/stacks selfcheck; fi
	$(BIN)/stacks start
	@echo
	@echo "The course is ready."
	@echo "  make lab                          open the lectures and your exercises (work/) in JupyterLab"
	@echo "  .venv/bin/stacks check NOTEBOOK   check your answers to an exercise, e.g. work/01_projections.ipynb"
	@if [ -d tests ]; then echo "  make test                         run the test suite"; fi

# stacks grade runs every kernel in a bubblewrap sandbox (stacks/_sandbox.py)
sandbox:
	@command -v bwrap >/dev/null 2>&1 || scripts/apt_install.sh bubblewrap "the grading sandbox"

# The browser test needs Chromium: installed with apt-get when missing and allowed.
test: lint sandbox
	@scripts/ensure_chromium.sh
	$(BIN)/python -m pytest

# ruff (lint and format) and mypy, configured in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# .jupyter/ opens the MyST lectures as notebooks (jupytext), renders MyST (jupyterlab-myst)
# and keeps a student's own ~/.jupyter readable; JupyterLab refuses to run as root without
# --allow-root (containers, CI machines).
# the course's own bin first on PATH: `stacks check` works in JupyterLab's terminal
lab: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" \
	JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	JUPYTER_PREFER_ENV_PATH=1 \
	$(BIN)/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_projections.py
	$(BIN)/python benchmarks/bench_grading.py
	$(BIN)/python benchmarks/bench_scale.py --here

data: $(STAMP)
	$(BIN)/stacks data

clean-data:
	rm -rf data/zebrafish data/cells data/beadpack data/timelapse
