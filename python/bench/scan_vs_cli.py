"""syndup.scan on a pyarrow Table in memory vs the syndup CLI on the same JSON Lines corpus.

The peers' job (benches/peers/README.md): threshold 0.8, 128 permutations, union-find
components, no containment, no passages, 2 threads. Each side runs in its own child process;
wall time and peak RSS (ru_maxrss) are the child's. For the Python side the scan call is timed
alone (the Table already in memory) and the whole child (import, loading the Table, scan).

    python python/bench/scan_vs_cli.py /tmp/peers-corpus-100k.jsonl target/release/syndup
"""

import json
import os
import resource
import subprocess
import sys
import time

OPTS = dict(threshold=0.8, num_perm=128, threads=2, cluster="components", containment="off",
            passages=False)


def child(corpus):
    import pyarrow.json as pj

    import syndup

    t0 = time.perf_counter()
    table = pj.read_json(corpus)
    t1 = time.perf_counter()
    rep = syndup.scan(table, **OPTS)
    t2 = time.perf_counter()
    print(json.dumps({"load_s": t1 - t0, "scan_s": t2 - t1, "pairs": len(rep.pairs),
                      "clusters": len(rep.clusters), "documents": rep.stats["documents"],
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))




def main():
    corpus, exe = sys.argv[1], sys.argv[2]
    t = time.perf_counter()
    cli = subprocess.run([exe, "scan", "--format", "json", "--threshold", "0.8", "--num-perm", "128",
                          "--threads", "2", "--cluster", "components", "--containment", "off",
                          "--no-passages", corpus], capture_output=True, check=True)
    cli_wall = time.perf_counter() - t
    cli_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rep = json.loads(cli.stdout)
    t = time.perf_counter()
    py = subprocess.run([sys.executable, __file__, "--child", corpus], capture_output=True, check=True)
    py_wall = time.perf_counter() - t
    got = json.loads(py.stdout)
    print(json.dumps({
        "load_average": os.getloadavg(),
        "cli": {"wall_s": round(cli_wall, 2), "peak_rss_mb": round(cli_rss / 1024),
                "pairs": len(rep["pairs"]), "clusters": len(rep["clusters"])},
        "python": {"child_wall_s": round(py_wall, 2), "scan_s": round(got["scan_s"], 2),
                   "load_table_s": round(got["load_s"], 2),
                   "peak_rss_mb": round(got["peak_rss_mb"]),
                   "pairs": got["pairs"], "clusters": got["clusters"]},
        "same_pairs_count": got["pairs"] == len(rep["pairs"]),
        "ratio_scan_vs_cli_wall": round(got["scan_s"] / cli_wall, 3),
    }, indent=1))


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
