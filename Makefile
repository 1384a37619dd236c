# The task vocabulary shared by developers, git hooks and CI. `make help` lists the targets.
# Only python3, git and make are assumed: uv is bootstrapped into .tools/ when missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
UV_VERSION := 0.13.8
UV ?= $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
RUN := $(UV) run --no-sync
# Revision `make report` compares with (CI passes the pull request's base branch).
BASE ?= main
ENV_STAMP := .venv/.synced

# Telemetry off for every tool the template drives (also set by the package itself).
export DVC_NO_ANALYTICS := 1
export MLFLOW_DISABLE_TELEMETRY := true
export BENTOML_DO_NOT_TRACK := true
export DO_NOT_TRACK := 1
export ITERATIVE_DO_NOT_TRACK := 1

.PHONY: help env run report test lint format mlflow-ui clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(ENV_STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --all-extras
	touch $@

env: $(ENV_STAMP) ## Create/refresh .venv from uv.lock (all extras + dev tools)

run: $(ENV_STAMP) ## Run the whole pipeline (dvc repro) on the bundled data
	$(RUN) dvc repro
	@echo
	@echo "Metrics:      reports/metrics.json   (table: $(UV) run dvc metrics show)"
	@echo "Slices:       reports/slices.json"
	@echo "Plots:        reports/figures/*.png  (interactive: $(UV) run dvc plots show)"
	@echo "Model:        models/model.joblib, card in models/model.json"
	@echo "MLflow UI:    make mlflow-ui  (then open http://127.0.0.1:5000)"

report: $(ENV_STAMP) ## Render the pull request report vs BASE (default main; run `make run` first)
	$(RUN) python -m gitops_ml.report --base "$(BASE)"
	@echo "Open build/report/report.md (figures in build/report/figures/)"

test: $(ENV_STAMP) ## Run the whole test suite
	$(RUN) pytest

lint: $(ENV_STAMP) ## Lint and format-check the code; audit and validate the workflows (offline)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	env -u GH_TOKEN -u GITHUB_TOKEN $(RUN) zizmor --offline .github/workflows
	$(RUN) check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(RUN) actionlint

format: $(ENV_STAMP) ## Apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

mlflow-ui: $(ENV_STAMP) ## Browse the local MLflow store (sqlite:///mlflow.db)
	$(RUN) mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

clean: ## Remove pipeline outputs that DVC can restore or rebuild, and local caches
	rm -rf data/raw data/split models/model.joblib reports/figures build .pytest_cache .ruff_cache
