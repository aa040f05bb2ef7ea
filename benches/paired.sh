#!/usr/bin/env bash
# The jobs of issue 14 side by side, interleaved on one corpus: rensa (the fastest Python peer),
# syndup's core job, syndup at its defaults with and without within-document repeats, and the
# naive loop (benches/naive.rs). Each round runs every job once, in that order; the table gives
# the median wall time, the largest peak RSS (GNU time) and each job's ratios to rensa and to
# the core job, so the figures come from one run on one (possibly busy) machine; and the
# median CPU time (user + system, children included), which moves less than wall time when
# other jobs share the cores, with its ratio to the core job's.
#
#   bash benches/paired.sh CORPUS.jsonl [ROUNDS]        (3 rounds by default)
#
# rensa runs through benches/peers/peers.py --run-one (its venv: benches/peers/setup.sh, or
# PEERS_PY=path/to/python); without it the rensa row says so and the ratios to it are left out.
# BIN picks the syndup binary (default: target/release/syndup, built here).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: benches/paired.sh CORPUS.jsonl [ROUNDS]}
rounds=${2:-3}
timer=/usr/bin/time
[ -x "$timer" ] || { echo "paired.sh needs GNU time (/usr/bin/time; Debian package 'time')" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/syndup
fi
naive=$(cargo bench --bench naive --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "naive" and m.get("executable"):
        print(m["executable"])')
py=${PEERS_PY:-target/peers-venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

jobs=(rensa core defaults no-within no-containment naive)
cmd_of() {
  case $1 in
    rensa) echo "$py benches/peers/peers.py --run-one rensa --corpus $corpus --threads 2 --pairs-out $work/p.tsv --stats-out $work/s.json --workdir $work" ;;
    core) echo "$BIN scan $corpus --threads 2 -q -o /dev/null --containment off --no-passages --no-sentences" ;;
    defaults) echo "$BIN scan $corpus --threads 2 -q -o /dev/null" ;;
    no-within) echo "$BIN scan $corpus --threads 2 -q -o /dev/null --no-sentences" ;;
    no-containment) echo "$BIN scan $corpus --threads 2 -q -o /dev/null --containment off" ;;
    naive) echo "$naive $corpus 2" ;;
  esac
}
cat "$corpus" > /dev/null
for r in $(seq "$rounds"); do
  for j in "${jobs[@]}"; do
    if [ "$j" = rensa ] && [ ! -x "$py" ]; then continue; fi
    # shellcheck disable=SC2046
    if "$timer" -f "%e %M %U %S" -o "$work/t" env RAYON_NUM_THREADS=2 $(cmd_of "$j") > /dev/null 2> "$work/err"; then
      echo "$j $(cat "$work/t")" >> "$work/times"
      echo "round $r $j: $(cat "$work/t") (wall s, KB, user s, sys s)" >&2
    else
      echo "round $r $j: failed: $(tail -2 "$work/err")" >&2
    fi
  done
done
python3 - "$work/times" "$corpus" "${jobs[@]}" <<'PY'
import os, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    job, secs, kb, user, system = line.split()
    runs.setdefault(job, []).append((float(secs), int(kb), float(user) + float(system)))
mb = os.path.getsize(sys.argv[2]) / 1e6
docs = sum(1 for _ in open(sys.argv[2], "rb"))
med = {j: statistics.median(s for s, _, _ in v) for j, v in runs.items()}
peak = {j: max(k for _, k, _ in v) / 1024 for j, v in runs.items()}
cpu = {j: statistics.median(c for _, _, c in v) for j, v in runs.items()}
print(f"{docs} documents, {mb:.1f} MB; median of {max(len(v) for v in runs.values())} interleaved rounds")
print(f"{'job':<14} {'wall s':>7} {'docs/s':>8} {'MB/s':>6} {'peak MB':>8} {'rensa/job':>9} {'job/core':>8} {'cpu s':>7} {'cpu/core':>8}")
for j in sys.argv[3:]:  # the jobs, in the order the rounds run them
    if j not in med:
        print(f"{j:<14} {'n/a':>7}")
        continue
    vs_rensa = f"{med['rensa'] / med[j]:.2f}x" if "rensa" in med else "n/a"
    vs_core = f"{med[j] / med['core']:.2f}x" if "core" in med else "n/a"
    cpu_core = f"{cpu[j] / cpu['core']:.2f}x" if "core" in cpu else "n/a"
    print(f"{j:<14} {med[j]:7.2f} {docs / med[j]:8.0f} {mb / med[j]:6.1f} {peak[j]:8.0f} {vs_rensa:>9} {vs_core:>8} {cpu[j]:7.2f} {cpu_core:>8}")
if "defaults" in med and "no-within" in med:
    print(f"within-document repeats: defaults / no-within = {med['defaults'] / med['no-within']:.2f}x"
          f" wall, {cpu['defaults'] / cpu['no-within']:.2f}x CPU")
PY
