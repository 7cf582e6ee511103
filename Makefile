# The two commands of the README: `make book` (set-up + HTML + PDF + EPUB) and `make test`.
# Everything else a person or CI needs is a target here too, so both call the same thing.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PDF     := _build/pdf/taliban-at-the-border.pdf
EPUB    := _build/epub/taliban-at-the-border.epub
APT_PACKAGES := $(shell cat apt.txt)

.PHONY: book html pdf epub release test verify reproduce bench attack system clean

book: $(VENV)/.installed system
	$(BIN)/python -m borderbook build html pdf epub

# The pinned environment, rebuilt when requirements.txt changes.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# Debian packages for the PDF and the browser tests (apt.txt, also read by Binder): installed
# when one is missing and we are root on Debian; otherwise say exactly what to install, and stop.
system:
	@if command -v xelatex >/dev/null && command -v pdftoppm >/dev/null && command -v chromium >/dev/null \
	    && command -v epubcheck >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -q && \
	  apt-get install -y -q --no-install-recommends $(APT_PACKAGES); \
	else echo "The PDF needs XeLaTeX and fonts, the tests Chromium. On Debian or Ubuntu, run:"; \
	  echo "  sudo apt-get install --no-install-recommends $(APT_PACKAGES)"; exit 1; fi

# Each output builds in _build/work/<html|pdf|epub> (`make book`: side by side), keeps its log
# in _build/logs, and replaces the published _build/html, PDF or EPUB only when it succeeds with
# no warning (borderbook/build.py).
html: $(VENV)/.installed
	$(BIN)/python -m borderbook build html

pdf: $(VENV)/.installed system
	$(BIN)/python -m borderbook build pdf

epub: $(VENV)/.installed
	$(BIN)/python -m borderbook build epub

# _build/release/<slug>-<version>.zip: the editions, the data, the figures and an RO-Crate saying
# how each output was made. Refuses a dirty git tree, or a tree whose `make verify` fails.
release: $(VENV)/.installed system
	$(BIN)/python -m borderbook release

# The test files run side by side, one per core (a file's tests in order, in one worker: the
# scratch builds a file's tests share stay theirs); `pytest -m unit` alone runs in seconds.
test: $(VENV)/.installed system
	@test -f $(PDF) -a -f $(EPUB) -a -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m pytest -n auto --dist loadfile || { status=$$?; [ $$status -ne 5 ] || echo "pytest collected no tests: that is a failure" >&2; exit $$status; }

# A reviewer's check: re-run every chapter from data/ in fresh kernels, compare with figures/.
verify: $(VENV)/.installed
	$(BIN)/python -m borderbook verify

# Re-run every chapter with parameters into _build/reproduce/, e.g. PARAMS="fx_date=2021-08-25".
reproduce: $(VENV)/.installed
	$(BIN)/python -m borderbook reproduce $(PARAMS)

# Build times against stock Jupyter Book, on scratch copies; writes _build/bench.json.
bench: $(VENV)/.installed system
	$(BIN)/python -m borderbook.bench

# Replay the catalogue of attacks (bad data, schema edits, reverts, signals, cache damage,
# misuse) on a scratch copy of the project: one line per attack; exits 1 if any fails.
attack: $(VENV)/.installed system
	PYTHONPATH=$(CURDIR) $(BIN)/python -m tests.attack $(ARGS)

clean:
	rm -rf _build
