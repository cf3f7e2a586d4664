#!/usr/bin/env python3
"""Peer benchmark for `recur embed --timing`: sentence-transformers on CPU, same model folder,
same texts (one per line), batch size 32, torch threads as given.

    python3 scripts/bench/st_embed.py models/all-MiniLM-L6-v2 texts.txt --threads 2 --runs 3
"""
import argparse
import json
import statistics
import time

import torch
from sentence_transformers import SentenceTransformer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("texts")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    texts = [t for t in open(a.texts, encoding="utf-8").read().splitlines() if t.strip()]
    t0 = time.perf_counter()
    m = SentenceTransformer(a.model, device="cpu")
    load = time.perf_counter() - t0
    rates = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        m.encode(texts, batch_size=32, normalize_embeddings=True)
        rates.append(len(texts) / (time.perf_counter() - t0))
    print(json.dumps({"peer": "sentence-transformers", "texts": len(texts), "threads": a.threads,
                      "load_seconds": load, "texts_per_second": rates, "median": statistics.median(rates)}))


if __name__ == "__main__":
    main()
