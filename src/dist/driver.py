#!/usr/bin/env python3
"""syndup's engine stage: the global integer work of a distributed dedup, on Apache Spark or on
a Spark Connect server such as Sail.

Written out by `syndup spark-driver -o driver.py`; it belongs to the syndup release that wrote
it. It uses built-in Spark SQL only (no Python UDF on rows, no RDD, no extra JAR), so the same
file runs on classic Spark (spark-submit, local[N]) and over Spark Connect (--remote, --sail).

Steps (see `syndup::dist` in the Rust docs for the file layouts):
 1. sign     every shard with `syndup sign` (one engine task per shard via mapInPandas, or
             from this process with --sign driver); already signed shards are skipped.
 2. problems an id already used by an earlier document (of an earlier shard) -> OUT/problems/;
             that document is left out, as `syndup scan` skips the second record of an id.
 3. match    group band rows by (band, band_hash); a bucket of at most max_bucket documents
             gives all its pairs, a larger one star edges to its smallest document (as
             syndup's lsh::candidates); pairs are deduplicated and verified exactly:
             |A n B| = size(array_intersect(shingles)), kept when they meet the criteria
             (Jaccard at the threshold, else one side contained), with the relation.
 4. contain  with containment on, the sample table joined on the sampled hash among the
             near-duplicate classes, posting lists capped at max_df (as syndup's
             containment::class_candidates), verified the same way.
 5. cluster  connected components of all pairs by alternating large-star and small-star
             (Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014), each
             round written to OUT/_rounds/ and read back so the plan never grows.
 6. assemble `syndup assemble` on partitions of whole components (engine tasks): guarded
             clusters, sources, roles, relations and passages with scan's own code
                                                                   -> OUT/pairs/, OUT/clusters/

Then run `syndup apply` per shard. Every output row carries the manifest fingerprint
(`manifest` column).

Progress goes to stderr; the last line on stdout is a JSON summary with per-stage seconds.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

# The manifest and file layouts this driver reads (syndup::dist::FORMAT_VERSION).
FORMAT_VERSION = 3


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="syndup engine stage: sign shards, match, cluster, assemble (Spark SQL only)"
    )
    p.add_argument("--manifest", default=None, help="manifest written by `syndup plan`")
    p.add_argument("--signed", default=None, help="directory for `syndup sign` outputs")
    p.add_argument("--out", default=None, help="directory for pairs/, clusters/ and problems/")
    p.add_argument(
        "--syndup",
        default="syndup",
        help="the syndup binary (same path on every worker; default: syndup on PATH)",
    )
    p.add_argument(
        "--sign",
        choices=["engine", "driver", "skip"],
        default="engine",
        help="run `syndup sign` (and `syndup assemble`) as engine tasks (default), from this "
        "process, or sign not at all",
    )
    p.add_argument(
        "--sign-threads", type=int, default=0, help="threads per `syndup sign` (0: all cores)"
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--remote", help="Spark Connect URL, e.g. sc://host:15002")
    g.add_argument(
        "--sail", action="store_true", help="start a Sail server in this process (pysail)"
    )
    g.add_argument("--master", help="classic Spark master, e.g. local[2] (spark-submit sets it)")
    p.add_argument(
        "--partitions", type=int, default=0, help="spark.sql.shuffle.partitions (0: leave it)"
    )
    p.add_argument("--max-rounds", type=int, default=64, help="component rounds at most")
    p.add_argument(
        "--join-rows",
        type=int,
        default=50_000_000,
        help="rows of the sample self-join per pass of the containment search (more rows are "
        "split into passes over slices of documents, so memory stays bounded)",
    )
    p.add_argument(
        "--assemble-parts",
        type=int,
        default=0,
        help="partitions of whole components for `syndup assemble` (0: the shards, at least 2)",
    )
    p.add_argument(
        "--self-test",
        metavar="DIR",
        help="check the components step against a union-find on graphs with long chains "
        "(work files in DIR), print the rounds it took, and exit",
    )
    args = p.parse_args(argv)
    if not args.self_test and not (args.manifest and args.signed and args.out):
        p.error("--manifest, --signed and --out are required")
    return args


def log(msg):
    print(f"syndup driver: {msg}", file=sys.stderr, flush=True)


def local_path(path):
    """An absolute path for local paths; URLs (hdfs://, s3a://) are left alone."""
    if "://" in path:
        return path
    return os.path.abspath(path)


def join(base, *parts):
    return "/".join([base.rstrip("/")] + list(parts))


def session(args):
    from pyspark.sql import SparkSession

    server = None
    if args.sail:
        from pysail.spark import SparkConnectServer

        server = SparkConnectServer(ip="127.0.0.1", port=0)
        server.start(background=True)
        _, port = server.listening_address
        builder = SparkSession.builder.remote(f"sc://127.0.0.1:{port}")
    elif args.remote:
        builder = SparkSession.builder.remote(args.remote)
    else:
        # Python workers of a local classic Spark must find pandas and pyarrow: use this
        # interpreter unless told otherwise.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder.appName("syndup").config(
            "spark.ui.showConsoleProgress", "false"
        )
        if args.master:
            builder = builder.master(args.master)
    spark = builder.getOrCreate()
    if args.partitions > 0:
        spark.conf.set("spark.sql.shuffle.partitions", str(args.partitions))
    return spark, server


