"""Peer benchmark: the same import + RFM + cohorts + repurchase rate in DuckDB.

Run: python3 scripts/bench/duckdb_online_retail.py ../shared/datasets/online-retail/online_retail_I_2010-12_to_2011-12.csv.gz
Prints wall seconds and peak RSS (MiB). Mirrors recur's definitions: completed lines of known
customers (invoice not starting with C, quantity >= 0, price >= 0), Europe/London times stored
as read, 90-day repurchase rate, rank-based RFM quintiles, monthly cohorts.
"""
import resource
import sys
import time

import duckdb

path = sys.argv[1]
t0 = time.perf_counter()
con = duckdb.connect()
con.execute(f"""
CREATE TABLE orders AS SELECT * FROM read_csv('{path}', header=true, timestampformat='%Y-%m-%d %H:%M:%S',
  types={{'InvoiceNo':'VARCHAR','StockCode':'VARCHAR','CustomerID':'VARCHAR'}});
CREATE TABLE o AS SELECT DISTINCT * FROM orders WHERE UnitPrice >= 0;
CREATE VIEW customer_orders AS SELECT CustomerID AS customer_id, InvoiceNo AS order_id,
  MIN(InvoiceDate) AS ordered_at, SUM(Quantity * UnitPrice) AS revenue
  FROM o WHERE CustomerID IS NOT NULL AND NOT starts_with(InvoiceNo, 'C') AND Quantity >= 0
  GROUP BY 1, 2;
""")
as_of = con.execute("SELECT MAX(ordered_at) FROM customer_orders").fetchone()[0]
rfm = con.execute(f"""
WITH c AS (SELECT customer_id, COUNT(*) f, SUM(revenue) m,
             date_diff('second', MAX(ordered_at), TIMESTAMP '{as_of}') / 86400.0 r FROM customer_orders GROUP BY 1),
s AS (SELECT *, 1 + floor(5.0 * (rank() OVER (ORDER BY r DESC) - 1) / count(*) OVER ()) rs,
               1 + floor(5.0 * (rank() OVER (ORDER BY f) - 1) / count(*) OVER ()) fs,
               1 + floor(5.0 * (rank() OVER (ORDER BY m) - 1) / count(*) OVER ()) ms FROM c)
SELECT rs, floor((fs + ms) / 2.0 + 0.5) fm, count(*), sum(m) FROM s GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()
cohorts = con.execute("""
WITH f AS (SELECT customer_id, date_trunc('month', MIN(ordered_at)) c FROM customer_orders GROUP BY 1),
a AS (SELECT DISTINCT customer_id, date_trunc('month', ordered_at) m FROM customer_orders)
SELECT c, date_diff('month', c, m) k, count(*) FROM f JOIN a USING (customer_id) GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()
rep = con.execute(f"""
WITH r AS (SELECT customer_id, ordered_at t, row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) k FROM customer_orders),
f AS (SELECT customer_id, t t0 FROM r WHERE k = 1 AND t + INTERVAL 90 DAY <= TIMESTAMP '{as_of}')
SELECT count(DISTINCT f.customer_id), count(DISTINCT CASE WHEN r.k > 1 AND r.t <= f.t0 + INTERVAL 90 DAY THEN f.customer_id END)
FROM f JOIN r USING (customer_id)""").fetchone()
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"duckdb {duckdb.__version__}: wall {wall:.3f} s, peak RSS {peak:.0f} MiB, rfm cells {len(rfm)}, cohort cells {len(cohorts)}, repurchase90 {rep[1]}/{rep[0]}")
