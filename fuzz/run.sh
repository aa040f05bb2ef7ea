#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds (default 60) and prints how many inputs each
# executed. Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
# Seeds are in fuzz/corpus/TARGET (committed); inputs found while fuzzing go to
# fuzz/work/TARGET and crashes to fuzz/artifacts/TARGET (neither committed). Exit status 1
# when a target crashed. A long campaign: `fuzz/run.sh 1800`.
# FUZZ_TARGET_DIR, when set, is where the fuzz build goes (CI keeps it between runs).
set -euo pipefail
secs=${1:-60}
cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never
dir=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then dir=(--target-dir "$FUZZ_TARGET_DIR"); fi
mkdir -p work
cargo +nightly fuzz build -O "${dir[@]}" >work/build.log 2>&1 || { cat work/build.log >&2; exit 2; }
status=0
printf '%-14s %12s %10s  %s\n' target execs execs/s result
for t in $(cargo +nightly fuzz list); do
  mkdir -p "work/$t"
  log="work/$t.log"
  if cargo +nightly fuzz run -O "${dir[@]}" "$t" "work/$t" "corpus/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="CRASH: see fuzz/$log and fuzz/artifacts/$t"
    status=1
  fi
  execs=$(grep -Eo '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  [ -n "$execs" ] || execs=$(grep -Eo '^#[0-9]+' "$log" | tr -d '#' | tail -1 || true)
  rate=$(grep -Eo '^stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  printf '%-14s %12s %10s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
done
exit $status
