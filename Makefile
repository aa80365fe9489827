# Thin wrappers: the work is in local/, tests/ and bench/.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-unit lint bench cost load token build openapi seed-resources audit-verify clean

$(VENV)/.installed: pyproject.toml local/requirements.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $$($(PYTHON) local/requirements.py runtime) $$($(PYTHON) local/requirements.py dev)
	$(PY) -c "import local.emulator as e; e.ensure_emulator_venv()"
	touch $@

## make run: install, start the local cloud, deploy, seed, serve until Ctrl-C
run: $(VENV)/.installed
	$(PY) -m local.run

## make test: lint, then unit, integration and stack tiers on a throwaway local cloud
# The unit tier is CPU-bound and in-process: two workers (CI has 2 cores). The cloud tiers
# share one emulator and one deploy, so they run in one process after it.
test: lint
	$(PY) -m pytest tests/unit -n 2
	$(PY) -m pytest tests/integration tests/stack

test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

## make lint: ruff, mypy, cfn-lint, checkov (its venv, .local/checkov-venv, is made on first use)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy functions shared local bench tests
	$(VENV)/bin/cfn-lint template.yaml
	$(PY) -m local.checkov

## make bench: cold-import instruction ratios (valgrind callgrind) and AWS calls per request,
## written to bench/results.json; BENCH_ARGS=--recount counts unchanged handlers again
bench: $(VENV)/.installed
	$(PY) -m bench.run $(BENCH_ARGS)

## make cost: dollars per 1,000 monthly active members a month, per service, from the calls
## in bench/results.json (no local cloud; not in CI), written to bench/cost.json
cost: $(VENV)/.installed
	$(PY) -m bench.cost

## make load: 200 members' evening on the local API (a throwaway cloud, or TEST_STACK=<stack.json>),
## p50/p95/p99 and errors per route as ratios to GET /ping, the crisis path under load; not in
## CI; written to bench/load.json; LOAD_ARGS="--members 40 --seconds 30" for a short run
load: $(VENV)/.installed
	$(PY) -m bench.load $(LOAD_ARGS)

## make token USER=mei: a fresh ID token for a demo user of the running local cloud
## (an invited user's first sign-in: PASSWORD=<temporary> NEW_PASSWORD=<new>)
token: $(VENV)/.installed
	@$(PY) -m local.token $(if $(filter command line,$(origin USER)),$(USER),mei) \
		$(if $(PASSWORD),--password "$(PASSWORD)") $(if $(NEW_PASSWORD),--new-password "$(NEW_PASSWORD)")

## make build: build/code and build/layer for `sam deploy` (Lambda python3.11, x86_64)
build: $(VENV)/.installed
	$(PY) -m local.package 3.11

## make seed-resources: validate data/resources/ and load it into the running local cloud
seed-resources: $(VENV)/.installed
	$(PY) -m local.seed_resources

## make openapi: regenerate docs/api/*.json from the code
openapi: $(VENV)/.installed
	$(PY) -m local.openapi

## make audit-verify ORG=<id>: check one organisation's audit chain in the running local cloud
## (STACK=<file> for another stack file than .local/stack.json)
audit-verify: $(VENV)/.installed
	$(if $(ORG),,$(error ORG is not set: make audit-verify ORG=<organisation id>))
	$(PY) -m local.audit_verify "$(ORG)" $(if $(STACK),--stack "$(STACK)")

clean:
	rm -rf build .local .pytest_cache .mypy_cache .ruff_cache