# Schemas of the intermediate files, given when they are read back (an engine may write an
# empty result without a schema).
PAIRS = "a long, b long"
MATCHES = "a long, b long, shared long, size_a long, size_b long, relation string"


def read_back(spark, path, schema):
    return spark.read.schema(schema).parquet(path)


def write(df, path):
    # Snappy: Spark's default, and the one codec syndup's Rust steps read (Sail's default is
    # zstd).
    df.write.mode("overwrite").option("compression", "snappy").parquet(path)


def sign_command(args, shard):
    cmd = [args.syndup, "sign", "--manifest", args.manifest, "--shard", str(shard)]
    cmd += ["-o", args.signed]
    if args.sign_threads > 0:
        cmd += ["-j", str(args.sign_threads)]
    return cmd


def run_sign(cmd):
    """Runs one `syndup sign`; exit 2 with a summary means records were rejected (listed in
    rejects/), which is not a failure of the step."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    if r.returncode not in (0, 2) or not lines:
        raise RuntimeError(
            f"{' '.join(cmd)} failed with exit status {r.returncode}: {r.stderr[-4000:]}"
        )
    return json.loads(lines[-1])


def sign(spark, args, shards):
    if args.sign == "skip":
        return {"documents": None, "rejected": None}
    if args.sign == "driver":
        results = []
        for s in range(shards):
            results.append(run_sign(sign_command(args, s)))
    else:
        cmd_args = args

        def sign_partition(batches):
            import pandas as pd

            for pdf in batches:
                rows = []
                for s in pdf["shard"]:
                    st = run_sign(sign_command(cmd_args, int(s)))
                    rows.append((int(s), st["documents"], st["rejected"], bool(st["skipped"])))
                yield pd.DataFrame(
                    rows, columns=["shard", "documents", "rejected", "skipped"]
                )

        df = spark.range(0, shards, 1, shards).withColumnRenamed("id", "shard")
        results = [
            r.asDict()
            for r in df.mapInPandas(
                sign_partition,
                "shard long, documents long, rejected long, skipped boolean",
            ).collect()
        ]
    docs = sum(r["documents"] for r in results)
    rejected = sum(r["rejected"] for r in results)
    if rejected:
        log(f"{rejected} records rejected by sign: see {join(args.signed, 'rejects')}/")
    return {"documents": docs, "rejected": rejected}


def candidates(F, bands, max_bucket):
    """Pairs (a < b) as syndup's lsh::candidates makes them, deduplicated over bands."""
    buckets = (
        bands.groupBy("band", "band_hash")
        .agg(F.sort_array(F.collect_list("doc")).alias("docs"))
        .where(F.size("docs") > 1)
    )
    # All pairs of a small bucket: each member with the members after it. A giant bucket:
    # its smallest document with every other one.
    small = (
        buckets.where(F.size("docs") <= max_bucket)
        .select("docs", F.posexplode("docs").alias("i", "a"))
        .select(
            "a",
            F.explode(F.slice("docs", F.col("i") + 2, F.size("docs"))).alias("b"),
        )
    )
    giant = buckets.where(F.size("docs") > max_bucket).select(
        F.col("docs")[0].alias("a"), F.explode(F.slice("docs", 2, F.size("docs"))).alias("b")
    )
    return small.unionByName(giant).distinct()


