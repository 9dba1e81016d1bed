#!/usr/bin/env bash
# Prints the path of a Chromium that playwright-core can drive (the browser test of the widget router
# needs one). Installs the Debian package when /usr/bin/chromium is missing; refreshes the package
# index only when the first install attempt fails, so a warm machine never touches the network.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then echo "$chromium"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $chromium is missing and apt-get is not available; install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "ensure-chromium: need root or sudo to install chromium" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing chromium with apt-get (once)" >&2
if ! "${sudo_cmd[@]}" apt-get install -y --no-install-recommends chromium >&2; then
  "${sudo_cmd[@]}" apt-get update >&2
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends chromium >&2
fi
[ -x "$chromium" ] || { echo "ensure-chromium: apt-get finished but $chromium is still missing" >&2; exit 1; }
echo "$chromium"
