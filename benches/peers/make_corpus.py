#!/usr/bin/env python3
"""Make corpora and truth files for benches/peers/peers.py. Standard library only
(the `exact-truth` command also needs numpy and scipy, which setup.sh installs).

  make_corpus.py synth --source reuters-21578.jsonl --docs 100000 \
      --out /tmp/peers-corpus-100k.jsonl --truth /tmp/peers-truth-100k.jsonl

      News-length documents (3-6 random source stories each, none more than 35% of the document,
      ~3.4 KB) with about 10% planted
      copies of other documents. Each copy belongs to a family (one original plus 1-3 copies)
      and has an edit level:
        light   ~1% of words substituted/inserted/deleted   (Jaccard ~0.9)
        medium  ~2.5% of words                               (Jaccard ~0.75-0.85)
        heavy   ~6% of words                                 (Jaccard ~0.5)
        partial a 50-85% contiguous slice of the original plus new text (high containment)
      The truth file lists every pair inside a family (original-copy and copy-copy), with the
      exact Jaccard and containment of their word 5-gram shingle sets.

  make_corpus.py exact-truth --corpus reuters-21578.jsonl --out /tmp/reuters-truth.jsonl

      Exact all-pairs Jaccard (sparse matrix product over shingle ids) of an existing corpus:
      every pair with Jaccard >= --min-jaccard (default 0.5) or containment >= --min-containment
      (default 0.8) becomes a truth line. Level: light (J >= 0.9), medium (J >= 0.8), heavy
      (J >= --min-jaccard), partial (only the containment is high). Family = connected component.

Never write corpora into the repository: they are derived from research-only data.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict

WORD = re.compile(r"\w+")
NGRAM = 5


def tokens(text: str) -> list[str]:
    return WORD.findall(text.lower())


def shingles(text: str, n: int = NGRAM) -> set[str]:
    toks = tokens(text)
    if len(toks) < n:
        return {" ".join(toks)}
    return {" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def jac_cont(a: set, b: set) -> tuple[float, float]:
    inter = len(a & b)
    union = len(a) + len(b) - inter
    j = inter / union if union else 1.0
    c = inter / min(len(a), len(b)) if min(len(a), len(b)) else 1.0
    return j, c


LEVEL_RATE = {"light": 0.01, "medium": 0.025, "heavy": 0.06}
LEVEL_ORDER = {"light": 0, "medium": 1, "heavy": 2, "partial": 3}


def edit_words(text: str, rate: float, vocab: list[str], rng: random.Random) -> str:
    words = text.split()
    n_edits = max(1, round(len(words) * rate))
    for _ in range(n_edits):
        if not words:
            break
        op = rng.random()
        i = rng.randrange(len(words))
        if op < 0.6:
            words[i] = rng.choice(vocab)
        elif op < 0.8:
            words.insert(i, rng.choice(vocab))
        else:
            del words[i]
    return " ".join(words)


def partial_copy(text: str, filler: str, rng: random.Random) -> str:
    words = text.split()
    keep = max(1, int(len(words) * rng.uniform(0.5, 0.85)))
    start = rng.randrange(0, len(words) - keep + 1)
    extra = filler.split()[: max(20, len(words) - keep)]
    return " ".join(words[start : start + keep] + ["\n"] + extra)


def cmd_synth(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    stories: list[str] = []
    seen: set[str] = set()
    with open(args.source, encoding="utf-8") as fh:
        for line in fh:
            t = json.loads(line).get("text") or ""
            t = t.strip()
            if len(tokens(t)) < 20 or t in seen:
                continue
            seen.add(t)
            stories.append(t)
    vocab = sorted({w for s in stories[:3000] for w in s.split() if w.isalpha()})
    print(f"{len(stories)} distinct source stories, vocab {len(vocab)}", file=sys.stderr)

    n_docs = args.docs
    n_copies = int(n_docs * args.copy_fraction)
    n_base = n_docs - n_copies

    n_words = [len(tokens(t)) for t in stories]

    def new_doc() -> str:
        # No story may be more than --max-share of a document's words: two documents that share
        # one story then stay far below any near-duplicate threshold, so the only near-duplicate
        # pairs in the corpus are the planted ones.
        k = rng.choices([3, 4, 5, 6], weights=[1, 2, 3, 4])[0]
        while True:
            pick = rng.sample(range(len(stories)), k)
            total = sum(n_words[i] for i in pick)
            if max(n_words[i] for i in pick) <= args.max_share * total:
                return "\n\n".join(stories[i] for i in pick)

    base = [new_doc() for _ in range(n_base)]
    # families: an original plus 1-3 copies, until n_copies copies are planted
    copies: list[tuple[int, str, str]] = []  # (original index, level, text)
    originals = rng.sample(range(n_base), k=min(n_base, n_copies))
    oi = 0
    levels = ["light", "medium", "heavy", "partial"]
    while len(copies) < n_copies:
        orig = originals[oi]
        oi += 1
        for _ in range(min(rng.choice([1, 1, 1, 2, 2, 3]), n_copies - len(copies))):
            level = rng.choices(levels, weights=[4, 3, 2, 1.5])[0]
            if level == "partial":
                text = partial_copy(base[orig], rng.choice(stories), rng)
            else:
                text = edit_words(base[orig], LEVEL_RATE[level], vocab, rng)
            copies.append((orig, level, text))

    # assign ids in a shuffled order so copies are spread through the file
    docs: list[tuple[str, str | None, str]] = [(t, None, "") for t in base]  # (text, level, family)
    family_of: dict[int, list[int]] = defaultdict(list)
    for orig, level, text in copies:
        family_of[orig].append(len(docs))
        docs.append((text, level, ""))
    order = list(range(len(docs)))
    rng.shuffle(order)
    id_of = {doc_index: f"doc-{pos:07d}" for pos, doc_index in enumerate(order)}

    with open(args.out, "w", encoding="utf-8") as out:
        for doc_index in order:
            out.write(json.dumps({"id": id_of[doc_index], "text": docs[doc_index][0]}) + "\n")

    n_pairs = 0
    with open(args.truth, "w", encoding="utf-8") as tr:
        for orig, members_copies in sorted(family_of.items()):
            fam = f"fam-{orig:07d}"
            members = [orig] + members_copies
            sets = {m: shingles(docs[m][0]) for m in members}
            lvl = {m: docs[m][1] for m in members}
            for i in range(len(members)):
                for j in range(i + 1, len(members)):
                    a, b = members[i], members[j]
                    levels_ab = [x for x in (lvl[a], lvl[b]) if x]
                    level = max(levels_ab, key=LEVEL_ORDER.__getitem__)
                    jac, cont = jac_cont(sets[a], sets[b])
                    tr.write(json.dumps({
                        "a": id_of[a], "b": id_of[b], "family": fam, "level": level,
                        "jaccard": round(jac, 6), "containment": round(cont, 6),
                    }) + "\n")
                    n_pairs += 1
    print(f"wrote {len(docs)} docs ({n_copies} copies in {len(family_of)} families), "
          f"{n_pairs} truth pairs", file=sys.stderr)


def cmd_exact_truth(args: argparse.Namespace) -> None:
    import numpy as np
    from scipy import sparse

    ids: list[str] = []
    sets: list[set[str]] = []
    with open(args.corpus, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            ids.append(str(d["id"]))
            sets.append(shingles(d.get("text") or ""))
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for r, s in enumerate(sets):
        for sh in s:
            cols.append(vocab.setdefault(sh, len(vocab)))
            rows.append(r)
    n = len(ids)
    x = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n, len(vocab)))
    sizes = np.asarray(x.sum(axis=1)).ravel()
    print(f"{n} docs, {len(vocab)} distinct shingles, {x.nnz} entries", file=sys.stderr)
    pairs = []
    step = 2000
    for lo in range(0, n, step):
        block = (x[lo : lo + step] @ x.T).tocoo()
        r = block.row + lo
        c = block.col
        keep = r < c
        r, c, inter = r[keep], c[keep], block.data[keep]
        union = sizes[r] + sizes[c] - inter
        jac = inter / union
        cont = inter / np.minimum(sizes[r], sizes[c])
        sel = (jac >= args.min_jaccard) | (cont >= args.min_containment)
        for a, b, j, ct in zip(r[sel], c[sel], jac[sel], cont[sel]):
            pairs.append((int(a), int(b), float(j), float(ct)))
    parent = list(range(n))

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for a, b, _, _ in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    with open(args.out, "w", encoding="utf-8") as tr:
        for a, b, j, ct in pairs:
            if j >= 0.9:
                level = "light"
            elif j >= 0.8:
                level = "medium"
            elif j >= args.min_jaccard:
                level = "heavy"
            else:
                level = "partial"
            tr.write(json.dumps({
                "a": ids[a], "b": ids[b], "family": f"cc-{find(a)}", "level": level,
                "jaccard": round(j, 6), "containment": round(ct, 6),
            }) + "\n")
    print(f"wrote {len(pairs)} truth pairs", file=sys.stderr)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("synth")
    s.add_argument("--source", required=True)
    s.add_argument("--docs", type=int, default=100_000)
    s.add_argument("--copy-fraction", type=float, default=0.10)
    s.add_argument("--seed", type=int, default=1987)
    s.add_argument("--max-share", type=float, default=0.35,
                   help="largest fraction of a document's words one source story may supply")
    s.add_argument("--out", required=True)
    s.add_argument("--truth", required=True)
    e = sub.add_parser("exact-truth")
    e.add_argument("--corpus", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--min-jaccard", type=float, default=0.5)
    e.add_argument("--min-containment", type=float, default=0.8)
    args = p.parse_args()
    {"synth": cmd_synth, "exact-truth": cmd_exact_truth}[args.cmd](args)


if __name__ == "__main__":
    main()
