# Sourced by scripts/test.sh and scripts/sanitize.sh: one throwaway PostgreSQL
# server (scripts/lib/pg-server.sh) for a whole test run. The suites that run
# on both engines make a fresh database per test on it
# (tests/support/postgres_server.h), instead of one server per test process.
#   start_test_postgres   exports SYNCD_TEST_POSTGRES_URL and
#                         SYNCD_REQUIRE_POSTGRES=1 (a missing server fails
#                         the PostgreSQL variants; they are never skipped here)
#   stop_test_postgres

start_test_postgres() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  SYNCD_TEST_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/syncd-pg.XXXXXX")
  chmod 711 "$SYNCD_TEST_PG_DIR"  # the server runs as an unprivileged user
  SYNCD_TEST_POSTGRES_URL=$("$root/scripts/lib/pg-server.sh" start "$SYNCD_TEST_PG_DIR/pg")
  export SYNCD_TEST_POSTGRES_URL SYNCD_REQUIRE_POSTGRES=1
  echo "test-postgres: PostgreSQL for the test run at $SYNCD_TEST_POSTGRES_URL"
}

stop_test_postgres() {
  [[ -n ${SYNCD_TEST_PG_DIR:-} ]] || return 0
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  "$root/scripts/lib/pg-server.sh" stop "$SYNCD_TEST_PG_DIR/pg" || true
  rm -rf "$SYNCD_TEST_PG_DIR"
  SYNCD_TEST_PG_DIR=""
}
