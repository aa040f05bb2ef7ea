#!/usr/bin/env python3
"""Side-by-side peer benchmark: syndup against datasketch, rensa, gaoya and text-dedup.

Every tool does the same job on the same JSONL corpus (fields `id`, `text`):
tokenise (lowercase, runs of \\w characters), word 5-gram shingles (a text of fewer than 5 words
is one shingle), MinHash with --num-perm permutations, LSH at --threshold with the library's own
bands/rows choice, union-find over the candidate pairs -> clusters, and write the pairs implied by
the clusters to a TSV. Each tool runs in its own child process (this script with --run-one TOOL,
or the syndup binary), so wall time and peak memory are per tool. See README.md.

  peers.py --corpus corpus.jsonl [--truth truth.jsonl] [--threshold 0.8] [--num-perm 128]
           [--tools datasketch,rensa,gaoya,text-dedup,syndup,syndup-defaults] [--syndup PATH]
           [--repeat N]
           [--out results.json] [--markdown]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict

ALL_TOOLS = ["datasketch", "rensa", "gaoya", "text-dedup", "syndup", "syndup-defaults"]
# syndup's own jobs: "syndup" does the peers' job (the base of the ratios); "syndup-defaults" is
# `syndup scan` with no flags but the shared settings (guarded clusters, containment, passages,
# within-document repeats): what a user runs, scored the same way.
SYNDUP_TOOLS = ("syndup", "syndup-defaults")
PY_PACKAGES = {"datasketch": "datasketch", "rensa": "rensa", "gaoya": "gaoya", "text-dedup": "text-dedup"}
EXTRA_PACKAGES = ["numpy", "scipy", "xxhash", "datasets", "pyarrow"]
WORD = re.compile(r"\w+")
NGRAM = 5
# Above this many implied pairs a tool's TSV holds star edges (first member - each other member)
# instead of every pair; the clusters, and so the metrics, are unchanged.
MAX_TSV_PAIRS = 20_000_000


# --------------------------------------------------------------------------------------------
# shared helpers (parent and children)


def tokens(text: str) -> list[str]:
    return WORD.findall(text.lower())


def shingle_list(text: str, _findall=WORD.findall, _join=" ".join) -> list[str]:
    toks = _findall(text.lower())
    if len(toks) < NGRAM:
        return [_join(toks)]
    return list(map(_join, zip(*(toks[i:] for i in range(NGRAM)))))


def open_text(path: str):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_corpus(path: str) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    texts: list[str] = []
    loads = json.loads
    with open_text(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            d = loads(line)
            ids.append(str(d["id"]))
            texts.append(d.get("text") or "")
    return ids, texts


class UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        p = self.parent
        root = x
        while p[root] != root:
            root = p[root]
        while p[x] != root:
            p[x], x = root, p[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb

    def clusters(self) -> list[list[int]]:
        groups: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            groups[self.find(i)].append(i)
        return [g for g in groups.values() if len(g) > 1]


def write_pairs_tsv(path: str, clusters: list[list[str]]) -> bool:
    """Writes every unordered pair inside each cluster (ids sorted within a pair). Returns True
    when the pair count exceeded MAX_TSV_PAIRS and only star edges were written."""
    total = sum(len(c) * (len(c) - 1) // 2 for c in clusters)
    star = total > MAX_TSV_PAIRS
    with open(path, "w", encoding="utf-8") as out:
        for c in clusters:
            m = sorted(c)
            if star:
                for x in m[1:]:
                    out.write(f"{m[0]}\t{x}\n")
                continue
            for i in range(len(m)):
                a = m[i]
                for b in m[i + 1 :]:
                    out.write(f"{a}\t{b}\n")
    return star


def chunk_ranges(n: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(n, lo + size)) for lo in range(0, n, size)]


# --------------------------------------------------------------------------------------------
# children: one function per tool. Each returns clusters as lists of row indices and fills
# `info` with phase timings and parameters. Worker processes are forked after the corpus is read,
# so they see TEXTS without it being pickled; they get (start, end) ranges.

TEXTS: list[str] = []
PARAMS: dict = {}


def _ds_sign(rng: tuple[int, int]):
    import numpy as np
    from datasketch import MinHash

    lo, hi = rng
    kw = dict(num_perm=PARAMS["num_perm"], seed=1, scheme="affine32")
    if PARAMS.get("hashfunc") == "xxh32":
        import xxhash

        kw["hashfunc"] = xxhash.xxh32_intdigest
    data = ([s.encode("utf-8") for s in shingle_list(t)] for t in TEXTS[lo:hi])
    return np.stack([m.hashvalues for m in MinHash.generator(data, **kw)])


def run_datasketch(info: dict) -> list[list[int]]:
    from multiprocessing import Pool

    from datasketch import LeanMinHash, MinHashLSH

    try:
        import xxhash  # noqa: F401

        PARAMS["hashfunc"] = "xxh32"
    except ImportError:
        PARAMS["hashfunc"] = "sha1 (datasketch default)"
    t = time.perf_counter()
    with Pool(PARAMS["threads"]) as pool:
        parts = pool.map(_ds_sign, chunk_ranges(len(TEXTS), 500), chunksize=1)
    info["phases"]["shingle+minhash"] = time.perf_counter() - t
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=PARAMS["threshold"], num_perm=PARAMS["num_perm"])
    info["bands"], info["rows"] = lsh.b, lsh.r
    info["hashfunc"] = PARAMS["hashfunc"]
    sigs = []
    with lsh.insertion_session() as session:
        key = 0
        for part in parts:
            for hv in part:
                m = LeanMinHash(seed=1, hashvalues=hv, scheme="affine32")
                session.insert(key, m, check_duplication=False)
                sigs.append(m)
                key += 1
    del parts
    info["phases"]["lsh insert"] = time.perf_counter() - t
    t = time.perf_counter()
    uf = UnionFind(len(TEXTS))
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            if j != i:
                uf.union(i, j)
    info["phases"]["lsh query+union"] = time.perf_counter() - t
    return uf.clusters()


def _rensa_sign(rng: tuple[int, int]):
    from rensa import RMinHash

    lo, hi = rng
    return RMinHash.from_token_sets(
        [shingle_list(t) for t in TEXTS[lo:hi]], num_perm=PARAMS["num_perm"], seed=42
    )


def rensa_default_bands(threshold: float, num_perm: int) -> int:
    """rensa's own choice when RMinHashDeduplicator(num_bands=None) (inline_dedup/rminhash.rs,
    default_lsh_bands + select_lsh_bands); RMinHashLSH itself has no optimiser."""
    if threshold >= 0.9:
        b = 4
    elif threshold >= 0.8:
        b = 8
    elif threshold >= 0.7:
        b = 16
    elif threshold >= 0.5:
        b = 32
    else:
        b = max(1, num_perm // 2)
    if num_perm % b == 0:
        return b
    return next(x for x in range(min(b, num_perm), 0, -1) if num_perm % x == 0)


def run_rensa(info: dict) -> list[list[int]]:
    from multiprocessing import Pool

    from rensa import RMinHashLSH

    t = time.perf_counter()
    with Pool(PARAMS["threads"]) as pool:
        parts = pool.map(_rensa_sign, chunk_ranges(len(TEXTS), 2000), chunksize=1)
    sigs = [m for part in parts for m in part]
    del parts
    info["phases"]["shingle+minhash"] = time.perf_counter() - t
    t = time.perf_counter()
    bands = PARAMS.get("rensa_bands") or rensa_default_bands(PARAMS["threshold"], PARAMS["num_perm"])
    info["bands"], info["rows"] = bands, PARAMS["num_perm"] // bands
    lsh = RMinHashLSH(threshold=PARAMS["threshold"], num_perm=PARAMS["num_perm"], num_bands=bands)
    lsh.insert_many(sigs)
    info["phases"]["lsh insert"] = time.perf_counter() - t
    t = time.perf_counter()
    cands = lsh.query_all(sigs)
    uf = UnionFind(len(TEXTS))
    for i, cs in enumerate(cands):
        for j in cs:
            if j != i:
                uf.union(i, j)
    info["phases"]["lsh query+union"] = time.perf_counter() - t
    return uf.clusters()


def _normalise(rng: tuple[int, int]) -> list[str]:
    lo, hi = rng
    findall = WORD.findall
    return [" ".join(findall(t.lower())) for t in TEXTS[lo:hi]]


def normalised_texts() -> list[str]:
    from multiprocessing import Pool

    with Pool(PARAMS["threads"]) as pool:
        parts = pool.map(_normalise, chunk_ranges(len(TEXTS), 2000), chunksize=1)
    return [t for part in parts for t in part]


def run_gaoya(info: dict) -> list[list[int]]:
    import gaoya

    t = time.perf_counter()
    docs = normalised_texts()
    info["phases"]["tokenise (python)"] = time.perf_counter() - t
    t = time.perf_counter()
    index = gaoya.minhash.MinHashStringIndex(
        hash_size=32,
        jaccard_threshold=PARAMS["threshold"],
        num_bands=None,
        band_size=None,
        num_hashes=PARAMS["num_perm"],
        analyzer="word",
        lowercase=False,
        ngram_range=(NGRAM, NGRAM),
        id_container="smallvec",
    )
    m = re.search(r"num_hashes = (\d+), bands = (\d+), rows_per_band = (\d+)", str(index))
    if m:
        info["num_hashes_used"], info["bands"], info["rows"] = (int(x) for x in m.groups())
    batch = 20_000
    for lo, hi in chunk_ranges(len(docs), batch):
        index.par_bulk_insert_docs(list(range(lo, hi)), docs[lo:hi])
    info["phases"]["shingle+minhash+insert (rust)"] = time.perf_counter() - t
    t = time.perf_counter()
    uf = UnionFind(len(docs))
    for lo, hi in chunk_ranges(len(docs), batch):
        for i, cs in enumerate(index.par_bulk_query(docs[lo:hi]), start=lo):
            for j in cs:
                if j != i:
                    uf.union(i, j)
    info["phases"]["query+union"] = time.perf_counter() - t
    return uf.clusters()


def run_text_dedup(info: dict) -> list[list[int]]:
    workdir = PARAMS["workdir"]
    t = time.perf_counter()
    docs = normalised_texts()
    src = os.path.join(workdir, "text-dedup-input.jsonl")
    with open(src, "w", encoding="utf-8") as out:
        dumps = json.dumps
        for d in docs:
            out.write(dumps({"text": d}) + "\n")
    del docs
    info["phases"]["tokenise+write json (python)"] = time.perf_counter() - t
    t = time.perf_counter()
    import text_dedup.minhash as tdm
    from text_dedup.utils import optimal_param

    info["bands"], info["rows"] = optimal_param(PARAMS["threshold"], PARAMS["num_perm"], 0.5, 0.5)
    argv = [
        "--path", "json", "--data_files", src, "--split", "train",
        "--cache_dir", os.path.join(workdir, "hf-cache"), "--output", os.path.join(workdir, "td-out"),
        "--column", "text", "--num_proc", str(PARAMS["threads"]),
        "--ngram", str(NGRAM), "--min_length", "0", "--num_perm", str(PARAMS["num_perm"]),
        "--threshold", str(PARAMS["threshold"]), "--hash_func", "xxh3", "--clean_cache",
    ]
    info["argv"] = argv
    tdm.main.main(args=argv, standalone_mode=False)
    info["phases"]["text_dedup.minhash main"] = time.perf_counter() - t
    uf = tdm.uf  # module-level UnionFind over the row index (= line order of the input)
    groups: dict[int, list[int]] = defaultdict(list)
    for x in list(uf.parent):
        groups[uf.find(x)].append(int(x))
    return [g for g in groups.values() if len(g) > 1]


RUNNERS = {"datasketch": run_datasketch, "rensa": run_rensa, "gaoya": run_gaoya, "text-dedup": run_text_dedup}


def child_main(args: argparse.Namespace) -> None:
    global TEXTS
    info: dict = {"tool": args.run_one, "phases": {}}
    t0 = time.perf_counter()
    ids, TEXTS = read_corpus(args.corpus)
    info["phases"]["read jsonl"] = time.perf_counter() - t0
    PARAMS.update(
        threshold=args.threshold, num_perm=args.num_perm, threads=args.threads,
        workdir=args.workdir, rensa_bands=args.rensa_bands,
    )
    clusters_idx = RUNNERS[args.run_one](info)
    t = time.perf_counter()
    clusters = [[ids[i] for i in c] for c in clusters_idx]
    info["tsv_star_edges_only"] = write_pairs_tsv(args.pairs_out, clusters)
    info["phases"]["write tsv"] = time.perf_counter() - t
    info["child_total"] = time.perf_counter() - t0
    with open(args.stats_out, "w", encoding="utf-8") as fh:
        json.dump(info, fh)


# --------------------------------------------------------------------------------------------
# parent: process accounting


def _proc_children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = defaultdict(list)
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids[ppid].append(int(name))
    return kids


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:
        return 0


class TreeMemorySampler(threading.Thread):
    """Samples the summed PSS of a process and all its descendants (Pool workers, Rayon is
    threads) every `interval` seconds. PSS splits pages shared after fork() between the processes
    that share them, so forked workers are not double counted."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop_evt = threading.Event()

    def run(self) -> None:
        while not self._stop_evt.is_set():
            kids = _proc_children()
            todo, total = [self.pid], 0
            while todo:
                p = todo.pop()
                total += _pss_kb(p)
                todo.extend(kids.get(p, ()))
            self.peak_kb = max(self.peak_kb, total)
            self._stop_evt.wait(self.interval)

    def stop(self) -> None:
        self._stop_evt.set()
        self.join()


