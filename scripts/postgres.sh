#!/usr/bin/env bash
# Installs (from Debian, if missing) and starts PostgreSQL on 127.0.0.1, and makes a role
# tollgate_test with a password and a database of the given name (default tollgate_test) that it
# owns. Prints the ADO.NET connection string as its last line. Used by scripts/test.sh and bench/.
set -euo pipefail
dbname=${1:-tollgate_test}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing postgresql..." >&2
  as_root apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi
pgver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$pgver main$"; then
  as_root pg_createcluster "$pgver" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$pgver" '$1==v && $2=="main" {print $4}' | grep -q online; then
  as_root pg_ctlcluster "$pgver" main start >&2
fi
pgport=$(pg_lsclusters -h | awk -v v="$pgver" '$1==v && $2=="main" {print $3}')
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$pgport" && break; sleep 1; done
# Tests run many servers at once, each with its own connection pool: allow more than the default 100.
if [ "$(as_root runuser -u postgres -- psql -p "$pgport" -tAc 'SHOW max_connections')" -lt 300 ]; then
  as_root runuser -u postgres -- psql -q -p "$pgport" -c "ALTER SYSTEM SET max_connections = 400" >/dev/null
  as_root pg_ctlcluster "$pgver" main restart >&2
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$pgport" && break; sleep 1; done
fi
pgpass=tollgate_test_pw
as_root runuser -u postgres -- psql -q -p "$pgport" -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tollgate_test') THEN
    CREATE ROLE tollgate_test LOGIN PASSWORD '$pgpass';
  ELSE
    ALTER ROLE tollgate_test LOGIN PASSWORD '$pgpass';
  END IF;
END \$\$;
SQL
if ! as_root runuser -u postgres -- psql -p "$pgport" -tAc "SELECT 1 FROM pg_database WHERE datname='$dbname'" | grep -q 1; then
  as_root runuser -u postgres -- createdb -p "$pgport" -O tollgate_test "$dbname"
fi
echo "Host=127.0.0.1;Port=$pgport;Username=tollgate_test;Password=$pgpass;Database=$dbname;Maximum Pool Size=20"
