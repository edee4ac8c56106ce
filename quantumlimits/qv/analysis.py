"""Analysis of measured widths: data in, statistics and verdicts out, no side effects.

Used for fresh runs, for re-analysis of stored counts (``show --reanalyse``) and for imported
data sets alike.

A width's verdict under a bound is three-way (docs/method.md, "Undecided widths"):

* **pass** — the lower bound is above 2/3;
* **fail** — the upper 2σ bound ``mean + 2 sqrt(mean (1 - mean) / N)`` is below 2/3: the data
  say the device's mean HOP is below the threshold;
* **undecided** — neither: more circuits would decide it. :func:`undecided` says how many the
  Cross test needs at the measured mean HOP (the planner, :mod:`quantumlimits.qv.plan`).

With ``--adaptive`` the sequential test's own decision (pass, fail, inconclusive) is the verdict.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantumlimits.qv import optimize as optimize_mod
from quantumlimits.qv import stats
from quantumlimits.qv.heavy import counts_to_arrays, heavy_count_arrays, unpack_mask
from quantumlimits.qv.results import QVResult, WidthResult
from quantumlimits.seeding import derive_seed
from quantumlimits.store import StoredCircuit

#: Power with which the circuits an undecided width needs would pass it (planner).
PLAN_POWER = 0.9
DECISIONS = ("pass", "fail", "undecided")


def analyse_width(
    *,
    width: int,
    depth: int,
    heavy_counts: Sequence[int],
    shots: Sequence[int],
    seed: int,
    bootstrap_resamples: int,
    mc_variances: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Statistics of one width from heavy counts (pure; used for fresh runs and re-analysis).

    ``mc_variances`` (a trajectory simulation's Monte-Carlo variance of each circuit's HOP)
    widen both bounds by the variance they add to the mean HOP (docs/method.md).
    """
    h = np.asarray(heavy_counts, dtype=np.int64)
    s = np.asarray(shots, dtype=np.int64)
    hop_values = stats.hops(h, s)
    extra = stats.mean_variance(mc_variances)
    cross_lower = stats.cross_lower_bound(hop_values, extra_variance=extra)
    boot_lower = stats.bootstrap_lower_bound(
        heavy_counts=h,
        shots=s,
        seed=derive_seed(seed, width, depth),
        resamples=bootstrap_resamples,
        extra_variance=extra,
    )
    return {
        "hops": tuple(float(x) for x in hop_values),
        "mean_hop": float(hop_values.mean()),
        "cross_lower": cross_lower,
        "bootstrap_lower": boot_lower,
        "passed_cross": stats.passes(cross_lower),
        "passed_bootstrap": stats.passes(boot_lower),
        "valid": h.size >= stats.MIN_CIRCUITS,
    }


