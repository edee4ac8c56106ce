"""Noisy quantum volume at record widths: the trajectory engine against Aer's own trajectories.

Two whole processes, start to exit, on fake_torino:

* **ours** — ``python -m quantumlimits qv --backend fake_torino --widths W --trials N --shots
  1000 --engine trajectories --no-store --out DIR``: layout choice, ideal stage, transpilation,
  trajectories and analysis;
* **peer** — a script that runs Aer's statevector method (per-shot trajectories, shot branching
  on, the same restricted device noise model: ``execution.aer.noise_model_for``) on the same
  transpiled circuits. Aer's time grows with the shots, and at these widths a full 1000 shots
  of N circuits take hours, so the peer runs a few circuits at s and at 2s shots: the
  difference is the time of s shots, the rest Aer's fixed cost per call; the projection to N
  circuits x 1000 shots is ``fixed + (1000 / s) x difference``, times N over the circuits run
  (printed as such). The peer is not charged for transpilation or the ideal stage.

Peak memory is our process's own high-water mark (``VmHWM``). ``--quick`` runs width 12 with
few circuits: a smoke check, not a figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PEER = """
import sys, time, warnings, json
warnings.simplefilter("ignore")
from qiskit import qpy
from qiskit_aer import AerSimulator
from quantumlimits.execution.aer import noise_model_for
from quantumlimits.execution.backends import load_snapshot
path, qubits, shots = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
with open(path, "rb") as f:
    circuits = qpy.load(f)
noise = noise_model_for(load_snapshot("fake_torino").target, qubits)
sim = AerSimulator(method="statevector", noise_model=noise, shot_branching_enable=True)
seconds = []
for n in (shots, 2 * shots):
    start = time.perf_counter()
    result = sim.run(circuits, shots=n, seed_simulator=5).result()
    assert result.success, result.status
    seconds.append(time.perf_counter() - start)
print(json.dumps({"seconds": seconds}))
"""


#: Runs ``python -m quantumlimits ARGS`` and reports the process's own peak resident memory
#: (``VmHWM``) on stderr at exit: a child's ``ru_maxrss`` on Linux carries its parent's
#: high-water mark across fork and exec (docs/performance.md).
HWM = """
import atexit, runpy, sys
def report():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("VmHWM_KIB", line.split()[1], file=sys.stderr)
atexit.register(report)
sys.argv = ["quantumlimits", *sys.argv[1:]]
runpy.run_module("quantumlimits", run_name="__main__")
"""


def _peak_run(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident GiB (``VmHWM`` when the process reports it, else NaN) and
    stdout of a whole process."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-2000:]
    peak = float("nan")
    for line in done.stderr.splitlines():
        if line.startswith("VmHWM_KIB"):
            peak = int(line.split()[1]) / 2**20
    return elapsed, peak, done.stdout


def test_trajectories_against_aer_statevector(
    tmp_path: Path, quick: bool, ratio_board: Any, user_python: str
) -> None:
    width, trials, peer_circuits, peer_shots = (12, 3, 1, 10) if quick else (20, 10, 1, 4)
    width = int(os.environ.get("QUANTUMLIMITS_BENCH_WIDTH", width))
    trials = int(os.environ.get("QUANTUMLIMITS_BENCH_TRIALS", trials))
    shots = 1000
    out = tmp_path / "ours"
    ours = [
        user_python,
        "-c",
        HWM,
        "qv",
        "--backend",
        "fake_torino",
        "--widths",
        str(width),
        "--trials",
        str(trials),
        "--shots",
        str(shots),
        "--seed",
        "7",
        "--engine",
        "trajectories",
        "--no-store",
        "--out",
        str(out),
    ]
    seconds, peak, _ = _peak_run(ours)
    document = json.loads((out / "qv.json").read_text())
    (result,) = document["widths"]
    variances = result["mc_variances"]
    mc_sd_of_mean = (sum(variances) ** 0.5) / len(variances)
    binomial_sd = (result["mean_hop"] * (1 - result["mean_hop"]) / len(variances)) ** 0.5
    print(
        f"ours: width {width}, {trials} circuits x {shots} shots: {seconds:.1f} s, peak "
        f"{peak:.2f} GiB; mean HOP {result['mean_hop']:.4f}; Monte-Carlo sd of the mean "
        f"{mc_sd_of_mean:.2e} against the binomial {binomial_sd:.2e} "
        f"(+{100 * ((1 + (mc_sd_of_mean / binomial_sd) ** 2) ** 0.5 - 1):.2f} %); "
        f"stage seconds {result['timings']}"
    )

    # the peer: the same transpiled circuits, through Aer's per-shot trajectories
    from qiskit import qpy

    from quantumlimits.circuits import measured, qv_circuits
    from quantumlimits.execution.aer import sub_target
    from quantumlimits.execution.backends import load_snapshot
    from quantumlimits.execution.transpile import transpile_circuits

    qubits = result["physical_qubits"]
    target = load_snapshot("fake_torino").target
    circuits = transpile_circuits(
        [measured(c) for c in qv_circuits(width=width, seed=7, count=peer_circuits)],
        target=sub_target(target, qubits),
        initial_layout=range(width),
        optimization_level=1,
        seed=2,
    )
    path = tmp_path / "peer.qpy"
    with path.open("wb") as f:
        qpy.dump(circuits, f)
    wall, _, stdout = _peak_run(
        [sys.executable, "-c", PEER, str(path), json.dumps(qubits), str(peer_shots)]
    )
    single, double = json.loads(stdout.strip().splitlines()[-1])["seconds"]
    per_shots = max(double - single, 0.0)
    fixed = max(single - per_shots, 0.0)
    projected = (trials / peer_circuits) * (fixed + (shots / peer_shots) * per_shots)
    print(
        f"peer: Aer statevector, shot branching, {peer_circuits} circuits: {single:.1f} s at "
        f"{peer_shots} shots, {double:.1f} s at {2 * peer_shots} ({wall:.1f} s whole process); "
        f"projected to {trials} x {shots}: {projected:.0f} s"
    )
    group = f"noisy QV width {width}, {trials} circuits x {shots} shots, fake_torino"
    ratio_board.add(
        group=group,
        name="Aer statevector + shot branching",
        seconds=projected,
        peer=True,
        note=f"{peer_circuits} circuits at {peer_shots} and {2 * peer_shots} shots timed, "
        "projected",
    )
    ratio_board.add(
        group=group,
        name="quantumlimits qv --engine trajectories",
        seconds=seconds,
        note=f"whole process, peak {peak:.2f} GiB",
    )
