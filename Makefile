# The task vocabulary shared by developers, git hooks and CI. `make help` lists the targets.
# Only python3, git and make are assumed: uv is bootstrapped into .tools/ when missing.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
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

# Serving: the BentoML store, the inference logs and the image live in (or are named after) the repo.
export BENTOML_HOME ?= $(CURDIR)/.bentoml
export INFERENCE_LOG_DIR ?= $(CURDIR)/monitoring
PORT ?= 3000
# The project's name (params.yaml project.name) names the Bento, the model and the image.
PROJECT = $(shell $(RUN) python -m gitops_ml.config get project.name)
IMAGE ?= $(PROJECT):local
BENTO_TAG_FILE := build/bento/tag
SERVE_REQUIREMENTS := src/requirements-serve.txt

.PHONY: help env schema run report test test-e2e mutation lint format mlflow-ui clean model bento serve serve-bento container smoke drift replay sbom

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

# The same hash-checked uv the workflows install (.github/actions/setup-uv).
.tools/bin/uv: .github/actions/setup-uv/requirements.txt
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		--require-hashes --requirement $<
	touch $@ # pip leaves an installed uv as it was: without this, every make would redo this rule

# With PYTHONDONTWRITEBYTECODE set, Python never caches compiled modules and every process
# recompiles what it imports (~12 s per pipeline stage): compile them once here instead.
$(ENV_STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --locked --all-extras $(if $(PYTHONDONTWRITEBYTECODE),--compile-bytecode)
	touch $@

env: $(ENV_STAMP) ## Create/refresh .venv from uv.lock (all extras + dev tools)

# Your data: `make schema DATA=table.csv TARGET=column` drafts schema.yaml and points params.yaml at it.
DATA ?=
TARGET ?=
TIMESTAMP ?=
KEY ?=
TASK ?=
POSITIVE ?=
FORMAT ?=

schema: $(ENV_STAMP) ## Draft schema.yaml from DATA=<csv/parquet path or URL> TARGET=<column> [TIMESTAMP= KEY=a,b TASK= POSITIVE= FORMAT=]
	@test -n "$(DATA)" -a -n "$(TARGET)" || { echo "usage: make schema DATA=<path or URL> TARGET=<column> [TIMESTAMP=<column>] [KEY=<a,b>] [TASK=classification|regression] [POSITIVE=<label>]" >&2; exit 2; }
	$(RUN) python -m gitops_ml.schema_draft --data "$(DATA)" --target "$(TARGET)" \
		$(if $(TIMESTAMP),--timestamp "$(TIMESTAMP)") $(if $(KEY),--key "$(KEY)") \
		$(if $(TASK),--task "$(TASK)") $(if $(POSITIVE),--positive "$(POSITIVE)") $(if $(FORMAT),--format "$(FORMAT)")

run: $(ENV_STAMP) ## Run the whole pipeline (dvc repro) on the data params.yaml names
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

# Current data for `make drift`: production (default: drift.source in params.yaml), logs, or a path/URL.
SOURCE ?=

drift: $(ENV_STAMP) ## Drift check: SOURCE=production|logs|<parquet/CSV path or URL>; reports in build/drift/
	$(RUN) python -m gitops_ml.drift $(if $(SOURCE),--source "$(SOURCE)")

ROWS ?= 5000

replay: $(ENV_STAMP) ## Send ROWS of the production part's records to the service on PORT (make serve first)
	$(RUN) python -m gitops_ml.drift.replay --url http://127.0.0.1:$(PORT) --rows $(ROWS)

test: $(ENV_STAMP) ## Run the test suite: unit and integration (real DVC, MLflow, BentoML, Docker, browser)
	$(RUN) pytest -m "not e2e"

test-e2e: $(ENV_STAMP) ## Run the workflows themselves under act against a fake GitHub (CI runs it after `make test`)
	$(RUN) pytest -m e2e

# The modules mutated and the unit tests run are listed once, in pyproject.toml [tool.mutmut].
# mutmut keeps its copy and results in mutants/ and reuses them for unchanged functions;
# `rm -rf mutants` starts over. CI runs it on a schedule (.github/workflows/mutation.yml).
MUTATION_THRESHOLD ?= 85

mutation: $(ENV_STAMP) ## Mutation testing of the pure core (minutes); ends with `mutation score: K/N killed (P%)`
	$(RUN) mutmut run --max-children $(or $(MUTATION_JOBS),$(shell nproc))
	$(RUN) mutmut export-cicd-stats
	$(RUN) python -m tests.support.mutation_score --threshold $(MUTATION_THRESHOLD)

lint: $(ENV_STAMP) ## Lint, format-check and type-check the code; audit and validate the workflows (offline)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	env -u GH_TOKEN -u GITHUB_TOKEN $(RUN) zizmor --offline .github/workflows
	$(RUN) check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	SHELLCHECK_OPTS='--enable=check-extra-masked-returns' $(RUN) actionlint

format: $(ENV_STAMP) ## Apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

mlflow-ui: $(ENV_STAMP) ## Browse the local MLflow store (sqlite:///mlflow.db)
	$(RUN) mlflow ui --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000

$(SERVE_REQUIREMENTS): uv.lock pyproject.toml | $(UV)
	$(UV) export --frozen --no-dev --extra serve --no-emit-project --no-hashes --no-header \
		--format requirements-txt --output-file $@ --quiet

model: $(ENV_STAMP) ## Import models/ (the pipeline's model) into the BentoML store
	$(RUN) python -m gitops_ml.deploy.import_model

bento: $(SERVE_REQUIREMENTS) model ## Build the Bento (service + model + serving requirements from uv.lock)
	$(RUN) python -m gitops_ml.deploy.bento --tag-file $(BENTO_TAG_FILE)

serve: model ## Serve the service from source on http://127.0.0.1:$(PORT) (logs in ./monitoring)
	$(RUN) bentoml serve gitops_ml.service:ModelService --host 127.0.0.1 --port $(PORT)

serve-bento: bento ## Serve the built Bento on http://127.0.0.1:$(PORT)
	tag="$$(cat $(BENTO_TAG_FILE))" && $(RUN) bentoml serve "$$tag" --host 127.0.0.1 --port $(PORT)

SBOM := build/sbom.cdx.json

sbom: $(SERVE_REQUIREMENTS) $(ENV_STAMP) ## CycloneDX SBOM of the serving image's Python packages (from uv.lock) in build/
	mkdir -p $(dir $(SBOM))
	$(RUN) cyclonedx-py requirements $(SERVE_REQUIREMENTS) --of JSON --sv 1.6 --output-reproducible -o $(SBOM)

container: bento ## Build the Bento's OCI image, tagged $(IMAGE) (needs a Docker engine)
	tag="$$(cat $(BENTO_TAG_FILE))" && $(RUN) bentoml containerize "$$tag" --image-tag $(IMAGE)

smoke: $(ENV_STAMP) ## Smoke test a running service at URL=... against the pipeline model's predictions
	$(RUN) python -m gitops_ml.deploy.smoke expected
	$(RUN) python -m gitops_ml.deploy.smoke check --url $(or $(URL),http://127.0.0.1:$(PORT))

clean: ## Remove pipeline outputs that DVC can restore or rebuild, and local caches
	rm -rf data/raw data/split models/model.joblib reports/figures build .pytest_cache .ruff_cache $(SERVE_REQUIREMENTS)
