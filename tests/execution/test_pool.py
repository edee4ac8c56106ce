"""A local run spread over forked worker processes gives the numbers of a run in one process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from quantumlimits.execution import pool as pool_mod
from quantumlimits.execution.pool import ProcessPool, open_pool


def _square(x: int) -> int:
    return x * x


def _pid_of(_: int) -> int:
    import os
    import time

    time.sleep(0.05)
    return os.getpid()


@pytest.mark.parametrize("workers", [1, 2])
def test_pool_maps_in_order_and_this_process_shares_the_work(workers: int) -> None:
    import os

    with ProcessPool(workers) as pool:
        assert list(pool(_square, list(range(7)))) == [x * x for x in range(7)]
        assert list(pool(_square, [3])) == [9]
        pids = list(pool(_pid_of, list(range(12))))
        assert os.getpid() in pids  # this process took tasks while the workers were busy
        assert len(set(pids)) > 1
        assert pool.describe() == {"kind": "processes", "workers": workers + 1, "start": "fork"}


def test_an_error_in_a_task_reaches_the_caller() -> None:
    with ProcessPool(1) as pool, pytest.raises(ZeroDivisionError):
        list(pool(_inverse, [1, 2, 0, 4]))


def _inverse(x: int) -> float:
    return 1 / x


def _fresh_python(code: str) -> Any:
    """Run ``code`` in a new interpreter and return the JSON it prints last. A pool forks its
    workers before the process simulates or transpiles anything, as the command does; this test
    process has done both already, so the runs below start in a fresh one."""
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", ["fake_torino", "quantinuum_h1_1@2024-04-10", "aer"])
def test_a_run_on_worker_processes_gives_the_numbers_of_one_process(backend: str) -> None:
    got = _fresh_python(
        f"""
        import json
        from quantumlimits.execution.pool import ProcessPool
        from quantumlimits.qv.protocol import run_qv
        kwargs = dict(backend={backend!r}, widths="2-3", trials=30, shots=200, seed=5)
        with ProcessPool(1) as pool:
            spread = run_qv(mapper=pool, cluster=pool.describe(), **kwargs)
        alone = run_qv(**kwargs)
        print(json.dumps({{
            "same": [
                (a.heavy_counts, a.hops, a.physical_qubits)
                == (b.heavy_counts, b.hops, b.physical_qubits)
                for a, b in zip(alone.widths, spread.widths, strict=True)
            ],
            "cluster": spread.provenance["cluster"],
        }}))
        """
    )
    assert got["same"] == [True, True]
    assert got["cluster"] == {"kind": "processes", "workers": 2, "start": "fork"}


def test_open_pool_is_none_for_one_worker_or_one_core(monkeypatch) -> None:
    assert open_pool(1) is None
    monkeypatch.setattr(pool_mod, "usable_cores", lambda: 1)
    assert open_pool(None) is None
    with pytest.raises(ValueError, match="at least 1"):
        ProcessPool(0)
    monkeypatch.setattr(pool_mod, "usable_cores", lambda: 2)
    pool = open_pool(None)
    assert pool is not None and pool.workers == 1  # this process and one worker
    pool.close()


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


@pytest.mark.skipif(pool_mod.usable_cores() < 2, reason="needs two cores for --workers 2")
def test_ctrl_c_stops_the_workers_and_keeps_the_finished_widths(tmp_path) -> None:
    """Ctrl-C reaches the whole process group: the command exits 130 at once, no worker (nor
    the drawing process of qv.png) is left behind, and the run is stored as interrupted with the
    widths it finished."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    store = tmp_path / "s.db"
    args = [sys.executable, "-m", "quantumlimits", "qv", "--widths", "5-9", "--trials", "300"]
    args += ["--workers", "2", "--store", str(store), "--out", str(tmp_path / "out")]
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


def test_layout_candidates_transpiled_side_by_side_choose_the_same_layout() -> None:
    got = _fresh_python(
        """
        import json
        from quantumlimits.execution.pool import ProcessPool
        from quantumlimits.qv import build, protocol
        from quantumlimits.qv.settings import QVSettings
        pool = ProcessPool(1)
        device = protocol.load_device("fake_sherbrooke")
        settings = QVSettings(backend="fake_sherbrooke", seed=3)
        spread = protocol.choose_layout(device, 5, settings, mapper=pool)
        warmed = len(build._memo)
        pool.close()
        build._memo.clear()
        protocol._predicted_best.cache_clear()
        alone = protocol.choose_layout(device, 5, settings)
        print(json.dumps({
            "warmed": warmed,
            "same": alone.to_dict() == spread.to_dict() and alone.layout == spread.layout,
        }))
        """
    )
    assert got["warmed"] == 4  # the candidates' samples, in one call
    assert got["same"]


@pytest.mark.filterwarnings("ignore::quantumlimits.qv.protocol.QVWarning")
def test_a_width_whose_states_do_not_fit_twice_runs_in_this_process(monkeypatch) -> None:
    from quantumlimits.qv import protocol

    one_state = protocol.statevector_bytes(3)
    # room for one width-3 state, not for two
    monkeypatch.setattr(
        protocol, "_memory_bytes", lambda: int(1.5 * one_state / protocol.MEMORY_FRACTION)
    )
    with ProcessPool(1) as pool:
        calls: list[int] = []
        real = pool.__class__.__call__

        def counting(self, func, items):
            calls.append(len(items))
            return real(self, func, items)

        monkeypatch.setattr(pool.__class__, "__call__", counting)
        from quantumlimits.qv.protocol import run_qv

        run_qv(backend="aer", widths="3", trials=30, shots=100, seed=1, mapper=pool)
    assert calls == []
