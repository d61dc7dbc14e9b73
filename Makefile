# Lab 4.4, Weight Initialization Strategies for Deep Networks: the one entry point.
# Every target creates the course environment (.venv) first if it is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-stamp
JOBS   ?=
ASSIGNMENT := weight_init
# Small matrices everywhere: BLAS threads only contend with the parallel kernels of tests and grading.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: help env sysdeps hub test test-fast test-hostile lint release check-release demo grade bench bench-compare bench-class bench-notebooks lab requirements student-bundle clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The three distributions of this repository, installed editable over the pinned requirements.txt.
LOCAL_DISTS := -e packaging/initlab -e packaging/labcheck -e .
$(STAMP): requirements.txt pyproject.toml packaging/initlab/pyproject.toml packaging/labcheck/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps $(LOCAL_DISTS)
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (initlab)" >/dev/null
	touch $(STAMP)

env: $(STAMP)  ## create the course environment (.venv) from requirements.txt

sysdeps:  ## install bubblewrap (the grading sandbox) with apt if it is missing
	@bash .ci/system-deps

# The source notebooks' solutions and hidden tests run in tests/labgrade/grading (the sample class's s01_correct and
# every correct answer of the differential test are graded with them, in both modes): no separate nbval pass.
# lib/initlab and lib/labcheck: their doctests (--doctest-modules in pyproject.toml; lib/labgrade is not collected).
# One pytest-xdist worker more than cores: the long tests wait on kernels, sandboxes, the hub's spawns and pip,
# and the extra worker fills those waits (measured on 2 cores: 16 min 13 s with 2 workers, 15 min 3 s with 3).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: $(STAMP) sysdeps  ## set up, then run the whole test suite (what CI runs)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25 --nbval --nbval-sanitize-with .ci/nbval_sanitize.cfg \
	    tests lib/initlab lib/labcheck notebooks

test-fast: $(STAMP)  ## unit tests of lib/ only
	$(PY) -m pytest tests lib/initlab lib/labcheck -m "not slow" -q --ignore=tests/notebooks

test-hostile: $(STAMP) sysdeps  ## only the isolation tests: the hostile catalogue and the judge's units (in make test too)
	$(PY) -m pytest tests/labgrade/sandbox -q

lint: $(STAMP)  ## ruff, import layers and cycles (import-linter), duplicated code (pylint)
	$(BIN)/ruff check lib tests benchmarks source
	PYTHONPATH=lib $(BIN)/lint-imports
	$(BIN)/pylint --disable=all --enable=duplicate-code --min-similarity-lines=5 --ignore-imports=yes \
	    --score=no lib benchmarks

release: $(STAMP)  ## regenerate release/ (student version) and notebooks/ (rendered lab) from source/
	$(BIN)/labgrade release

check-release: $(STAMP)  ## fail if release/ or notebooks/ are stale
	$(BIN)/labgrade release --check

demo: $(STAMP) sysdeps  ## set up, release, build a sample class and grade it (the main job)
	$(BIN)/labgrade demo $(if $(JOBS),--jobs $(JOBS))

grade: $(STAMP) sysdeps  ## grade real submissions in submitted/<student>/weight_init/
	$(BIN)/labgrade grade $(if $(JOBS),--jobs $(JOBS))

bench: $(STAMP) sysdeps  ## benchmarks: one student vs the floor, --jobs scaling, a judged call, the lab vs empty notebooks (ratios)
	$(PY) -m benchmarks.speed
	$(PY) -m benchmarks.judge_calls
	$(PY) -m benchmarks.notebooks

bench-compare: $(STAMP) sysdeps  ## benchmark: the sample class graded by plain nbgrader and by labgrade, with and without the sandbox
	$(PY) -m benchmarks.grading

bench-class: $(STAMP) sysdeps  ## benchmark: a synthetic class (STUDENTS=500) graded here; students per core-minute, projections
	$(PY) -m benchmarks.large_class --students $(or $(STUDENTS),500)

bench-notebooks: $(STAMP)  ## benchmark: each notebook's execution time against an empty notebook
	$(PY) -m benchmarks.notebooks

hub: $(STAMP) sysdeps student-bundle  ## the course on a JupyterHub on 127.0.0.1, as root (docs/hub.md; ARGS="--students 5")
	@test -x /usr/bin/python3 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3; }
	$(BIN)/labgrade hub $(ARGS)

lab: $(STAMP)  ## start JupyterLab on the student release
	$(BIN)/labgrade lab $(ARGS)

# uv keeps the pins already in the output files unless they conflict (UPGRADE=1 upgrades them all);
# the students' pins are constrained to the course environment's.
UV_COMPILE = $(BIN)/uv pip compile --python-version 3.11.7 $(if $(UPGRADE),--upgrade) \
	--no-emit-package labgrade --no-emit-package initlab --no-emit-package labcheck
requirements: $(STAMP)  ## compile requirements.txt (and the students' pins) from requirements.in and pyproject.toml files
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) packaging/student-requirements.in -c requirements.txt -o packaging/student-requirements.txt

# OFFLINE=1: every third-party wheel too (this machine's platform), for an install without PyPI
student-bundle: check-release  ## write dist/student-bundle/ (+ .zip): release notebooks, wheels, guide, launcher
	$(PY) packaging/student_bundle.py --out dist/student-bundle $(if $(OFFLINE),--with-dependencies)

clean:  ## remove the environment and what grading wrote
	rm -rf $(VENV) dist autograded/*/ submitted/*/ feedback/*/ gradebook.db reports/
