# The two commands of the README: `make run` runs the whole system, `make test` runs the tests.
# Both set up everything they need on a fresh machine (Python packages from uv.lock, Kafka's jars
# from Maven Central) and start their own Kafka and PostgreSQL.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV_VENV := .cache/uv-$(UV_VERSION)
UV := $(UV_VENV)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: run test chaos fuzz setup contracts bench images manifests crds reset clean

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: install it (apt-get install python3.11 python3.11-venv)."; exit 1; }
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml libs/common/pyproject.toml services/*/pyproject.toml tools/ecity-cli/pyproject.toml
	$(UV) sync --frozen --all-packages --python $(PYTHON) --quiet
	@touch $@

# promtool checks and unit-tests the alert rules (tests/test_alerts.py); the prometheus binary beside it
# is the server tests/test_alerts_live.py runs for a few seconds (its own port and temporary folder).
# Both come from Debian's prometheus package, unpacked into .cache: nothing is installed as a system
# service, and nothing starts a Prometheus but that test.
PROMTOOL := .cache/prometheus/usr/bin/promtool
$(PROMTOOL):
	@mkdir -p .cache/prometheus-deb
	@cd .cache/prometheus-deb && { apt-get download prometheus 2>/dev/null || { apt-get update -qq && apt-get download prometheus; }; } \
	  || { echo "promtool is needed for the alert tests: Debian's prometheus package could not be downloaded"; exit 1; }
	dpkg-deb -x "$$(ls .cache/prometheus-deb/prometheus_*.deb | tail -1)" .cache/prometheus
	@rm -rf .cache/prometheus-deb

# Swagger UI and ReDoc for the services' /docs and /redoc, from npm (pinned, integrity-checked),
# served by the services themselves (libs/common/src/ecity_common/web/docs.py).
DOCS_ASSETS := libs/common/src/ecity_common/web/docs_assets
$(DOCS_ASSETS)/VERSIONS: libs/common/docs-assets/fetch.sh libs/common/docs-assets/npm-unpack.sh
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; } \
	  || { echo "npm is needed once, for the API docs' assets: apt-get install npm"; exit 1; }
	sh libs/common/docs-assets/fetch.sh $(DOCS_ASSETS)

# The web's htmx and Leaflet (served by the web itself) and axe-core (injected by its browser tests),
# from npm in the same way (services/web/assets/fetch.sh).
WEB_ASSETS := services/web/src/web/static/vendor
$(WEB_ASSETS)/VERSIONS: services/web/assets/fetch.sh libs/common/docs-assets/npm-unpack.sh
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; } \
	  || { echo "npm is needed once, for the web's browser libraries: apt-get install npm"; exit 1; }
	sh services/web/assets/fetch.sh $(WEB_ASSETS) .cache/axe-core

# The web's browser tests drive Debian's chromium (Playwright pointed at /usr/bin/chromium: its own
# browser builds cannot be downloaded here); installed once, as npm is.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  || { echo "chromium is needed by the web's browser tests: apt-get install chromium"; exit 1; }

setup: .venv/.synced $(PROMTOOL) $(DOCS_ASSETS)/VERSIONS $(WEB_ASSETS)/VERSIONS $(CHROMIUM)
	@.venv/bin/ecity infra prepare

run: setup
	.venv/bin/ecity up

# The tests run in TEST_WORKERS processes at once (each with its own Kafka and PostgreSQL): most
# of a test's time is waiting on a broker or a database. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: setup
	@command -v kubectl >/dev/null || { echo "kubectl is needed by the tests of the Kubernetes manifests (kubectl kustomize): install it from the Kubernetes packages or your cloud SDK."; exit 1; }
	.venv/bin/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The long chaos test (tests/test_chaos.py, ECITY_CHAOS=long) five times in a row; stops at the
# first failure; each run's replica logs stay in .state/chaos/run-N. `make test` runs its short version once.
CHAOS_RUNS ?= 5
chaos: setup
	@mkdir -p .state/chaos; for i in $$(seq 1 $(CHAOS_RUNS)); do \
		echo "== chaos run $$i of $(CHAOS_RUNS)"; \
		ECITY_CHAOS=long .venv/bin/pytest tests/test_chaos.py -x -q -s -p no:cacheprovider --basetemp=.state/chaos/run-$$i $(PYTEST_ARGS) || { echo "== chaos run $$i failed"; exit 1; }; \
	done; echo "== $(CHAOS_RUNS) chaos runs passed"

# The API fuzzer (tests/test_fuzz.py) at length: FUZZ_EXAMPLES generated calls per operation of the
# five OpenAPI documents, with a fresh seed each run (printed; FUZZ_SEED=N repeats one). `make test`
# runs it with a few calls per operation and a fixed seed. No time limit (ECITY_FUZZ_TIMEOUT=0: the
# module's own limit is for `make test`; a pytest marker outranks --timeout).
FUZZ_EXAMPLES ?= 300
FUZZ_SEED ?= random
fuzz: setup
	ECITY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ECITY_FUZZ_SEED=$(FUZZ_SEED) ECITY_FUZZ_TIMEOUT=0 .venv/bin/pytest tests/test_fuzz.py -q -s -p no:cacheprovider $(PYTEST_ARGS)

contracts: .venv/.synced  # the event catalogue's AsyncAPI + JSON Schemas, each service's openapi.json and its README's Endpoints table
	.venv/bin/ecity contracts

bench: setup
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } \
	  || { echo "bench/citizens.py needs wrk: apt-get install wrk"; exit 1; }
	.venv/bin/python bench/messaging.py
	.venv/bin/python bench/budget.py
	.venv/bin/python bench/network.py
	.venv/bin/python bench/utilities.py
	.venv/bin/python bench/citizens.py
	.venv/bin/python bench/chain.py
	.venv/bin/python bench/notices.py
	.venv/bin/python bench/photos.py

# Container images, for Docker Compose and Kubernetes (needs a Docker engine, which CI lacks:
# the Dockerfiles are checked by tests/test_deploy.py instead).
VERSION ?= 0.1.0
SERVICES := citizen-requests utilities-gateway budget-ledger network-registry notifications
images:
	for s in $(SERVICES); do docker build -f services/$$s/Dockerfile -t ecity/$$s:$(VERSION) . || exit 1; done

manifests: .venv/.synced
	.venv/bin/python deploy/monitoring/dashboards.py
	.venv/bin/python deploy/k8s/generate.py
	.venv/bin/python deploy/docker/generate.py

# Wipes the local Kafka and PostgreSQL of `make run` (every request, entry, topic); the next
# `make run` starts from the demo data alone. Refused while `make run` is running.
reset: .venv/.synced
	.venv/bin/ecity infra reset

# The CRDs of the operators the manifests are written for (deploy/k8s/crds/README.md), after a
# version change in deploy/k8s/generate.py's OPERATORS. Needs Maven with Java 21+, Go and Cargo.
crds: .venv/.synced
	bash deploy/k8s/crds/refresh.sh

clean:
	-.venv/bin/ecity infra down
	rm -rf .state
