#!/usr/bin/env bash
# Side-by-side: recur import + analyze vs DuckDB (scripts/bench/duckdb_online_retail.py) on
# UCI Online Retail. Prints per-run wall seconds and peak RSS, then medians.
# Usage: scripts/bench/online-retail.sh [RUNS] [PATH-TO-online_retail.csv.gz]
# Needs: a built `recur` (cargo build -p recur) and `pip install duckdb==2.0.1`.
set -euo pipefail
runs=${1:-5}
data=${2:-../shared/datasets/online-retail/online_retail_I_2010-12_to_2011-12.csv.gz}
recur=${RECUR_BIN:-${CARGO_TARGET_DIR:-target}/debug/recur}
here=$(cd "$(dirname "$0")" && pwd)
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
: > "$ws/recur.txt"; : > "$ws/duck.txt"
for i in $(seq "$runs"); do
  rm -rf "$ws/w" && "$recur" init "$ws/w" > /dev/null
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$ws/m1" "$recur" -w "$ws/w" import orders --preset online-retail --file "$data" -q > /dev/null
  /usr/bin/time -f "%M" -o "$ws/m2" "$recur" -w "$ws/w" analyze --json > /dev/null
  end=$(date +%s.%N)
  peak=$(cat "$ws/m1" "$ws/m2" | sort -n | tail -1)
  echo "$end $start $peak" | awk '{printf "%.3f %.0f\n", $1 - $2, $3 / 1024}' | tee -a "$ws/recur.txt" | sed 's/^/recur  wall s, peak MiB: /'
  python3 "$here/duckdb_online_retail.py" "$data" | tee /dev/stderr | sed -E 's/.*wall ([0-9.]+) s, peak RSS ([0-9]+) MiB.*/\1 \2/' >> "$ws/duck.txt"
done
echo "recur  median wall $(cut -d' ' -f1 "$ws/recur.txt" | median) s, median peak $(cut -d' ' -f2 "$ws/recur.txt" | median) MiB"
echo "duckdb median wall $(cut -d' ' -f1 "$ws/duck.txt" | median) s, median peak $(cut -d' ' -f2 "$ws/duck.txt" | median) MiB"
