# Deep learning with PyTorch — one entry point for students, instructors and CI.
#   make test    everything CI checks (creates .venv from requirements.txt on first use)
#   make demo    grade the embedded demo class and print the grade table
#   make lab     JupyterLab at the repository root with the course environment
# Pipeline: make release | check-release | grade A=.. | feedback A=.. | report A=.. | export | notebooks
# A class: make hub | roster FILE=.. | due A=.. WHEN=.. | extend A=.. STUDENT=.. DAYS=.. | lms-export LMS=canvas|moodle
# Grading commands take COURSE=<folder> (default: this repository), e.g. COURSE=build/demo.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
TEST_WORKERS ?= 2
A ?=
COURSE ?= .
STUDENT ?=
SANDBOX ?= 1
GRADING := $(BIN)/python -m grading
ON_COURSE := --course "$(COURSE)"
HUB_PROXY := deploy/node_modules/.bin/configurable-http-proxy

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

.PHONY: help venv test test-fast docs demo lab release check-release autograde grade feedback report export notebooks bench clean \
	roster due extend accommodate check-limits lms-export hub hub-deps

help:
	@sed -n '1,6p' Makefile

# EDITABLE=0 installs copies of helpers/ and grading/ instead of links to this folder: the
# students' environment on a hub lives outside the private course folder (README, `make hub`).
EDITABLE ?= 1
venv: $(READY)

# The first run installs the course environment (about 1.6 GB, mostly torch and JupyterLab; about
# 3 minutes with a nearby package mirror, longer on a slow connection) and says what it is doing:
# one line per step, then pip's own progress.
$(READY): requirements.txt pyproject.toml
	@echo "[1/3] creating the course environment in $(VENV)/ (first run only; about 3 minutes)"
	$(PYTHON) -m venv $(VENV)
	@echo "[2/3] installing torch (CPU), JupyterLab, nbgrader and the rest of requirements.txt"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -r requirements.txt
	@echo "[3/3] installing the course's own packages (helpers, grading)$(if $(filter 0,$(EDITABLE)), as copies, in editable mode)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation $(if $(filter 0,$(EDITABLE)),.,-e .)
	@touch $@
	@echo "course environment ready"

# Two runs: the suite on $(TEST_WORKERS) xdist workers with one torch thread each, then, alone on the
# machine so that it oversubscribes nothing, the check that lectures print their committed numbers
# with two torch threads too (tests/test_threads.py, marker `threads`); then `git status` must be clean.
test: $(READY) $(if $(shell command -v npm),$(HUB_PROXY))
	$(ONE_THREAD) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder -m "not threads" --nbval notebooks source tests
	$(BIN)/python -m pytest -m threads tests/test_threads.py
	@if [ -d .git ] && [ -n "$$(git status --porcelain)" ]; then git status --short; \
	  echo "make test left the files above in the repository (a test must write into its tmp_path)"; exit 1; fi

# The fast loop: the tests that start no kernel, sandbox, browser, hub or database (tests/conftest.py
# marks the rest `slow`), on two workers; about two minutes.
test-fast: $(READY)
	$(ONE_THREAD) $(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow and not threads and not browser" tests

# The documentation site from docs/ (mkdocs.yml) into build/site/; --strict fails on a broken link
# between pages or a page missing from the nav (tests/test_docs.py builds it too, in make test).
docs: $(READY)
	$(BIN)/mkdocs build --strict -d build/site

# The demo class in DEMO_DIR (replaced on every run); A=<assignment> limits it to one assignment.
DEMO_DIR ?= build/demo
demo: $(READY)
	$(ONE_THREAD) $(GRADING) demo --to "$(DEMO_DIR)" $(A)

# JupyterLab at the repository root. nbgrader's server and lab extensions come enabled with its pip
# package; jupyter/ (on JUPYTER_CONFIG_PATH, above the environment's own config) enables them for
# this course even where the environment disabled them (jupyter_server_config.json: server side,
# labconfig/page_config.json: the lab plugins). nbgrader reads ./nbgrader_config.py (course
# dl-course, exchange in exchange/, created here).
# Extra options: make lab LAB_ARGS="--no-browser --port 8890".
# As root (containers, teaching VMs) Jupyter refuses to start without --allow-root: added then.
LAB_ARGS ?=
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(READY)
	mkdir -p exchange
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) $(LAB_ARGS)

