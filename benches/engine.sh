#!/usr/bin/env bash
# The engine path next to `syndup scan` at its defaults, on one corpus: wall time and peak
# memory of every step (scan; plan, sign, cluster-local; the Sail driver), whether each gives
# scan's answer field by field, and the planted-corpus quality (syndup eval) of each answer.
#
#   CORPUS=/data/1m/corpus.jsonl benches/engine.sh          # truth.jsonl beside it is used
#   CORPUS=... OUT=/dev/shm/engine LOCK=/work/bench.lock benches/engine.sh
#   CORPUS=... STEPS="scan local" benches/engine.sh         # some steps only
#
# CORPUS is one JSON Lines file (default: N generated documents, see benches/spark.sh). It is
# planned as one shard (SHARDS=1, nothing copied; sign then works on it with every core), or
# split into SHARDS shards under WORK/shards. TRUTH (default: truth.jsonl beside CORPUS) turns
# on the quality table. WORK (default target/bench-engine) holds scan's report, the manifest,
# the signed files (about 8 GB per 1M documents of 3.4 KB) and cluster-local's output; OUT
# (default WORK) the Sail driver's output (its _parts/ copy the documents of pairs: about 2.5
# GB at 1M). scan.json (1 GB at 1M) is deleted once its answer and quality are taken, unless
# KEEP_SCAN=1. LOCK, when set, is a file every step takes with flock(1) before it starts (the
# wait is not timed), so that no other job runs during a timed step.
#
# Steps (STEPS, in this order): scan, sign (plan + sign), local (cluster-local), sail (the
# driver with --sign skip), apply (shard 0 from Sail's clusters). After each of scan, local and
# sail (untimed): its answer as tuples (pairs: ids, relation, contained, counts, passages;
# clusters: source, source_by, representative, members with roles), compared with scan's;
# its quality with `syndup eval` (the engine's pairs/ and clusters/ are turned into the two
# fields eval reads from a report: pairs with `contained`, clusters with the representative
# first).
#
# Needs: the virtualenv of .ci/run (target/spark-venv, or PYTHON=...) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
SHARDS=${SHARDS:-1}
WORK=${WORK:-target/bench-engine}
SEED=${SEED:-../shared/data/reuters-21578.jsonl}
PYTHON=${PYTHON:-target/spark-venv/bin/python}
STEPS=${STEPS:-scan sign local sail apply}
export SPARK_LOCAL_IP=127.0.0.1
locked() { if [ -n "${LOCK:-}" ]; then flock "$LOCK" "$@"; else "$@"; fi; }

locked cargo build --release --locked --quiet
BIN=$PWD/target/release/syndup
PYTHON=$(cd "$(dirname "$PYTHON")" && pwd)/$(basename "$PYTHON")
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
OUT=${OUT:-$WORK}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG=$WORK/log
mkdir -p "$LOG"

CORPUS=${CORPUS:-$WORK/gen-$N/corpus.jsonl}
if [ ! -f "$CORPUS" ]; then
  echo "generating $N documents..." >&2
  "$BIN" generate --from "$SEED" -n "$N" -o "$WORK/gen-$N" 2>"$LOG/generate.err"
fi
TRUTH=${TRUTH:-$(dirname "$CORPUS")/truth.jsonl}
[ -f "$TRUTH" ] || TRUTH=

has() { [[ " $STEPS " == *" $1 "* ]]; }

