"""Mirror documents: exact round trip, invariants, schema refusal."""

from __future__ import annotations

import warnings

import pytest

from quantumlimits.mirror.protocol import run_mirror
from quantumlimits.mirror.results import MirrorResult, MirrorWidthResult


@pytest.fixture(scope="module")
def result() -> MirrorResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_mirror(backend="fake_torino", widths=[2, 3], trials=3, shots=30, seed=1)


def test_round_trip_is_exact(result: MirrorResult) -> None:
    assert MirrorResult.from_json(result.to_json()) == result


def test_largest_passing_width_must_agree(result: MirrorResult) -> None:
    d = result.to_dict()
    d["largest_passing_width"] = 99
    with pytest.raises(ValueError, match="disagrees"):
        MirrorResult.from_dict(d)


def test_histograms_must_sum_to_the_shots(result: MirrorResult) -> None:
    d = result.widths[0].to_dict()
    d["histograms"][0][0] += 1
    with pytest.raises(ValueError, match="summing to the shots"):
        MirrorWidthResult.from_dict(d)


def test_other_schema_is_refused(result: MirrorResult) -> None:
    with pytest.raises(ValueError, match="schema 2"):
        MirrorResult.from_dict({**result.to_dict(), "schema": 2})
