"""Layer fidelity at full scale: a 100-qubit chain of fake_fez and the longest chain of
fake_torino (its best 100-qubit chain does not exist: broken couplers cut the lattice), full RB
at the command's defaults (lengths 2…128, 12 sequences per length and layer, 400 shots, 200
bootstrap resamplings, seed 0), on stim with the twirled device noise. One round each: the goal
is under 10 minutes per device on 2 cores; the time of each stage and the EPLG go in
``extra_info``.

``--quick``: a 10-qubit chain, 3 sequences, lengths 2, 8, 32.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from quantumlimits.eplg.protocol import measure
from quantumlimits.eplg.settings import EPLGSettings

CASES = {"fake_fez": 100, "fake_torino": "max"}


@pytest.mark.parametrize("backend", sorted(CASES))
def test_eplg_full_chain(benchmark: Any, quick: bool, backend: str) -> None:
    if quick:
        settings = EPLGSettings(
            backend=backend, chain_length=10, samples=3, lengths=(2, 8, 32), resamples=20
        )
    else:
        settings = EPLGSettings(backend=backend, chain_length=CASES[backend])
    benchmark.group = "eplg-full-chain"
    started = time.perf_counter()
    result = benchmark.pedantic(measure, args=(settings,), rounds=1, iterations=1)
    benchmark.extra_info.update(
        {
            "backend": backend,
            "chain": len(result.chain),
            "eplg": result.eplg,
            "eplg_interval": list(result.eplg_interval),
            "projected_eplg": result.projected_eplg,
            "timings": result.timings,
            "wall_s": time.perf_counter() - started,
        }
    )
    assert result.eplg_interval[0] <= result.eplg_interval[1]
