# Deep learning with PyTorch — one entry point for students, instructors and CI.
#   make test    everything CI checks (creates .venv from requirements.txt on first use)
#   make demo    grade the embedded demo class and print the grade table
#   make lab     JupyterLab at the repository root with the course environment
# Pipeline: make release | check-release | autograde A=.. | feedback A=.. | export | notebooks

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
TEST_WORKERS ?= 2
A ?=

# Tests and grading run one torch/BLAS thread per process: two busy processes sharing two cores
# with two threads each ran a small matmul 40x slower.
ONE_THREAD := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# Fashion-MNIST: the shared offline excerpt when it sits beside the clone (CI), else helpers' default.
SHARED_FMNIST := $(abspath ../shared/data/fashion-mnist-excerpt)
ifneq ($(wildcard $(SHARED_FMNIST)/train-images-idx3-ubyte.gz),)
export FASHION_MNIST_DIR ?= $(SHARED_FMNIST)
endif
export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv test demo lab release check-release autograde grade feedback export notebooks bench clean

help:
	@sed -n '1,6p' Makefile

venv: $(READY)

$(READY): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

test: $(READY)
	$(ONE_THREAD) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --nbval notebooks source tests

demo: $(READY)
	$(ONE_THREAD) $(BIN)/python -m grading demo

# JupyterLab at the repository root. nbgrader's server and lab extensions come enabled with its pip
# package; jupyter/ (on JUPYTER_CONFIG_PATH, above the environment's own config) enables them for
# this course even where the environment disabled them (jupyter_server_config.json: server side,
# labconfig/page_config.json: the lab plugins). nbgrader reads ./nbgrader_config.py (course
# dl-course, exchange in exchange/, created here).
# Extra options: make lab LAB_ARGS="--no-browser --port 8890".
LAB_ARGS ?=
lab: $(READY)
	mkdir -p exchange
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(LAB_ARGS)

release: $(READY)
	$(BIN)/python -m grading release

check-release: $(READY)
	$(BIN)/python -m grading check-release

autograde: $(READY)
	@test -n "$(A)" || { echo "usage: make autograde A=<assignment>"; exit 2; }
	$(ONE_THREAD) $(BIN)/python -m grading autograde $(A)

# Parallel, sandboxed grading of a whole class: make grade A=01_tensor_basics [WORKERS=n] [TIMEOUT=s] [FORCE=1]
grade: $(READY)
	@test -n "$(A)" || { echo "usage: make grade A=<assignment> [WORKERS=n] [TIMEOUT=s] [FORCE=1]"; exit 2; }
	$(ONE_THREAD) $(BIN)/python -m grading grade $(A) $(if $(WORKERS),--workers $(WORKERS)) \
	  $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(filter 1 yes true,$(FORCE)),--force)

feedback: $(READY)
	@test -n "$(A)" || { echo "usage: make feedback A=<assignment>"; exit 2; }
	$(BIN)/python -m grading feedback $(A)

export: $(READY)
	$(BIN)/python -m grading export

# Re-execute the lecture notebooks in place (their committed outputs are what nbval compares).
notebooks: $(READY)
	cd notebooks && for nb in *.ipynb; do \
	  $(ONE_THREAD) ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace "$$nb" || exit 1; done

bench: $(READY)
	for b in benchmarks/*.py; do $(BIN)/python "$$b" || exit 1; done

clean:
	rm -rf build artifacts submitted autograded feedback exchange gradebook.db grades.csv grading-status.json
