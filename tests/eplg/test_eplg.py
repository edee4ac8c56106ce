"""Layer fidelity: chain search, RB circuits, fits, the run with its store, the command line."""

from __future__ import annotations

import json
import math
from pathlib import Path

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


@pytest.mark.parametrize("gate", ["cz", "ecr", "cx"])
@pytest.mark.parametrize("flip", [False, True])
def test_noiseless_sequences_return_every_subsystem_to_zero(gate: str, flip: bool) -> None:
    pairs = ((0, 1), (2, 3))
    directions = {p: (p[::-1] if flip else p) for p in pairs}
    circuits = [
        rb_circuit(num_qubits=5, pairs=pairs, gate=gate, directions=directions, length=m, seed=s)
        for m in (1, 5, 20)
        for s in range(4)
    ]
    counts = run_stim(circuits, target=None, shots=20, seed=0).counts
    assert all(c == {0: 20} for c in counts)
    assert all(
        set(c.count_ops()) <= {"rz", "sx", "x", gate, "barrier", "measure"} for c in circuits
    )


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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backend", "ibm_fez"], "cloud path is not built"),
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