def verify(F, pairs, docs, params):
    """Exact counts of candidate pairs (|A n B| = size(array_intersect(shingles))), kept when
    they meet syndup's Criteria: Jaccard at the threshold (near), else one side contained
    (b_in_a when b is not larger, a_in_b when a is smaller), with the same double
    comparisons as Similarity::meets and Criteria::relation."""
    sa = docs.select(F.col("doc").alias("a"), F.col("shingles").alias("sa"))
    sb = docs.select(F.col("doc").alias("b"), F.col("shingles").alias("sb"))
    v = pairs.join(sa, "a").join(sb, "b").select(
        "a",
        "b",
        F.size(F.array_intersect("sa", "sb")).cast("long").alias("shared"),
        F.size("sa").cast("long").alias("size_a"),
        F.size("sb").cast("long").alias("size_b"),
    )
    shared = F.col("shared").cast("double")
    union = (F.col("size_a") + F.col("size_b") - F.col("shared")).cast("double")
    near = (union > F.lit(0.0)) & (
        shared >= F.lit(float(params["threshold"])) * union - F.lit(1e-9)
    )
    relation = F.when(near, F.lit("near"))
    c = params.get("containment")
    if c:
        least = F.lit(max(int(c["min_shingles"]), 1))

        def inside(size):
            return (F.col(size) >= least) & (
                shared >= F.lit(float(c["threshold"])) * F.col(size).cast("double") - F.lit(1e-9)
            )

        relation = relation.when(
            (F.col("size_b") <= F.col("size_a")) & inside("size_b"), F.lit("b_in_a")
        ).when((F.col("size_a") < F.col("size_b")) & inside("size_a"), F.lit("a_in_b"))
    return v.withColumn("relation", relation).where(F.col("relation").isNotNull())


