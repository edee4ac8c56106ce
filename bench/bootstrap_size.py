"""False-pass rate of the bootstrap bound at a true mean HOP of exactly 2/3 (docs/plan.md).

Data from the planner's model (Beta spread, binomial shots); the bound from the planner's fast
bootstrap (circuit resampling exact, binomial redraw summed in its normal limit).

Run: ``.venv/bin/python bench/bootstrap_size.py``
"""

from __future__ import annotations

import numpy as np

from quantumlimits.qv.plan import HopModel, bootstrap_lower_bounds
from quantumlimits.qv.sequential import ALPHA_TWO_SIGMA
from quantumlimits.qv.stats import HOP_THRESHOLD
from quantumlimits.seeding import rng


def main(*, datasets: int = 4000, resamples: int = 1000, seed: int = 1) -> None:
    print(f"nominal false-pass rate {ALPHA_TWO_SIGMA:.2%}; {datasets} data sets per cell")
    print("| circuit spread (sd) | circuits | shots | false passes | 95 % interval |")
    print("|---|---|---|---|---|")
    for spread in (0.023, 0.066):  # width 5 and width 2 at mean HOP 2/3 under the planner model
        for n in (10, 15, 30, 100):
            for shots in (100, 1000):
                model = HopModel(hop=HOP_THRESHOLD, width=5, spread=spread, fidelity=0.5)
                g = rng(seed, n, shots, int(spread * 1000))
                counts = g.binomial(shots, model.draw_hops(g, (datasets, n)))
                lb = bootstrap_lower_bounds(
                    heavy_counts=counts, shots=shots, resamples=resamples, generator=g
                )
                rate = float(np.mean(lb > HOP_THRESHOLD))
                half = 1.96 * np.sqrt(rate * (1 - rate) / datasets)
                print(
                    f"| {spread} | {n} | {shots} | {rate:.2%} "
                    f"| {max(0, rate - half):.2%}–{rate + half:.2%} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
