# The verbs of pytorch-notes. Each target sets itself up: it creates .venv when missing and
# installs the pinned set (ci/requirements.txt) when the pins or pyproject.toml changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIN := ci/requirements.txt
STAMP := $(VENV)/.stamp-$(shell cat $(PIN) pyproject.toml | cksum | cut -d' ' -f1)
NB ?=
NOTEBOOK_JOBS ?= 2

.PHONY: help setup run test lint unit check nbval lab execute site browser clean pins \
	translations translations-check \
	chromium-start \
	lane-lowest lane-newest lab-check lock-check

help:
	@echo "make run      execute every notebook (timing report in build/timing/), build the site"
	@echo "make test     lint, unit tests, notebook checks, strict nbval, site + browser check"
	@echo "make lab      open JupyterLab on notebooks/"
	@echo "make execute NB=01_tensors   re-execute a notebook from its .py, then nbval it twice"
	@echo "make site     build the static site: build/site/ (English), build/site/zh_CN/ (中文)"
	@echo "make translations   after an English change: update the Chinese catalogs"
	@echo "make browser  build the site, then check every page in headless Chromium"
	@echo "make lane-lowest / lane-newest   every notebook under the lowest / newest versions"
	@echo "make lab-check    Run All of every notebook in JupyterLab, in headless Chromium"
	@echo "make pins / lock-check   regenerate ci/requirements.txt / prove it installs everywhere"

setup: $(STAMP)

# $(PIN) names PyTorch's CPU index, which pip asks about every package; where it cannot
# be reached, pip's default 5 retries cost about 7.5 s a package (20 minutes a setup),
# so one retry; and where its host does not even resolve, ci/pin_file.py hands pip a
# copy without that one line (the same pins; 38 s less here). $(PIN) is complete for every target (make lock-check proves it), so
# pip resolves nothing (--no-deps) and `pip check` confirms the result. (Bytecode is
# still compiled at install: where PYTHONDONTWRITEBYTECODE is set, as on our CI
# machines, nothing would cache it later.)
$(STAMP): $(PIN) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check pip==26.3
	$(PY) -m pip install -q --retries 1 --no-deps -r "$$($(PY) -m ci.pin_file)"
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	@rm -f $(VENV)/.stamp-*
	@touch $@

run: $(STAMP)
	$(PY) -m ci.run_notebooks $(if $(NB),$(NB),)
	$(PY) -m ci.build_site

# The quick checks first; then the unit tests, nbval and the browser check two at a
# time (each alone leaves a core idle part of the time: 133 s instead of 153 s here),
# each target's output printed whole when it ends. GNU make 3.81 (macOS) runs them one
# after the other.
TEST_JOBS := $(if $(filter-out 3.%,$(MAKE_VERSION)),-j2 --output-sync=target)
test: chromium-start lint check
	$(MAKE) $(TEST_JOBS) unit nbval browser

lint: $(STAMP)
	$(PY) -m ruff check .

unit: $(STAMP)
	$(PY) -m pytest tests -q -n 2

check: $(STAMP)
	$(PY) -m ci.check_notebooks
	$(PY) -m ci.readme_table --check
	$(PY) -m ci.translations check

# The Chinese edition's catalogs (site/locale/zh_CN/LC_MESSAGES/<page>.po): extract the
# English pages' messages and merge them in. New messages come in empty, changed ones
# fuzzy with the previous English beside them; translate those, then `make test`
# (ci.translations check) proves every message is done. See CONTRIBUTING.md.
translations: $(STAMP)
	$(PY) -m ci.translations update

translations-check: $(STAMP)
	$(PY) -m ci.translations check

# Strict nbval twice: in the machine's own numerical environment (one intra-op thread
# per kernel, two kernels at once on two cores) and in a second one (ATen's portable
# kernels, oneDNN capped at SSE4.1, MKL's compatible path, two threads). The stored
# outputs must hold in both; ci/nbval.py defines the two.
nbval: $(STAMP)
	$(PY) -m ci.nbval --jobs $(NOTEBOOK_JOBS) $(NB)

