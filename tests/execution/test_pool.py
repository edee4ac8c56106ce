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


def test_workers_flag_rejects_zero_and_more_than_the_cores(capsys, tmp_path) -> None:
    from quantumlimits.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["qv", "--workers", "0", "--no-store"])
    assert exit_info.value.code == 2
    assert "--workers" in capsys.readouterr().err
    too_many = str(pool_mod.usable_cores() + 1)
    code = main(["qv", "--workers", too_many, "--out", str(tmp_path / "o"), "--no-store"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--workers {too_many} is more than" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "qv.json").exists()


def test_ctrl_c_stops_the_workers_and_keeps_the_finished_widths(tmp_path) -> None:
    """Ctrl-C reaches the whole process group: the command exits 130 at once, no worker is
    left behind, and the run is stored as interrupted with the widths it finished."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    store = tmp_path / "s.db"
    args = [sys.executable, "-m", "quantumlimits", "qv", "--widths", "5-9", "--trials", "300"]
    args += ["--workers", "2", "--store", str(store)]
    proc = subprocess.Popen(
        args,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not store.exists():
        time.sleep(0.2)
    time.sleep(4)  # inside the widths
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("the command did not stop after Ctrl-C") from None
    assert proc.returncode == 130, err[-500:]
    assert "Traceback" not in err
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing of the group is left
    history = subprocess.run(
        [sys.executable, "-m", "quantumlimits", "history", "--store", str(store), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    (run,) = json.loads(history.stdout)
    assert run["status"] == "failed"  # resumable: `quantumlimits resume` continues it
    assert "finished parts are stored" in run["summary"]


def test_layout_candidates_transpiled_side_by_side_choose_the_same_layout(monkeypatch) -> None:
    from quantumlimits.qv import build, protocol
    from quantumlimits.qv.settings import QVSettings

    device = protocol.load_device("fake_sherbrooke")
    settings = QVSettings(backend="fake_sherbrooke", seed=3)
    monkeypatch.setattr(build, "_memo", type(build._memo)())
    protocol._predicted_best.cache_clear()
    alone = protocol.choose_layout(device, 5, settings)
    monkeypatch.setattr(build, "_memo", type(build._memo)())
    protocol._predicted_best.cache_clear()
    with ProcessPool(2) as pool:
        spread = protocol.choose_layout(device, 5, settings, mapper=pool)
        assert len(build._memo) == protocol.LAYOUT_CANDIDATES  # warmed in one call
    protocol._predicted_best.cache_clear()
    assert alone is not None and spread is not None
    assert alone.to_dict() == spread.to_dict()
    assert alone.layout == spread.layout
