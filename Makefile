# make run   - set up .venv if needed and train the default GAN (the fast DCGAN preset on MNIST, about 2 minutes)
# make test  - set up .venv and the offline test data if needed, then run the whole suite (with the wheel test)
# make wheel-test - build the wheel, install it into a fresh venv, train/sample/eval from it (about a minute)
# make mutants - put the classic GAN bugs back into a copy of src/ and check the tests notice (docs/reliability.md)
# make bench - the benchmark suite (docs/benchmarks.md); make bench-quality - time to quality (~15 min)
# make docs-check - rerun the trainings behind the figures README and docs quote; fails on drift (~35 min, by hand)
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FASHION := /usr/share/datasets/fashion-mnist

.PHONY: run test wheel-test mutants lint bench bench-quality docs-check fashion-data chromium screenshots

$(STAMP): pyproject.toml requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/ganforge train

# two workers (pytest-xdist), each taking a whole test file at a time and training on one torch thread
# (tests/conftest.py): 8 minutes on two cores where one process took 13
test: $(STAMP) fashion-data chromium
	GANFORGE_WHEEL_TEST=1 $(PY) -m pytest -q -n 2 --dist loadfile

wheel-test: $(STAMP)
	GANFORGE_WHEEL_TEST=1 $(PY) -m pytest -q tests/test_wheel.py

mutants: $(STAMP)
	$(PY) scripts/mutants.py

fashion-data:
	@if [ ! -d $(FASHION) ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing the Debian package dataset-fashion-mnist (Fashion-MNIST for the tests)"; \
		(apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
			|| echo "could not install dataset-fashion-mnist; its tests will be skipped"; \
	fi

# The browser tests of 'ganforge serve' drive Debian's chromium through Playwright (never 'playwright install',
# which downloads); without apt-get they skip, saying why.
chromium:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing the Debian package chromium (for the browser tests of ganforge serve)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "could not install chromium; the browser tests will be skipped"; \
	fi

# The README's pictures of 'ganforge serve', taken by its browser tests on the default run (trained first if
# runs/readme-explorer is missing: about 2 minutes on 2 cores), as it was before the fast preset's speed switches
# and lazy R1: docs/latent.md's tables were measured on that run.
SCREENSHOT_RUN := runs/readme-explorer
screenshots: $(STAMP) chromium
	test -d $(SCREENSHOT_RUN) || $(PY) -m ganforge train --dataset mnist --seed 0 --quiet \
		--set train.precision=fp32 --set train.channels_last=false --set train.r1_gamma=0 --out $(SCREENSHOT_RUN)
	GANFORGE_SCREENSHOTS=1 GANFORGE_SCREENSHOT_RUN=$(SCREENSHOT_RUN) $(PY) -m pytest -q tests/serve/test_browser.py tests/serve/test_latent_panel.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

bench: $(STAMP)
	$(PY) -m benchmarks

bench-quality: $(STAMP)
	$(PY) -m benchmarks quality

docs-check: $(STAMP)
	$(PY) -m benchmarks.docs_check
