#!/usr/bin/env bash
# Prints the path of an executable that runs Temporal's time-skipping test server (the Java one from
# Maven Central, io.temporal:temporal-test-server), for @temporalio/testing's existing-path option.
# The jars are resolved with Maven once into a cache directory outside the clone; later runs (and
# later clones) on the same machine reuse them. TEMPORAL_TEST_SERVER may point at an existing
# executable instead.
#
# The SDK runs the executable as `<path> <port> [extraArgs...]` and unlocks time skipping itself
# while a test awaits a result or calls env.sleep(), so the wrapper passes its arguments through
# unchanged (adding --enable-time-skipping would unbalance the SDK's lock/unlock calls).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/cache-lock.sh"
if [ -n "${TEMPORAL_TEST_SERVER:-}" ] && [ -x "${TEMPORAL_TEST_SERVER}" ]; then
  echo "${TEMPORAL_TEST_SERVER}"
  exit 0
fi
version="1.38.0"
# Bump this when the resolved set changes, so machines that cached the old set resolve again.
revision="2"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/intercom-to-chatwoot/test-server"
lib="$cache/lib-$version-r$revision"
wrapper="$cache/temporal-test-server-$version-r$revision"

# The wrapper is written last, so an interrupted resolve is not mistaken for a good one.
[ -x "$wrapper" ] || lock_cache "$cache/resolve.lock"
if [ ! -x "$wrapper" ]; then
  command -v java >/dev/null 2>&1 || { echo "ensure-test-server: 'java' is not on PATH; install a JDK (17+)" >&2; exit 1; }
  command -v mvn >/dev/null 2>&1 || { echo "ensure-test-server: 'mvn' is not on PATH; install Maven" >&2; exit 1; }
  echo "ensure-test-server: resolving io.temporal:temporal-test-server:$version into $lib (once)" >&2
  rm -rf "$lib"
  work="$(mktemp -d "$cache/resolve.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.intercom-to-chatwoot</groupId>
  <artifactId>test-server-resolver</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$version</version>
    </dependency>
    <!-- The server logs through SLF4J; without a binding it prints a warning on every start. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
  # Maven reports failures on stdout: keep its log and show it only when it fails.
  mvn -B -q -Dstyle.color=never -f "$work/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/lib" >"$work/mvn.log" 2>&1 || {
    cat "$work/mvn.log" >&2
    echo "ensure-test-server: Maven could not resolve io.temporal:temporal-test-server:$version" >&2
    exit 1
  }
  ls "$work/lib"/temporal-test-server-*.jar >/dev/null 2>&1 || {
    echo "ensure-test-server: Maven finished but no temporal-test-server jar was copied" >&2
    exit 1
  }
  mv "$work/lib" "$lib"
  cat >"$work/wrapper" <<EOF
#!/usr/bin/env bash
# Temporal's time-skipping test server $version; usage: $(basename "$wrapper") <port> [--enable-time-skipping]
exec java -cp '$lib/*' io.temporal.testserver.TestServer "\$@"
EOF
  chmod +x "$work/wrapper"
  mv "$work/wrapper" "$wrapper"
fi
echo "$wrapper"
