"""Peer benchmark: lifetimes 0.11.3 fits on the same CDNOW master summary recur uses.

Run:
  recur clv bench --cdnow-master ../shared/datasets/cdnow/CDNOW_master.txt --write-summary /tmp/cdnow_master_summary.csv
  python3 scripts/bench/lifetimes_cdnow.py /tmp/cdnow_master_summary.csv 5
Prints the parameters and the median wall seconds of each fit.
"""
import statistics
import sys
import time

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

path = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
df = pd.read_csv(path)
rep = df[(df.frequency > 0) & (df.monetary_value > 0)]  # as recur: zero-spend repeat buyers carry no spend information


def timed(make, fit):
    secs, model = [], None
    for _ in range(runs):
        np.random.seed(0)  # lifetimes draws random starts for Pareto/NBD
        model = make()
        t0 = time.perf_counter()
        fit(model)
        secs.append(time.perf_counter() - t0)
    return model, statistics.median(secs)


bg, t_bg = timed(lambda: BetaGeoFitter(), lambda m: m.fit(df.frequency, df.recency, df["T"]))
pn, t_pn = timed(lambda: ParetoNBDFitter(), lambda m: m.fit(df.frequency, df.recency, df["T"]))
gg, t_gg = timed(lambda: GammaGammaFitter(), lambda m: m.fit(rep.frequency, rep.monetary_value))
for name, m, t in [("bgnbd", bg, t_bg), ("pareto_nbd", pn, t_pn), ("gamma_gamma", gg, t_gg)]:
    params = {k: round(float(v), 6) for k, v in m.params_.items()}
    print(f"{name}: median {t:.4f} s, params {params}")


# Scoring every customer as `recur clv bench` does: P(alive), expected purchases in 90 days,
# expected spend and 12-month CLV (1 % monthly discount), T in weeks.
def score():
    bg.conditional_probability_alive(df.frequency, df.recency, df["T"])
    bg.conditional_expected_number_of_purchases_up_to_time(90 / 7, df.frequency, df.recency, df["T"])
    gg.conditional_expected_average_profit(df.frequency, df.monetary_value)
    gg.customer_lifetime_value(bg, df.frequency, df.recency, df["T"], df.monetary_value, time=12, discount_rate=0.01, freq="W")


secs = []
for _ in range(runs):
    t0 = time.perf_counter()
    score()
    secs.append(time.perf_counter() - t0)
print(f"score {len(df)} customers: median {statistics.median(secs):.4f} s")
