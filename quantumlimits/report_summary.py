"""What the store says, in sentences: the summary that opens the HTML report (pure functions).

Every sentence is computed from stored documents and names the run it comes from. Where the data
do not decide a question the sentence says "undecided" or "not measured", never a guess:

* per device (QV runs and limits runs of one backend): the quantum volume of its newest QV run,
  the first measured width whose mean heavy-output probability falls below 2/3 (and whether its
  2σ upper bound does too), read on the arm the run's verdict used (raw, or its optimized arm,
  named), and, from its newest limits run, the width from which the device outruns exact
  classical simulation;
* per dataset (the newest classify run or study that covers it): the model with the shortest
  median time to the target, and the best quantum model's time, final accuracy and projected QPU
  seconds and cost against it;
* per study: how often the best classical model beat the best quantum one, and the ablation.

:func:`model_rows` aggregates a classify document per model (median time-to-target over seeds,
seeds reached, accuracy spread); the report's classifier tables show these rows.

>>> summarise().empty
True
>>> summarise().lines()
['Nothing measured yet: the store holds no complete QV, limits, classify or study run.']
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quantumlimits.qv.stats import HOP_THRESHOLD

if TYPE_CHECKING:
    from quantumlimits.qv.results import QVResult, WidthResult

__all__ = [
    "DatasetAnswer",
    "DeviceAnswer",
    "HopCrossing",
    "ModelRow",
    "Stored",
    "Summary",
    "dataset_answers",
    "device_answers",
    "model_rows",
    "study_lines",
    "summarise",
]


@dataclass(frozen=True)
class Stored:
    """One stored document and where it comes from (``created`` orders runs: newest wins)."""

    run_id: str
    created: str
    document: dict[str, Any]


def _num(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}"


def _seconds(value: float) -> str:
    """``0.00156 s``, ``4.2 s``, ``2,050 s (34 min)``."""
    if value < 1000:
        return f"{value:.3g} s"
    minutes = value / 60
    longer = f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    return f"{value:,.0f} s ({longer})"


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 else f"${value:.2g}"


# -- classifiers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRow:
    """One model of a classify document, aggregated over its seeds.

    ``median_seconds``: median training wall seconds to the target, a seed that never reached it
    counting as infinite (None when half or more missed); ``qpu_seconds``/``cost``: the same on the
    projected QPU clock and its price (quantum models of a run with a device model only; None
    otherwise); ``train_seconds``: median total training seconds; ``total_qpu_seconds``: median
    projected QPU seconds of the whole training.
    """

    model: str
    family: str
    seeds: int
    reached: int
    median_seconds: float | None
    accuracy_low: float
    accuracy_median: float
    accuracy_high: float
    train_seconds: float
    qpu_seconds: float | None = None
    cost: float | None = None
    total_qpu_seconds: float | None = None
    total_cost: float | None = None

    @property
    def quantum(self) -> bool:
        """Whether the model is a quantum one."""
        return self.family == "quantum"

    def accuracy_text(self) -> str:
        """``0.87–0.93`` (min–max over seeds), or one value for one seed or no spread."""
        if self.accuracy_low == self.accuracy_high:
            return f"{self.accuracy_low:.3f}"
        return f"{self.accuracy_low:.3f}–{self.accuracy_high:.3f}"


def model_rows(document: dict[str, Any]) -> list[ModelRow]:
    """Per model of a ``classify.json`` document: seeds, seeds reaching the target, median
    time-to-target, the final-accuracy spread and (quantum) projected QPU seconds and cost."""
    from quantumlimits.classify.results import ClassifyResult

    result = ClassifyResult.from_dict(document)
    price = result.price_per_second
    rows = []
    for m in result.models:
        wall = m.summary(result.target, clock="wall", price_per_second=price)
        finals = [r.final_accuracy for r in m.runs]
        quantum = m.family == "quantum"
        qpu = cost = total_qpu = total_cost = None
        if quantum and result.device_model is not None:  # no device, no QPU projection
            qpu = m.summary(result.target, clock="qpu", price_per_second=price).median
            cost = m.summary(result.target, clock="cost", price_per_second=price).median
            total_qpu = float(statistics.median(r.curve.qpu_seconds[-1] for r in m.runs))
            total_cost = total_qpu * price
        rows.append(
            ModelRow(
                model=m.name,
                family=m.family,
                seeds=wall.runs,
                reached=wall.reached,
                median_seconds=wall.median,
                accuracy_low=min(finals),
                accuracy_median=float(statistics.median(finals)),
                accuracy_high=max(finals),
                train_seconds=float(statistics.median(r.train_seconds for r in m.runs)),
                qpu_seconds=qpu,
                cost=cost,
                total_qpu_seconds=total_qpu,
                total_cost=total_cost,
            )
        )
    return rows


@dataclass(frozen=True)
class DatasetAnswer:
    """Which model reaches the target first on one dataset, and where the best quantum model
    stands against it."""

    dataset: str
    run_id: str
    target: float
    rows: tuple[ModelRow, ...]

    @property
    def fastest(self) -> ModelRow | None:
        """The model with the shortest median time to the target (None: no model reached it in
        at least half its seeds). Ties go to the first listed."""
        reached = [r for r in self.rows if r.median_seconds is not None]
        return min(reached, key=lambda r: r.median_seconds or 0.0) if reached else None

    @property
    def best_quantum(self) -> ModelRow | None:
        """The quantum model fastest to the target, else the one with the highest median final
        accuracy (None when no quantum model ran)."""
        quantum = [r for r in self.rows if r.quantum]
        reached = [r for r in quantum if r.median_seconds is not None]
        if reached:
            return min(reached, key=lambda r: r.median_seconds or 0.0)
        if quantum:
            return max(quantum, key=lambda r: r.accuracy_median)
        return None

    def sentence(self) -> str:
        """The answer in one or two sentences."""
        seeds = max((r.seeds for r in self.rows), default=0)
        head = (
            f"{self.dataset} (target accuracy {self.target:.3g}, {seeds} seed"
            f"{'' if seeds == 1 else 's'}, run {self.run_id}): "
        )
        fastest = self.fastest
        if fastest is None or fastest.median_seconds is None:
            text = (
                f"no model reached the target in at least half its seeds, so the fastest model "
                f"is undecided (best median final accuracy: {self._most_accurate()})."
            )
        else:
            text = (
                f"fastest to the target: {fastest.model}, median {_seconds(fastest.median_seconds)}"
                f" ({fastest.reached}/{fastest.seeds} seeds reached)."
            )
        return head + text + " " + self._quantum_sentence(fastest)

    def _most_accurate(self) -> str:
        top = max(r.accuracy_median for r in self.rows)
        tied = [r.model for r in self.rows if r.accuracy_median == top]
        return (
            f"{', '.join(tied)}, {top:.3f}"
            if len(tied) == 1
            else (f"{', '.join(tied)} tied at {top:.3f}")
        )

    def _quantum_sentence(self, fastest: ModelRow | None) -> str:
        q = self.best_quantum
        if q is None:
            return "No quantum model was run."
        accuracy = f"final accuracy {q.accuracy_text()}"
        if q.median_seconds is not None:
            ratio = ""
            if fastest is not None and fastest is not q and fastest.median_seconds:
                ratio = f", {q.median_seconds / fastest.median_seconds:.3g}× the fastest"
            qpu = ""
            if q.qpu_seconds is not None and q.cost is not None:
                qpu = (
                    f"; projected QPU time to the target {_seconds(q.qpu_seconds)} ({_usd(q.cost)})"
                )
            if fastest is q:
                return f"It is a quantum model: {accuracy}{qpu}."
            return (
                f"Best quantum model: {q.model}, median {_seconds(q.median_seconds)} to the "
                f"target ({q.reached}/{q.seeds} seeds{ratio}), {accuracy}{qpu}."
            )
        qpu = ""
        if q.total_qpu_seconds is not None and q.total_cost is not None:
            qpu = (
                f"; its whole training projects to {_seconds(q.total_qpu_seconds)} of QPU time "
                f"({_usd(q.total_cost)})"
            )
        return (
            f"No quantum model reached the target in at least half its seeds; the most accurate, "
            f"{q.model}, ended at {accuracy.removeprefix('final accuracy ')} after "
            f"{_seconds(q.train_seconds)} of training ({q.reached}/{q.seeds} seeds reached){qpu}."
        )


def dataset_answers(
    classify: Sequence[Stored] = (), studies: Sequence[Stored] = ()
) -> list[DatasetAnswer]:
    """One answer per dataset name, from the newest classify run or study covering it (a study's
    datasets are classify documents too), in the order of first appearance, newest first."""
    candidates: list[tuple[str, str, dict[str, Any]]] = [
        (s.created, s.run_id, s.document) for s in classify
    ]
    for s in studies:
        candidates.extend((s.created, s.run_id, d) for d in s.document.get("datasets", []))
    candidates.sort(key=lambda c: c[0], reverse=True)
    seen: dict[str, DatasetAnswer] = {}
    for _created, run_id, doc in candidates:
        name = str((doc.get("dataset") or {}).get("name", "?"))
        if name in seen:
            continue
        try:
            rows = model_rows(doc)
        except (KeyError, ValueError, TypeError):
            continue  # an unreadable document decides nothing; its section says so
        seen[name] = DatasetAnswer(
            dataset=name, run_id=run_id, target=float(doc["target"]), rows=tuple(rows)
        )
    return list(seen.values())


def study_lines(studies: Sequence[Stored]) -> list[str]:
    """The newest study's two answers: classical against quantum, entangled against not."""
    if not studies:
        return []
    newest = max(studies, key=lambda s: s.created)
    s = (newest.document.get("analysis") or {}).get("summary") or {}
    settings = newest.document.get("settings") or {}
    lines = []
    if s.get("duels"):
        tune = settings.get("tune")
        budget = f", every model tuned with {tune} configurations" if tune else ", untuned"
        lines.append(
            f"Study {newest.run_id} ({s.get('datasets')} datasets, {settings.get('seeds')} "
            f"seed(s){budget}): the best classical model beat the best quantum one on "
            f"{s['classical_wins']} of {s['duels']} datasets (median accuracy gap "
            f"{s['median_accuracy_gap']:+.3f}, median training-time ratio quantum/classical "
            f"{_num(s['median_time_ratio'])})."
        )
    else:
        lines.append(
            f"Study {newest.run_id}: no dataset had both a classical and a quantum model, so "
            "classical against quantum is not measured."
        )
    if s.get("ablation_pairs"):
        readout = settings.get("readout", "z0")  # studies recorded before the flag read qubit 0
        caveat = (
            " Read on qubit 0 alone (readout z0), an entanglement-free model sees only the first "
            "feature, so this compares one feature with all of them rather than entanglement."
            if readout == "z0"
            else " Both variants read the mean ⟨Z⟩ of every qubit."
        )
        lines.append(
            f"Entanglement-free variants were at least as accurate as their entangled model in "
            f"{s['noent_at_least_as_good']} of {s['ablation_pairs']} (model, dataset) pairs."
            + caveat
        )
    return lines


