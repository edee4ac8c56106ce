"""Predicted mean HOP (quantumlimits.qv.predict) against Aer's noisy run of the same circuits.

For each snapshot and width: choose the best layout, draw the protocol's model circuits, transpile
them once, predict each circuit's HOP from the calibration data (with and without idle errors),
run the same ISA circuits through ``quantumlimits.execution.aer.run_noisy`` and compute their
measured HOPs against the exact heavy sets. Prints the Markdown table of ``docs/predict.md``.

Run: ``.venv/bin/python bench/predict_vs_aer.py --backends fake_torino fake_sherbrooke
fake_kyiv fake_brisbane --widths 2 3 4 5 --circuits 50 --shots 1000``
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from quantumlimits.circuits import measured, qv_circuits
from quantumlimits.execution.aer import ideal_probabilities, run_noisy
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.layout import best_layout
from quantumlimits.execution.transpile import transpile_circuits
from quantumlimits.qv.heavy import heavy_count, heavy_mask, ideal_hop
from quantumlimits.qv.predict import circuit_fidelity, hop_from_fidelity
from quantumlimits.seeding import STREAM_SIMULATE, STREAM_TRANSPILE, derive_seed


@dataclass(frozen=True)
class Comparison:
    """Predicted and measured mean HOP of one width on one snapshot."""

    backend: str
    width: int
    circuits: int
    predicted_no_idle: float
    predicted_idle: float
    measured: float
    measured_sem: float
    gap: float
    gap_sem: float


def compare(
    *, backend: str, width: int, circuits: int, shots: int, seed: int, optimization_level: int = 3
) -> Comparison:
    """Predict and measure one width; per-circuit predictions use each circuit's own ideal HOP."""
    target = load_snapshot(backend).target
    qubits = best_layout(target, width).qubits
    model = qv_circuits(width=width, seed=seed, count=circuits)
    isa = transpile_circuits(
        [measured(c) for c in model],
        target=target,
        initial_layout=qubits,
        optimization_level=optimization_level,
        seed=derive_seed(seed, STREAM_TRANSPILE, width),
    )
    probs = list(ideal_probabilities(model))
    masks = [heavy_mask(p) for p in probs]
    ideals = np.array([ideal_hop(p, m) for p, m in zip(probs, masks, strict=True)])
    run = run_noisy(isa, target=target, shots=shots, seed=derive_seed(seed, STREAM_SIMULATE, width))
    hops = np.array(
        [heavy_count(c, m) / shots for c, m in zip(run.counts, masks, strict=True)], dtype=float
    )
    pred = {}
    for idle in (False, True):
        f = [circuit_fidelity(isa_circuit=c, target=target, idle=idle).total for c in isa]
        pred[idle] = np.array(
            [hop_from_fidelity(fidelity=fi, ideal_hop=h) for fi, h in zip(f, ideals, strict=True)]
        )
    diff = hops - pred[False]  # paired per circuit: the ideal-HOP spread cancels
    return Comparison(
        backend=backend,
        width=width,
        circuits=circuits,
        predicted_no_idle=float(pred[False].mean()),
        predicted_idle=float(pred[True].mean()),
        measured=float(hops.mean()),
        measured_sem=float(hops.std(ddof=1) / np.sqrt(hops.size)),
        gap=float(diff.mean()),
        gap_sem=float(diff.std(ddof=1) / np.sqrt(diff.size)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", nargs="+", default=["fake_torino"])
    parser.add_argument("--widths", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--circuits", type=int, default=50)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--optimization-level", type=int, default=3)
    args = parser.parse_args()
    print(
        "| backend | width | circuits | predicted (no idle) | predicted (with idle) "
        "| measured (Aer) ± s.e. | measured − predicted (no idle), paired ± s.e. |"
    )
    print("|---|---|---|---|---|---|---|")
    for backend in args.backends:
        for width in args.widths:
            c = compare(
                backend=backend,
                width=width,
                circuits=args.circuits,
                shots=args.shots,
                seed=args.seed,
                optimization_level=args.optimization_level,
            )
            print(
                f"| {c.backend} | {c.width} | {c.circuits} | {c.predicted_no_idle:.4f} "
                f"| {c.predicted_idle:.4f} | {c.measured:.4f} ± {c.measured_sem:.4f} "
                f"| {c.gap:+.4f} ± {c.gap_sem:.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
