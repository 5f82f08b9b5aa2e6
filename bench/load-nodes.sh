#!/usr/bin/env bash
# Two gateway nodes on one PostgreSQL database, enforcing the same caps together. Measures
# requests/s, p50 and p99 through both nodes at once (one wrk per node, 16 connections each):
#   hot member:   every request from one member with a monthly budget and a daily period cap;
#   1000 members: developers inheriting default limits, a random member's key per request.
# Everything runs on 127.0.0.1, is bounded in time, and stops the processes it started by PID.
#
#   bash bench/load-nodes.sh          # 10 s per measurement
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${DURATION:-10}
fake_port=19101; a_port=19181; b_port=19182
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

command -v wrk >/dev/null || { as_root apt-get update -qq && as_root apt-get install -y -qq wrk >/dev/null; }
cs=$(bash scripts/postgres.sh tollgate_bench | tail -1 | sed "s/Maximum Pool Size=[0-9]*/Maximum Pool Size=60/")
pgport=$(echo "$cs" | sed -E 's/.*Port=([0-9]+).*/\1/')
# A fresh database for every run.
as_root runuser -u postgres -- psql -q -p "$pgport" -c "DROP DATABASE IF EXISTS tollgate_bench" >/dev/null
as_root runuser -u postgres -- createdb -p "$pgport" -O tollgate_test tollgate_bench
psql_bench() { PGPASSWORD=tollgate_test_pw psql -q -h 127.0.0.1 -p "$pgport" -U tollgate_test -d tollgate_bench "$@"; }

echo "building (Release)..."
dotnet build -c Release -nologo -v q src/Tollgate/Tollgate.csproj >/dev/null
dotnet build -c Release -nologo -v q tools/FakeProviders/FakeProviders.csproj >/dev/null
cat > "$work/catalog.json" <<JSON
{"models":[{"id":"bench-model","name":"Bench","kind":"chat","maxOutputTokens":1000,
  "providers":[{"provider":"openai","providerModelId":"bench-upstream",
    "prices":[{"inputPerMillion":"2.5","outputPerMillion":"10"}]}]}]}
JSON