release: $(READY)
	$(GRADING) release $(ON_COURSE)

check-release: $(READY)
	$(GRADING) check-release $(ON_COURSE)

# Plain `nbgrader autograde`, one student after another, without the sandbox.
autograde: $(READY)
	@test -n "$(A)" || { echo "usage: make autograde A=<assignment> [COURSE=folder]"; exit 2; }
	$(ONE_THREAD) $(GRADING) autograde $(ON_COURSE) $(A)

# Parallel, sandboxed grading of a whole class:
#   make grade A=01_tensor_basics [COURSE=folder] [WORKERS=n] [TIMEOUT=s] [STUDENT=id[,id]] [FORCE=1] [SANDBOX=0]
#              [SCHEDULER=tcp://host:8786] [PREIMPORT=0] [DRY_RUN=1] [MISTAKES=1]
# SANDBOX=0 grades without bubblewrap (no isolation): only for notebooks you trust.
# SCHEDULER sends the notebooks to the workers of a Dask cluster (grading/fanout.py says how to start
# them); PREIMPORT=0 starts each kernel from scratch instead of forking it from a zygote.
# DRY_RUN=1 regrades everyone in a scratch copy after a change of source/ and prints whose score
# would change (before -> after, and which test); nothing is written (grading/dryrun.py).
# MISTAKES=1 also runs the known mistakes of tests/mistakes/<A>.py for the report, on the grading's
# warm workers (done anyway once a report or feedback has used them; docs/report.md).
grade: $(READY)
	@test -n "$(A)" || { echo "usage: make grade A=<assignment> [COURSE=folder] [WORKERS=n] [TIMEOUT=s] [STUDENT=id[,id]] [FORCE=1] [SANDBOX=0]"; exit 2; }
	$(ONE_THREAD) $(GRADING) grade $(ON_COURSE) $(A) $(if $(WORKERS),--workers $(WORKERS)) \
	  $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(STUDENT),--student "$(STUDENT)") \
	  $(if $(filter 1 yes true,$(FORCE)),--force) $(if $(filter 0 no false,$(SANDBOX)),--no-sandbox) \
	  $(if $(SCHEDULER),--scheduler "$(SCHEDULER)") $(if $(filter 0 no false,$(PREIMPORT)),--no-preimport) \
	  $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run) $(if $(filter 1 yes true,$(MISTAKES)),--mistakes)

# The instructor's report of a graded assignment: build/report/<A>/index.html in the course folder
# (pass rates, difficulty, mistake clusters, similar submissions; docs/report.md).
report: $(READY)
	@test -n "$(A)" || { echo "usage: make report A=<assignment> [COURSE=folder]"; exit 2; }
	$(ONE_THREAD) $(GRADING) report $(ON_COURSE) $(A)

feedback: $(READY)
	@test -n "$(A)" || { echo "usage: make feedback A=<assignment> [COURSE=folder]"; exit 2; }
	$(GRADING) feedback $(ON_COURSE) $(A)

export: $(READY)
	$(GRADING) export $(ON_COURSE)

# Rosters and grades to and from the LMS (grading/lms.py): a Canvas gradebook export or a Moodle
# export adds its students to the gradebook; lms-export writes the CSV each of them imports
# (Canvas: the roster imported last, or ROSTER=<its gradebook export>, whose identity columns and
# assignment ids it keeps, columns matched by title or IDS=name=id,...; Moodle: BY=email|username|idnumber,
# the column its import maps users by).
roster: $(READY)
	@test -n "$(FILE)" || { echo "usage: make roster FILE=<canvas or moodle export.csv> [LMS=canvas|moodle] [COURSE=folder]"; exit 2; }
	$(GRADING) roster $(ON_COURSE) "$(FILE)" $(if $(LMS),--lms $(LMS))