def containment_candidates(spark, F, args, samples, near, lsh_pairs, c, work):
    """syndup's containment::class_candidates in SQL: the near-duplicate classes (components
    of the Jaccard matches) are searched through their smallest member; sampled hashes in 2 to
    max_df of those documents are joined on; a pair sharing at least containment::Params::needed
    of its smaller side's samples is a candidate: max(ceil(0.6 t x n), ceil(v x max(0, t - 4
    sqrt(t (1 - t) / v))), min(2, n), 1) for n samples, v of them visible (in max_df documents
    or fewer), and threshold t, computed operation by operation as in Rust; every pair across the
    two classes is then a candidate unless LSH made it one already, and unless the finer
    sample rules it out (containment::confirm: the sample rows are the finer sample, at half
    the rate; the search uses those at the rate itself, the confirmation also the
    fingerprints of the others)."""
    t = float(c["threshold"])
    rate = int(c["sample"])
    # containment::Params::confirmed: ceil(n x max(0, t - 4 sqrt(t (1 - t) / n))), 0 for n = 0.
    def confirmed(count):
        nd = count.cast("double")
        error = F.sqrt(F.lit(t * (1.0 - t)) / nd)
        return F.when(
            count > 0, F.ceil(F.greatest(F.lit(t) - F.lit(4.0) * error, F.lit(0.0)) * nd).cast("long")
        ).otherwise(F.lit(0).cast("long"))

    fine = samples
    # The hashes sampled at the rate (u64 at most u64::MAX / rate, stored as i64 bits).
    cut = (2**64 - 1) // max(rate, 1)
    at_rate = F.lit(True)
    if cut <= 2**63 - 1:
        at_rate = (F.col("hash") >= 0) & (F.col("hash") <= F.lit(cut))
    samples = samples.where(at_rate)
    classes, _ = components(spark, F, near, join(work, "_class_rounds"), args.max_rounds)
    classes_path = join(work, "_classes")
    write(classes, classes_path)
    classes = read_back(spark, classes_path, "doc long, component long")
    roots = samples.join(
        classes.where(F.col("doc") != F.col("component")).select("doc"), "doc", "left_anti"
    )
    # The sample table's self-join makes sum(df x (df - 1) / 2) rows over the joined hashes
    # before they are counted per pair: 668 million at 1M generated documents, more than a
    # machine's memory holds in one hash aggregate. The postings, their document frequencies
    # and the documents' sample sizes are written once; the join then runs in passes, each
    # over the pairs whose smaller document is in one slice (pmod(a, passes)), so each pass
    # counts whole pairs (no partial counts to add up) and holds about --join-rows rows.
    max_df = int(c["max_df"])
    all_df_path = join(work, "_containment_all_df")
    write(roots.groupBy("hash").agg(F.count(F.lit(1)).alias("df")), all_df_path)
    all_df = read_back(spark, all_df_path, "hash long, df long")
    # Per document: its samples (n) and those not in more than max_df documents (v).
    sizes_path = join(work, "_containment_sizes")
    write(
        roots.join(all_df, "hash")
        .groupBy("doc")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.when(F.col("df") <= max_df, 1).otherwise(0)).cast("long").alias("v"),
        ),
        sizes_path,
    )
    sizes = read_back(spark, sizes_path, "doc long, n long, v long")
    df = all_df.where((F.col("df") >= 2) & (F.col("df") <= max_df))
    post_path = join(work, "_containment_postings")
    write(roots.join(df.select("hash"), "hash").select("hash", "doc"), post_path)
    post = read_back(spark, post_path, "hash long, doc long")
    joined = df.agg(F.sum(F.col("df") * (F.col("df") - 1) / 2).alias("n")).collect()[0]["n"] or 0
    passes = max(1, math.ceil(joined / max(args.join_rows, 1)))
    log(f"containment: {int(joined)} rows of the sample self-join in {passes} pass(es)")
    # The smaller side probes (the first at equal sizes, a < b): its samples and the visible
    # ones.
    small = F.col("na") <= F.col("nb")
    n = F.when(small, F.col("na")).otherwise(F.col("nb"))
    v = F.when(small, F.col("va")).otherwise(F.col("vb"))
    floor = F.ceil(F.greatest(F.lit(0.6 * t), F.lit(0.0)) * n.cast("double")).cast("long")
    near = confirmed(v)
    wanted = F.greatest(
        floor,
        near,
        F.least(F.lit(2).cast("long"), n),
        F.lit(1).cast("long"),
    )
    def side(x):
        return sizes.select(
            F.col("doc").alias(x), F.col("n").alias("n" + x), F.col("v").alias("v" + x)
        )

    y = post.select("hash", F.col("doc").alias("b"))
    found_paths = []
    for i in range(passes):
        x = post.where(F.pmod(F.col("doc"), F.lit(passes)) == i).select(
            "hash", F.col("doc").alias("a")
        )
        shared = (
            x.join(y, "hash")
            .where(F.col("a") < F.col("b"))
            .groupBy("a", "b")
            .agg(F.count(F.lit(1)).alias("shared"))
        )
        path = join(work, "_containment_found", f"pass-{i:05d}")
        write(
            shared.join(side("a"), "a")
            .join(side("b"), "b")
            .where(F.col("shared") >= wanted)
            .select("a", "b"),
            path,
        )
        found_paths.append(path)
    found = spark.read.schema(PAIRS).parquet(*found_paths)
    members = classes.select(F.col("component").alias("root"), F.col("doc").alias("member"))
    ma = members.select(F.col("root").alias("a"), F.col("member").alias("x"))
    mb = members.select(F.col("root").alias("b"), F.col("member").alias("y"))
    expanded = (
        found.join(ma, "a", "left")
        .join(mb, "b", "left")
        .select(
            F.coalesce(F.col("x"), F.col("a")).alias("x"),
            F.coalesce(F.col("y"), F.col("b")).alias("y"),
        )
        .select(F.least("x", "y").alias("a"), F.greatest("x", "y").alias("b"))
        .distinct()
    )
    candidates_path = join(work, "_containment_unconfirmed")
    write(expanded.join(lsh_pairs, ["a", "b"], "left_anti"), candidates_path)
    candidates = read_back(spark, candidates_path, PAIRS)
    # Each document's sample keys (containment::key: the low 32 bits of a hash sampled at the
    # rate) and the fingerprints of the rest of its finer sample (containment::fingerprint:
    # bits 32 to 47), told apart by 2^32 and distinct; their number, and the ones each
    # candidate's two documents share.
    value = F.when(at_rate, F.pmod(F.col("hash"), F.lit(2**32))).otherwise(
        F.lit(2**32) + F.pmod(F.shiftright(F.col("hash"), 32), F.lit(65536))
    )
    fine_path = join(work, "_containment_fingerprints")
    write(fine.select("doc", value.alias("fp")).distinct(), fine_path)
    fine = read_back(spark, fine_path, "doc long, fp long")
    counts = fine.groupBy("doc").agg(F.count(F.lit(1)).alias("n"))
    fa = fine.select(F.col("doc").alias("a"), "fp")
    fb = fine.select(F.col("doc").alias("b"), "fp")
    shared = (
        candidates.join(fa, "a")
        .join(fb, ["b", "fp"])
        .groupBy("a", "b")
        .agg(F.count(F.lit(1)).alias("shared"))
    )
    na = counts.select(F.col("doc").alias("a"), F.col("n").alias("na"))
    nb = counts.select(F.col("doc").alias("b"), F.col("n").alias("nb"))
    kept = (
        candidates.join(shared, ["a", "b"], "left")
        .join(na, "a", "left")
        .join(nb, "b", "left")
        .fillna(0, ["shared", "na", "nb"])
        .where(F.col("shared") >= F.least(confirmed(F.col("na")), confirmed(F.col("nb"))))
        .select("a", "b")
    )
    return kept, passes


