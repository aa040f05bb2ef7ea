#!/usr/bin/env bash
# The default scan at 100k, 1M and 10M documents: per size and per stage, seconds, docs/s,
# MB/s and peak memory, with bytes of peak memory per document; the growth from the smallest
# size is the figure to watch (work must grow linearly, memory must stay bounded).
#
#   bash benches/scale.sh [SIZES...]          (default: 100000 1000000)
#   SIZES as 10000000 needs ~36 GB of disk for the corpus (plain JSON Lines; ZST=1 writes
#   corpus.jsonl.zst instead, ~4x smaller, which the scan spools to --tmp-dir, ~36 GB again).
#
# Corpora are generated with `syndup generate` from SEED_TEXT (default
# ../shared/data/reuters-21578.jsonl, else samples/) under SCALE_DIR (default target/scale),
# and kept for reruns. Each size is scanned with 2 threads (sizes under 1M three times, the
# fastest kept: see REPEAT below) after reading the file once
# (page cache; a file larger than memory cannot stay cached, which is the real case). Peak
# memory is GNU time's maximum resident set size; per-stage figures come from `scan -v`.
# BIN picks the binary (e.g. an older build, for a ratio in the same run); extra scan flags go
# in SCAN_ARGS (e.g. "--containment off --no-passages --no-sentences" for the core job). The
# report is written as JSON Lines (streamed: clusters and pairs wait in --tmp-dir, not in
# memory) to /dev/null. EVAL=1 writes the JSON report instead (report.json, ~1 GB per million
# documents, held in memory while it is written) and checks the planted truth with
# `syndup eval` (precision, recall).
set -euo pipefail
cd "$(dirname "$0")/.."
seed_text=${SEED_TEXT:-../shared/data/reuters-21578.jsonl}
[ -e "$seed_text" ] || seed_text=samples
sizes=${*:-100000 1000000}
scale_dir=${SCALE_DIR:-target/scale}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/syndup
fi
timer=/usr/bin/time
[ -x "$timer" ] || { echo "scale.sh needs GNU time (/usr/bin/time; Debian package 'time')" >&2; exit 2; }
mkdir -p "$scale_dir"
printf '%-9s %-11s %9s %9s %9s %9s %10s\n' documents stage seconds docs/s MB/s "peak MB" "bytes/doc"
for n in $sizes; do
  dir=$scale_dir/$n
  corpus=$dir/corpus.jsonl
  [ "${ZST:-0}" = 1 ] && corpus=$dir/corpus.jsonl.zst
  if [ ! -s "$corpus" ]; then
    "$BIN" generate --from "$seed_text" -n "$n" --seed 11 -o "$dir" >/dev/null 2>&1
    if [ "${ZST:-0}" = 1 ]; then
      zstd -q -T2 --rm "$dir/corpus.jsonl" -o "$corpus"
    fi
  fi
  # Warm the page cache, unless the file could not stay in it anyway.
  [ "$(stat -c %s "$corpus")" -lt 8000000000 ] && cat "$corpus" > /dev/null
  log=$dir/scan.log
  report=/dev/null
  format=jsonl
  if [ "${EVAL:-0}" = 1 ]; then report=$dir/report.json; format=json; fi
  # A size under 1M takes seconds, and a single run of seconds is noisy on a shared machine:
  # it runs REPEAT times (default 3) and the fastest run is the baseline (the strictest one
  # for the ratio of a larger size to it). Larger sizes run once.
  runs=1
  [ "$n" -lt 1000000 ] && runs=${REPEAT:-3}
  best=
  for ((r = 1; r <= runs; r++)); do
    # shellcheck disable=SC2086
    "$timer" -f 'TIME %e %M' "$BIN" scan "$corpus" --threads 2 -v --format "$format" -o "$report" \
      ${SCAN_ARGS:-} 2> "$log.run"
    s=$(awk '/^TIME/{print $2}' "$log.run")
    [ "$runs" -gt 1 ] && echo "$n run $r: $s s" >&2
    if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN{exit !(a < b)}'; then
      best=$s
      mv "$log.run" "$log"
    fi
  done
  rm -f "$log.run"
  read -r secs kb < <(awk '/^TIME/{print $2, $3}' "$log")
  mb=$(awk '/documents \(/{for(i=1;i<=NF;i++) if($i=="MB"||$i=="GB"){v=$(i-1); gsub(/\(/,"",v); print ($i=="GB")? v*1000 : v; exit}}' "$log")
  # Per stage: the -v table ("stage seconds docs/s MB/s peak").
  awk -v n="$n" -v docs="$n" '/^syndup: [a-z+]+ +[0-9.]+ +[0-9]+ +[0-9.]+ +[0-9]+$/ {
      printf "%-9d %-11s %9.2f %9.0f %9.1f %9.0f %10.0f\n", n, $2, $3, $4, $5, $6, $6*1048576/docs }' "$log"
  awk -v n="$n" -v s="$secs" -v kb="$kb" -v mb="$mb" \
    'BEGIN{printf "%-9d %-11s %9.2f %9.0f %9.1f %9.0f %10.0f\n", n, "TOTAL", s, n/s, mb/s, kb/1024, kb*1024/n}'
  if [ "${EVAL:-0}" = 1 ]; then
    "$BIN" eval "$dir/report.json" --truth "$dir/truth.jsonl" --corpus "$corpus" 2>&1 | sed "s/^/$n eval: /" | head -20
  fi
done
