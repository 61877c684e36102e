#!/usr/bin/env python3
"""scikit-learn peer for bench/metrics.sh: roc_auc_score on AUC_SAMPLES scores, and roc_auc_score with a
stratified bootstrap of RESAMPLES resamples (scikit-learn has no DeLong) on CI_SAMPLES scores, the way users
compute a CI with scikit-learn. Same data distribution as `cohort bench metrics`. Prints median seconds."""
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

auc_n, ci_n, resamples, repeats = (int(v) for v in sys.argv[1:5])


def data(n):
    rng = np.random.default_rng(1)
    y = (rng.random(n) < 0.3).astype(int)
    return y, rng.random(n) + 0.5 * y


def median(f):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], value


y, s = data(auc_n)
seconds, auc = median(lambda: roc_auc_score(y, s))
print(f"auc\t{auc_n}\t{seconds:.4f}\tauc={auc:.6f}")
y, s = data(ci_n)


def bootstrap():
    rng = np.random.default_rng(1)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y != 1)
    values = []
    for _ in range(resamples):
        idx = np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])
        values.append(roc_auc_score(y[idx], s[idx]))
    return roc_auc_score(y, s), np.percentile(values, [2.5, 97.5])


seconds, (auc, (lo, hi)) = median(bootstrap)
print(f"ci\t{ci_n}\t{seconds:.4f}\tauc={auc:.6f} bootstrap=[{lo:.6f}, {hi:.6f}]")
