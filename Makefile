# The two commands of the README: `make book` (set-up + HTML + PDF) and `make test`.
# Everything else a person or CI needs is a target here too, so both call the same thing.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
JB      := $(BIN)/jupyter-book
JBFLAGS := -n -W --keep-going
PDF     := _build/pdf/taliban-at-the-border.pdf
APT_PACKAGES := $(shell cat apt.txt)
LOGS    := _build/logs
SHELL   := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: book html pdf test system clean

book: html pdf
	@echo "HTML: $(CURDIR)/_build/html/index.html"
	@echo "PDF:  $(CURDIR)/$(PDF)"

# The pinned environment, rebuilt when requirements.txt changes.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# Debian packages for the PDF (apt.txt, also read by Binder): installed when xelatex is
# missing and we are root on Debian; otherwise say exactly what to install, and stop.
system:
	@if command -v xelatex >/dev/null && command -v pdftoppm >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -q && \
	  apt-get install -y -q --no-install-recommends $(APT_PACKAGES); \
	else echo "The PDF needs XeLaTeX and fonts. On Debian or Ubuntu, run:"; \
	  echo "  sudo apt-get install --no-install-recommends $(APT_PACKAGES)"; exit 1; fi

# Each build keeps its log, so tests can check that it logged no warning.
html: $(VENV)/.installed
	mkdir -p $(LOGS)
	$(JB) build . $(JBFLAGS) 2>&1 | tee $(LOGS)/html.log

pdf: $(VENV)/.installed system
	mkdir -p $(LOGS) $(dir $(PDF))
	$(JB) build . --builder pdflatex $(JBFLAGS) 2>&1 | tee $(LOGS)/pdf.log
	cp _build/latex/book.pdf $(PDF)

test: $(VENV)/.installed
	@test -f $(PDF) -a -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m pytest

clean:
	rm -rf _build
