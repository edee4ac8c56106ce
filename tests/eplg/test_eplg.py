"""Layer fidelity: chain search, RB circuits, fits, the run with its store, the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quantumlimits.cli import main
from quantumlimits.eplg import analysis, protocol
from quantumlimits.eplg.chain import best_chain, layers, longest_chain, predicted_lf
from quantumlimits.eplg.circuits import rb_circuit
from quantumlimits.eplg.results import EPLGResult
from quantumlimits.eplg.settings import EPLGSettings
from quantumlimits.errors import UsageError
from quantumlimits.execution.stim import run_stim
from quantumlimits.store import ResultsStore

SMALL = {"lengths": (1, 4, 16, 48), "samples": 3, "shots": 200, "resamples": 20}


# --- chain -------------------------------------------------------------------------------------


def _grid(rows: int, cols: int, error: float = 0.01) -> dict[tuple[int, int], float]:
    edges = {}
    for r in range(rows):
        for c in range(cols):
            q = r * cols + c
            if c + 1 < cols:
                edges[(q, q + 1)] = error
            if r + 1 < rows:
                edges[(q, q + cols)] = error
    return edges


def test_chain_is_a_path_of_working_couplers_and_avoids_bad_ones() -> None:
    edges = _grid(4, 4)
    edges[(5, 6)] = 0.2  # a bad coupler in the middle
    edges[(9, 10)] = 1.0  # a broken one
    chain = best_chain(edges=edges, one_qubit={}, length=16)
    assert sorted(chain.qubits) == list(range(16))
    used = {(min(a, b), max(a, b)) for a, b in chain.edges}
    assert used <= set(edges)
    assert (5, 6) not in used and (9, 10) not in used
    assert math.isclose(
        chain.predicted_lf, predicted_lf(chain.qubits, edges=edges, one_qubit={}), rel_tol=1e-12
    )


def test_chain_too_long_names_the_longest_found() -> None:
    edges = {(0, 1): 0.01, (1, 2): 0.01, (2, 3): 1.0}
    with pytest.raises(UsageError, match="longest found has 3"):
        best_chain(edges=edges, one_qubit={}, length=4)
    assert longest_chain(edges=edges, one_qubit={}, upper=4).qubits == (0, 1, 2)


def test_layers_cover_every_coupler_once() -> None:
    first, second = layers(tuple(range(7)))
    assert first == ((0, 1), (2, 3), (4, 5)) and second == ((1, 2), (3, 4), (5, 6))


# --- circuits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gate", "basis"), [("cz", "sx"), ("ecr", "sx"), ("cx", "sx"), ("rzz", "r")]
)
@pytest.mark.parametrize("flip", [False, True])
def test_noiseless_sequences_return_every_subsystem_to_zero(
    gate: str, basis: str, flip: bool
) -> None:
    pairs = ((0, 1), (2, 3))
    directions = {p: (p[::-1] if flip else p) for p in pairs}
    circuits = [
        rb_circuit(
            num_qubits=5,
            pairs=pairs,
            gate=gate,
            directions=directions,
            length=m,
            seed=s,
            one_qubit_basis=basis,
        )
        for m in (1, 5, 20)
        for s in range(4)
    ]
    counts = run_stim(circuits, target=None, shots=20, seed=0).counts
    assert all(c == {0: 20} for c in counts)
    one_qubit = {"rz", "sx", "x"} if basis == "sx" else {"rz", "r"}
    assert all(set(c.count_ops()) <= {*one_qubit, gate, "barrier", "measure"} for c in circuits)


def test_same_seed_same_circuit() -> None:
    kw = {"num_qubits": 4, "pairs": ((1, 2),), "gate": "cz", "directions": {(1, 2): (1, 2)}}
    assert rb_circuit(**kw, length=6, seed=3) == rb_circuit(**kw, length=6, seed=3)
    assert rb_circuit(**kw, length=6, seed=3) != rb_circuit(**kw, length=6, seed=4)


# --- analysis ----------------------------------------------------------------------------------


def test_fit_recovers_decays_and_the_bootstrap_covers_them() -> None:
    rng = np.random.default_rng(1)
    lengths = np.array([1, 4, 16, 48, 128])
    alphas = np.array([0.97, 0.995])
    sizes = [2, 1]
    truth = np.array([0.7, 0.45]) * alphas[None, :] ** lengths[:, None] + np.array([0.25, 0.5])
    survival = rng.binomial(2000, np.repeat(truth[:, None, :], 20, axis=1)) / 2000
    fits, fidelities = analysis.subsystem_fidelities(lengths, survival, sizes)
    assert np.allclose(fits[1], alphas, atol=2e-3)
    boot = analysis.bootstrap_fidelities(
        lengths, survival, sizes, start=fits, resamples=200, rng=np.random.default_rng(2)
    )
    for k, (alpha, size) in enumerate(zip(alphas, sizes, strict=True)):
        lo, hi = analysis.interval(boot[:, k])
        assert lo <= fidelities[k] <= hi
        assert lo - 2e-3 <= analysis.process_fidelity(alpha, size) <= hi + 2e-3


def test_eplg_matches_ibms_form_at_100_qubits() -> None:
    lf = 0.6
    assert math.isclose(analysis.eplg(lf, two_qubit_gates=99), 0.8 * (1 - lf ** (1 / 99)))
    assert math.isclose(analysis.eplg_process(lf, two_qubit_gates=99), 1 - lf ** (1 / 99))


# --- the run -----------------------------------------------------------------------------------


def test_run_records_layers_and_resumes_without_rerunning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = EPLGSettings(backend="fake_fez", chain_length=5, **SMALL)  # type: ignore[arg-type]
    fresh = protocol.measure(settings)
    store = ResultsStore(tmp_path / "s.db")
    real = protocol.run_layer
    calls: list[int] = []

    def stop_at_second(**kw):  # type: ignore[no-untyped-def]
        calls.append(kw["index"])
        if kw["index"] == 1:
            raise KeyboardInterrupt
        return real(**kw)

    monkeypatch.setattr(protocol, "run_layer", stop_at_second)
    with pytest.raises(KeyboardInterrupt):
        protocol.measure(settings, store=store)
    run_id = store.runs(kind="eplg")[0].run_id
    monkeypatch.setattr(
        protocol, "run_layer", lambda **kw: (calls.append(kw["index"]), real(**kw))[1]
    )
    resumed = protocol.resume(store, run_id)
    assert calls == [0, 1, 1]  # layer 0 read back from the store, not run again
    assert resumed.lf == fresh.lf and resumed.eplg_interval == fresh.eplg_interval
    assert EPLGResult.from_json(resumed.to_json()) == resumed
    assert store.row(run_id).status == "complete"
    assert len(resumed.chain) == 5 and resumed.two_qubit_gates == 4
    assert 0 < resumed.eplg < 0.05 and resumed.eplg_interval[0] <= resumed.eplg
    store.close()


def test_stim_and_aer_agree_on_a_small_chain() -> None:
    kw = {
        "backend": "fake_torino",
        "chain": (0, 1, 2),
        "lengths": (1, 8, 32, 96),
        "samples": 4,
        "shots": 300,
        "resamples": 50,
    }
    on_stim = protocol.measure(EPLGSettings(**kw))  # type: ignore[arg-type]
    on_aer = protocol.measure(EPLGSettings(simulator="aer", **kw))  # type: ignore[arg-type]
    assert on_aer.layers[0].method in ("density_matrix", "statevector")
    lo = max(on_stim.lf_interval[0], on_aer.lf_interval[0])
    hi = min(on_stim.lf_interval[1], on_aer.lf_interval[1])
    assert lo <= hi, (on_stim.lf_interval, on_aer.lf_interval)


# --- command line ------------------------------------------------------------------------------


def test_cli_writes_json_and_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    argv = [
        "eplg",
        "--backend",
        "fake_fez",
        "--chain-length",
        "4",
        "--lengths",
        "1,4,16,48",
        "--samples",
        "3",
        "--resamples",
        "20",
        "--out",
        str(out),
        "--json",
    ]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["kind"] == "eplg" and len(document["chain"]) == 4
    assert EPLGResult.from_dict(json.loads((out / "eplg.json").read_text())).run_id
    assert (out / "eplg.png").stat().st_size > 1000
    run_id = document["run_id"]
    assert main(["show", run_id]) == 0
    assert "EPLG" in capsys.readouterr().out
    assert main(["report", "--out", str(tmp_path / "report.html")]) == 0
    html = (tmp_path / "report.html").read_text()
    assert "Layer fidelity and EPLG" in html and run_id in html


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backend", "ibm_fez", "--yes"], "QISKIT_IBM_TOKEN"),
        (["--backend", "aer"], "needs a device"),
        (["--backend", "fake_fez", "--chain-length", "13", "--simulator", "aer"], "up to 12"),
        (["--backend", "fake_fez", "--chain-length", "400"], "more than fake_fez's 156"),
        (["--backend", "fake_fez", "--chain", "0,2"], "not coupled"),
        (["--backend", "fake_fez", "--lengths", "1,1,2"], "distinct"),
        (["--backend", "nope"], "unknown backend"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status = main(["eplg", *argv, "--store", str(tmp_path / "s.db")])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "s.db").exists() or not ResultsStore(
        tmp_path / "s.db", readonly=True
    ).runs(kind="eplg")


@pytest.mark.parametrize("backend", ["fake_fez", "fake_sherbrooke", "quantinuum_h1_1@2024-04-10"])
def test_direct_stim_program_is_the_qiskit_circuit_converted(backend: str) -> None:
    from quantumlimits.eplg.circuits import rb_program
    from quantumlimits.eplg.protocol import _directions
    from quantumlimits.execution.backends import load_snapshot, two_qubit_gate
    from quantumlimits.execution.stim import to_stim, twirled_noise

    target = load_snapshot(backend).target
    gate = str(two_qubit_gate(target))
    chain = protocol.prepare(EPLGSettings(backend=backend, chain_length=6))[3].qubits
    channels, _ = twirled_noise(target, chain)
    directions = _directions(target, gate, chain)
    basis = protocol.one_qubit_basis(target)
    for pairs in layers(tuple(range(6))):
        for length in (1, 7):
            kw = {
                "num_qubits": 6,
                "pairs": pairs,
                "gate": gate,
                "directions": directions,
                "one_qubit_basis": basis,
            }
            converted = to_stim(rb_circuit(**kw, length=length, seed=length), channels=channels)
            direct = rb_program(**kw, length=length, seed=length, channels=channels)
            assert direct.record_qubits == converted.record_qubits
            if basis == "sx":
                assert direct.circuit == converted.circuit
                continue

            # r(π/2, 0) is written as SQRT_X, to_stim writes its tableau's H/S form: the same
            # Clifford, so compare what it does and where the noise goes.
            def noise(c: Any) -> list[str]:
                return [str(i) for i in c if i.name.startswith("PAULI_CHANNEL")]

            assert noise(direct.circuit) == noise(converted.circuit)
            assert direct.circuit.to_tableau(
                ignore_noise=True, ignore_measurement=True
            ) == converted.circuit.to_tableau(ignore_noise=True, ignore_measurement=True)


def test_chain_search_skips_excluded_qubits() -> None:
    edges = _grid(3, 4)
    chain = best_chain(edges=edges, one_qubit={}, length=8, excluded=frozenset({5}))
    assert 5 not in chain.qubits
    with pytest.raises(UsageError, match="longest found"):
        best_chain(edges=edges, one_qubit={}, length=12, excluded=frozenset({5}))


def test_a_subsystem_decayed_before_the_first_length_is_unresolved() -> None:
    from quantumlimits.eplg.results import LayerResult

    flat = 0.25 + 0.01  # a pair at its asymptote already
    decaying = [0.8, 0.6, 0.4]
    layer = LayerResult(
        index=0,
        subsystems=((3, 4), (5, 6)),
        survival=tuple(((flat, d), (flat, d)) for d in decaying),
        fits=((0.0, 0.5, 0.25), (0.7, 0.95, 0.25)),
        fidelities=(0.5, 0.95),
        intervals=((0.4, 0.6), (0.94, 0.96)),
        layer_fidelity=0.475,
        layer_interval=(0.4, 0.5),
        two_qubit_gates=2,
        method="stim",
    )
    assert protocol.unresolved(layer, (2, 8, 32)) == [(3, 4)]


def test_measured_lf_agrees_with_the_simulated_channels() -> None:
    result = protocol.measure(
        EPLGSettings(backend="fake_torino", chain_length=8, samples=6, resamples=50)
    )
    assert result.decided
    lo, hi = result.lf_interval
    # the twirled channels' own process fidelities: what the RB should recover
    assert lo * 0.99 <= result.model_lf <= hi * 1.01, (result.model_lf, result.lf_interval)


def test_cli_resume_finishes_a_stopped_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store_path = tmp_path / "s.db"
    real = protocol.run_layer

    def stop_at_second(**kw):  # type: ignore[no-untyped-def]
        if kw["index"] == 1:
            raise KeyboardInterrupt
        return real(**kw)

    monkeypatch.setattr(protocol, "run_layer", stop_at_second)
    argv = [
        "eplg",
        "--backend",
        "fake_fez",
        "--chain-length",
        "4",
        "--lengths",
        "1,4,16",
        "--samples",
        "3",
        "--resamples",
        "20",
        "--store",
        str(store_path),
    ]
    assert main(argv) == 130
    store = ResultsStore(store_path, readonly=True)
    (row,) = store.runs(kind="eplg")
    assert row.status == "failed" and set(store.parts(row.run_id)) == {"layer0"}
    store.close()
    monkeypatch.setattr(protocol, "run_layer", real)
    capsys.readouterr()
    assert main(["resume", row.run_id, "--store", str(store_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["run_id"] == row.run_id and len(document["layers"]) == 2


def test_backtracking_finds_the_chain_the_beam_misses() -> None:
    # A comb: the spine 0-1-2-3-4 with a tooth under each spine qubit (5..9). The only
    # 10-qubit paths zigzag through teeth at the ends; greedy growth along the cheap spine
    # dead-ends. A one-path beam misses it; the backtracking search must find it.
    edges = {(i, i + 1): 0.001 for i in range(4)}
    edges.update({(i, i + 5): 0.02 for i in range(5)})
    edges.update({(5, 6): 0.03, (8, 9): 0.03})
    chain = best_chain(edges=edges, one_qubit={}, length=8, beam=1)
    assert len(chain.qubits) == 8 and len(set(chain.qubits)) == 8
    assert all((min(a, b), max(a, b)) in edges for a, b in chain.edges)
    assert chain == best_chain(edges=edges, one_qubit={}, length=8, beam=1)  # deterministic


def test_a_chain_that_cannot_exist_is_refused_as_proven() -> None:
    star = {(0, q): 0.01 for q in range(1, 6)}  # every path has at most 3 qubits
    with pytest.raises(UsageError, match=r"exists \(the longest found has 3"):
        best_chain(edges=star, one_qubit={}, length=4)


def test_reach_bound_never_undercounts_a_continuation() -> None:
    import random

    from quantumlimits.eplg.chain import reach_bound

    def longest(nb: dict[int, list[int]], path: list[int]) -> int:
        best = 0
        for n in nb[path[-1]]:
            if n not in path:
                best = max(best, 1 + longest(nb, [*path, n]))
        return best

    for trial in range(300):
        rng = random.Random(trial)
        n = rng.randint(3, 9)
        nb: dict[int, list[int]] = {q: [] for q in range(n)}
        for a in range(n):
            for b in range(a + 1, n):
                if rng.random() < 0.35:
                    nb[a].append(b)
                    nb[b].append(a)
        for start in range(n):
            assert reach_bound(nb, [start]) >= longest(nb, [start])


@pytest.mark.parametrize("gate", ["cz", "ecr", "cx"])
def test_inverse_synthesis_is_exact_and_cx_optimal(gate: str) -> None:
    import numpy as np
    import stim

    from quantumlimits.eplg.circuits import (
        _ONE_QUBIT_NATIVE,
        _native_tableau,
        _remember,
        compile_two_qubit,
    )

    rng = np.random.default_rng(5)
    words = ("H 0", "H 1", "S 0", "S 1", "CX 0 1", "CX 1 0")
    natives = []
    for _ in range(300):
        tableau = stim.Circuit("\n".join(rng.choice(words, size=40))).to_tableau()
        ops = compile_two_qubit(_remember(tableau), gate, False)
        rebuilt = stim.Tableau(2)
        for label, k in ops:
            if k < 0:
                rebuilt = rebuilt.then(_native_tableau(gate, False))
                continue
            name, turns = label.split(":")
            line = _ONE_QUBIT_NATIVE[(name, int(turns))].format(k)
            rebuilt = rebuilt.then(stim.Circuit(f"{line}\nI 0 1").to_tableau())
        assert rebuilt == tableau
        natives.append(sum(1 for _, k in ops if k < 0))
    # Bravyi–Maslov: at most 3 CX, 1.5 on average over the group (stim's elimination: 2.7, 5)
    assert max(natives) == 3 and 1.3 < float(np.mean(natives)) < 1.7
