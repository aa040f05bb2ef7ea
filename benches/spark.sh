#!/usr/bin/env bash
# The distributed flow on one machine: N generated documents (default 100,000) in SHARDS
# shards through plan -> sign -> the driver on Sail (--sail: problems, candidates, containment,
# components, assemble), with wall time and peak memory per stage, next to cluster-local and a
# single-machine `syndup scan` at its defaults on the same data; the pairs (relation,
# direction, passages) and clusters (representatives, sources, roles) of all three are
# compared.
#
#   benches/spark.sh                               # 100k documents, 16 shards
#   N=1000000 benches/spark.sh                     # 1M (~15 GB of work files)
#   CORPUS=/tmp/corpus.jsonl benches/spark.sh      # an existing JSON Lines corpus
#
# Needs: the virtualenv of .ci/run (target/spark-venv, or PYTHON=...), GNU time
# (/usr/bin/time), and seed text for the generator (SEED, default the Reuters-21578 JSONL of
# the development machine). Work files go to WORK (default target/bench-spark; ~12 GB at 1M).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
SHARDS=${SHARDS:-16}
WORK=${WORK:-target/bench-spark}
SEED=${SEED:-../shared/data/reuters-21578.jsonl}
PYTHON=${PYTHON:-target/spark-venv/bin/python}
export SPARK_LOCAL_IP=127.0.0.1

cargo build --release --locked --quiet
BIN=$PWD/target/release/syndup
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
LOG=$WORK/log
mkdir -p "$LOG"

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

# run NAME CMD...: times CMD with /usr/bin/time -v; prints seconds, max RSS of the largest
# process, and the sampled peak of the whole process tree.
run() {
  local name=$1
  shift
  /usr/bin/time -v -o "$LOG/$name.time" "$@" >"$LOG/$name.out" 2>"$LOG/$name.err" &
  local pid=$!
  local tpeak
  tpeak=$(tree_peak "$pid")
  wait "$pid"
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$LOG/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$LOG/$name.time")
  printf "| %-34s | %9.1f | %16s | %15s |\n" "$name" "$secs" "$rss" "$tpeak"
}

CORPUS=${CORPUS:-$WORK/gen-$N/corpus.jsonl}
if [ ! -f "$CORPUS" ]; then
  echo "generating $N documents..." >&2
  "$BIN" generate --from "$SEED" -n "$N" -o "$WORK/gen-$N" 2>"$LOG/generate.err"
fi
rm -rf "$WORK/shards" "$WORK/signed" "$WORK/sail" "$WORK/local" "$WORK/manifest.json"
mkdir -p "$WORK/shards"
split -n "l/$SHARDS" -d -a 3 --additional-suffix=.jsonl "$CORPUS" "$WORK/shards/part-"
"$BIN" spark-driver -o "$WORK/driver.py"
BYTES=$(du -sb "$WORK/shards" | cut -f1)
echo "$N documents, $((BYTES / 1000000)) MB in $SHARDS shards; $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM"
echo
echo "| stage                              | wall (s)  | max RSS one (MB) | tree peak (MB)  |"
echo "|------------------------------------|-----------|------------------|-----------------|"
run "scan (defaults)" "$BIN" scan --format json -q -o "$WORK/scan.json" "$WORK/shards"
run "plan" "$BIN" plan -o "$WORK/manifest.json" "$WORK/shards"
run "sign (all shards, one process)" "$BIN" sign --manifest "$WORK/manifest.json" -o "$WORK/signed"
run "cluster-local" "$BIN" cluster-local --manifest "$WORK/manifest.json" \
  --signed "$WORK/signed" -o "$WORK/local"
run "Sail: driver without sign" "$PYTHON" "$WORK/driver.py" --sail --syndup "$BIN" --sign skip \
  --manifest "$WORK/manifest.json" --signed "$WORK/signed" --out "$WORK/sail"
run "apply (shard 0)" "$BIN" apply --manifest "$WORK/manifest.json" --shard 0 \
  --signed "$WORK/signed" --clusters "$WORK/sail/clusters" -o "$WORK/kept-0.jsonl"
echo
echo "Sail driver stages (s): $(tail -1 "$LOG/Sail: driver without sign.out")"
echo "cluster-local: $(tail -1 "$LOG/cluster-local.out")"
echo "scan: $(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stats"]; print({k: s[k] for k in ("documents","candidates","containment_candidates","matches","contained_pairs","clusters","duplicates")})' "$WORK/scan.json")"
du -sh "$WORK/signed/bands" "$WORK/signed/docs" "$WORK/signed/samples" "$WORK/sail/pairs" "$WORK/sail/clusters" | sed 's/^/size: /'
# The same answer: pairs (ids, relation, contained, counts, passages) and clusters (source,
# source_by, representative, members with roles) of scan, cluster-local and Sail.
"$PYTHON" - "$WORK" <<'EOF'
import glob, json, sys
import pyarrow as pa, pyarrow.parquet as pq
work = sys.argv[1]
scan = json.load(open(f"{work}/scan.json"))
def rows(d):
    files = sorted(glob.glob(f"{d}/**/*.parquet", recursive=True))
    return pa.concat_tables([pq.read_table(f) for f in files]).to_pylist() if files else []
def dist(out):
    ids = {}
    pairs = rows(f"{out}/pairs")
    for p in pairs:
        ids[p["a"]], ids[p["b"]] = p["a_id"], p["b_id"]
    P = sorted((p["a_id"], p["b_id"], p["relation"], ids.get(p["contained"]), p["shared"], p["size_a"], p["size_b"], json.dumps(json.loads(p["passages"]) if p["passages"] else None, sort_keys=True)) for p in pairs)
    by = {}
    for r in rows(f"{out}/clusters"):
        by.setdefault(r["cluster"], []).append(r)
    C = sorted((m[0]["source_id"], m[0]["source_by"], m[0]["representative_id"], tuple(sorted((r["id"], r["role"]) for r in m))) for m in by.values())
    return P, C
P = sorted((p["a"], p["b"], p["relation"], p["contained"], p["shared"], p["shingles_a"], p["shingles_b"], json.dumps(p.get("alignment"), sort_keys=True)) for p in scan["pairs"])
C = sorted((c["source"], c["source_by"], c["representative"], tuple(sorted((m["doc"], m["role"]) for m in c["details"]))) for c in scan["clusters"])
for name in ["local", "sail"]:
    p, c = dist(f"{work}/{name}")
    print(f"same answer as scan: {name}: pairs {p == P} ({len(p)}), clusters {c == C} ({len(c)})")
EOF
