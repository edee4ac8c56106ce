"""Measure the circuit-to-circuit spread of the ideal heavy-output probability by width.

The planner (``quantumlimits.qv.plan``) models each circuit's HOP as drawn around the mean with
the spread of the *ideal* HOP across random model circuits, shrunk by the device's fidelity. This
script produces the table ``IDEAL_HOP_SD`` in ``quantumlimits/qv/plan.py``.

Run: ``.venv/bin/python bench/ideal_hop_spread.py --circuits 2000 --widths 2 3 4 5 6 7 8 9 10``
"""

from __future__ import annotations

import argparse

import numpy as np

from quantumlimits.circuits import qv_circuits
from quantumlimits.execution.aer import ideal_probabilities
from quantumlimits.qv.heavy import heavy_mask, ideal_hop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--circuits", type=int, default=2000)
    parser.add_argument("--widths", type=int, nargs="+", default=list(range(2, 11)))
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    print("| width | circuits | mean ideal HOP | sd ideal HOP |")
    print("|---|---|---|---|")
    for width in args.widths:
        circuits = qv_circuits(width=width, seed=args.seed, count=args.circuits)
        values = np.array(
            [ideal_hop(p, heavy_mask(p)) for p in ideal_probabilities(circuits)], dtype=float
        )
        print(
            f"| {width} | {values.size} | {values.mean():.4f} | {values.std(ddof=1):.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