# Peak resident memory of a process tree (sum over the tree, sampled every 0.2 s), in MB.
tree_peak() {
  python3 - "$1" <<'EOF'
import os, sys, time
root = int(sys.argv[1])
def tree(pid):
    out = [pid]
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                for c in f.read().split():
                    out += tree(int(c))
    except OSError:
        pass
    return out
def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
peak = 0
while os.path.exists(f"/proc/{root}"):
    peak = max(peak, sum(rss(p) for p in tree(root)))
    time.sleep(0.2)
print(peak // 1024)
EOF
}

# run NAME CMD...: CMD under the lock, timed by /usr/bin/time -v (the lock's wait is not
# timed); one table row: seconds, max RSS of the largest process, sampled peak of the tree.
run() {
  local name=$1
  shift
  locked /usr/bin/time -v -o "$LOG/$name.time" "$@" >"$LOG/$name.out" 2>"$LOG/$name.err" &
  local pid=$!
  local tpeak
  tpeak=$(tree_peak "$pid")
  local rc=0
  wait "$pid" || rc=$?
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$LOG/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$LOG/$name.time")
  printf "| %-30s | %8.1f | %9s | %9s |\n" "$name" "$secs" "$rss" "$tpeak" | tee -a "$WORK/table.md"
  if [ "$rc" -ne 0 ]; then
    echo "$name failed (exit status $rc): see $LOG/$name.err" >&2
    exit "$rc"
  fi
}

# answer NAME: scan's report (NAME=scan) or an engine output directory as comparable tuples
# (WORK/answer-NAME.pkl) and as the fields `syndup eval` reads (WORK/eval-NAME.json).
answer() {
  locked "$PYTHON" - "$1" "$WORK" "$OUT" <<'EOF'
import glob, json, pickle, sys
name, work, out = sys.argv[1:]
if name == "scan":
    scan = json.load(open(f"{work}/scan.json"))
    P = sorted((p["a"], p["b"], p["relation"], p["contained"], p["shared"], p["shingles_a"], p["shingles_b"], json.dumps(p.get("alignment"), sort_keys=True)) for p in scan["pairs"])
    C = sorted((c["source"], c["source_by"], c["representative"], tuple(sorted((m["doc"], m["role"]) for m in c["details"]))) for c in scan["clusters"])
    pickle.dump((P, C), open(f"{work}/answer-scan.pkl", "wb"))
    sys.exit(0)
import pyarrow as pa, pyarrow.parquet as pq
d = f"{work}/local" if name == "local" else f"{out}/sail"
def rows(sub, cols):
    files = sorted(glob.glob(f"{d}/{sub}/**/*.parquet", recursive=True))
    return pa.concat_tables([pq.read_table(f, columns=cols) for f in files]).to_pylist() if files else []
pairs = rows("pairs", ["a", "b", "a_id", "b_id", "relation", "contained", "shared", "size_a", "size_b", "passages"])
ids = {}
for p in pairs:
    ids[p["a"]], ids[p["b"]] = p["a_id"], p["b_id"]
P = sorted((p["a_id"], p["b_id"], p["relation"], ids.get(p["contained"]), p["shared"], p["size_a"], p["size_b"], json.dumps(json.loads(p["passages"]) if p["passages"] else None, sort_keys=True)) for p in pairs)
by = {}
for r in rows("clusters", ["doc", "cluster", "representative", "role", "source_by", "id", "representative_id", "source_id"]):
    by.setdefault(r["cluster"], []).append(r)
C = sorted((m[0]["source_id"], m[0]["source_by"], m[0]["representative_id"], tuple(sorted((r["id"], r["role"]) for r in m))) for m in by.values())
pickle.dump((P, C), open(f"{work}/answer-{name}.pkl", "wb"))
# What eval reads from a report: pairs (a, b, contained) and clusters (members, the
# representative first, then the others in document order).
report = {
    "pairs": [{"a": p["a_id"], "b": p["b_id"], "contained": ids.get(p["contained"])} for p in pairs],
    "clusters": [
        {"members": [m[0]["representative_id"]] + [r["id"] for r in sorted(m, key=lambda r: r["doc"]) if r["doc"] != r["representative"]]}
        for _, m in sorted(by.items())
    ],
}
json.dump(report, open(f"{work}/eval-{name}.json", "w"))
EOF
  if [ "$1" != scan ]; then
    "$PYTHON" - "$WORK" "$1" <<'EOF'
import pickle, sys
work, name = sys.argv[1:]
P, C = pickle.load(open(f"{work}/answer-scan.pkl", "rb"))
p, c = pickle.load(open(f"{work}/answer-{name}.pkl", "rb"))
line = f"same answer as scan: {name}: pairs {p == P} ({len(p)} vs {len(P)}), clusters {c == C} ({len(c)} vs {len(C)})"
if p != P:
    line += f"; first pair only in one: {sorted(set(p) ^ set(P))[:1]}"
if c != C:
    line += f"; first cluster only in one: {sorted(set(c) ^ set(C))[:1]}"
print(line)
EOF
  fi >>"$WORK/same.txt"
  if [ -n "$TRUTH" ]; then
    local report=$WORK/eval-$1.json
    [ "$1" = scan ] && report=$WORK/scan.json
    locked "$BIN" eval --truth "$TRUTH" --corpus "$CORPUS" "$report" >"$WORK/eval-$1.txt"
    rm -f "$WORK/eval-$1.json"
  fi
}

MANIFEST=$WORK/manifest.json
echo "$(wc -l <"$CORPUS") documents, $(($(stat -c %s "$CORPUS") / 1000000)) MB in $SHARDS shard(s); $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM" | tee "$WORK/table.md"
echo | tee -a "$WORK/table.md"
echo "| step                           | wall (s) | max RSS (MB) | tree peak (MB) |" | tee -a "$WORK/table.md"
echo "|--------------------------------|----------|-----------|-----------|" | tee -a "$WORK/table.md"
: >"$WORK/same.txt"
if has scan; then
  run "scan (defaults)" "$BIN" scan --format json -v -o "$WORK/scan.json" "$CORPUS"
  answer scan
  [ "${KEEP_SCAN:-0}" = 1 ] || rm -f "$WORK/scan.json"
fi
if has sign; then
  if [ "$SHARDS" = 1 ]; then
    SHARD_PATHS=("$CORPUS")
  else
    rm -rf "$WORK/shards"
    mkdir -p "$WORK/shards"
    split -n "l/$SHARDS" -d -a 3 --additional-suffix=.jsonl "$CORPUS" "$WORK/shards/part-"
    SHARD_PATHS=("$WORK/shards")
  fi
  rm -rf "$WORK/signed"
  run "plan" "$BIN" plan -o "$MANIFEST" "${SHARD_PATHS[@]}"
  run "sign (all shards, one process)" "$BIN" sign --manifest "$MANIFEST" -o "$WORK/signed"
fi
if has local; then
  rm -rf "$WORK/local"
  run "cluster-local" "$BIN" cluster-local --manifest "$MANIFEST" --signed "$WORK/signed" -o "$WORK/local"
  answer local
fi
if has sail; then
  rm -rf "$OUT/sail"
  "$BIN" spark-driver -o "$WORK/driver.py"
  run "Sail driver (--sign skip)" "$PYTHON" "$WORK/driver.py" --sail --syndup "$BIN" --sign skip \
    --manifest "$MANIFEST" --signed "$WORK/signed" --out "$OUT/sail"
  answer sail
fi
if has apply; then
  run "apply (shard 0)" "$BIN" apply --manifest "$MANIFEST" --shard 0 --signed "$WORK/signed" \
    --clusters "$OUT/sail/clusters" -o "$WORK/kept-0.jsonl"
  rm -f "$WORK/kept-0.jsonl"
fi
echo
[ -f "$LOG/cluster-local.err" ] && echo "cluster-local: $(tail -1 "$LOG/cluster-local.err")"
[ -f "$LOG/Sail driver (--sign skip).out" ] && echo "Sail driver stages (s): $(tail -1 "$LOG/Sail driver (--sign skip).out")"
[ -f "$LOG/scan (defaults).err" ] && grep -E "^syndup: (\S+ )?[0-9]+ documents|^syndup: (read|cand|verify|cluster|passages|repeats)" "$LOG/scan (defaults).err" | sed 's/^/scan: /'
cat "$WORK/same.txt"
if [ -n "$TRUTH" ]; then
  # The quality lines of each answer (syndup eval against the planted truth), side by side.
  for name in scan local sail; do
    [ -f "$WORK/eval-$name.txt" ] || continue
    echo "== syndup eval: $name"
    grep -E "^(pairs with true|all planted|cluster ARI|partial copies|kept copy)" "$WORK/eval-$name.txt"
  done
fi