def run_measured(cmd: list[str], env: dict, stdout_path: str, stderr_path: str, timeout: float) -> dict:
    with open(stdout_path, "wb") as so, open(stderr_path, "wb") as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, env=env, start_new_session=True)
        sampler = TreeMemorySampler(proc.pid)
        sampler.start()
        timed_out = threading.Event()

        def kill_group() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the child's own session, started above
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill_group)
        timer.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": wall,
        "exit": proc.returncode,
        "timed_out": timed_out.is_set(),
        # ru_maxrss from wait4: the largest single process of the tree (KiB on Linux)
        "ru_maxrss_mb": ru.ru_maxrss / 1024,
        "tree_pss_peak_mb": sampler.peak_kb / 1024,
        "peak_rss_mb": max(ru.ru_maxrss, sampler.peak_kb) / 1024,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
    }


def tail(path: str, n: int = 3) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = [ln.strip() for ln in fh.read().splitlines() if ln.strip()]
        return " | ".join(lines[-n:])[-400:]
    except OSError:
        return ""


def clusters_from_tsv(path: str) -> list[list[str]]:
    index: dict[str, int] = {}
    edges = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            a, b = line.rstrip("\n").split("\t")
            ia = index.setdefault(a, len(index))
            ib = index.setdefault(b, len(index))
            edges.append((ia, ib))
    uf = UnionFind(len(index))
    for a, b in edges:
        uf.union(a, b)
    names = [None] * len(index)
    for k, v in index.items():
        names[v] = k
    return [[names[i] for i in c] for c in uf.clusters()]


