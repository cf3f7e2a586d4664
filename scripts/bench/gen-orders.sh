#!/usr/bin/env bash
# Generates an orders CSV with canonical column names for the import throughput benchmark.
# Usage: scripts/bench/gen-orders.sh ROWS OUT.csv   (deterministic: same ROWS, same file)
set -euo pipefail
rows=${1:?rows}; out=${2:?output file}
awk -v n="$rows" 'BEGIN {
  print "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,status";
  for (i = 0; i < n; i++) {
    o = int(i / 3); c = (o * 7919) % 1000003; d = (o * 13) % 365;
    m = 1 + int(d / 31); if (m > 12) m = 12; day = 1 + d % 28;
    printf "O%09d,C%07d,2024-%02d-%02d %02d:%02d:%02d,P%05d,%d,%d.%02d,EUR,completed\n", o, c, m, day, (i % 24), (i % 60), (i * 7) % 60, (i * 31) % 12000, 1 + i % 4, 1 + i % 97, i % 100;
  }
}' > "$out"
