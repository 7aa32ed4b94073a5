# Everything a fresh machine with Python 3.11 and make needs: `make run`, `make test`.
PYTHON ?= python3.11
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.8
INSTALLED := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Installed packages are compiled to bytecode once, at install: where PYTHONDONTWRITEBYTECODE is set
# (as on CI), every process would otherwise compile Prefect, pandas and the rest from source at
# each start, about 1.5 s of every `haquang load` and of every process a test starts.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test test-fast serve dashboard shell bench bench-large browser office setup clean

run: $(INSTALLED)
	$(VENV)/bin/haquang load

# One pytest worker per core (pytest-xdist), each taking whole test files so that a file's
# fixtures are built once: on 2 cores the suite takes about half the time of one process.
test: $(INSTALLED) browser office
	$(VENV)/bin/python -m pytest -n auto --dist loadfile

# The inner loop: every test that runs no Prefect load (the end-to-end tests, marked `load`:
# tests/conftest.py) and is not one of the few heavy ones marked `slow`, on one worker per core.
test-fast: $(INSTALLED)
	$(VENV)/bin/python -m pytest -n auto --dist loadfile -m "not load and not slow"

# Fixed costs, then corpora of 100, 1,000 and 10,000 synthetic workbooks; table on screen and in bench/results.csv.
bench: $(INSTALLED)
	$(VENV)/bin/python bench/run_bench.py

# 100,000 workbooks (about 1 GB of corpus under warehouse/bench/, some 40 minutes here), beside
# 1,000 measured in the same run so that the growth from one to the other is a ratio of one run.
bench-large: $(INSTALLED)
	$(VENV)/bin/python bench/run_bench.py --sizes 1000 100000 --out bench/results-large.csv

dashboard: $(INSTALLED)
	$(VENV)/bin/haquang dashboard

# The dashboard's browser test drives Debian's Chromium (no browser download). Installed when
# missing and possible (root with apt); otherwise the test says why it is skipped.
browser:
	@command -v chromium >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "Chromium could not be installed: the dashboard's browser test will be skipped"

# The feedback workbook's test opens it in LibreOffice, as a clerk without Excel would (headless Calc,
# some 200 MB). Installed when missing and possible; otherwise the test says why it is skipped.
office:
	@command -v soffice >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && apt-get update -qq >/dev/null \
	       && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null; } \
	  || echo "LibreOffice could not be installed: the feedback workbook's LibreOffice test will be skipped"

serve: $(INSTALLED)
	$(VENV)/bin/haquang serve

# The warehouse in Harlequin, a terminal SQL IDE, read-only. Harlequin is the optional dependency
# group "shell" (about 30 packages), installed here only: `make run` and `make test` never need it.
# deploy/harlequin_init.sql makes the views' and columns' comments readable as `from comments`.
WAREHOUSE ?= warehouse/haquang.duckdb
shell: $(INSTALLED)
	@test -f "$(WAREHOUSE)" || { echo "make shell: no warehouse at $(WAREHOUSE); run make run first" >&2; exit 2; }
	$(UV) sync --frozen --group shell --python $(PYTHON)
	$(VENV)/bin/harlequin --read-only --init-path deploy/harlequin_init.sql "$(WAREHOUSE)"

setup: $(INSTALLED)

# uv lives in its own small venv so that `uv sync` (which makes .venv match uv.lock exactly)
# never removes the tool that is running it.
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(INSTALLED): pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

clean:
	rm -rf $(VENV) $(TOOLS) warehouse/*.duckdb warehouse/*.duckdb.*
