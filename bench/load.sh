#!/usr/bin/env bash
# Gateway load test: the fake provider measured directly, through a bare proxy (bench/BareProxy:
# Kestrel in, HttpClient out, nothing else: the floor for any .NET gateway) and through the
# gateway, in one run, at 32 and 128 connections, JSON and streaming. Prints requests/s, p50,
# p99, and for the proxies their CPU milliseconds per request, and the gateway's peak RSS. Everything runs on 127.0.0.1, is
# bounded in time, and every process started here is stopped by its PID at the end.
#
#   bash bench/load.sh                 # 10 s per measurement
#   DURATION=30 bash bench/load.sh     # longer runs
#   CONNS=32 MODES=json SKIP_DIRECT=1 SKIP_BARE=1 bash bench/load.sh   # a subset
#   EXTRA_GATEWAY_ARGS="--Tollgate:Database:Provider=postgres ..." bash bench/load.sh
#   GATEWAY_ENV="DOTNET_gcServer=1" bash bench/load.sh          # runtime settings for the gateway only
#   ONLY_ENDPOINTS=1 bash bench/load.sh   # only the endpoint comparison: chat passthrough, /v1/messages
#                                         # passthrough to Anthropic, /v1/messages translated to OpenAI
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${DURATION:-10}
warmup=${WARMUP:-3}
fake_port=${FAKE_PORT:-19001}
gw_port=${GATEWAY_PORT:-19080}
bare_port=${BARE_PORT:-19090}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  echo "installing wrk..."
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi

echo "building (Release)..."
dotnet build -c Release -nologo -v q src/Tollgate/Tollgate.csproj >/dev/null
dotnet build -c Release -nologo -v q tools/FakeProviders/FakeProviders.csproj >/dev/null
dotnet build -c Release -nologo -v q bench/BareProxy/BareProxy.csproj >/dev/null

cat > "$work/catalog.json" <<JSON
{"models":[{"id":"bench-model","name":"Bench","kind":"chat","maxOutputTokens":1000,
  "providers":[{"provider":"openai","providerModelId":"bench-upstream",
    "prices":[{"inputPerMillion":"2.5","outputPerMillion":"10"}]}]},
 {"id":"bench-claude","name":"Bench Claude","kind":"chat","maxOutputTokens":1000,
  "providers":[{"provider":"anthropic","providerModelId":"bench-claude-upstream",
    "prices":[{"inputPerMillion":"3","outputPerMillion":"15"}]}]}]}
JSON

dotnet tools/FakeProviders/bin/Release/net10.0/FakeProviders.dll --urls "http://127.0.0.1:$fake_port" \
  --Logging:LogLevel:Default=Warning >"$work/fake.log" 2>&1 &
fake_pid=$!; pids+=("$fake_pid")
env ${GATEWAY_ENV:-} dotnet src/Tollgate/bin/Release/net10.0/Tollgate.dll --urls "http://127.0.0.1:$gw_port" \
  --Tollgate:Database:ConnectionString="Data Source=$work/tollgate.db" \
  --Tollgate:Catalog:Path="$work/catalog.json" \
  --Tollgate:Providers:openai:BaseUrl="http://127.0.0.1:$fake_port/openai/v1" \
  --Tollgate:Providers:openai:ApiKey=bench-upstream-key \
  --Tollgate:Providers:anthropic:BaseUrl="http://127.0.0.1:$fake_port/anthropic" \
  --Tollgate:Providers:anthropic:ApiKey=bench-upstream-key \
  --Logging:LogLevel:Default=Warning ${EXTRA_GATEWAY_ARGS:-} >"$work/gateway.log" 2>&1 &
gw_pid=$!; pids+=("$gw_pid")
dotnet bench/BareProxy/bin/Release/net10.0/BareProxy.dll --urls "http://127.0.0.1:$bare_port" \
  --Upstream "http://127.0.0.1:$fake_port/openai/v1/chat/completions" --Model bench-model=bench-upstream >"$work/bare.log" 2>&1 &
bare_pid=$!; pids+=("$bare_pid")

for i in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$gw_port/health" >/dev/null && curl -sf -o /dev/null "http://127.0.0.1:$fake_port/_fake/stats" && break
  sleep 0.2
done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
T="http://127.0.0.1:$gw_port"
curl -sf "$T/auth/signup" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password","name":"Bench"}' >/dev/null
token=$(curl -sf "$T/auth/login" -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password"}' | json "['token']")
org=$(curl -sf "$T/orgs" -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"Bench"}' | json "['id']")
project=$(curl -sf "$T/orgs/$org/projects" -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"bench"}' | json "['id']")
keyjson=$(curl -sf "$T/orgs/$org/keys" -H "authorization: Bearer $token" -H 'content-type: application/json' -d "{\"projectId\":\"$project\",\"name\":\"bench\"}")
key=$(echo "$keyjson" | json "['key']")
key_id=$(echo "$keyjson" | json "['id']")
member=$(curl -sf "$T/me" -H "authorization: Bearer $token" | json "['memberships'][0]['memberId']")

body_json='{"model":"bench-model","max_tokens":64,"messages":[{"role":"user","content":"Tell me something short about toll gates."}]}'
body_stream='{"model":"bench-model","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Tell me something short about toll gates."}]}'
direct_json=${body_json/bench-model/bench-upstream}
direct_stream=${body_stream/bench-model/bench-upstream}

lua() { # $1 body, $2 key
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$1'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $2"
LUA
}

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)

mkdir -p "$root/bench/results"
results="$root/bench/results/load-$(date -u +%Y%m%dT%H%M%SZ).txt"
printf "%-9s %-7s %5s %10s %9s %9s %12s %14s\n" target mode conns req/s p50 p99 cpu_ms/req fake_cpu_ms/req | tee "$results"

