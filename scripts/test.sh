#!/usr/bin/env bash
# Runs every test. Installs and starts what the tests need (PostgreSQL from Debian on
# 127.0.0.1 with a role and database of its own), then runs all test projects and prints
# one closing line "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/.ci/out"
mkdir -p "$out"

# :: Billing documents: pdftoppm (previews) and the DejaVu fonts invoices are drawn with ----
missing=()
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  echo "installing ${missing[*]}..."
  if ! { $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    echo "${missing[*]} could not be installed"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

# :: Time zone data (analytics tests read local days in IANA zones from /usr/share/zoneinfo) ---
if [ ! -e /usr/share/zoneinfo/Asia/Kathmandu ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tzdata >/dev/null; else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tzdata >/dev/null; fi
fi

# :: PostgreSQL ------------------------------------------------------------------------
if ! TOLLGATE_TEST_PG=$(bash scripts/postgres.sh tollgate_test | tail -1); then
  echo "PostgreSQL could not be started"
  echo "0 passed, 1 failed"
  exit 1
fi
export TOLLGATE_TEST_PG

# :: Node packages for tests/node (official npm SDKs, coding agents) ----------------------
# node and npm from Debian when the machine has none; `npm ci` only when node_modules is
# missing or older than the lock, so a second run installs nothing.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
fi
stamp="tests/node/node_modules/.tollgate-lock"
if ! cmp -s tests/node/package-lock.json "$stamp" 2>/dev/null; then
  if ! (cd tests/node && timeout 900 npm ci --no-audit --no-fund --loglevel=error) >"$out/npm.log" 2>&1; then
    cat "$out/npm.log"
    echo "npm ci in tests/node failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
  cp tests/node/package-lock.json "$stamp"
fi

# :: Dashboard browser tests: Debian Chromium and axe-core -------------------------------
# Installed only when missing; the browser tests find Chromium at /usr/bin/chromium and axe-core
# under .ci/node (TOLLGATE_AXE_PATH points at axe.min.js).
if [ ! -x /usr/bin/chromium ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "chromium could not be installed; browser tests will fail"
fi
if [ ! -f "$root/.ci/node/node_modules/axe-core/axe.min.js" ]; then
  mkdir -p "$root/.ci/node"
  (cd "$root/.ci/node" && npm install --silent --no-audit --no-fund --prefix . axe-core@4.14.1 >/dev/null) \
    || echo "axe-core could not be installed; accessibility scans will fail"
fi
export TOLLGATE_AXE_PATH="$root/.ci/node/node_modules/axe-core/axe.min.js"

# :: Tests -----------------------------------------------------------------------------
dotnet build Tollgate.slnx -c Release -nologo -v q 2>&1 | tee "$out/build.log" | grep -E "error|Build succeeded" | sort -u
if [ "${PIPESTATUS[0]}" != 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test Tollgate.slnx -c Release --no-build -nologo 2>&1 | tee "$out/test.log"
status=${PIPESTATUS[0]}

passed=$(grep -E '(Passed|Failed)!  ?- Failed:' "$out/test.log" | sed -E 's/.*Passed: *([0-9]+).*/\1/' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '(Passed|Failed)!  ?- Failed:' "$out/test.log" | sed -E 's/.*Failed: *([0-9]+),.*/\1/' | awk '{s+=$1} END {print s+0}')
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
if [ "$passed" = 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$status" = 0 ] && [ "$failed" = 0 ]
