"""Time-to-accuracy on moons: our quantum classifiers against qiskit-machine-learning's VQC.

The issue's setting: moons, 200 samples, noise 0.1, 30 % test, features scaled to [0, π]. The peer
is ``VQC`` (ZZ feature map reps 2, RealAmplitudes reps 3, COBYLA 100 iterations,
StatevectorSampler); its held-out accuracy is evaluated after every COBYLA iteration off the clock.
Ours: the data re-uploading classifier through three engines (NumPy adjoint, PennyLane
``default.qubit`` broadcasting + backprop, ``lightning.qubit`` adjoint per sample), median over
seeds, compile/QNode-construction time included. Two clocks: wall time (the issue's) and process
CPU time (steadier when other work shares the machine). Goals: >= 200x sooner than the peer to
0.78, and 0.90 in < 0.15 s. Run ``make bench`` (full) or ``make bench-quick`` (smoke).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pytest

from quantumlimits.classify.datasets import load_dataset, split_and_scale
from quantumlimits.classify.quantum import QuantumClassifier


@pytest.fixture(scope="module")
def moons() -> Any:
    """The issue's split; library imports are warmed here, off every clock (QNode and circuit
    construction stay on the clock)."""
    import pennylane as qml

    qml.device("lightning.qubit", wires=1)
    ds = load_dataset(name="moons", n_samples=200, noise=0.1, seed=0)
    return split_and_scale(ds, test_size=0.3, seed=0, max_features=2)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load avg {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


TARGETS = (0.78, 0.90)
CLOCKS = ("wall", "CPU")


def _ours(
    split: Any, *, engine: str, seeds: int, max_steps: int
) -> dict[tuple[float, str], float | None]:
    """Median over seeds (not reached: +inf) of the seconds to each target on each clock.

    The measurement of ``quantumlimits.classify.trainer.train_quantum`` (time inside optimiser
    steps only), on two clocks: on a shared machine process CPU time is the steadier figure.
    """
    per_seed: dict[tuple[float, str], list[float]] = {(t, c): [] for t in TARGETS for c in CLOCKS}
    for seed in range(seeds):
        est = QuantumClassifier(
            architecture="reupload", engine=engine, max_steps=max_steps, random_state=seed
        )
        steps = est.iter_fit(split.X_train, split.y_train)
        wall = cpu = 0.0
        reached: dict[tuple[float, str], float] = {}
        while len(reached) < len(per_seed):
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                next(steps)
            except StopIteration:
                break
            wall += time.perf_counter() - w0
            cpu += time.process_time() - c0
            accuracy = est.score(split.X_test, split.y_test)
            for target in TARGETS:
                if accuracy >= target and (target, "wall") not in reached:
                    reached[(target, "wall")] = wall
                    reached[(target, "CPU")] = cpu
        for key, sink in per_seed.items():
            sink.append(reached.get(key, np.inf))
    medians = {key: float(np.median(values)) for key, values in per_seed.items()}
    return {key: (v if np.isfinite(v) else None) for key, v in medians.items()}


def _group(target: float, clock: str) -> str:
    return f"classify: moons, training {clock} seconds to {target:.2f} held-out accuracy"


@pytest.mark.parametrize(
    ("engine", "label"),
    [
        ("numpy", "quantumlimits reupload, NumPy adjoint"),
        ("pennylane", "reupload, PennyLane default.qubit backprop+broadcast"),
        ("lightning", "reupload, PennyLane lightning.qubit adjoint per sample"),
    ],
)
def test_ours_time_to_accuracy(
    benchmark: Any, ratio_board: Any, moons: Any, quick: bool, engine: str, label: str
) -> None:
    seeds = 1 if quick else 2 if engine == "lightning" else 5
    max_steps = (3 if engine == "lightning" else 15) if quick else 200
    benchmark.group = "classify moons time-to-0.90"
    result = benchmark.pedantic(
        _ours,
        args=(moons,),
        kwargs={"engine": engine, "seeds": seeds, "max_steps": max_steps},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update({f"{c}_seconds_to_{t}": v for (t, c), v in result.items()})
    benchmark.extra_info["seeds"] = seeds
    note = f"median over {seeds} seed(s), {_load()}"
    for (target, clock), seconds in result.items():
        ratio_board.add(group=_group(target, clock), name=label, seconds=seconds, note=note)


def test_peer_qiskit_machine_learning_vqc(
    benchmark: Any, ratio_board: Any, moons: Any, quick: bool
) -> None:
    qml = pytest.importorskip("qiskit_machine_learning")
    from qiskit.circuit.library import real_amplitudes, zz_feature_map
    from qiskit.primitives import StatevectorSampler
    from qiskit_machine_learning.algorithms import VQC
    from qiskit_machine_learning.optimizers import COBYLA

    maxiter = 10 if quick else 100  # COBYLA needs at least (weights + 2) evaluations

    def fit() -> dict[Any, Any]:
        reached: dict[Any, Any] = {}
        clock = {"wall": 0.0, "cpu": 0.0, "eval_wall": 0.0, "eval_cpu": 0.0}
        vqc: Any = None

        def callback(weights: np.ndarray, objective: float) -> None:
            w_in, c_in = time.perf_counter(), time.process_time()
            wall = w_in - clock["wall"] - clock["eval_wall"]
            cpu = c_in - clock["cpu"] - clock["eval_cpu"]
            probs = vqc.neural_network.forward(moons.X_test, weights)
            accuracy = float(np.mean(np.argmax(probs, axis=1) == moons.y_test))
            for target in TARGETS:
                if accuracy >= target and (target, "wall") not in reached:
                    reached[(target, "wall")] = wall
                    reached[(target, "CPU")] = cpu
            clock["eval_wall"] += time.perf_counter() - w_in
            clock["eval_cpu"] += time.process_time() - c_in

        vqc = VQC(
            feature_map=zz_feature_map(2, reps=2),
            ansatz=real_amplitudes(2, reps=3),
            optimizer=COBYLA(maxiter=maxiter),
            sampler=StatevectorSampler(seed=0),
            callback=callback,
        )
        clock["wall"], clock["cpu"] = time.perf_counter(), time.process_time()
        vqc.fit(moons.X_train, moons.y_train)
        reached["final_accuracy"] = float(vqc.score(moons.X_test, moons.y_test))
        return reached

    benchmark.group = "classify moons time-to-0.90"
    result = benchmark.pedantic(fit, rounds=1, iterations=1)
    final = result.pop("final_accuracy")
    benchmark.extra_info.update({f"{c}_seconds_to_{t}": v for (t, c), v in result.items()})
    benchmark.extra_info.update({"final_accuracy": final, "version": qml.__version__})
    note = f"COBYLA {maxiter}, final acc {final:.3f}, {_load()}"
    label = f"qiskit-machine-learning {qml.__version__} VQC"
    for target in TARGETS:
        for clock in CLOCKS:
            ratio_board.add(
                group=_group(target, clock),
                name=label,
                seconds=result.get((target, clock)),
                peer=True,
                note=note,
            )


def test_classical_reference(benchmark: Any, ratio_board: Any, moons: Any) -> None:
    from sklearn.svm import SVC

    def fit() -> float:
        t0 = time.perf_counter()
        SVC().fit(moons.X_train, moons.y_train)
        return time.perf_counter() - t0

    seconds = benchmark.pedantic(fit, rounds=5, iterations=1)
    acc = SVC().fit(moons.X_train, moons.y_train).score(moons.X_test, moons.y_test)
    ratio_board.add(
        group=_group(0.90, "wall"),
        name="scikit-learn SVC (RBF), one fit",
        seconds=seconds,
        note=f"accuracy {acc:.3f}",
    )
