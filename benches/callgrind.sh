#!/usr/bin/env bash
# Instructions per document, per stage, of the core job and of the defaults (issue 14), counted
# by valgrind's callgrind: instruction counts do not depend on the machine's load, so two
# builds can be compared on a busy machine (wall time cannot).
#
#   bash benches/callgrind.sh CORPUS.jsonl [DOCS]      (the first DOCS lines, 10000 by default)
#
# Each job runs once under callgrind on one thread (the counts are those of the work, not of
# scheduling). Instructions are attributed by the source file of their line (code inlined
# from elsewhere counts in its own file), and files to stages: input/ (reading, JSON),
# normalize (tokens), shingle/minhash/sketch/lsh (signing, LSH and its one-off parameter
# search), containment, verify and detector batches/matching (exact verification and
# loading), repeat/sentence (sentence repeats), align/cluster/roles/assemble (clusters and
# passages), report/; the standard library and other crates (sorting, allocation, copies,
# XXH3, rayon) are "runtime", whichever stage called them.
# BIN picks the binary (default: target/release/syndup, built here). Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: benches/callgrind.sh CORPUS.jsonl [DOCS]}
docs=${2:-10000}
command -v valgrind >/dev/null || { echo "callgrind.sh needs valgrind (Debian package 'valgrind')" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/syndup
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -n "$docs" "$corpus" > "$work/corpus.jsonl"
n=$(wc -l < "$work/corpus.jsonl")

run() {
  local name=$1
  shift
  local rc=0
  valgrind --tool=callgrind --callgrind-out-file="$work/$name.out" \
    "$BIN" scan "$work/corpus.jsonl" --threads 1 -q -o /dev/null "$@" >/dev/null 2>"$work/$name.log" || rc=$?
  # scan exits 1 when duplicates exist: that is not a failure here.
  [ "$rc" -le 1 ] || { cat "$work/$name.log" >&2; exit 1; }
  callgrind_annotate --inclusive=no --auto=no --threshold=100 "$work/$name.out" > "$work/$name.txt"
}
run core --containment off --no-passages --no-sentences
run defaults
run no-within --no-sentences

python3 - "$work" "$n" "$(pwd -P)" <<'EOF'
import re, sys
work, n, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stages = [
    ("read (input/)", r"^src/input/"),
    ("tokens (normalize)", r"^src/normalize"),
    ("sign (shingle, minhash, sketch, lsh)", r"^src/(shingle|minhash|sketch|lsh)\.rs"),
    ("containment", r"^src/containment"),
    ("verify and loading", r"^src/(verify\.rs|detector/(batches|matching)\.rs)"),
    ("sentence repeats", r"^src/(repeat|sentence)"),
    ("clusters and passages", r"^src/(align|cluster\.rs|roles\.rs|detector/assemble\.rs)"),
    ("report", r"^src/report/"),
    ("other syndup (LSH parameters, scan driver)", r"^src/"),
]
def load(name):
    out = {s: 0 for s, _ in stages}
    out["runtime (std and crates: sort, alloc, xxh3, rayon)"] = 0
    total = 0
    for line in open(f"{work}/{name}.txt"):
        t = re.match(r"\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", line)
        if t:
            total = int(t.group(1).replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*)$", line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        # The source file of the instructions (inlined code counts in its own file); the
        # standard library (/rustc/...), crates (.cargo/registry) and libc are runtime.
        # (callgrind_annotate prints this repository's files relative to the current
        # directory, or in full).
        where = m.group(2).split(":")[0]
        if where.startswith(root + "/"):
            where = where[len(root) + 1 :]
        mine = where.startswith("src/")
        for s, pat in stages:
            if mine and re.search(pat, where):
                out[s] += ir
                break
        else:
            out["runtime (std and crates: sort, alloc, xxh3, rayon)"] += ir
    return total, out
jobs = ["core", "no-within", "defaults"]
res = {j: load(j) for j in jobs}
print(f"instructions per document ({n} documents, callgrind, 1 thread)")
print(f"{'stage':<40}" + "".join(f"{j:>14}" for j in jobs))
for s in list(res["core"][1]):
    print(f"{s:<40}" + "".join(f"{res[j][1][s] / n:>14,.0f}" for j in jobs))
print(f"{'TOTAL':<40}" + "".join(f"{res[j][0] / n:>14,.0f}" for j in jobs))
print(f"{'TOTAL / core':<40}" + "".join(f"{res[j][0] / res['core'][0]:>14.2f}" for j in jobs))
EOF
