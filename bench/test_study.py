"""The documented study configuration end to end (docs/classify.md, "The study").

``pytest bench/test_study.py`` runs ``quantumlimits study`` with its defaults (``--quick``: the
small configuration) once, writes study.json, study.png and curves.png under ``--basetemp`` and
records the wall time and the analysis summary in the benchmark's ``extra_info``; it is a
measurement, not a test of speed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quantumlimits.cli import main


def test_study_documented_configuration(benchmark: Any, quick: bool, tmp_path: Path) -> None:
    out = tmp_path / "study"
    argv = ["study", "--out", str(out), "--no-store", *(["--quick"] if quick else [])]
    status = benchmark.pedantic(main, args=(argv,), rounds=1, iterations=1)
    assert status == 0
    doc = json.loads((out / "study.json").read_text())
    benchmark.extra_info["summary"] = doc["analysis"]["summary"]
    benchmark.extra_info["mean_rank"] = doc["analysis"]["mean_rank"]