# -- devices -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HopCrossing:
    """The first measured width whose mean HOP is below 2/3; ``upper``: its mean plus the
    distance to the Cross 2σ lower bound (below 2/3 too: decided, else within noise).

    The statistics are those of the arm the run's verdict used (``QVResult.verdict_from``):
    ``arm`` is None for the raw statistics, else what the optimized arm is (``readout-mitigated
    arm``…, :func:`quantumlimits.qv.optimize.arm_label`), and ``raw_mean_hop`` is the raw mean
    beside it.
    """

    width: int
    mean_hop: float
    upper: float
    run_id: str
    arm: str | None = None
    raw_mean_hop: float | None = None

    @classmethod
    def of(cls, width: WidthResult, result: QVResult, run_id: str) -> HopCrossing:
        """A width's statistics from the arm its run's verdict used (raw or optimized)."""
        if result.verdict_from == "optimized" and width.optimized is not None:
            from quantumlimits.qv.optimize import arm_label

            mean = float(width.optimized["mean_hop"])
            lower = width.lower("cross", "optimized")
            return cls(
                width.width,
                mean,
                2 * mean - lower,
                run_id,
                arm=arm_label(result.settings.get("optimizations")),
                raw_mean_hop=width.mean_hop,
            )
        return cls(width.width, width.mean_hop, 2 * width.mean_hop - width.cross_lower, run_id)

    def source(self) -> str:
        """``, on the readout-mitigated arm its verdict used (raw 0.612)``; empty when raw."""
        if self.arm is None:
            return ""
        raw = f" (raw {self.raw_mean_hop:.3f})" if self.raw_mean_hop is not None else ""
        return f" on the {self.arm} its verdict used{raw}"

    @property
    def decided(self) -> bool:
        """Whether the 2σ upper bound is below 2/3 as well."""
        return self.upper < HOP_THRESHOLD