def clusters_from_syndup_json(path: str) -> tuple[list[list[str]], dict]:
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    if not raw.strip():
        raise ValueError("nothing on stdout (a stub build?)")
    data = json.loads(raw)
    params = data.get("parameters") or {}
    info = {k: params[k] for k in ("bands", "rows", "verify", "scheme", "hash", "normalization") if k in params}
    if isinstance(data.get("pairs"), list):
        # syndup also lists verified pairs; one whose `cluster` is null matched some document but
        # was not put in that document's cluster (it did not match the cluster's representative).
        info["verified_pairs"] = len(data["pairs"])
        info["verified_pairs_outside_clusters"] = sum(
            1 for p in data["pairs"] if isinstance(p, dict) and p.get("cluster") is None)
    out = []
    for c in data.get("clusters", []):
        members = c.get("members", []) if isinstance(c, dict) else c
        ids = [str(m.get("id")) if isinstance(m, dict) else str(m) for m in members]
        if len(ids) > 1:
            out.append(ids)
    return out, info


# --------------------------------------------------------------------------------------------
# parent: truth and metrics


def load_truth(path: str) -> list[dict]:
    seen = set()
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            d = json.loads(line)
            a, b = str(d["a"]), str(d["b"])
            key = (a, b) if a < b else (b, a)
            if a == b or key in seen:
                continue
            seen.add(key)
            d["a"], d["b"] = key
            out.append(d)
    return out


