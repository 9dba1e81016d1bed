#!/usr/bin/env bash
# Prints the path of moto_server, an S3-compatible server used by the S3 blob store test.
# It lives in a virtualenv in a cache directory outside the clone, so later runs (and later clones)
# on the same machine reuse it; MOTO_SERVER may point at an existing executable instead.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/cache-lock.sh"
if [ -n "${MOTO_SERVER:-}" ] && [ -x "${MOTO_SERVER}" ]; then echo "${MOTO_SERVER}"; exit 0; fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/intercom-to-chatwoot"
venv="$cache/venv-moto"
# The marker is written only after pip succeeded, so an interrupted install is not mistaken for a good one.
ready="$venv/.install-complete"
[ -f "$ready" ] || lock_cache "$cache/venv-moto.lock"
if [ ! -f "$ready" ]; then
  python=""
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$(command -v "$candidate")"; break; fi
  done
  [ -n "$python" ] || { echo "ensure-s3-server: python3 is not on PATH; install Python 3 to get moto" >&2; exit 1; }
  echo "ensure-s3-server: installing moto[server] into $venv (once)" >&2
  # A half-built virtualenv from an interrupted run is replaced rather than patched.
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]" >&2
  touch "$ready"
fi
[ -x "$venv/bin/moto_server" ] || { echo "ensure-s3-server: moto_server missing from $venv after install" >&2; exit 1; }
echo "$venv/bin/moto_server"
