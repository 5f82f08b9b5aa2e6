#!/usr/bin/env bash
# CPU time and bytes allocated per chat passthrough request, the gateway in process behind an
# in-memory test server (bench/PipelineCpu), the fake provider in its own process on 127.0.0.1.
# With another checkout's path, both builds run at the same time on the same machine, so a busy
# machine slows both alike and their ratio stays comparable:
#
#   bash bench/pipeline-cpu.sh                      # this checkout
#   bash bench/pipeline-cpu.sh /path/to/other/checkout
#   REQUESTS=4000 ROUNDS=7 CONCURRENCY=4 MODE=stream bash bench/pipeline-cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
other=${1:-}
fake_port=${FAKE_PORT:-19301}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "building (Release)..."
dotnet build -c Release -nologo -v q tools/FakeProviders/FakeProviders.csproj >/dev/null
dotnet build -c Release -nologo -v q bench/PipelineCpu/PipelineCpu.csproj -o "$work/this" >/dev/null
if [ -n "$other" ]; then
  # A copy of the harness outside this tree, so its build folders are its own.
  mkdir -p "$work/harness/PipelineCpu"
  cp Directory.Build.props Directory.Packages.props "$work/harness/"
  cp bench/PipelineCpu/PipelineCpu.csproj bench/PipelineCpu/Program.cs "$work/harness/PipelineCpu/"
  dotnet build -c Release -nologo -v q "$work/harness/PipelineCpu/PipelineCpu.csproj" -p:TollgateSrc="$(cd "$other" && pwd)/src/Tollgate" \
    -o "$work/other" >/dev/null
fi

dotnet tools/FakeProviders/bin/Release/net10.0/FakeProviders.dll --urls "http://127.0.0.1:$fake_port" \
  --Logging:LogLevel:Default=Warning >"$work/fake.log" 2>&1 &
pids+=("$!")
for i in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$fake_port/_fake/stats" && break; sleep 0.2; done

# Thread-pool spinning would count idle waiting as work; without it the CPU time is the requests'.
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0
args=("http://127.0.0.1:$fake_port" "${REQUESTS:-4000}" "${ROUNDS:-7}" "${CONCURRENCY:-4}" "${MODE:-json}")
dotnet "$work/this/PipelineCpu.dll" "${args[@]}" >"$work/this.txt" 2>&1 &
this_pid=$!; pids+=("$this_pid")
if [ -n "$other" ]; then
  dotnet "$work/other/PipelineCpu.dll" "${args[@]}" >"$work/other.txt" 2>&1 &
  other_pid=$!; pids+=("$other_pid")
  wait "$other_pid"
fi
wait "$this_pid"
echo "this checkout:  $(tail -1 "$work/this.txt")"
if [ -n "$other" ]; then
  echo "other checkout: $(tail -1 "$work/other.txt")"
  python3 - "$work/this.txt" "$work/other.txt" <<'PY'
import re, sys
a, b = (float(re.search(r"median: ([\d.]+)", open(p).read().splitlines()[-1]).group(1)) for p in sys.argv[1:3])
print(f"CPU per request, this / other: {a / b:.3f}")
PY
fi
