# FrameCheck — the two commands are `make build` and `make test`; `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
LS_VENV ?= .venv-labelstudio
DATA ?= data
SOURCE ?= demo
DB ?= sqlite
FC := $(VENV)/bin/framecheck --data-dir $(DATA)
DEMO_EXPORT := demo/annotations/demo_export.json
PYTEST_ARGS ?=
REDIS_PORT ?= 6379

.DEFAULT_GOAL := help
.PHONY: help build test crawl transcripts extract claims claims-model annotations release baselines report labelstudio labelstudio-venv redis bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	@touch $@

build: $(VENV)/.installed ## crawl the demo web (SOURCE=live: the real outlets) and cut a release with baselines and a report
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory crawl transcripts extract claims annotations release baselines report && \
	echo "make build: done in $$(( $$(date +%s) - start )) s — release under datasets/scs-framing/releases/, baselines and report under $(DATA)/"

test: $(VENV)/.installed ## run the test suite
	@$(VENV)/bin/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no test ran — that is a failure"; exit 1; fi; exit $$rc

crawl: $(VENV)/.installed ## crawl outlets into the WARC archive ($(DATA)/raw)
	$(FC) crawl --source $(SOURCE)

transcripts: $(VENV)/.installed ## import the demo video transcript and its comments
	$(FC) import-transcript demo/inputs/explainer-desk-scs.vtt --comments demo/inputs/explainer-desk-scs.comments.jsonl \
	  --info demo/inputs/explainer-desk-scs.info.json --camp western

extract: $(VENV)/.installed ## extract articles from the archive
	$(FC) extract

claims: $(VENV)/.installed ## mine candidate claims
	$(FC) claims run

claims-model: $(VENV)/.installed ## retrain the packaged claim ranker from ../shared (FRAMECHECK_SHARED) and its dev set
	$(FC) claims train --package

annotations: $(VENV)/.installed ## import annotations (the committed demo export offline; `framecheck annotate pull` with a server)
	$(FC) annotate import $(DEMO_EXPORT)

release: $(VENV)/.installed ## build the versioned release
	$(FC) release build

baselines: $(VENV)/.installed ## train and score the baselines on the release
	$(FC) baselines

report: $(VENV)/.installed ## write the HTML report
	$(FC) report

$(LS_VENV)/.installed:
	@test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet 'label-studio==1.23.2'
	@touch $@

labelstudio-venv: $(LS_VENV)/.installed ## install the Label Studio server in its own virtual environment

labelstudio: $(VENV)/.installed $(LS_VENV)/.installed ## start Label Studio on 127.0.0.1 (data under $(DATA)/labelstudio; DB=postgres: PostgreSQL under $(DATA)/postgres)
	$(VENV)/bin/python -m annotation.server --data-dir $(DATA) --ls-venv $(LS_VENV) --db $(DB)

# A shared crawl frontier for `framecheck crawl --frontier redis://127.0.0.1:$(REDIS_PORT)/0`. Loopback only;
# the frontier survives a restart through an append-only file in $(DATA)/redis (no RDB snapshots, no
# dump.rdb in the working directory). For workers on other machines, see README "Beyond one machine".
redis: ## start Debian's redis-server on 127.0.0.1:$(REDIS_PORT) for a shared crawl frontier (data under $(DATA)/redis)
	@command -v redis-server >/dev/null || { echo "redis-server is not installed (Debian: apt-get install redis-server)"; exit 1; }
	@mkdir -p $(DATA)/redis
	redis-server --bind 127.0.0.1 --port $(REDIS_PORT) --protected-mode yes --dir $(abspath $(DATA))/redis \
	  --save '' --appendonly yes --appendfsync everysec --daemonize no --logfile '' --loglevel warning

bench: $(VENV)/.installed ## run every benchmark in bench/
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

clean: ## remove the data directory and built releases (keeps the virtual environments)
	rm -rf $(DATA) datasets/*/releases