def optimized_statistics(
    opts: optimize_mod.Optimizations,
    *,
    width: int,
    heavy_masks: Sequence[bytes],
    raw_counts: Sequence[dict[int, int]],
    extra_counts: Sequence[dict[int, int]],
    isa: Sequence[Any],
    physical_qubits: Sequence[int],
    seed: int,
    bootstrap_resamples: int,
    clbit_qubits: Sequence[Sequence[int]] | None = None,
) -> dict[str, Any]:
    """The optimized arm's statistics: decoupled counts (or the raw ones), mitigated or not.

    ``extra_counts`` holds the decoupled arm's counts (with decoupling), then the all-zeros
    calibration counts, then as many all-ones ones. Each circuit's clbit ``i`` reads local qubit
    ``clbit_qubits[k][i]`` (the calibration's qubit ``i``); without ``clbit_qubits`` that comes
    from the measurements of the ISA circuits ``isa``. Imported data sets
    (:mod:`quantumlimits.dataset.importer`) pass ``clbit_qubits`` and no ``isa``.
    """
    from quantumlimits.errors import UsageError

    n = len(heavy_masks)
    arm = list(extra_counts[:n]) if opts.dynamical_decoupling else list(raw_counts)
    masks = [unpack_mask(m, width) for m in heavy_masks]
    heavy = [heavy_count_arrays(*counts_to_arrays(c), m) for c, m in zip(arm, masks, strict=True)]
    shots = [sum(c.values()) for c in arm]
    calibration = None
    if opts.readout:
        cal = list(extra_counts[n:] if opts.dynamical_decoupling else extra_counts)
        half = len(cal) // 2
        try:
            calibration = optimize_mod.ReadoutCalibration.from_counts(
                physical_qubits, cal[:half], cal[half:]
            )
        except ValueError as exc:
            raise UsageError(
                f"readout mitigation at width {width}: {exc}; drop --mitigate-readout"
            ) from None
        reads = (
            list(clbit_qubits)
            if clbit_qubits is not None
            else [optimize_mod.measured_qubits(circuit) for circuit in isa]
        )
        estimates = [
            optimize_mod.mitigated_hop(c, optimize_mod.mitigation_weights(m, qubits, calibration))
            for c, m, qubits in zip(arm, masks, reads, strict=True)
        ]
        statistics = optimize_mod.estimate_statistics(
            values=[e[0] for e in estimates],
            shot_sds=[e[1] for e in estimates],
            shots=shots,
            seed=seed,
            resamples=bootstrap_resamples,
        )
        bound = "binomial-or-empirical"
    else:  # the decoupled arm's heavy counts: the raw arm's statistics
        analysis = analyse_width(
            width=width,
            depth=width,
            heavy_counts=heavy,
            shots=shots,
            seed=seed,
            bootstrap_resamples=bootstrap_resamples,
        )
        statistics = {k: v for k, v in analysis.items() if k != "valid"}
        statistics["hops"] = list(statistics["hops"])
        bound = "binomial"
    return {
        **{k: v for k, v in opts.to_dict().items() if k != "verdict_from"},
        "readout_calibration": calibration.to_dict() if calibration is not None else None,
        "heavy_counts": heavy if opts.dynamical_decoupling else None,
        "bound": bound,
        **statistics,
    }


def cross_upper_bound(
    hop_values: Sequence[float] | np.ndarray,
    *,
    z: float = stats.Z_TWO_SIGMA,
    extra_variance: float = 0.0,
) -> float:
    """Mean HOP plus ``z`` binomial standard errors: the mirror image of the Cross bound.

    >>> round(cross_upper_bound([0.6] * 100), 4)
    0.698
    """
    values = np.asarray(hop_values, dtype=float)
    return float(values.mean()) + z * stats.cross_sigma(values, extra_variance=extra_variance)


def decision(result: WidthResult, method: str, source: str = "raw") -> str:
    """``pass``, ``fail`` or ``undecided`` (module docstring) under ``method`` for the raw or
    the optimized statistics."""
    if method == "sequential":
        found = (result.sequential or {}).get("decision", "inconclusive")
        return "undecided" if found == "inconclusive" else str(found)
    if result.passed(method, source):
        return "pass"
    hop_values = result.hops
    if source == "optimized" and result.optimized is not None:
        hop_values = tuple(result.optimized["hops"])
    extra = stats.mean_variance(result.mc_variances) if source == "raw" else 0.0
    upper = cross_upper_bound(hop_values, extra_variance=extra)
    return "fail" if upper < stats.HOP_THRESHOLD else "undecided"


@dataclass(frozen=True)
class Undecided:
    """A width neither passed nor failed: how far it got and what would decide it."""

    width: int
    depth: int
    circuits: int
    mean_hop: float
    #: Circuits with which the Cross test passes a device of this mean HOP with probability
    #: :data:`PLAN_POWER`; None when the mean HOP is not above 2/3 (no number of circuits would).
    circuits_needed: int | None

    def describe(self) -> str:
        """One line for a person."""
        what = f"width {self.width}" + ("" if self.depth == self.width else f" depth {self.depth}")
        head = f"{what} undecided: mean HOP {self.mean_hop:.3f} after {self.circuits} circuits"
        if self.circuits_needed is None:
            return head + "; not above 2/3, so more circuits would decide it only if it rises"
        return (
            f"{head}; needs about {self.circuits_needed} circuits at HOP {self.mean_hop:.3f} "
            f"({PLAN_POWER:.0%} power, Cross bound)"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "width": self.width,
            "depth": self.depth,
            "circuits": self.circuits,
            "mean_hop": self.mean_hop,
            "circuits_needed": self.circuits_needed,
        }