def score(clusters: list[list[str]], truth: list[dict] | None, threshold: float) -> dict:
    found_pairs = sum(len(c) * (len(c) - 1) // 2 for c in clusters)
    res: dict = {
        "clusters": len(clusters),
        "pairs": found_pairs,
        "docs_in_clusters": sum(len(c) for c in clusters),
        "largest_cluster": max((len(c) for c in clusters), default=0),
    }
    if truth is None:
        return res
    cid: dict[str, int] = {}
    for k, c in enumerate(clusters):
        for x in c:
            cid[x] = k
    planted_found = 0
    eligible = found_eligible = 0
    per_level: dict[str, dict] = defaultdict(lambda: {"eligible": 0, "found_eligible": 0, "all": 0, "found_all": 0})
    for p in truth:
        ca = cid.get(p["a"])
        hit = ca is not None and ca == cid.get(p["b"])
        lv = per_level[p.get("level") or "?"]
        lv["all"] += 1
        planted_found += hit
        lv["found_all"] += hit
        j = p.get("jaccard")
        if j is None or j >= threshold:
            eligible += 1
            found_eligible += hit
            lv["eligible"] += 1
            lv["found_eligible"] += hit
    precision = planted_found / found_pairs if found_pairs else None
    recall = found_eligible / eligible if eligible else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall > 0 else None)
    for lv in per_level.values():
        lv["recall"] = lv["found_eligible"] / lv["eligible"] if lv["eligible"] else None
        lv["found_rate_all"] = lv["found_all"] / lv["all"] if lv["all"] else None
    res.update(
        planted_pairs_found=planted_found, false_pairs=found_pairs - planted_found,
        eligible_pairs=eligible, eligible_found=found_eligible,
        precision=precision, recall=recall, f1=f1, per_level=dict(per_level),
    )
    return res