def large_star(F, e):
    """Every node's larger neighbours are linked to the smallest node of its neighbourhood."""
    s = e.select(F.col("a").alias("u"), F.col("b").alias("v")).unionByName(
        e.select(F.col("b").alias("u"), F.col("a").alias("v"))
    )
    m = s.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return (
        s.where(F.col("v") > F.col("u"))
        .join(m, "u")
        .select(F.col("v").alias("a"), F.col("m").alias("b"))
        .distinct()
    )


def small_star(F, e):
    """Every node and its smaller neighbours are linked to the smallest of them (edges a > b)."""
    m = e.groupBy("a").agg(F.min("b").alias("m"))
    moved = (
        e.join(m, "a")
        .where(F.col("b") != F.col("m"))
        .select(F.col("b").alias("a"), F.col("m").alias("b"))
    )
    return moved.unionByName(m.select("a", F.col("m").alias("b"))).distinct()


def components(spark, F, edges, work, max_rounds):
    """Connected components of `edges` (a, b): rows (doc, component = smallest member)."""
    e = edges.select("a", "b")
    rounds = 0
    while True:
        rounds += 1
        if rounds > max_rounds:
            raise RuntimeError(f"components did not converge in {max_rounds} rounds")
        e = small_star(F, large_star(F, e))
        path = join(work, f"round-{rounds:03d}")
        write(e, path)
        e = read_back(spark, path, PAIRS)
        # Converged when every edge points at a root (a node that is never a source) and
        # every node has one edge: the graph is then one star per component, centred on its
        # smallest member.
        not_root = e.select(F.col("b").alias("x")).join(
            e.select(F.col("a").alias("x")), "x"
        ).limit(1).count()
        multi = e.groupBy("a").count().where(F.col("count") > 1).limit(1).count()
        log(f"components round {rounds}: {'converged' if not (not_root or multi) else 'not yet'}")
        if not_root == 0 and multi == 0:
            break
    comp = e.select(F.col("a").alias("doc"), F.col("b").alias("component")).unionByName(
        e.select(F.col("b").alias("doc"), F.col("b").alias("component")).distinct()
    )
    return comp, rounds


def run_json(cmd):
    """Runs one syndup step and returns the JSON of its last stdout line."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    if r.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(cmd)} failed with exit status {r.returncode}: {r.stderr[-4000:]}"
        )
    return json.loads(lines[-1])


def assemble_command(args, parts_dir, part):
    return [
        args.syndup,
        "assemble",
        "--manifest",
        args.manifest,
        "--docs",
        join(parts_dir, "docs", f"part={part}"),
        "--pairs",
        join(parts_dir, "pairs", f"part={part}"),
        "-o",
        args.out,
        "--name",
        f"part-{part:05d}.parquet",
    ] + (["-j", str(args.sign_threads)] if args.sign_threads > 0 else [])


def assemble(spark, args, parts_dir, parts):
    """`syndup assemble` on every partition of whole components: as engine tasks (one per
    partition, like sign), or from this process with --sign driver."""
    if args.sign == "driver":
        return [run_json(assemble_command(args, parts_dir, p)) for p in range(parts)]
    cmd_args = args

    def assemble_partition(batches):
        import pandas as pd

        for pdf in batches:
            rows = []
            for p in pdf["part"]:
                st = run_json(assemble_command(cmd_args, parts_dir, int(p)))
                rows.append((int(p), st["pairs"], st["members"]))
            yield pd.DataFrame(rows, columns=["part", "pairs", "members"])

    df = spark.range(0, parts, 1, parts).withColumnRenamed("id", "part")
    return [
        r.asDict()
        for r in df.mapInPandas(
            assemble_partition, "part long, pairs long, members long"
        ).collect()
    ]


def clear(path):
    """Removes an earlier run's output directory (local paths; engines overwrite URLs)."""
    import shutil

    if "://" not in path and os.path.isdir(path):
        shutil.rmtree(path)