@dataclass(frozen=True)
class DeviceAnswer:
    """What the store says about one backend."""

    backend: str
    qv_runs: tuple[str, ...] = ()
    verdict: str | None = None
    other_volumes: tuple[int, ...] = ()
    measured_widths: tuple[int, ...] = ()
    hop_below: HopCrossing | None = None
    #: The optimized arms (:attr:`HopCrossing.arm`) whose statistics some measured width uses.
    measured_arms: tuple[str, ...] = ()
    limits_run: str | None = None
    faster_width: int | None = None
    faster_range: tuple[int | None, int | None] = (None, None)
    limits_widest: int | None = None
    limits_hop_below: int | None = None
    limits_hop_source: str | None = None

    def sentence(self) -> str:
        """The answer in one sentence per question."""
        parts = [self._qv(), self._hop(), self._faster()]
        return f"{self.backend}: " + " ".join(parts)

    def _qv(self) -> str:
        if not self.qv_runs:
            return "quantum volume not measured (no QV run)."
        others = ""
        if len(self.qv_runs) > 1:
            volumes = ", ".join(str(v) for v in self.other_volumes)
            others = f"; {len(self.qv_runs) - 1} older run(s) found QV {volumes}"
        return f"{self.verdict}, newest QV run {self.qv_runs[0]}{others}."

    def _limits_hop(self) -> str:
        return (
            f"width {self.limits_hop_below} ({self.limits_hop_source}, "
            f"limits run {self.limits_run})"
        )

    def _hop(self) -> str:
        h = self.hop_below
        if h is not None:
            how = (
                f"its 2σ upper bound {h.upper:.3f} is below 2/3 too"
                if h.decided
                else f"within 2σ of 2/3 (upper bound {h.upper:.3f}), so not decided"
            )
            return (
                f"Mean HOP falls below 2/3 at width {h.width}: {h.mean_hop:.3f}{h.source()}, "
                f"{how} (run {h.run_id})."
            )
        if self.measured_widths:
            arms = ""
            if self.measured_arms:
                arms = f" (on the arm each run's verdict used: {', '.join(self.measured_arms)})"
            text = (
                f"Mean HOP stays at or above 2/3 at every width its QV runs measured (up to "
                f"{max(self.measured_widths)}){arms}"
            )
            if self.limits_hop_below is not None:
                return text + f"; the limits run puts the fall below 2/3 at {self._limits_hop()}."
            return text + ": where it falls below is not measured."
        if self.limits_hop_below is not None:
            return f"HOP below 2/3 from {self._limits_hop()}."
        return "Where its HOP falls below 2/3: not measured."

    def _faster(self) -> str:
        if self.limits_run is None:
            return "Where it outruns exact simulation: not measured (no limits run)."
        if self.faster_width is None:
            return (
                f"It does not outrun exact simulation up to width {self.limits_widest}, the "
                f"widest examined (limits run {self.limits_run})."
            )
        lo, hi = self.faster_range
        band = ""
        if (lo, hi) != (self.faster_width, self.faster_width):
            band = f", band {lo}–{hi}" if hi is not None else f", band {lo} to beyond "
            band += "" if hi is not None else f"{self.limits_widest}"
        text = (
            f"It outruns exact simulation from width {self.faster_width}{band} (limits run "
            f"{self.limits_run})"
        )
        if self.hop_below is not None and self.hop_below.width <= self.faster_width:
            text += f", past width {self.hop_below.width}, where its mean HOP is below 2/3"
        elif self.limits_hop_below is not None and self.limits_hop_below <= self.faster_width:
            text += (
                f", past width {self.limits_hop_below}, where its HOP is below 2/3 "
                f"({self.limits_hop_source})"
            )
        return text + "."


