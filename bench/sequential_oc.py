"""Operating characteristics of the sequential QV verdict on synthetic data (docs/qv-sequential.md).

Per-circuit HOP ~ Beta(mean, sd), then Binomial(shots) / shots; batches of 10, cap 300 circuits.

Run: ``.venv/bin/python bench/sequential_oc.py``
"""

from __future__ import annotations

import numpy as np

from quantumlimits.qv.sequential import SequentialTest, simulate_decisions
from quantumlimits.qv.stats import HOP_THRESHOLD
from quantumlimits.seeding import rng

CASES = [(HOP_THRESHOLD, 0.05, 3000), (HOP_THRESHOLD, 0.1, 3000), (0.72, 0.07, 1000)]
CASES += [(0.75, 0.07, 1000), (0.6, 0.07, 1000)]


def main(*, seed: int = 10, shots: int = 100) -> None:
    test = SequentialTest(batch_size=10, max_circuits=300)
    print("| true mean HOP | sd | experiments | PASS | FAIL | median circuits | 90th pct |")
    print("|---|---|---|---|---|---|---|")
    for i, (mean, sd, n) in enumerate(CASES):
        g = rng(seed, i)
        k = mean * (1.0 - mean) / sd**2 - 1.0
        p = g.beta(mean * k, (1.0 - mean) * k, size=(n, test.max_circuits))
        x = g.binomial(shots, p) / shots
        d, used = simulate_decisions(x, test=test)
        print(
            f"| {mean:.4f} | {sd} | {n} | {(d == 'pass').mean():.2%} | {(d == 'fail').mean():.2%} "
            f"| {np.median(used):.0f} | {np.percentile(used, 90):.0f} |"
        )


if __name__ == "__main__":
    main()