def self_test(spark, F, work, max_rounds):
    """Components of graphs that take several rounds (a path in shuffled order, a long path,
    a binary tree, random sparse edges) against a union-find; returns the rounds taken."""
    import random

    rng = random.Random(7)
    nodes = list(range(1000, 1400))
    rng.shuffle(nodes)
    edges = list(zip(nodes, nodes[1:]))
    edges += [(i, i + 1) for i in range(0, 150)]
    edges += [(2000 + i, 2000 + 2 * i + 1) for i in range(100)]
    edges += [(rng.randrange(3000, 3300), rng.randrange(3000, 3300)) for _ in range(250)]
    edges = sorted({(min(a, b), max(a, b)) for a, b in edges if a != b})
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    want = {x: find(x) for e in edges for x in e}
    df = spark.createDataFrame(edges, "a long, b long")
    comp, rounds = components(spark, F, df, join(work, "_rounds"), max_rounds)
    got = {r["doc"]: r["component"] for r in comp.collect()}
    if got != want:
        wrong = sorted(x for x in want if got.get(x) != want[x])[:10]
        raise AssertionError(f"components differ from a union-find, e.g. at nodes {wrong}")
    return rounds


def require_modules(args):
    """Stops with one line naming what to install, instead of an ImportError traceback."""
    import importlib.util

    needed = ["pyspark"] + (["pysail"] if args.sail else [])
    if args.sail or args.remote:
        needed += ["grpc"]
    if args.sign == "engine" and not args.self_test:
        needed += ["pandas", "pyarrow"]
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        sys.exit(
            f"syndup driver: this Python ({sys.executable}) lacks {', '.join(missing)}: "
            "install the pinned requirements in a virtualenv and run the driver with it:\n"
            "  python3 -m venv venv && venv/bin/pip install -r requirements.txt\n"
            "  venv/bin/python driver.py ...\n"
            "(requirements.txt is src/dist/requirements.txt in syndup's source; for spark-submit, "
            "the cluster's Python needs pyspark, pandas and pyarrow)"
        )


