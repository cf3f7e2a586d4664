#!/usr/bin/env python3
"""A customers file for a plan on the UCI Online Retail orders, which come without one.

Every customer id in the orders gets `email_consent = true` (an assumption made for the
benchmark: the real shop's consent is unknown) and no country, so recur takes each
customer's country from most of their order lines.

    python3 scripts/bench/consenting_customers.py online_retail.csv.gz > customers.csv
"""
import csv
import gzip
import sys

path = sys.argv[1]
opener = gzip.open if path.endswith(".gz") else open
ids = set()
with opener(path, "rt", encoding="latin-1", newline="") as f:
    for row in csv.DictReader(f):
        cid = (row.get("CustomerID") or "").strip()
        if cid:
            ids.add(cid[:-2] if cid.endswith(".0") else cid)
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["customer_id", "email_consent"])
for cid in sorted(ids):
    out.writerow([cid, "true"])