# Extra server options, e.g. make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(LAB_ARGS)

execute: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make execute NB=01_tensors"; exit 2; }
	$(PY) -m ci.execute $(NB)
	$(PY) -m ci.readme_table

site: $(STAMP)
	$(PY) -m ci.build_site

# Serves build/site/ on 127.0.0.1 and opens every page in the system Chromium, two
# pages at a time. SCREENSHOTS=full adds whole-page screenshots (slower);
# CPU_SLOWDOWN=8 runs each tab 8 times slower, as on a busy runner. Under
# `make test`, ci/ensure_chromium.sh (an apt-get install on a fresh machine, ~25 s)
# runs in the background from the start and `browser` waits for it.
CHROMIUM_JOB := build/ensure_chromium
chromium-start:
	@mkdir -p build; rm -f $(CHROMIUM_JOB).rc; touch $(CHROMIUM_JOB).started
	@(bash ci/ensure_chromium.sh > $(CHROMIUM_JOB).log 2>&1; \
	  echo $$? > $(CHROMIUM_JOB).rc) &

browser: site
	@waited=0; while [ -e $(CHROMIUM_JOB).started ] && [ ! -e $(CHROMIUM_JOB).rc ] \
	  && [ $$waited -lt 600 ]; do sleep 1; waited=$$((waited + 1)); done; \
	if [ -e $(CHROMIUM_JOB).rc ] && [ -e $(CHROMIUM_JOB).started ]; then \
	  rm -f $(CHROMIUM_JOB).started; cat $(CHROMIUM_JOB).log; \
	  exit "$$(cat $(CHROMIUM_JOB).rc)"; \
	else rm -f $(CHROMIUM_JOB).started; bash ci/ensure_chromium.sh; fi
	$(PY) -m pytest -p no:cacheprovider tests/browser -q -n 2

# The pins: ci/lock.py compiles $(PIN) with uv's universal resolver (uv lives in a venv
# of its own under build/, not in .venv); lock-check proves with pip that every
# supported Python x platform installs exactly those pins. Where PyTorch's CPU index
# cannot be reached, name a folder holding the torch +cpu wheel:
#   make pins LOCK_FIND_LINKS=/opt/wheels
UV_VERSION := $(shell sed -n 's/^UV_VERSION = "\(.*\)"$$/\1/p' ci/lock.py)
UV := build/uv-$(UV_VERSION)/bin/uv
LOCK_FIND_LINKS ?=
LOCK_ARGS = $(if $(LOCK_FIND_LINKS),--find-links $(LOCK_FIND_LINKS))

$(UV):
	$(PYTHON) -m venv build/uv-$(UV_VERSION)
	build/uv-$(UV_VERSION)/bin/python -m pip install -q uv==$(UV_VERSION)

pins: $(STAMP) $(UV)
	$(PY) -m ci.lock compile --uv $(UV) $(LOCK_ARGS)

lock-check: $(STAMP)
	$(PY) -m ci.lock check $(LOCK_ARGS)

# JupyterLab's Run All on every notebook, in headless Chromium (ci/lab_check.py).
lab-check: $(STAMP)
	bash ci/ensure_chromium.sh
	$(PY) -m ci.lab_check

# Version lanes (ci/lanes.py): a fresh .venv-lowest / .venv-newest, every notebook run
# with papermill; no assert may fail and no cell may write to stderr. The lowest lane
# needs the lowest supported Python (old NumPy has no wheels for newer ones).
LOWEST_PYTHON ?= python3.11
NEWEST_PYTHON ?= $(PYTHON)
lane-lowest: $(STAMP)
	$(PY) -m ci.lanes lowest --python $(LOWEST_PYTHON)

lane-newest: $(STAMP)
	$(PY) -m ci.lanes newest --python $(NEWEST_PYTHON)

clean:
	rm -rf build
