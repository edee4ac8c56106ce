"""The documented study configuration end to end (docs/classify.md, "The study").

``pytest bench/test_study.py`` runs ``quantumlimits study`` with its defaults — the documented
configuration, ``quantumlimits.classify.study.DEFAULT``: six families, every model, 3 seeds,
``--tune 4``, the quantum models read out as the mean ⟨Z⟩ of every qubit (``--readout mean``) —
once; with ``--quick`` the small configuration (``study.QUICK``). It writes study.json, study.png
and curves.png under ``--basetemp``, checks that the recorded settings are that configuration
(so a changed default shows here), and records the wall time, the readout and the analysis
summary in the benchmark's ``extra_info``; it is a measurement, not a test of speed. It does not
record a store run (``--no-store``); docs/classify.md's measured result was run with ``--store``,
which stores the same study.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quantumlimits.classify import study
from quantumlimits.cli import main


def test_study_documented_configuration(benchmark: Any, quick: bool, tmp_path: Path) -> None:
    out = tmp_path / "study"
    argv = ["study", "--out", str(out), "--no-store", *(["--quick"] if quick else [])]
    status = benchmark.pedantic(main, args=(argv,), rounds=1, iterations=1)
    assert status == 0
    doc = json.loads((out / "study.json").read_text())
    expected = study.QUICK if quick else study.DEFAULT
    assert doc["settings"] == expected.to_dict()
    assert doc["settings"]["readout"] == "mean"
    benchmark.extra_info["readout"] = doc["settings"]["readout"]
    benchmark.extra_info["summary"] = doc["analysis"]["summary"]
    benchmark.extra_info["mean_rank"] = doc["analysis"]["mean_rank"]