@functools.lru_cache(maxsize=256)
def circuits_needed(*, hop: float, width: int, shots: int) -> int | None:
    """Circuits the Cross test needs to pass a device of mean HOP ``hop`` with probability
    :data:`PLAN_POWER` (None when ``hop`` is not above 2/3).

    >>> circuits_needed(hop=0.717, width=2, shots=1000)
    394
    """
    from quantumlimits.qv.ideal import ideal_hop_mean
    from quantumlimits.qv.plan import cross_plan

    if not hop > stats.HOP_THRESHOLD:
        return None
    # a measured mean may sit above the ideal one by chance: plan at just below the ideal
    ceiling = ideal_hop_mean(width) - 1e-6
    row = cross_plan(hop=min(hop, ceiling), width=width, power=PLAN_POWER, shots=shots)
    return row.circuits


def undecided(result: QVResult) -> list[Undecided]:
    """The widths of a run that neither passed nor failed under its deciding bound."""
    out = []
    for w in result.widths:
        if decision(w, result.decided_by, result.verdict_from) != "undecided":
            continue
        mean = w.mean_hop
        if result.verdict_from == "optimized" and w.optimized is not None:
            mean = float(w.optimized["mean_hop"])
        out.append(
            Undecided(
                width=w.width,
                depth=w.depth,
                circuits=w.circuits,
                mean_hop=mean,
                circuits_needed=circuits_needed(hop=mean, width=w.width, shots=w.shots),
            )
        )
    return out


def verdict_line(result: QVResult) -> str:
    """What the run shows, without claiming what it did not measure.

    ``QV = 2^m`` when no square width above the largest passing one is undecided;
    ``QV >= 2^m`` when one is; ``QV undecided`` when nothing passed and a width is undecided.
    """
    squares = [u for u in undecided(result) if u.width == u.depth]
    passing = result.log2_qv if result.quantum_volume > 1 else 0
    open_above = [u for u in squares if u.width > passing]
    if not open_above:
        return f"QV = {result.quantum_volume} (log2 {result.log2_qv})"
    if passing == 0:
        return "QV undecided"
    return f"QV >= {result.quantum_volume} (log2 {result.log2_qv}; a wider width is undecided)"


def summary_line(result: QVResult) -> str:
    """One line: the verdict, the device and how it was decided."""
    widths = ",".join(str(w.width) for w in result.widths)
    flag = "" if result.valid else " (not valid: fewer than 100 circuits)"
    return (
        f"{verdict_line(result)} on {result.backend} by {result.decided_by} (widths {widths}){flag}"
    )


def quantum_volume(widths: Sequence[WidthResult], method: str, source: str) -> int:
    """``2^m`` for the largest square width passing under ``method`` (1 when none passes)."""
    return stats.quantum_volume(
        [w.width for w in widths if w.passed(method, source) and w.width == w.depth]
    )


def reanalysed(
    original: QVResult,
    circuits: Sequence[StoredCircuit],
    *,
    method: str | None = None,
    bootstrap_resamples: int | None = None,
) -> QVResult:
    """A run's statistics recomputed from its stored circuits (each width and depth from its
    own circuits), without re-simulation."""
    method = method or original.decided_by
    resamples = bootstrap_resamples or int(original.settings["bootstrap_resamples"])
    by_cell: dict[tuple[int, int], list[StoredCircuit]] = {}
    for c in circuits:
        by_cell.setdefault((c.width, c.depth), []).append(c)
    widths = []
    for w in original.widths:
        stored = sorted(by_cell.get((w.width, w.depth), []), key=lambda c: c.index)
        if not stored:
            from quantumlimits.errors import StoreError

            raise StoreError(
                f"the store holds no circuits for width {w.width} depth {w.depth} of run "
                f"{original.run_id}: it cannot be re-analysed"
            )
        analysis = analyse_width(
            width=w.width,
            depth=w.depth,
            heavy_counts=[c.heavy_count for c in stored],
            shots=[c.shots for c in stored],
            seed=original.seed,
            bootstrap_resamples=resamples,
            # the recorded Monte-Carlo variances of a trajectory run stay in its bounds
            mc_variances=w.mc_variances
            if w.mc_variances is not None and len(w.mc_variances) == len(stored)
            else None,
        )
        widths.append(WidthResult.from_dict({**w.to_dict(), **analysis}))
    settings = {**original.settings, "method": method, "bootstrap_resamples": resamples}
    return QVResult(
        **{
            **original.__dict__,
            "widths": tuple(widths),
            "decided_by": method,
            "settings": settings,
            "quantum_volume": quantum_volume(widths, method, original.verdict_from),
        }
    )
