"""Layer fidelity on Dask workers: each length of a layer is a task; same seed, same numbers."""

from __future__ import annotations

from quantumlimits.eplg.protocol import measure
from quantumlimits.eplg.settings import EPLGSettings
from quantumlimits.execution.dask import DaskSession

SETTINGS = EPLGSettings(
    backend="fake_fez", chain_length=6, lengths=(1, 4, 16), samples=3, shots=200, resamples=20
)


def test_workers_give_the_numbers_of_one_process(two_workers: DaskSession) -> None:
    here = measure(SETTINGS)
    there = measure(SETTINGS, mapper=two_workers.map)
    assert there.chain == here.chain
    assert [layer.survival for layer in there.layers] == [layer.survival for layer in here.layers]
    assert (there.lf, there.eplg_interval) == (here.lf, here.eplg_interval)
