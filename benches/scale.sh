#!/usr/bin/env bash
# End-to-end wall time and peak memory of `syndup scan` at 10k, 100k and 1M documents.
#
#   bash benches/scale.sh [SEED_TEXT] [SIZES...]
#
# SEED_TEXT (default ../shared/data/reuters-21578.jsonl, else samples/) feeds
# `syndup generate`; corpora are written under target/scale/ (1M documents is about 3.4 GB)
# and kept for reruns. Each size is scanned twice (the best run is reported) with 2 threads,
# after a warm-up read that puts the file in the page cache. Peak memory is the maximum
# resident set size reported by GNU time.
# Extra scan flags go in SCAN_ARGS, e.g. SCAN_ARGS="--containment off --no-passages" for the
# Jaccard-only job the peers do.
set -euo pipefail
cd "$(dirname "$0")/.."
seed_text=${1:-../shared/data/reuters-21578.jsonl}
[ -e "$seed_text" ] || seed_text=samples
shift || true
sizes=${*:-10000 100000 1000000}
cargo build --release --quiet
bin=target/release/syndup
timer=/usr/bin/time
[ -x "$timer" ] || { echo "scale.sh needs GNU time (/usr/bin/time; Debian package 'time')" >&2; exit 2; }
mkdir -p target/scale
printf '%-9s %9s %9s %10s %9s %11s %8s %9s\n' documents MB seconds docs/s MB/s "peak MB" clusters pairs
for n in $sizes; do
  dir=target/scale/$n
  if [ ! -s "$dir/corpus.jsonl" ]; then
    "$bin" generate --from "$seed_text" -n "$n" --seed 11 -o "$dir" 2>/dev/null
  fi
  cat "$dir/corpus.jsonl" > /dev/null
  best=""
  for _ in 1 2; do
    "$timer" -f '%e %M' -o "$dir/time.txt" "$bin" scan "$dir/corpus.jsonl" --threads 2 -q --format json -o "$dir/report.json" ${SCAN_ARGS:-}
    read -r secs kb < "$dir/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; peak=$kb; fi
  done
  mb=$(awk "BEGIN{printf \"%.1f\", $(stat -c %s "$dir/corpus.jsonl")/1e6}")
  read -r clusters pairs < <(python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['stats']; print(s['clusters'], s['matches'])" "$dir/report.json")
  awk -v n="$n" -v mb="$mb" -v s="$best" -v kb="$peak" -v c="$clusters" -v p="$pairs" \
    'BEGIN{printf "%-9d %9.1f %9.2f %10.0f %9.1f %11.0f %8d %9d\n", n, mb, s, n/s, mb/s, kb/1024, c, p}'
done