def main(argv=None):
    args = parse_args(argv)
    require_modules(args)
    if args.self_test:
        from pyspark.sql import functions as F

        spark, server = session(args)
        try:
            rounds = self_test(spark, F, local_path(args.self_test), args.max_rounds)
            print(json.dumps({"self_test": "ok", "rounds": rounds}), flush=True)
        finally:
            spark.stop()
            if server is not None:
                server.stop()
        return
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("format_version") != FORMAT_VERSION:
        sys.exit(
            f"syndup driver: {args.manifest}: manifest format version "
            f"{manifest.get('format_version')} is not {FORMAT_VERSION}: use the driver of the "
            "syndup that planned it"
        )
    args.manifest = local_path(args.manifest)
    args.signed = local_path(args.signed)
    args.out = local_path(args.out)
    params = manifest["parameters"]
    fp = int(manifest["fingerprint"], 16)
    fingerprint = fp - (1 << 64) if fp >= 1 << 63 else fp
    shards = len(manifest["shards"])

    from pyspark.sql import functions as F

    timings = {}
    start = time.time()
    spark, server = session(args)
    timings["session"] = time.time() - start
    try:
        t = time.time()
        signed = sign(spark, args, shards)
        timings["sign"] = time.time() - t
        log(f"signed {shards} shards in {timings['sign']:.1f} s")

        t = time.time()
        names = [f"shard-{s:05d}.parquet" for s in range(shards)]
        bands = spark.read.parquet(*[join(args.signed, "bands", n) for n in names])
        docs = spark.read.parquet(*[join(args.signed, "docs", n) for n in names])
        # An id already used by an earlier document (of an earlier shard: sign keeps one per
        # shard) is a problem, and its document is left out, as scan skips the second record.
        firsts = docs.groupBy("id").agg(F.min("doc").alias("first"))
        problems_path = join(args.out, "problems")
        write(
            docs.select("doc", "id")
            .join(firsts, "id")
            .where(F.col("doc") != F.col("first"))
            .select("doc", "id", "first", F.lit(fingerprint).cast("long").alias("manifest")),
            problems_path,
        )
        skipped = read_back(spark, problems_path, "doc long, id string, first long, manifest long").select("doc")
        n_problems = skipped.count()
        if n_problems:
            log(f"{n_problems} documents have an id used in an earlier shard: see {problems_path}/")
            docs = docs.join(skipped, "doc", "left_anti")
            bands = bands.join(skipped, "doc", "left_anti")
        timings["problems"] = time.time() - t

        t = time.time()
        # Candidates are written once and read back, so the plans below stay small.
        pairs_path = join(args.out, "_candidates")
        write(candidates(F, bands, int(params["max_bucket"])), pairs_path)
        pairs = read_back(spark, pairs_path, PAIRS)
        n_candidates = pairs.count()
        timings["candidates"] = time.time() - t

        t = time.time()
        lsh_path = join(args.out, "_lsh_matches")
        write(verify(F, pairs, docs, params), lsh_path)
        matches = read_back(spark, lsh_path, MATCHES)
        timings["verify"] = time.time() - t

        n_extra = 0
        passes = 0
        c = params.get("containment")
        if c:
            t = time.time()
            samples = spark.read.parquet(*[join(args.signed, "samples", n) for n in names])
            if n_problems:
                samples = samples.join(skipped, "doc", "left_anti")
            near = matches.where(F.col("relation") == "near").select("a", "b")
            extra_path = join(args.out, "_containment_candidates")
            extra, passes = containment_candidates(spark, F, args, samples, near, pairs, c, args.out)
            write(extra, extra_path)
            extra = read_back(spark, extra_path, PAIRS)
            n_extra = extra.count()
            timings["containment"] = time.time() - t
            t = time.time()
            more_path = join(args.out, "_containment_matches")
            write(verify(F, extra, docs, params), more_path)
            matches = matches.unionByName(read_back(spark, more_path, MATCHES))
            timings["verify"] += time.time() - t
        log(f"{n_candidates} candidates, {n_extra} containment candidates")

        t = time.time()
        comp, rounds = components(spark, F, matches, join(args.out, "_rounds"), args.max_rounds)
        timings["components"] = time.time() - t

        # Whole components go to one partition each; `syndup assemble` makes their pairs and
        # clusters there with scan's own code (guarded clusters, sources, roles, passages).
        t = time.time()
        parts = args.assemble_parts if args.assemble_parts > 0 else max(shards, 2)
        parts_dir = join(args.out, "_parts")
        part = F.pmod(F.col("component"), F.lit(parts)).cast("int").alias("part")
        members = comp.select("doc", part).join(
            docs.select("doc", "id", "length", "date_key", "shingles", "text"), "doc"
        )
        members.write.mode("overwrite").option("compression", "snappy").partitionBy(
            "part"
        ).parquet(join(parts_dir, "docs"))
        edges = matches.select("a", "b").join(
            comp.select(F.col("doc").alias("a"), part), "a"
        )
        edges.write.mode("overwrite").option("compression", "snappy").partitionBy(
            "part"
        ).parquet(join(parts_dir, "pairs"))
        for d in ["pairs", "clusters"]:
            clear(join(args.out, d))
        done = assemble(spark, args, parts_dir, parts)
        n_pairs = sum(r["pairs"] for r in done)
        n_members = sum(r["members"] for r in done)
        clusters = spark.read.parquet(join(args.out, "clusters"))
        n_clusters = clusters.where(F.col("doc") == F.col("representative")).count()
        n_contained = (
            spark.read.parquet(join(args.out, "pairs"))
            .where(F.col("contained").isNotNull())
            .count()
            if n_pairs
            else 0
        )
        timings["assemble"] = time.time() - t
        log(
            f"{n_pairs} pairs ({n_contained} contained), {n_clusters} clusters, "
            f"{n_members - n_clusters} duplicates ({rounds} rounds)"
        )
        summary = {
            "manifest": manifest["fingerprint"],
            "shards": shards,
            "documents": signed["documents"],
            "rejected": signed["rejected"],
            "duplicate_ids": n_problems,
            "candidates": n_candidates,
            "containment_candidates": n_extra,
            "containment_passes": passes,
            "pairs": n_pairs,
            "contained_pairs": n_contained,
            "clusters": n_clusters,
            "duplicates": n_members - n_clusters,
            "rounds": rounds,
            "seconds": {k: round(v, 2) for k, v in timings.items()},
        }
        print(json.dumps(summary), flush=True)
    finally:
        spark.stop()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