# --------------------------------------------------------------------------------------------
# parent: environment description


def machine_info() -> dict:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_gib = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_gib, 1) if mem_gib else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


VERSION_PROBE = r"""
import json, sys
from importlib import metadata
out = {"python": sys.version.split()[0]}
for name in sys.argv[1:]:
    try:
        out[name] = metadata.version(name)
    except Exception as e:
        out[name] = None
print(json.dumps(out))
"""


def tool_versions(python: str, syndup: str | None) -> dict:
    names = list(PY_PACKAGES.values()) + EXTRA_PACKAGES
    try:
        r = subprocess.run([python, "-c", VERSION_PROBE, *names], capture_output=True, text=True, timeout=120)
        versions = json.loads(r.stdout)
    except Exception as e:  # noqa: BLE001
        versions = {"error": str(e)}
    if syndup and os.path.exists(syndup):
        try:
            r = subprocess.run([syndup, "--version"], capture_output=True, text=True, timeout=30)
            text = (r.stdout.strip() or r.stderr.strip()).splitlines()
            versions["syndup"] = text[0].removeprefix("syndup ").strip() if text else None
        except Exception as e:  # noqa: BLE001
            versions["syndup"] = f"? ({e})"
    return versions


def import_problem(python: str, tool: str) -> str | None:
    module = {"datasketch": "datasketch", "rensa": "rensa", "gaoya": "gaoya", "text-dedup": "text_dedup.minhash"}[tool]
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")
    r = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True, env=env, timeout=300)
    if r.returncode != 0:
        last = [ln for ln in r.stderr.splitlines() if ln.strip()]
        return f"import {module} failed: {last[-1] if last else r.returncode}"
    return None


# --------------------------------------------------------------------------------------------
# parent: output


def fmt(v, spec: str = ".2f", na: str = "-") -> str:
    if v is None:
        return na
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


COLUMNS = ["tool", "wall s", "docs/s", "MB/s", "peak RSS MB", "clusters", "pairs", "precision",
           "recall", "F1", "time vs syndup", "memory vs syndup", "LSH b x r", "notes"]


def table_rows(summary: list[dict]) -> list[list[str]]:
    rows = []
    for s in summary:
        if s.get("error"):
            rows.append([s["tool"]] + ["n/a"] * (len(COLUMNS) - 3) + ["", f"n/a: {s['error']}"])
            continue
        br = f"{s['bands']} x {s['rows']}" if s.get("bands") else "-"
        rows.append([
            s["tool"], fmt(s["wall_s"]), fmt(s["docs_per_s"], ",.0f"), fmt(s["mb_per_s"], ".1f"),
            fmt(s["peak_rss_mb"], ",.0f"), fmt(s["clusters"]), fmt(s["pairs"]),
            fmt(s.get("precision"), ".4f"), fmt(s.get("recall"), ".4f"), fmt(s.get("f1"), ".4f"),
            fmt(s.get("time_vs_syndup"), ".2f") + ("x" if s.get("time_vs_syndup") else ""),
            fmt(s.get("memory_vs_syndup"), ".2f") + ("x" if s.get("memory_vs_syndup") else ""),
            br, s.get("notes", ""),
        ])
    return rows