dotnet tools/FakeProviders/bin/Release/net10.0/FakeProviders.dll --urls "http://127.0.0.1:$fake_port" >"$work/fake.log" 2>&1 &
pids+=("$!")
start_node() {
  dotnet src/Tollgate/bin/Release/net10.0/Tollgate.dll --urls "http://127.0.0.1:$1" \
    --Tollgate:Database:Provider=postgres --Tollgate:Database:ConnectionString="$cs" \
    --Tollgate:Catalog:Path="$work/catalog.json" \
    --Tollgate:Providers:openai:BaseUrl="http://127.0.0.1:$fake_port/openai/v1" --Tollgate:Providers:openai:ApiKey=bench \
    --Logging:LogLevel:Default=Warning >"$work/node-$1.log" 2>&1 &
  pids+=("$!")
}
start_node $a_port
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$a_port/health" >/dev/null && break; sleep 0.2; done
start_node $b_port
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$b_port/health" >/dev/null && break; sleep 0.2; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
A="http://127.0.0.1:$a_port"; B="http://127.0.0.1:$b_port"
curl -sf "$A/auth/signup" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password","name":"Bench"}' >/dev/null
token=$(curl -sf "$A/auth/login" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password"}' | json "['token']")
auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
org=$(curl -sf "$A/orgs" "${auth[@]}" -d '{"name":"Bench"}' | json "['id']")
project=$(curl -sf "$A/orgs/$org/projects" "${auth[@]}" -d '{"name":"bench"}' | json "['id']")
key=$(curl -sf "$A/orgs/$org/keys" "${auth[@]}" -d "{\"projectId\":\"$project\",\"name\":\"hot\"}" | json "['key']")
member=$(curl -sf "$A/me" "${auth[@]}" | json "['memberships'][0]['memberId']")
curl -sf -X PUT "$A/orgs/$org/members/$member/budget" "${auth[@]}" \
  -d '{"spend":{"type":"monthly","limit":"1000000"},"period":{"type":"rolling","limit":"100000","window":"day"}}' >/dev/null
curl -sf -X PUT "$A/orgs/$org/default-developer-limits" "${auth[@]}" \
  -d '{"spend":{"type":"monthly","limit":"1000"},"period":{"type":"rolling","limit":"100","window":"day"}}' >/dev/null

# 1000 developers with one key each, written straight into the database (sign-up hashing would
# dominate the set-up time); the keys' secrets go to the load generator.
python3 - "$org" "$project" > "$work/members.sql" 3> "$work/keys.lua" <<'PY'
import hashlib, os, secrets, string, sys, time
org, project = sys.argv[1], sys.argv[2]
now = int(time.time() * 1000)
alphabet = string.ascii_letters + string.digits
keys = []
print("BEGIN;")
for i in range(1000):
    secret = "tgk_" + "".join(secrets.choice(alphabet) for _ in range(40))
    keys.append(secret)
    h = hashlib.sha256(secret.encode()).hexdigest()
    print(f"INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_b{i}', 'b{i}@example.com', 'B{i}', 'x', {now});")
    print(f"INSERT INTO members (id, org_id, user_id, role, created_at, removed_at, role_since) VALUES ('mem_b{i}', '{org}', 'usr_b{i}', 'developer', {now}, NULL, {now});")
    print(f"INSERT INTO project_grants (member_id, project_id, granted_at) VALUES ('mem_b{i}', '{project}', {now});")
    print(f"INSERT INTO api_keys (id, org_id, project_id, member_id, name, prefix, key_hash, status, expires_at, created_at, updated_at, deleted_at) VALUES ('key_b{i}', '{org}', '{project}', 'mem_b{i}', 'k{i}', '{secret[:12]}', '{h}', 'active', NULL, {now}, {now}, NULL);")
print("COMMIT;")
with os.fdopen(3, "w") as f:
    f.write("keys = {" + ",".join(f'"{k}"' for k in keys) + "}\n")
PY
psql_bench -f "$work/members.sql" >/dev/null

body='{"model":"bench-model","max_tokens":64,"messages":[{"role":"user","content":"Tell me something short about toll gates."}]}'
cat > "$work/hot.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA
{ cat "$work/keys.lua"; cat <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("POST", "/v1/chat/completions",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. keys[math.random(#keys)] }, '$body')
end
LUA
} > "$work/many.lua"

results="$root/bench/results/nodes-$(date -u +%Y%m%dT%H%M%SZ).txt"
mkdir -p "$root/bench/results"
printf "%-12s %10s %10s %10s %10s %10s\n" scenario req/s a_p50 a_p99 b_p50 b_p99 | tee "$results"
measure() { # name script warm-up-seconds
  wrk -t1 -c16 -d"$3s" -s "$2" "$A/v1/chat/completions" >/dev/null 2>&1 &
  local warm=$!
  wrk -t1 -c16 -d"$3s" -s "$2" "$B/v1/chat/completions" >/dev/null 2>&1 || true
  wait "$warm" || true
  wrk -t1 -c16 -d"${duration}s" --latency -s "$2" "$A/v1/chat/completions" > "$work/a.txt" 2>&1 &
  local wa=$!
  wrk -t1 -c16 -d"${duration}s" --latency -s "$2" "$B/v1/chat/completions" > "$work/b.txt" 2>&1
  wait $wa || true
  local ra rb
  ra=$(awk '/Requests\/sec/ {print $2}' "$work/a.txt"); rb=$(awk '/Requests\/sec/ {print $2}' "$work/b.txt")
  printf "%-12s %10.0f %10s %10s %10s %10s %s\n" "$1" "$(python3 -c "print($ra+$rb)")" \
    "$(awk '$1=="50%" {print $2}' "$work/a.txt")" "$(awk '$1=="99%" {print $2}' "$work/a.txt")" \
    "$(awk '$1=="50%" {print $2}' "$work/b.txt")" "$(awk '$1=="99%" {print $2}' "$work/b.txt")" \
    "$(grep -h 'Non-2xx' "$work/a.txt" "$work/b.txt" | tr '\n' ' ')" | tee -a "$results"
}
measure "hot member" "$work/hot.lua" 3
# Each member's caps are loaded from the ledger on first use: warm long enough that the measurement
# is the steady state (every member seen), not 1000 first loads.
measure "1000 members" "$work/many.lua" "${MEMBERS_WARMUP:-15}"
echo "ledger rows: $(psql_bench -tAc 'SELECT COUNT(*) FROM ledger'); holds left: $(psql_bench -tAc 'SELECT COUNT(*) FROM budget_holds WHERE amount_pico > 0'); cores: $(nproc)" | tee -a "$results"
