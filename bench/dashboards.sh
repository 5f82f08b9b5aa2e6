#!/usr/bin/env bash
# Do open dashboards cost the gateway chat throughput? Starts the fake provider and the gateway
# (SQLite), then measures chat passthrough (JSON, 32 connections, wrk) in interleaved rounds:
# without dashboards, with 20 dashboards open in headless Chromium (Team and My usage pages, each
# its own signed-in browser context: a live Blazor circuit each), without, with... Prints each
# round's requests/s and the gateway's CPU milliseconds per request, and the with/without ratio of
# the medians. Everything runs on 127.0.0.1, is bounded in time, and every process started here is
# stopped by its PID at the end.
#
#   bash bench/dashboards.sh                    # 3 pairs of rounds, 15 s each, 20 dashboards
#   ROUNDS=5 DURATION=20 DASHBOARDS=20 bash bench/dashboards.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${DURATION:-15}
rounds=${ROUNDS:-3}
dashboards=${DASHBOARDS:-20}
fake_port=${FAKE_PORT:-19101}
gw_port=${GATEWAY_PORT:-19180}
work=$(mktemp -d)
pids=()
dash_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  for p in "${pids[@]}" $dash_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "/usr/bin/chromium is needed (apt-get install chromium)"; exit 1; }

echo "building (Release)..."
dotnet build -c Release -nologo -v q src/Tollgate/Tollgate.csproj >/dev/null
dotnet build -c Release -nologo -v q tools/FakeProviders/FakeProviders.csproj >/dev/null
dotnet build -c Release -nologo -v q bench/Tollgate.Bench/Tollgate.Bench.csproj >/dev/null

cat > "$work/catalog.json" <<JSON
{"models":[{"id":"bench-model","name":"Bench","kind":"chat","maxOutputTokens":1000,
  "providers":[{"provider":"openai","providerModelId":"bench-upstream",
    "prices":[{"inputPerMillion":"2.5","outputPerMillion":"10"}]}]}]}
JSON

dotnet tools/FakeProviders/bin/Release/net10.0/FakeProviders.dll --urls "http://127.0.0.1:$fake_port" \
  --Logging:LogLevel:Default=Warning >"$work/fake.log" 2>&1 &
pids+=("$!")
# The published layout serves the dashboard's static assets from the content root: run from the build folder.
(cd src/Tollgate/bin/Release/net10.0 && exec dotnet Tollgate.dll --urls "http://127.0.0.1:$gw_port" \
  --Tollgate:Database:ConnectionString="Data Source=$work/tollgate.db" \
  --Tollgate:Catalog:Path="$work/catalog.json" \
  --Tollgate:Providers:openai:BaseUrl="http://127.0.0.1:$fake_port/openai/v1" \
  --Tollgate:Providers:openai:ApiKey=bench-upstream-key \
  --Logging:LogLevel:Default=Warning ${EXTRA_GATEWAY_ARGS:-}) >"$work/gateway.log" 2>&1 &
gw_pid=$!; pids+=("$gw_pid")

for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$gw_port/health" >/dev/null && curl -sf -o /dev/null "http://127.0.0.1:$fake_port/_fake/stats" && break
  sleep 0.2
done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
T="http://127.0.0.1:$gw_port"
curl -sf "$T/auth/signup" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password","name":"Bench"}' >/dev/null
token=$(curl -sf "$T/auth/login" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password"}' | json "['token']")
org=$(curl -sf "$T/orgs" -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"Bench"}' | json "['id']")
project=$(curl -sf "$T/orgs/$org/projects" -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"bench"}' | json "['id']")
key=$(curl -sf "$T/orgs/$org/keys" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "{\"projectId\":\"$project\",\"name\":\"bench\"}" | json "['key']")

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"bench-model","max_tokens":64,"messages":[{"role":"user","content":"Tell me something short about toll gates."}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
mkdir -p "$root/bench/results"
results="$root/bench/results/dashboards-$(date -u +%Y%m%dT%H%M%SZ).txt"

open_dashboards() {
  mkfifo "$work/hold"
  dotnet bench/Tollgate.Bench/bin/Release/net10.0/Tollgate.Bench.dll dashboards "$T" "$token" "$org" "$dashboards" 1800 \
    <"$work/hold" >"$work/dashboards.log" 2>&1 &
  dash_pid=$!
  exec 3>"$work/hold" # the driver holds its pages open until this closes
  for _ in $(seq 1 3000); do # up to 10 minutes: 20 browser contexts on a loaded 2-core machine are slow to open
    grep -q '^ready' "$work/dashboards.log" 2>/dev/null && break
    kill -0 "$dash_pid" 2>/dev/null || { cat "$work/dashboards.log"; exit 1; }
    sleep 0.2
  done
  grep -q '^ready' "$work/dashboards.log" || { echo "dashboards did not open in time"; cat "$work/dashboards.log"; exit 1; }
  sed 's/^/  /' "$work/dashboards.log" | tee -a "$results"
  sleep 3 # let the pages settle: measure their steady state, not their first render
}

close_dashboards() {
  exec 3>&-
  for _ in $(seq 1 150); do kill -0 "$dash_pid" 2>/dev/null || break; sleep 0.2; done
  kill "$dash_pid" 2>/dev/null || true
  wait "$dash_pid" 2>/dev/null || true
  dash_pid=""
  rm -f "$work/hold"
}

measure() { # label
  local before; before=$(cpu_ticks "$gw_pid")
  local out; out=$(wrk -t2 -c32 -d"${duration}s" --latency -s "$work/post.lua" "$T/v1/chat/completions")
  local after; after=$(cpu_ticks "$gw_pid")
  local reqs rps p50 p99 cpu errs load
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  cpu=$(python3 -c "print(f'{($after-$before)*1000/$tck/max(1,${reqs:-0}):.3f}')")
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  printf "%-8s %10s %9s %9s %12s   load %s %s\n" "$1" "$rps" "$p50" "$p99" "$cpu" "$load" "${errs:+non-2xx=$errs}" | tee -a "$results"
  echo "$1 $rps $cpu" >>"$work/rows"
}

# Warm the JIT and the thread pool first, or the first round measures start-up.
wrk -t2 -c32 -d"${WARMUP:-10}s" -s "$work/post.lua" "$T/v1/chat/completions" >/dev/null 2>&1 || true

printf "%-8s %10s %9s %9s %12s\n" round req/s p50 p99 cpu_ms/req | tee "$results"
for r in $(seq 1 "$rounds"); do
  measure without
  open_dashboards
  measure with
  close_dashboards
done

python3 - "$work/rows" "$dashboards" <<'PY' | tee -a "$results"
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(label, i): return statistics.median(float(r[i]) for r in rows if r[0] == label)
rw, rwo = med("with", 1), med("without", 1)
cw, cwo = med("with", 2), med("without", 2)
print(f"median req/s: without {rwo:.0f}, with {sys.argv[2]} dashboards {rw:.0f}: ratio {rw / rwo:.3f}")
print(f"median gateway cpu ms/req: without {cwo:.3f}, with {cw:.3f}: ratio {cw / cwo:.3f}")
PY
echo "cores: $(nproc); kept in $results" | tee -a "$results"