def render_text(rows: list[list[str]]) -> str:
    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in rows)) for i in range(len(COLUMNS))]
    right = set(range(1, len(COLUMNS) - 2))
    def line(cells):
        return "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip()
    return "\n".join([line(COLUMNS), line(["-" * w for w in widths])] + [line(r) for r in rows])


def render_markdown(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(COLUMNS) + " |",
           "|" + "|".join("---" if i in (0, len(COLUMNS) - 1, len(COLUMNS) - 2) else "---:" for i in range(len(COLUMNS))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


TOOL_NOTES = {
    "datasketch": "Pool({t}) shingling+MinHash.generator (affine32, xxh32); MinHashLSH insertion_session + query, single process",
    "rensa": "Pool({t}) shingling+RMinHash.from_token_sets; RMinHashLSH insert_many+query_all, rensa's default bands",
    "gaoya": "Pool({t}) tokenising in python; MinHashStringIndex par_bulk_insert_docs/par_bulk_query (rayon), candidates verified by gaoya",
    "text-dedup": "Pool({t}) tokenise+write json; text_dedup.minhash main (datasets, num_proc={t}, xxh3), incl. its filter+save_to_disk",
    "syndup": "syndup scan --format json --cluster components --containment off --no-passages --no-sentences --threads {t}",
    "syndup-defaults": "syndup scan --format json --threads {t} (the defaults: guarded clusters, containment 0.7, passages, within-document repeats)",
}


# --------------------------------------------------------------------------------------------
# parent main


def parent_main(args: argparse.Namespace) -> int:
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in ALL_TOOLS]
    if unknown:
        sys.exit(f"unknown tool(s): {unknown}; choose from {ALL_TOOLS}")
    corpus = os.path.abspath(args.corpus)
    size_mb = os.path.getsize(corpus) / 1e6
    with open_text(corpus) as fh:
        n_docs = sum(1 for line in fh if line.strip())
    truth = load_truth(args.truth) if args.truth else None
    python = args.python or sys.executable
    syndup = args.syndup or os.environ.get("SYNDUP_BIN")
    if not syndup:
        here = os.path.dirname(os.path.abspath(__file__))
        syndup = os.path.normpath(os.path.join(here, "..", "..", "target", "release", "syndup"))

    workroot = args.workdir or tempfile.mkdtemp(prefix="syndup-peers-")
    os.makedirs(workroot, exist_ok=True)
    machine = machine_info()
    versions = tool_versions(python, syndup)

    print(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
          f"Linux {machine['kernel']}, Python {versions.get('python', machine['python'])}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if k != "python" and v))
    print(f"corpus: {corpus} ({n_docs:,} docs, {size_mb:,.1f} MB)" + (f"; truth: {args.truth} ({len(truth):,} pairs)" if truth is not None else ""))
    print(f"job: word {NGRAM}-gram shingles, {args.num_perm} permutations, threshold {args.threshold}, "
          f"{args.threads} threads/processes, repeat {args.repeat}; work dir {workroot}")
    sys.stdout.flush()

    # what can run at all
    errors: dict[str, str] = {}
    for tool in tools:
        if tool in SYNDUP_TOOLS:
            if not (syndup and os.path.isfile(syndup) and os.access(syndup, os.X_OK)):
                errors[tool] = f"binary not found ({syndup})"
        else:
            problem = import_problem(python, tool)
            if problem:
                errors[tool] = problem

    env = dict(os.environ)
    env.update(
        HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
        TOKENIZERS_PARALLELISM="false", RAYON_NUM_THREADS=str(args.threads),
        OMP_NUM_THREADS="1", PYTHONHASHSEED="0",
    )
    env.setdefault("HF_HOME", os.path.join(workroot, "hf-home"))

    runs: dict[str, list[dict]] = defaultdict(list)
    for rep in range(args.repeat):
        for tool in tools:
            if tool in errors:
                continue
            wd = os.path.join(workroot, f"{tool}-run{rep}")
            shutil.rmtree(wd, ignore_errors=True)
            os.makedirs(wd)
            pairs_tsv = os.path.join(wd, "pairs.tsv")
            stats_json = os.path.join(wd, "stats.json")
            if tool in SYNDUP_TOOLS:
                # The settings every tool shares; "syndup-defaults" runs with only those (what a
                # user runs: its clusters hold partial copies too, scored like any found pair).
                cmd = [syndup, "scan", "--format", "json", "--threshold", str(args.threshold),
                       "--num-perm", str(args.num_perm), "--threads", str(args.threads)]
                if tool == "syndup":
                    # The peers' job: Jaccard pairs and union-find components (syndup's default
                    # guarded clusters split chains; its pairs[] are the same either way). No
                    # peer reports containment, aligned passages or sentence repeats, so they
                    # are off here.
                    cmd += ["--cluster", "components", "--containment", "off", "--no-passages",
                            "--no-sentences"]
                cmd.append(corpus)
                out_path = os.path.join(wd, "syndup.json")
            else:
                cmd = [python, os.path.abspath(__file__), "--run-one", tool, "--corpus", corpus,
                       "--threshold", str(args.threshold), "--num-perm", str(args.num_perm),
                       "--threads", str(args.threads), "--pairs-out", pairs_tsv, "--stats-out", stats_json,
                       "--workdir", wd]
                if args.rensa_bands:
                    cmd += ["--rensa-bands", str(args.rensa_bands)]
                out_path = os.path.join(wd, "stdout.txt")
            err_path = os.path.join(wd, "stderr.txt")
            load = os.getloadavg()[0]
            busy = f" (load average {load:.2f}: machine busy?)" if load > 0.5 else ""
            print(f"[{rep + 1}/{args.repeat}] {tool}{busy} ...", end=" ", flush=True)
            m = run_measured(cmd, env, out_path, err_path, args.timeout)
            m["loadavg1_before"] = load
            m["cmd"] = cmd
            if m["timed_out"]:
                m["error"] = f"timeout after {args.timeout:.0f}s"
            elif m["exit"] != 0:
                m["error"] = f"exit {m['exit']}: {tail(err_path)}"
            else:
                try:
                    if tool in SYNDUP_TOOLS:
                        clusters, m["stats"] = clusters_from_syndup_json(out_path)
                        write_pairs_tsv(pairs_tsv, clusters)
                    else:
                        clusters = clusters_from_tsv(pairs_tsv)
                        with open(stats_json, encoding="utf-8") as fh:
                            m["stats"] = json.load(fh)
                    m["score"] = score(clusters, truth, args.threshold)
                except Exception as e:  # noqa: BLE001
                    m["error"] = f"could not read output: {e}"
            if not args.keep_outputs:
                for p in (os.path.join(wd, "text-dedup-input.jsonl"),):
                    if os.path.exists(p):
                        os.remove(p)
                for d in ("td-out", "hf-cache"):
                    shutil.rmtree(os.path.join(wd, d), ignore_errors=True)
            print(f"{m['wall_s']:.2f}s, peak {m['peak_rss_mb']:.0f} MB" + (f"  ERROR {m['error']}" if m.get("error") else ""), flush=True)
            runs[tool].append(m)

    summary = []
    for tool in tools:
        if tool in errors:
            summary.append({"tool": tool, "error": errors[tool]})
            continue
        ok = [r for r in runs[tool] if not r.get("error")]
        if not ok:
            summary.append({"tool": tool, "error": runs[tool][-1]["error"]})
            continue
        wall = statistics.median(r["wall_s"] for r in ok)
        last = ok[-1]
        s = {
            "tool": tool,
            "runs_ok": len(ok),
            "wall_s": wall,
            "wall_s_all": [r["wall_s"] for r in ok],
            "docs_per_s": n_docs / wall,
            "mb_per_s": size_mb / wall,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in ok),
            "ru_maxrss_mb": max(r["ru_maxrss_mb"] for r in ok),
            "tree_pss_peak_mb": max(r["tree_pss_peak_mb"] for r in ok),
            "cpu_s": statistics.median(r["user_s"] + r["sys_s"] for r in ok),
            "loadavg1_before_max": max(r["loadavg1_before"] for r in ok),
            **last["score"],
            "bands": last.get("stats", {}).get("bands"),
            "rows": last.get("stats", {}).get("rows"),
            "phases_s": last.get("stats", {}).get("phases"),
            "notes": TOOL_NOTES[tool].format(t=args.threads),
        }
        if tool in SYNDUP_TOOLS and last["stats"].get("verify"):
            s["notes"] += f"; verify={last['stats']['verify']}"
        if tool in SYNDUP_TOOLS and last["stats"].get("verified_pairs_outside_clusters"):
            s["notes"] += (f"; {last['stats']['verified_pairs_outside_clusters']} of its "
                           f"{last['stats']['verified_pairs']} verified pairs are in no cluster (not counted)")
        if len({(r["score"]["clusters"], r["score"]["pairs"]) for r in ok}) > 1:
            s["notes"] += "; NOTE: results differed between repeats"
        nh = last.get("stats", {}).get("num_hashes_used")
        if nh and nh != args.num_perm:
            s["notes"] += f"; uses {nh} of {args.num_perm} hashes (b*r)"
        if len(ok) < len(runs[tool]):
            s["notes"] += f"; {len(runs[tool]) - len(ok)} failed run(s)"
        summary.append(s)

    base = next((s for s in summary if s["tool"] == "syndup" and not s.get("error")), None)
    if base:
        for s in summary:
            if not s.get("error"):
                s["time_vs_syndup"] = s["wall_s"] / base["wall_s"]
                s["memory_vs_syndup"] = s["peak_rss_mb"] / base["peak_rss_mb"]

    rows = table_rows(summary)
    print()
    print(render_text(rows))
    if truth is not None:
        levels = sorted({lv for s in summary if not s.get("error") for lv in s.get("per_level", {})})
        print(f"\nrecall by level (planted pairs with Jaccard >= {args.threshold} found / their count; "
              f"in brackets: all planted pairs of that level found / count):")
        for s in summary:
            if s.get("error"):
                continue
            parts = []
            for lv in levels:
                d = s["per_level"].get(lv)
                if not d:
                    continue
                r = f"{d['found_eligible']}/{d['eligible']}" if d["eligible"] else "-"
                parts.append(f"{lv} {r} [{d['found_all']}/{d['all']}]")
            print(f"  {s['tool']:<11} " + "; ".join(parts))
    print("\nphases (s, last run; child wall includes interpreter start and imports):")
    for s in summary:
        if s.get("error") or not s.get("phases_s"):
            continue
        print(f"  {s['tool']:<11} " + ", ".join(f"{k} {v:.2f}" for k, v in s["phases_s"].items()))
    if args.markdown:
        print()
        print(render_markdown(rows))

    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump({
                "machine": machine, "versions": versions,
                "corpus": {"path": corpus, "docs": n_docs, "mb": size_mb},
                "truth": {"path": args.truth, "pairs": len(truth)} if truth is not None else None,
                "params": {"threshold": args.threshold, "num_perm": args.num_perm, "ngram": NGRAM,
                           "threads": args.threads, "repeat": args.repeat, "tools": tools},
                "summary": summary, "runs": runs, "workdir": workroot,
            }, fh, indent=2, default=str)
        print(f"\nwrote {args.out}")
    if not args.workdir and not args.keep_outputs:
        shutil.rmtree(workroot, ignore_errors=True)
    return 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True, help="JSONL (or .jsonl.gz) with fields id, text")
    p.add_argument("--truth", help="JSONL of planted pairs: a, b, family, level, jaccard, containment")
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--num-perm", type=int, default=128)
    p.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma-separated, run in this order")
    p.add_argument("--syndup", help="syndup binary (default: $SYNDUP_BIN or target/release/syndup)")
    p.add_argument("--repeat", type=int, default=1, help="interleaved repetitions; median wall is reported")
    p.add_argument("--threads", type=int, default=2, help="processes/threads each tool may use (default 2)")
    p.add_argument("--out", help="write everything as JSON here")
    p.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    p.add_argument("--python", help="interpreter for the Python tools (default: this one)")
    p.add_argument("--timeout", type=float, default=1800, help="per run, seconds")
    p.add_argument("--workdir", help="keep per-run outputs (pairs.tsv, stats.json, stderr) here")
    p.add_argument("--keep-outputs", action="store_true", help="do not delete outputs and text-dedup's files")
    p.add_argument("--rensa-bands", type=int, help="override rensa's default band count")
    # internal: one tool in this process
    p.add_argument("--run-one", choices=[t for t in ALL_TOOLS if t not in SYNDUP_TOOLS], help=argparse.SUPPRESS)
    p.add_argument("--pairs-out", help=argparse.SUPPRESS)
    p.add_argument("--stats-out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.run_one:
        child_main(args)
    else:
        sys.exit(parent_main(args))


if __name__ == "__main__":
    main()
