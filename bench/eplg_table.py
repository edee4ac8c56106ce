"""EPLG of every device snapshot of 100 or more qubits: the table of docs/eplg.md.

For each snapshot: the best 100-qubit chain the search finds (or, when it finds none, the longest
chain it finds), the command's defaults otherwise (lengths 2…128, 12 sequences per length and
layer, 400 shots, 200 bootstrap resamplings, seed 0, stim with the twirled device noise), and
beside the measured EPLG the one the calibration alone projects (the product of the calibrated
errors along the chain) and the one its simulated channels give (docs/eplg.md). Prints one
Markdown row per snapshot as it finishes and writes every result document to ``--out`` (a JSON
list) when given.

Run: ``PYTHONPATH=. .venv/bin/python bench/eplg_table.py --out /tmp/eplg_table.json``
(``--backends fake_fez fake_torino`` for a few).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

from quantumlimits.eplg.protocol import measure
from quantumlimits.eplg.settings import EPLGSettings
from quantumlimits.errors import UsageError
from quantumlimits.execution.backends import calibration_problems, load_snapshot, snapshot_names


def wide_snapshots(minimum: int = 100) -> list[str]:
    """Snapshots with at least ``minimum`` qubits."""
    names = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in snapshot_names():
            if load_snapshot(name).num_qubits >= minimum:
                names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="*", default=None)
    parser.add_argument("--chain-length", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    names = args.backends or wide_snapshots()
    documents = []
    print(
        "| snapshot | qubits | gate | chain | LF | EPLG [95 %] | calibration EPLG | channels EPLG "
        "| measured / calibration | s |\n"
        "| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
        flush=True,
    )
    for name in names:
        snapshot = load_snapshot(name)
        problems = calibration_problems(snapshot.target)
        if problems:
            print(
                f"| {name} | {snapshot.num_qubits} | - | - | - | placeholder calibration: "
                f"{'; '.join(problems)} | - | - | - |",
                flush=True,
            )
            continue
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = measure(
                    EPLGSettings(backend=name, chain_length=args.chain_length, seed=args.seed)
                )
            except UsageError:
                result = measure(EPLGSettings(backend=name, chain_length="max", seed=args.seed))
        seconds = time.perf_counter() - started
        lo, hi = result.eplg_interval
        print(
            f"| {name} | {snapshot.num_qubits} | {result.two_qubit_gate} | {len(result.chain)} | "
            f"{result.lf:.4f} | {result.eplg:.5f} [{lo:.5f}, {hi:.5f}]"
            f"{'' if result.decided else ' undecided'} | {result.projected_eplg:.5f} | "
            f"{result.model_eplg:.5f} | {result.eplg / result.projected_eplg:.3f} | "
            f"{seconds:.0f} |",
            flush=True,
        )
        documents.append(result.to_dict())
        if args.out is not None:
            args.out.write_text(json.dumps(documents, indent=1) + "\n")


if __name__ == "__main__":
    main()
