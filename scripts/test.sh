#!/usr/bin/env bash
# Runs every test. Installs and starts what the tests need (PostgreSQL from Debian on
# 127.0.0.1 with a role and database of its own), then runs all test projects and prints
# one closing line "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/.ci/out"
mkdir -p "$out"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# :: PostgreSQL ------------------------------------------------------------------------
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing postgresql..."
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi
pgver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$pgver main$"; then
  as_root pg_createcluster "$pgver" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$pgver" '$1==v && $2=="main" {print $4}' | grep -q online; then
  as_root pg_ctlcluster "$pgver" main start
fi
pgport=$(pg_lsclusters -h | awk -v v="$pgver" '$1==v && $2=="main" {print $3}')
for i in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$pgport" && break; sleep 1; done
pgpass=tollgate_test_pw
as_root runuser -u postgres -- psql -q -p "$pgport" -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tollgate_test') THEN
    CREATE ROLE tollgate_test LOGIN PASSWORD '$pgpass';
  ELSE
    ALTER ROLE tollgate_test LOGIN PASSWORD '$pgpass';
  END IF;
END \$\$;
SQL
if ! as_root runuser -u postgres -- psql -p "$pgport" -tAc "SELECT 1 FROM pg_database WHERE datname='tollgate_test'" | grep -q 1; then
  as_root runuser -u postgres -- createdb -p "$pgport" -O tollgate_test tollgate_test
fi
export TOLLGATE_TEST_PG="Host=127.0.0.1;Port=$pgport;Username=tollgate_test;Password=$pgpass;Database=tollgate_test;Maximum Pool Size=50"

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
