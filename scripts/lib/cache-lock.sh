# Sourced by the ensure-*.sh scripts. lock_cache FILE holds an exclusive lock on FILE (in the cache
# directory, created if missing) until the script exits: two test runs starting at once on a fresh
# machine must not install into the same folder together. Without flock (macOS) it does nothing; each
# script's marker, written last, still keeps a half-built install from being taken for a good one.
lock_cache() {
  mkdir -p "$(dirname "$1")"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$1"
    flock 9
  fi
}