due: $(READY)
	@test -n "$(A)" -a -n "$(WHEN)" || { echo 'usage: make due A=<assignment> WHEN="2026-03-01 23:59:00 UTC"'; exit 2; }
	$(GRADING) due $(ON_COURSE) $(A) "$(WHEN)"

# Deadlines per student (grading/late.py): one student's extension of one assignment, until a time
# or DAYS after its due date (DAYS=0 removes it); accommodations: extra days on every assignment,
# for one student or a CSV (columns student,extra_days). Penalties already recorded follow.
extend: $(READY)
	@test -n "$(A)" -a -n "$(STUDENT)" -a -n "$(UNTIL)$(DAYS)" || { echo 'usage: make extend A=<assignment> STUDENT=<id> UNTIL="2026-03-08 23:59:00 UTC" | DAYS=<n>'; exit 2; }
	$(GRADING) extend $(ON_COURSE) $(A) "$(STUDENT)" $(if $(UNTIL),--until "$(UNTIL)") $(if $(DAYS),--days $(DAYS))

accommodate: $(READY)
	@test -n "$(FILE)" -o \( -n "$(STUDENT)" -a -n "$(DAYS)" \) || { echo 'usage: make accommodate STUDENT=<id> DAYS=<n> | FILE=<csv: student,extra_days>'; exit 2; }
	$(GRADING) accommodate $(ON_COURSE) $(if $(FILE),--file "$(FILE)",--student "$(STUDENT)" --days $(DAYS))

# Check my work's limits (docs/check.md): A=<assignment> or every assignment; PER_HOUR, PER_DAY,
# TOTAL (before the student's deadline): a number or none; AFTER=refuse|mark after the deadline.
check-limits: $(READY)
	$(GRADING) check-limits $(ON_COURSE) $(A) $(if $(PER_HOUR),--per-hour $(PER_HOUR)) $(if $(PER_DAY),--per-day $(PER_DAY)) \
	  $(if $(TOTAL),--total $(TOTAL)) $(if $(AFTER),--after-deadline $(AFTER))

lms-export: $(READY)
	$(GRADING) lms-export $(ON_COURSE) $(or $(LMS),canvas) $(if $(ROSTER),--roster "$(ROSTER)") $(if $(BY),--by $(BY)) $(if $(IDS),--ids "$(IDS)") $(if $(TO),--to "$(TO)")

# The course hub on this machine (deploy/jupyterhub_config.py; README, "Running the course for a
# class"): JupyterHub from requirements.txt, configurable-http-proxy from deploy/package.json
# (pinned by its lock file, installed in deploy/node_modules/ by npm ci). As root, e.g.
#   sudo make hub VENV=/opt/dl-course-env COURSE_DB_URL=postgresql://grader-dl-course@/dlcourse COURSE_INSTRUCTORS=ada
# Settings are environment variables, listed at the top of deploy/jupyterhub_config.py.
$(HUB_PROXY): deploy/package.json deploy/package-lock.json
	cd deploy && npm ci --no-audit --no-fund
	@touch $@

hub-deps: $(READY) $(HUB_PROXY)

hub: hub-deps
	$(BIN)/jupyterhub -f deploy/jupyterhub_config.py

# Re-execute the lecture notebooks in place (their committed outputs are what nbval compares).
# NB=notebooks/05_spiral_mlp.ipynb re-executes one. tools/tidy_lectures.py then drops the progress
# bars' first frames, the widget state and the execution timestamps.
NB ?= notebooks/*.ipynb
notebooks: $(READY)
	for nb in $(NB); do (cd "$$(dirname "$$nb")" && \
	  $(ONE_THREAD) $(abspath $(BIN))/jupyter nbconvert --to notebook --execute --inplace "$$(basename "$$nb")") || exit 1; \
	  $(BIN)/python tools/tidy_lectures.py "$$nb" || exit 1; done

bench: $(READY)
	for b in benchmarks/*.py; do $(BIN)/python "$$b" || exit 1; done

clean:
	rm -rf build artifacts submitted autograded feedback exchange gradebook.db grades.csv grading-status.json