def device_answers(qv: Sequence[Stored] = (), limits: Sequence[Stored] = ()) -> list[DeviceAnswer]:
    """One answer per backend seen in QV or limits runs, in order of the newest run."""
    from quantumlimits.limits.wall import LimitsResult
    from quantumlimits.qv.analysis import verdict_line
    from quantumlimits.qv.results import QVResult

    qv_by: dict[str, list[tuple[str, QVResult]]] = {}
    for s in sorted(qv, key=lambda s: s.created, reverse=True):
        try:
            result = QVResult.from_dict(s.document)
        except (KeyError, ValueError, TypeError):
            continue
        qv_by.setdefault(result.backend, []).append((s.run_id, result))
    limits_by: dict[str, tuple[str, LimitsResult]] = {}
    for s in sorted(limits, key=lambda s: s.created, reverse=True):
        try:
            lr = LimitsResult.from_dict(s.document)
        except (KeyError, ValueError, TypeError):
            continue
        limits_by.setdefault(lr.backend, (s.run_id, lr))
    out = []
    for backend in dict.fromkeys([*qv_by, *limits_by]):
        fields: dict[str, Any] = {}
        runs = qv_by.get(backend, [])
        if runs:
            newest = runs[0][1]
            fields.update(
                qv_runs=tuple(r for r, _ in runs),
                verdict=verdict_line(newest),
                other_volumes=tuple(res.quantum_volume for _, res in runs[1:]),
            )
            hops: dict[int, HopCrossing] = {}
            for run_id, res in runs:  # newest first: a width's newest measurement wins
                for w in res.widths:
                    if w.width == w.depth and w.width not in hops:
                        hops[w.width] = HopCrossing.of(w, res, run_id)
            fields["measured_widths"] = tuple(sorted(hops))
            fields["measured_arms"] = tuple(
                dict.fromkeys(h.arm for h in hops.values() if h.arm is not None)
            )
            fields["hop_below"] = next(
                (hops[w] for w in sorted(hops) if hops[w].mean_hop < HOP_THRESHOLD), None
            )
        if backend in limits_by:
            run_id, lr = limits_by[backend]
            c = lr.crossings
            fields.update(
                limits_run=run_id,
                faster_width=c.device_faster_width,
                faster_range=c.device_faster_range,
                limits_widest=max((r.width for r in lr.rows), default=None),
                limits_hop_below=c.hop_below_two_thirds_width,
                limits_hop_source=c.hop_below_source,
            )
        out.append(DeviceAnswer(backend=backend, **fields))
    return out


