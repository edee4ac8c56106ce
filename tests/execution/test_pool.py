"""A local run spread over forked worker processes gives the numbers of a run in one process."""

from __future__ import annotations

import pytest

from quantumlimits.execution import pool as pool_mod
from quantumlimits.execution.pool import ProcessPool, open_pool
from quantumlimits.qv.protocol import run_qv


def _square(x: int) -> int:
    return x * x


def test_pool_maps_in_order_and_one_item_stays_here() -> None:
    with ProcessPool(2) as pool:
        assert list(pool(_square, list(range(7)))) == [x * x for x in range(7)]
        assert list(pool(_square, [3])) == [9]
        assert pool.describe() == {"kind": "processes", "workers": 2, "start": "fork"}


@pytest.mark.filterwarnings("ignore::quantumlimits.qv.protocol.QVWarning")
@pytest.mark.parametrize("backend", ["fake_torino", "quantinuum_h1_1@2024-04-10", "aer"])
def test_a_run_on_worker_processes_gives_the_numbers_of_one_process(backend: str) -> None:
    kwargs = dict(backend=backend, widths="2-3", trials=30, shots=200, seed=5)
    alone = run_qv(**kwargs)  # type: ignore[arg-type]
    with ProcessPool(2) as pool:
        spread = run_qv(mapper=pool, cluster=pool.describe(), **kwargs)  # type: ignore[arg-type]
    for a, b in zip(alone.widths, spread.widths, strict=True):
        assert a.heavy_counts == b.heavy_counts
        assert a.hops == b.hops
        assert a.physical_qubits == b.physical_qubits
    assert spread.provenance["cluster"]["workers"] == 2


def test_open_pool_is_none_for_one_worker_or_one_core(monkeypatch) -> None:
    assert open_pool(1) is None
    monkeypatch.setattr(pool_mod, "usable_cores", lambda: 1)
    assert open_pool(None) is None
    with pytest.raises(ValueError, match="at least 2"):
        ProcessPool(1)


def test_workers_flag_rejects_zero(capsys) -> None:
    from quantumlimits.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["qv", "--workers", "0", "--no-store"])
    assert exit_info.value.code == 2
    assert "--workers" in capsys.readouterr().err
