# Everything a fresh machine needs is installed by these targets: a Node.js LTS (scripts/ensure-node.sh),
# node packages (npm ci), the
# Temporal CLI (built once with `go install` into ~/.cache when none is on PATH), Chromium for the
# browser test (Debian package), an S3-compatible server for the storage test (PyPI, in a cache venv)
# and Temporal's Java time-skipping test server (Maven Central) for the rollout and retention tests.
SHELL := /bin/bash
# A Node.js LTS (22+): the machine's when it is one, else Node.js 24 from the npm registry (once).
NODE_BIN := $(shell scripts/ensure-node.sh)
$(if $(NODE_BIN),,$(error scripts/ensure-node.sh found no Node.js 22 or later and could not install one))
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: all install build lint format test test-unit demo bench clean tools

all: build

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

# Built afresh: a compiled file whose source was deleted would otherwise stay in dist/, and mocha's
# glob would still run it.
build: install
	rm -rf dist
	tsc -p tsconfig.json

lint: install
	biome check .

format: install
	biome check --write .

tools:
	@TEMPORAL_CLI="$$(scripts/ensure-temporal.sh)" && echo "temporal: $$TEMPORAL_CLI"
	@scripts/ensure-chromium.sh >/dev/null && echo "chromium: ok"
	@S3_SERVER="$$(scripts/ensure-s3-server.sh)" && echo "s3 server: $$S3_SERVER"
	@TEST_SERVER="$$(scripts/ensure-test-server.sh)" && echo "time-skipping test server: $$TEST_SERVER"

test: build lint tools
	TEMPORAL_CLI="$$(scripts/ensure-temporal.sh)" mocha

demo: build
	TEMPORAL_CLI="$$(scripts/ensure-temporal.sh)" node --enable-source-maps dist/src/demo.js

bench: build
	TEMPORAL_CLI="$$(scripts/ensure-temporal.sh)" node --enable-source-maps dist/scripts/bench.js

clean:
	rm -rf dist .data
