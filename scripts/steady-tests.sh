#!/usr/bin/env bash
# Proves the tests are steady: runs the test suite RUNS times in a row (default 5), three test
# tasks at a time as `pnpm test:all` does, while one busy loop per CPU core (`yes > /dev/null`)
# competes for the machine, and fails unless every run passes. Extra arguments go to turbo, e.g. a
# subset:
#   scripts/steady-tests.sh                                  # the whole suite, 5 runs
#   RUNS=2 scripts/steady-tests.sh --filter=@vmcp/store-memory --filter=@vmcp/test-support
# Logs go to STEADY_LOG_DIR (default: a new temporary directory), one file per run.
set -euo pipefail

runs="${RUNS:-5}"
load="${LOAD_PROCESSES:-$(nproc)}"
logs="${STEADY_LOG_DIR:-$(mktemp -d -t steady-tests.XXXXXX)}"
mkdir -p "$logs"
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
# No retries here, even under CI: a test is steady only if it passes on its first try every run.
export VMCP_TEST_RETRIES=0

echo "building once (not under load)..."
pnpm exec turbo run build --output-logs=errors-only "$@" >"$logs/build.log" 2>&1 ||
  { echo "build failed, see $logs/build.log"; exit 1; }

loaders=()
stop_load() {
  for pid in "${loaders[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${loaders[@]}" 2>/dev/null || true
}
trap stop_load EXIT
trap 'exit 130' INT TERM # exit on a signal (the EXIT trap then stops the load), not carry on
for _ in $(seq "$load"); do
  yes >/dev/null &
  loaders+=("$!")
done
echo "load: $load busy process(es) (pids ${loaders[*]}); $runs run(s); logs in $logs"

failed=0
for run in $(seq "$runs"); do
  started=$(date +%s)
  if pnpm exec turbo run test --concurrency=3 "$@" >"$logs/run-$run.log" 2>&1; then
    echo "run $run/$runs: passed ($(($(date +%s) - started)) s)"
  else
    failed=$((failed + 1))
    echo "run $run/$runs: FAILED ($(($(date +%s) - started)) s), see $logs/run-$run.log"
    grep -E "FAIL|×" "$logs/run-$run.log" | head -20 || true
  fi
done

echo "$((runs - failed)) of $runs runs passed under load"
[ "$failed" -eq 0 ]