run() { # target mode conns url body key
  local target=$1 mode=$2 conns=$3 url=$4 body=$5 k=$6
  local pid=$gw_pid
  [ "$target" = bare ] && pid=$bare_pid
  lua "$body" "$k"
  # warm-up, not measured
  wrk -t2 -c"$conns" -d"${warmup}s" -s "$work/post.lua" "$url" >/dev/null 2>&1 || true
  local before; before=$(cpu_ticks "$pid")
  local fbefore; fbefore=$(cpu_ticks "$fake_pid")
  local out; out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$work/post.lua" "$url")
  local after; after=$(cpu_ticks "$pid")
  local fafter; fafter=$(cpu_ticks "$fake_pid")
  local reqs rps p50 p99 errs
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  local cpu="-"
  if [ "$target" != direct ] && [ "${reqs:-0}" -gt 0 ]; then
    cpu=$(python3 -c "print(f'{($after-$before)*1000/$tck/$reqs:.3f}')")
  fi
  local fcpu="-"
  if [ "${reqs:-0}" -gt 0 ]; then fcpu=$(python3 -c "print(f'{($fafter-$fbefore)*1000/$tck/$reqs:.3f}')"); fi
  printf "%-9s %-7s %5s %10s %9s %9s %12s %14s %s\n" "$target" "$mode" "$conns" "$rps" "$p50" "$p99" "$cpu" "$fcpu" "${errs:+non-2xx=$errs}" | tee -a "$results"
}

# The JIT tiers up and the thread pool sizes itself in the first seconds under load: warm both
# paths before measuring anything, or the first row measures start-up.
lua "$body_json" "$key"; wrk -t2 -c32 -d"${INITIAL_WARMUP:-15}s" -s "$work/post.lua" "$T/v1/chat/completions" >/dev/null 2>&1 || true
lua "$body_stream" "$key"; wrk -t2 -c32 -d5s -s "$work/post.lua" "$T/v1/chat/completions" >/dev/null 2>&1 || true

# The endpoints compared in one run (32 connections): Chat Completions passed through to an
# OpenAI-compatible upstream, Messages passed through to Anthropic, and Messages translated to the
# OpenAI-compatible upstream (request, answer and stream each through the internal form).
msg_json='{"model":"bench-claude","max_tokens":64,"messages":[{"role":"user","content":"Tell me something short about toll gates."}]}'
msg_stream='{"model":"bench-claude","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Tell me something short about toll gates."}]}'
msg_translated_json=${msg_json/bench-claude/bench-model}
msg_translated_stream=${msg_stream/bench-claude/bench-model}
endpoints() {
  for round in ${ROUNDS:-1 2}; do
    echo "(endpoints, round $round)" | tee -a "$results"
    run gateway json 32 "$T/v1/chat/completions" "$body_json" "$key"
    run msg-pass json 32 "$T/v1/messages" "$msg_json" "$key"
    run msg-xlat json 32 "$T/v1/messages" "$msg_translated_json" "$key"
    run gateway stream 32 "$T/v1/chat/completions" "$body_stream" "$key"
    run msg-pass stream 32 "$T/v1/messages" "$msg_stream" "$key"
    run msg-xlat stream 32 "$T/v1/messages" "$msg_translated_stream" "$key"
  done
}
if [ -n "${ONLY_ENDPOINTS:-}" ]; then
  lua "$msg_translated_json" "$key"; wrk -t2 -c32 -d5s -s "$work/post.lua" "$T/v1/messages" >/dev/null 2>&1 || true
  endpoints
  echo "cores: $(nproc)" | tee -a "$results"
  echo "kept in $results"
  exit 0
fi

for conns in ${CONNS:-32 128}; do
  for mode in ${MODES:-json stream}; do
    direct_body=$direct_json; gw_body=$body_json
    if [ "$mode" = stream ]; then direct_body=$direct_stream; gw_body=$body_stream; fi
    [ -n "${SKIP_DIRECT:-}" ] || run direct "$mode" "$conns" "http://127.0.0.1:$fake_port/openai/v1/chat/completions" "$direct_body" bench
    [ -n "${SKIP_BARE:-}" ] || run bare "$mode" "$conns" "http://127.0.0.1:$bare_port/v1/chat/completions" "$gw_body" bench
    run gateway "$mode" "$conns" "$T/v1/chat/completions" "$gw_body" "$key"
  done
done

# Budgets on versus off, in this same run: the member and the key get a monthly budget and a
# daily period cap far above what the run spends, so every request is admitted through every cap.
if [ -z "${SKIP_BUDGETS:-}" ]; then
  lua "$body_json" "$key"
  run gateway "json" 32 "$T/v1/chat/completions" "$body_json" "$key"
  curl -sf -X PUT "$T/orgs/$org/members/$member/budget" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"spend":{"type":"monthly","limit":"1000000"},"period":{"type":"rolling","limit":"100000","window":"day"}}' >/dev/null
  curl -sf -X PUT "$T/orgs/$org/keys/$key_id/budget" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"spend":{"type":"monthly","limit":"1000000"},"period":{"type":"rolling","limit":"100000","window":"day"}}' >/dev/null
  echo "(budgets on: member and key caps)" | tee -a "$results"
  run gateway "json" 32 "$T/v1/chat/completions" "$body_json" "$key"
fi

rss=$(awk '/VmHWM/ {print $2/1024 " MiB"}' "/proc/$gw_pid/status")
rows=$(python3 - "$work/tollgate.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("select count(*), sum(cost_pico) from ledger").fetchone())
PY
)
echo "gateway peak RSS: $rss; ledger rows, total cost (pico-dollars): $rows; cores: $(nproc)" | tee -a "$results"
echo "kept in $results"
