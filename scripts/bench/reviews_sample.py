#!/usr/bin/env python3
"""Writes N review texts, one per line, for the embedding benchmark: the first N reviewText
values longer than 20 characters, newlines replaced by spaces, cut at 1,000 characters.

    python3 scripts/bench/reviews_sample.py ../shared/datasets/reviews-en/All_Beauty_5.json 2000 > reviews2000.txt
"""
import json
import sys

path, n = sys.argv[1], int(sys.argv[2])
written = 0
for line in open(path, encoding="utf-8"):
    text = (json.loads(line).get("reviewText") or "").replace("\n", " ").strip()
    if len(text) > 20:
        print(text[:1000])
        written += 1
        if written >= n:
            break
