"""The user's wait: whole processes, start to exit, alternating the tools, medians of rounds.

Three commands run as separate processes, in turn, every round (so a change in the machine's load
falls on all of them alike):

* **ours** — ``python -m quantumlimits qv --backend fake_torino --widths 2-5 --trials 100
  --shots 1000 --qubits 0,1,2,3,4 --optimization-level 1 --out DIR --store DB``;
* **peer** — a script that runs qiskit-experiments' ``QuantumVolume`` on
  ``AerSimulator.from_backend(FakeTorino())`` for the same widths, qubits, circuits, shots and
  optimization level, imports included;
* **floor** — ``python -c "import qiskit, qiskit_aer; from qiskit_ibm_runtime.fake_provider import
  FakeTorino"``: what any tool on this stack pays before its first circuit;
* **make qv** — ``python -m quantumlimits qv --out DIR --store DB``, the README's main job (the
  auto scan on fake_torino), without make's own start-up.

The report gives the peer's median over ours (goal: 10x) and make qv's median over the floor's
(goal: at most 2x). quantumlimits and the floor run on the user's interpreter (``make bench``:
.venv, where no peer tool is installed), the peer on the bench one (.venv-bench), each as its
users install it. ``--quick`` runs one round of smaller sizes: a smoke check that the commands
run, not a figure.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PEER = """
import sys, warnings
warnings.simplefilter("ignore")
from qiskit_aer import AerSimulator
from qiskit_experiments.library import QuantumVolume
from qiskit_ibm_runtime.fake_provider import FakeTorino
lo, hi, trials, shots = map(int, sys.argv[1:5])
simulator = AerSimulator.from_backend(FakeTorino())
for width in range(lo, hi + 1):
    experiment = QuantumVolume(list(range(width)), backend=simulator, trials=trials, seed=11)
    experiment.set_transpile_options(optimization_level=1)
    experiment.set_run_options(shots=shots)
    experiment.run().block_for_results()
"""

FLOOR = "import qiskit, qiskit_aer; from qiskit_ibm_runtime.fake_provider import FakeTorino"


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-2000:]
    return elapsed


def test_whole_processes_against_qiskit_experiments(
    tmp_path: Path, quick: bool, ratio_board: Any, user_python: str
) -> None:
    lo, hi, trials, shots, rounds = (2, 3, 20, 200, 1) if quick else (2, 5, 100, 1000, 5)
    python = user_python  # quantumlimits and the floor as a user installs them
    qubits = ",".join(map(str, range(hi)))
    ours = f"qv --backend fake_torino --widths {lo}-{hi} --trials {trials} --shots {shots} "
    ours += f"--qubits {qubits} --optimization-level 1 --seed 11"
    peer = [str(lo), str(hi), str(trials), str(shots)]

    def quantumlimits(arguments: str, r: int, name: str) -> list[str]:
        files = ["--out", str(tmp_path / f"{name}{r}"), "--store", str(tmp_path / f"{name}{r}.db")]
        return [python, "-m", "quantumlimits", *arguments.split(), *files]

    commands = {
        "quantumlimits qv": lambda r: quantumlimits(ours, r, "ours"),
        "qiskit-experiments script": lambda r: [sys.executable, "-c", PEER, *peer],
        "import floor": lambda r: [python, "-c", FLOOR],
        "make qv (python -m quantumlimits qv)": lambda r: quantumlimits("qv", r, "make"),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for r in range(rounds):
        for name, argv in commands.items():  # alternating: each round runs every command once
            times[name].append(_wall(argv(r)))
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        each = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name}: median {median[name]:.2f} s over {rounds} rounds ({each})")
    task = f"qv fake_torino widths {lo}-{hi}, {trials} x {shots}, whole processes"
    ratio_board.add(
        group=task,
        name="qiskit-experiments script",
        seconds=median["qiskit-experiments script"],
        peer=True,
    )
    ratio_board.add(group=task, name="quantumlimits qv", seconds=median["quantumlimits qv"])
    floor = "make qv against the import floor, whole processes"
    ratio_board.add(group=floor, name="import floor", seconds=median["import floor"], peer=True)
    ratio_board.add(
        group=floor,
        name="make qv (python -m quantumlimits qv)",
        seconds=median["make qv (python -m quantumlimits qv)"],
        note=f"{median['make qv (python -m quantumlimits qv)'] / median['import floor']:.2f}x "
        "the floor (goal: at most 2x)",
    )


def test_fewer_shots_than_outcomes_cost_no_more(quick: bool, ratio_board: Any) -> None:
    """Each width from 2 to 10 at 300 and at 1000 shots, in-process (the engine chosen by cost,
    not by the shot count: goal, no width more than 2x slower at 300 shots)."""
    import warnings

    from quantumlimits.qv.protocol import run_qv

    widths, trials = ([2, 8, 9], 3) if quick else (list(range(2, 11)), 5)
    for width in widths:
        seconds = {}
        for shots in (1000, 300):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run_qv(backend="fake_torino", widths=[width], trials=trials, shots=shots, seed=3)
                start = time.perf_counter()
                result = run_qv(
                    backend="fake_torino", widths=[width], trials=trials, shots=shots, seed=3
                )
                seconds[shots] = time.perf_counter() - start
            method = result.widths[0].method
            ratio_board.add(
                group=f"width {width}, {trials} circuits: 300 shots against 1000",
                name=f"{shots} shots",
                seconds=seconds[shots],
                peer=shots == 1000,
                note=method,
            )
        print(f"width {width}: 1000 shots {seconds[1000]:.2f} s, 300 shots {seconds[300]:.2f} s")
