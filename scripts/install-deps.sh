#!/usr/bin/env bash
# Installs the Debian packages syncd needs to build, run and test.
# (libboost-dev: SOCI 4.0.3's headers include Boost.Fusion, though Debian does not depend on it.)
# Idempotent: packages already installed are skipped; apt-get runs only when
# something is missing. Usage: scripts/install-deps.sh [--test | --only PKG...]
set -euo pipefail

# (libsoci-dev carries SOCI's postgresql backend, libpq-dev its client library.)
pkgs=(cmake g++ make pkg-config libpistache-dev libwebsocketpp-dev libasio-dev
      rapidjson-dev libsoci-dev libboost-dev libsqlite3-dev libssl-dev libpq-dev
      libjwt-dev libargon2-dev)
if [[ "${1:-}" == "--only" ]]; then
  # scripts/install-deps.sh --only PKG...: just these (the fuzz, console and
  # deploy scripts name what they need), with the same skip-what-is-present.
  shift
  pkgs=("$@")
elif [[ "${1:-}" == "--test" ]]; then
  # clang + its runtime: the sanitizer build and the libFuzzer target.
  pkgs+=(libgtest-dev libgmock-dev clang-format clang-tidy curl clang libclang-rt-14-dev)
  # The PostgreSQL server: every run tests the stores, the end-to-end and the
  # crash suites on it too (scripts/lib/test-postgres.sh).
  pkgs+=(postgresql)
  # The console's browser suite (Debian's Chromium: no browser download) and
  # promtool for deploy/alerts.yml.
  pkgs+=(chromium prometheus)
  # nginx: tests/crash/load_balancer_test.cc runs deploy/nginx.conf (its
  # own process on a free port; the package's service is stopped below).
  pkgs+=(nginx)
  # Node.js for the generated-client check: the machine image may ship its
  # own build (with npm inside); only install Debian's when there is none.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then pkgs+=(nodejs npm); fi
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Installing nginx may start Debian's nginx service on port 80: the tests run
# their own, so that one is stopped.
if [[ " ${missing[*]} " == *" nginx "* ]]; then
  $SUDO service nginx stop >/dev/null 2>&1 || true
fi
