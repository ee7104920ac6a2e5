# csvlake: `make demo` and `make test` work on a fresh machine with Python 3.11+, make and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# sam and the layer Makefiles run `python3`: the venv's, with a pip recent enough for cross-platform wheels.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export SAM_CLI_TELEMETRY := 0
# sam validate needs a region and credentials to exist, not to be valid: nothing here calls AWS.
export AWS_DEFAULT_REGION ?= us-east-1
SAM_ENV := AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-testing}
EVENT ?= events/s3-put.json
# The local endpoint: `make serve PORT=4567`, then `make invoke PORT=4567` (or ENDPOINT=http://…).
# `make demo` takes any free port unless PORT is given, so it runs beside `make serve`.
PORT ?=
ENDPOINT ?= http://127.0.0.1:$(or $(PORT),4566)

.PHONY: install demo serve invoke test unit integration lint template build clean chromium

$(BIN)/.installed: requirements-dev.txt layers/csvlake/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e layers/csvlake
	touch $@

install: $(BIN)/.installed

demo: install ## process the bundled samples on a local S3 endpoint and print their reports
	$(BIN)/csvlake demo $(if $(PORT),--port $(PORT))

serve: install ## local S3 endpoint on 127.0.0.1:4566 (PORT=…) + the processing loop, until Ctrl-C
	$(BIN)/csvlake serve --port $(or $(PORT),4566)

invoke: install ## run one event file (EVENT=…) against the endpoint of `make serve` (ENDPOINT=… or PORT=…)
	$(BIN)/csvlake invoke --event $(EVENT) --endpoint $(ENDPOINT)

test: lint unit integration template ## everything CI runs

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

chromium: ## headless Chromium for the HTML report's browser tests (Debian's package; needs root or sudo)
	sh tests/browser/install-chromium.sh

unit: install chromium
	$(BIN)/pytest -q tests/unit

integration: install
	$(BIN)/pytest -q tests/integration

# checkov pins boto3==1.35.49, which clashes with the boto3 pin of requirements-dev.txt, so it gets
# its own venv inside .venv (git-ignored and removed by `make clean` with it). Bump the version here.
# --skip-download keeps it from calling Prisma Cloud; skipped checks and their reasons are in the
# template's Metadata. checkov cannot evaluate !If or a resource's Condition, so it also runs on
# the template as the default parameters deploy it (scripts/resolve_template.py); both must pass.
RESOLVED_TEMPLATE := .aws-sam/template.resolved.json
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := $(VENV)/checkov

$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

template: build $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION) ## the template lints clean, passes checkov, builds without Docker and fits Lambda's size limit
	$(SAM_ENV) $(BIN)/sam validate --lint
	$(BIN)/cfn-lint template.yaml
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --compact --quiet
	$(BIN)/python scripts/resolve_template.py --out $(RESOLVED_TEMPLATE)
	$(BIN)/cfn-lint $(RESOLVED_TEMPLATE)
	$(CHECKOV_VENV)/bin/checkov -f $(RESOLVED_TEMPLATE) --framework cloudformation --skip-download --compact --quiet
	$(BIN)/python scripts/check_build_size.py

build: install
	$(SAM_ENV) $(BIN)/sam build

# Generated inputs are cached in benchmarks/.data/ (git-ignored). BENCH_ARGS goes to run.py; --big adds
# the 2 GB file (generated on first use, ~1.5 min; then a few minutes per run). See docs/benchmarks.md.
BENCH_ARGS ?=
.PHONY: bench
bench: install ## csvlake against the naive pipeline and the I/O floor on generated files; BENCH_ARGS=--big adds 2 GB
	$(BIN)/python benchmarks/generate.py $(filter --big,$(BENCH_ARGS))
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/contracts.py

clean:
	rm -rf $(VENV) .aws-sam demo-output test-artifacts .pytest_cache .ruff_cache
