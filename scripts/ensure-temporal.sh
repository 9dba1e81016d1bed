#!/usr/bin/env bash
# Prints the path of a Temporal CLI (which carries the dev server and the Web UI).
# Uses `temporal` from PATH when present; otherwise builds v1.5.1 with `go install` into a cache
# directory outside the clone, so later runs on the same machine reuse it. Later tags carry a
# `replace` directive and cannot be go-installed.
set -euo pipefail
if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "${TEMPORAL_CLI}" ]; then echo "${TEMPORAL_CLI}"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/intercom-to-chatwoot/bin"
if [ ! -x "$cache/temporal" ]; then
  command -v go >/dev/null 2>&1 || { echo "ensure-temporal: neither 'temporal' nor 'go' is on PATH; install Go or the Temporal CLI" >&2; exit 1; }
  mkdir -p "$cache"
  echo "ensure-temporal: building the Temporal CLI v1.5.1 into $cache (a few minutes, once)" >&2
  GOBIN="$cache" GOFLAGS=-mod=mod go install github.com/temporalio/cli/cmd/temporal@v1.5.1 >&2
fi
echo "$cache/temporal"
