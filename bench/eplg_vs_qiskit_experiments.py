"""Layer fidelity of one chain: quantumlimits against qiskit-experiments' ``LayerFidelity``.

Both on Aer with the snapshot's device noise model: qiskit-experiments' experiment run on
``AerSimulator.from_backend(snapshot)`` (its own circuits, its own analysis: free asymptote,
standard errors from the fit), and ``quantumlimits eplg --simulator aer`` on the same chain
(``execution.aer.run_noisy``: the same Aer device model restricted to the chain). The two agree
when their intervals overlap: ours is the bootstrap's 95 % interval, theirs ±1.96 standard errors.
Also prints our stim run of the same chain (the Pauli-twirled model) beside them.

Run: ``PYTHONPATH=. .venv/bin/python bench/eplg_vs_qiskit_experiments.py --backend
fake_sherbrooke --chain-length 6``
"""

from __future__ import annotations

import argparse
import time
import warnings

from quantumlimits.eplg.chain import layers
from quantumlimits.eplg.protocol import _directions, measure, prepare
from quantumlimits.eplg.settings import EPLGSettings
from quantumlimits.execution.backends import load_snapshot

LENGTHS = (2, 4, 8, 16, 30, 50, 70, 100, 150, 200)


def theirs(
    backend: str, chain: tuple[int, ...], gate: str, *, samples: int, seed: int
) -> tuple[float, float]:
    """LF and its standard error from qiskit-experiments on Aer with the device noise."""
    from qiskit_aer import AerSimulator
    from qiskit_experiments.library.randomized_benchmarking import LayerFidelity

    snapshot = load_snapshot(backend)
    directions = _directions(snapshot.target, gate, chain)
    two_qubit_layers = [
        [tuple(chain[q] for q in directions[pair]) for pair in layer]
        for layer in layers(tuple(range(len(chain))))
    ]
    experiment = LayerFidelity(
        physical_qubits=list(chain),
        two_qubit_layers=two_qubit_layers,
        lengths=list(LENGTHS),
        backend=AerSimulator.from_backend(snapshot, seed_simulator=seed),
        num_samples=samples,
        seed=seed,
    )
    experiment.set_run_options(shots=400)
    data = experiment.run().block_for_results()
    lf = data.analysis_results("LF", dataframe=True).iloc[0]
    return float(lf.value.nominal_value), float(lf.value.std_dev)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="fake_sherbrooke")
    parser.add_argument("--chain-length", type=int, default=6)
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    settings = EPLGSettings(
        backend=args.backend,
        chain_length=args.chain_length,
        lengths=LENGTHS,
        samples=args.samples,
        shots=400,
        seed=args.seed,
        simulator="aer",
    )
    _, _, gate, chain = prepare(settings)
    t = time.perf_counter()
    lf, se = theirs(args.backend, chain.qubits, gate, samples=args.samples, seed=args.seed)
    their_s = time.perf_counter() - t
    t = time.perf_counter()
    ours = measure(settings)
    our_s = time.perf_counter() - t
    t = time.perf_counter()
    on_stim = measure(settings.replace(simulator="stim"))
    stim_s = time.perf_counter() - t
    lo, hi = lf - 1.96 * se, lf + 1.96 * se
    print(
        f"chain {chain.qubits} of {args.backend} ({gate}), lengths {LENGTHS}, "
        f"{args.samples} sequences per length, 400 shots, seed {args.seed}"
    )
    print(
        f"qiskit-experiments LayerFidelity on Aer: LF {lf:.4f} [{lo:.4f}, {hi:.4f}] "
        f"({their_s:.0f} s)"
    )
    print(
        f"quantumlimits on Aer:  LF {ours.lf:.4f} [{ours.lf_interval[0]:.4f}, "
        f"{ours.lf_interval[1]:.4f}] ({our_s:.0f} s)"
    )
    print(
        f"quantumlimits on stim: LF {on_stim.lf:.4f} [{on_stim.lf_interval[0]:.4f}, "
        f"{on_stim.lf_interval[1]:.4f}] ({stim_s:.0f} s)"
    )
    print(f"calibration projection: LF {ours.projected_lf:.4f}")
    overlap = max(lo, ours.lf_interval[0]) <= min(hi, ours.lf_interval[1])
    print("intervals overlap (agree)" if overlap else "intervals do not overlap (disagree)")


if __name__ == "__main__":
    main()
