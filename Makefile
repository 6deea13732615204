# The two commands of the README:
#   make demo   the main job on the embedded default network (localnet)
#   make test   everything CI runs
# Each sets up what it needs: a virtualenv with pinned packages, the npm test tools,
# and the few Debian packages the tests use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_VENV := $(VENV)/.stamp-$(shell cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -c1-16)
STAMP_NODE := node_modules/.stamp-$(shell sha256sum package-lock.json | cut -c1-16)
PYTEST_ARGS ?=

.PHONY: demo test venv node debs wasm wasm-check sanity lint bench clean

venv: $(STAMP_VENV)
$(STAMP_VENV): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.stamp-*
	touch $@

node: $(STAMP_NODE)
$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

debs:
	scripts/ensure-debian-packages

demo: venv
	scripts/demo

wasm: venv node
	wasm/build

wasm-check: venv node
	wasm/build --check

test: venv node debs
	scripts/run-tests

sanity: venv
	scripts/ansible-test-sanity

lint: venv
	scripts/lint-collection

bench: venv node
	scripts/run-benchmarks

clean:
	rm -rf build tests/output .pytest_cache
