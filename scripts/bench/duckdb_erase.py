#!/usr/bin/env python3
"""The peer of `recur customers erase` on the stored orders: DuckDB rewrites every Parquet
file that holds the customer without their rows (snappy, like recur), each file replaced by
a rename. Run it on a copy of a workspace's data folder.

    cp -r WS/data /tmp/peer-data
    python3 scripts/bench/duckdb_erase.py /tmp/peer-data C0023757
"""
import glob
import os
import sys
import time

import duckdb

root, customer = sys.argv[1], sys.argv[2]
start = time.perf_counter()
con = duckdb.connect()
removed = 0
rewritten = 0
for path in sorted(glob.glob(os.path.join(root, "orders", "**", "*.parquet"), recursive=True)):
    n = con.execute(
        "SELECT count(*) FROM read_parquet(?) WHERE customer_id = ?", [path, customer]
    ).fetchone()[0]
    if n == 0:
        continue
    tmp = path + ".tmp"
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{path}') WHERE customer_id IS DISTINCT FROM ?) "
        f"TO '{tmp}' (FORMAT parquet, COMPRESSION snappy)",
        [customer],
    )
    os.replace(tmp, path)
    removed += n
    rewritten += 1
print(f"{removed} rows removed, {rewritten} files rewritten in {time.perf_counter() - start:.2f} s")