# -- the whole summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The report's opening: device answers, dataset answers and the study's lines."""

    devices: tuple[DeviceAnswer, ...] = ()
    datasets: tuple[DatasetAnswer, ...] = ()
    study: tuple[str, ...] = ()
    missing: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """Whether the store measured nothing the summary reads."""
        return not (self.devices or self.datasets or self.study)

    def lines(self) -> list[str]:
        """Every sentence, devices first (plain text; the report adds the markup)."""
        if self.empty:
            return [
                "Nothing measured yet: the store holds no complete QV, limits, classify or "
                "study run."
            ]
        return [
            *(d.sentence() for d in self.devices),
            *(d.sentence() for d in self.datasets),
            *self.study,
            *self.missing,
        ]


def summarise(
    *,
    qv: Sequence[Stored] = (),
    limits: Sequence[Stored] = (),
    classify: Sequence[Stored] = (),
    studies: Sequence[Stored] = (),
) -> Summary:
    """The summary of the given documents (no side effects)."""
    devices = device_answers(qv, limits)
    datasets = dataset_answers(classify, studies)
    missing = []
    if (datasets or studies) and not devices:
        missing.append("No device measured: no QV or limits run in the store.")
    if devices and not (datasets or studies):
        missing.append("No classifier measured: no classify run or study in the store.")
    return Summary(
        devices=tuple(devices),
        datasets=tuple(datasets),
        study=tuple(study_lines(studies)),
        missing=tuple(missing),
    )
