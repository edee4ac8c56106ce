"""One self-contained HTML report from the results store: QV runs, classifier runs, the classical
wall, QV through the years, with the provenance of every number.

The page opens with the answer (section ``summary``): sentences generated from the stored documents
by :mod:`quantumlimits.report_summary` (per device: QV, where the mean HOP falls below 2/3, where
the device outruns exact simulation; per dataset: the fastest model to the target and the best
quantum model against it), then the figures, then the tables; classifier runs show one row per
model aggregated over seeds, and raw fields and documents sit in ``<details>`` folds.

The page has no scripts and loads nothing: figures are PNGs embedded as base64 ``data:`` URIs and
the style sheet is inline, so the file opens offline and can be mailed as it is. Each section
has a fixed ``id`` (:data:`SECTIONS`, in page order) and says plainly when the store holds nothing
for it.

The newest complete study (``kind="study"``) gives the ``study`` section (best classical against
best quantum per dataset, the accuracy-rank figure) and, when it holds compute–accuracy curves, the
``diminishing`` figure: one curve per model and dataset, monotone in budget, with seed bands.

Classifier runs (``kind="classify"``) are read with :class:`quantumlimits.classify.results.
ClassifyResult`: every evaluated step of every seed is an accuracy-against-compute point.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quantumlimits import provenance
from quantumlimits.errors import UsageError

SECTIONS = (
    "summary",
    "diminishing",
    "qv",
    "study",
    "classify",
    "limits",
    "timeline",
    "validation",
    "eplg",
    "provenance",
)
#: QV runs shown with a figure (the newest); older ones are listed in the table only.
QV_FIGURES = 6


@dataclass(frozen=True)
class ClassifyPoint:
    """One accuracy-against-compute point read from a classify document."""

    run_id: str
    model: str
    family: str
    accuracy: float
    wall_seconds: float | None
    qpu_seconds: float | None
    last: bool = False  # the final point of its training curve


def classify_points(run_id: str, document: dict[str, Any]) -> list[ClassifyPoint]:
    """Accuracy-against-compute points of a ``classify.json`` document (every evaluated step of
    every seed of every model): training wall seconds and projected QPU seconds (None for
    classical models, which need no QPU)."""
    from quantumlimits.classify.results import ClassifyResult

    result = ClassifyResult.from_dict(document)
    out = []
    for model in result.models:
        quantum = model.family == "quantum"
        for run in model.runs:
            curve = run.curve
            n = len(curve.accuracy)
            for i, (acc, wall, qpu) in enumerate(
                zip(curve.accuracy, curve.train_seconds, curve.qpu_seconds, strict=True)
            ):
                out.append(
                    ClassifyPoint(
                        run_id,
                        model.name,
                        model.family,
                        float(acc),
                        float(wall),
                        float(qpu) if quantum else None,
                        last=i == n - 1,
                    )
                )
    return out


# -- HTML pieces -------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;
color:#222;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.l,th.l{text-align:left}
img{max-width:100%;border:1px solid #eee;margin:.5rem 0}
.empty{background:#fff7e0;border-left:4px solid #e0b000;padding:.5rem 1rem}
.note{color:#555;font-size:.85rem}
code,pre{background:#f6f6f6;font-size:.8rem}pre{padding:.5rem;overflow-x:auto;max-height:24rem}
nav a{margin-right:1rem}
#summary li{margin:.35rem 0}details{margin:.3rem 0}summary{cursor:pointer;color:#345}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _png(fig: Any, alt: str) -> str:
    from quantumlimits.plots import pyplot

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    pyplot().close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, left: int = 1) -> str:
    head = "".join(
        f'<th class="{"l" if i < left else ""}">{_e(h)}</th>' for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"l" if i < left else ""}">{_e(v)}</td>' for i, v in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fold(title: str, inner: str) -> str:
    return f"<details><summary>{_e(title)}</summary>{inner}</details>"


def _empty(text: str) -> str:
    return f'<p class="empty">{_e(text)}</p>'


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _provenance_of(run_id: str, kind: str, doc: dict[str, Any]) -> list[Any]:
    prov = doc.get("provenance") or {}
    machine = prov.get("machine") or {}
    versions = doc.get("versions") or {}
    return [
        run_id,
        kind,
        prov.get("created", "-"),
        doc.get("backend") or "-",
        (doc.get("calibration_date") or "-"),
        ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or "-",
        f"{machine.get('processor', '-')} × {machine.get('cpus', '-')} cpus, "
        f"{_fmt((machine.get('memory_bytes') or 0) / 2**30)} GiB",
        (prov.get("git_commit") or "-")[:12],
    ]


# -- sections ----------------------------------------------------------------------------------


def _qv_section(runs: Sequence[tuple[Any, dict[str, Any]]]) -> str:
    parts = ['<section id="qv"><h2>Quantum volume runs</h2>']
    if not runs:
        parts.append(_empty("No QV runs in the store: 'quantumlimits qv' records one."))
        return "".join(parts) + "</section>"
    from quantumlimits.plots import pyplot
    from quantumlimits.plots.qv import plot_summary
    from quantumlimits.qv.results import QVResult

    plt = pyplot()
    for row, doc in runs[:QV_FIGURES]:
        try:
            result = QVResult.from_dict(doc)
        except (KeyError, ValueError) as exc:
            parts.append(_empty(f"run {row.run_id}: document not readable ({exc})"))
            continue
        fig, ax = plt.subplots(figsize=(6, 3.6))
        plot_summary(ax, result)
        fig.tight_layout()
        parts.append(
            f"<h3>{_e(result.backend)} — {_e(row.run_id)}</h3><p>{_e(row.summary)}</p>"
            + _png(fig, f"QV summary of {row.run_id}")
        )
        table_rows = [
            [
                w.width,
                w.circuits,
                w.shots,
                f"{w.mean_hop:.4f}",
                f"{w.cross_lower:.4f}",
                f"{w.bootstrap_lower:.4f}",
                "yes" if w.passed_cross else "no",
                "yes" if w.passed_bootstrap else "no",
            ]
            for w in result.widths
        ]
        parts.append(
            _fold(
                "per-width statistics",
                _table(
                    ("width", "N", "shots", "mean HOP", "Cross LB", "boot LB", "pass C", "pass B"),
                    table_rows,
                    left=0,
                ),
            )
        )
    if len(runs) > QV_FIGURES:
        parts.append(f'<p class="note">Figures for the newest {QV_FIGURES} runs only.</p>')
    rows = []
    for row, doc in runs:
        widths = doc.get("widths", [])
        rows.append(
            [
                row.run_id,
                doc.get("backend"),
                (doc.get("calibration_date") or "-")[:10],
                doc.get("quantum_volume"),
                str(doc.get("decided_by"))
                + (" (optimized arm)" if doc.get("verdict_from") == "optimized" else ""),
                ",".join(str(w["width"]) for w in widths),
                "/".join(sorted({str(w["circuits"]) for w in widths})),
                "yes" if doc.get("valid") else "no (fewer than 100 circuits)",
                row.created,
            ]
        )
    parts.append("<h3>Every QV run</h3>")
    parts.append(
        _table(
            (
                "run",
                "backend",
                "calibration",
                "QV",
                "decided by",
                "widths",
                "circuits",
                "valid",
                "created",
            ),
            rows,
            left=3,
        )
    )
    return "".join(parts) + "</section>"


def _study_section(docs: Sequence[tuple[Any, dict[str, Any]]]) -> str:
    parts = ['<section id="study"><h2>Quantum against classical models (study)</h2>']
    if not docs:
        parts.append(_empty("No study in the store: quantumlimits study records one."))
        return "".join(parts) + "</section>"
    from quantumlimits.plots.study import figure

    row, doc = docs[0]
    analysis = doc["analysis"]
    s = analysis.get("summary", {})
    if "duels" in s:
        parts.append(
            f"<p>Run {_e(row.run_id)}: the best classical model beat the best quantum one on "
            f"{_e(s['classical_wins'])} of {_e(s['duels'])} datasets (median accuracy gap "
            f"{_e(_fmt(s['median_accuracy_gap']))}, median training-time ratio quantum/classical "
            f"{_e(_fmt(s['median_time_ratio']))}).</p>"
        )
    parts.append(
        _table(
            ["dataset", "best classical", "acc", "train s", "best quantum", "acc", "train s"],
            [
                [
                    d["dataset"],
                    d["best_classical"],
                    _fmt(d["classical_accuracy"]),
                    _fmt(d["classical_train_seconds"]),
                    d["best_quantum"],
                    _fmt(d["quantum_accuracy"]),
                    _fmt(d["quantum_train_seconds"]),
                ]
                for d in analysis.get("duels", [])
            ],
        )
    )
    parts.append(_png(figure(analysis), "accuracy of every model on every dataset"))
    return "".join(parts) + "</section>"


def _study_curves(docs: Sequence[tuple[Any, dict[str, Any]]]) -> str | None:
    """The diminishing-returns figure from the newest study's compute–accuracy curves."""
    curves = docs[0][1].get("curves") if docs else None
    if not curves:
        return None
    from quantumlimits.plots.study import curves_figure

    return (
        _png(curves_figure(curves), "held-out accuracy as the training budget doubles")
        + '<p class="note">From the newest study: each model\'s training budget grows in '
        "doublings (quantum: optimiser steps; logreg and svc: iterations; mlp: hidden units; "
        "gbdt: trees); the line is the median over seeds, the band their range, dashed lines "
        "are quantum models. The study's document holds each curve's power-law fit (error "
        "ratio per doubling of training time).</p>"
    )


def _classify_section(runs: Sequence[tuple[Any, dict[str, Any]]]) -> str:
    parts = ['<section id="classify"><h2>Classifier runs</h2>']
    if not runs:
        parts.append(
            _empty(
                "No classify runs in the store: the classifier commands record them "
                "(kind 'classify')."
            )
        )
        return "".join(parts) + "</section>"
    from quantumlimits.report_summary import model_rows

    parts.append(
        '<p class="note">One row per model, over its seeds: time to the target is the median '
        'training wall time, a seed that never reached the target counting as infinite ("not '
        'reached" when half or more missed); accuracy is the final held-out accuracy, min–max '
        "over seeds (median); QPU seconds and cost are projected from the calibration.</p>"
    )
    for row, doc in runs:
        parts.append(f"<h3>{_e(row.run_id)}</h3><p>{_e(row.summary)}</p>")
        try:
            aggregated = model_rows(doc)
            found = classify_points(row.run_id, doc)
        except (KeyError, ValueError, TypeError) as exc:
            parts.append(_empty(f"run {row.run_id}: document not readable ({exc})"))
            aggregated, found = [], []
        if aggregated:
            parts.append(
                _table(
                    (
                        "model",
                        "family",
                        "seeds reached",
                        "median s to target",
                        "final accuracy (median)",
                        "median train s",
                        "QPU s to target",
                        "cost to target (USD)",
                    ),
                    [
                        [
                            m.model,
                            m.family,
                            f"{m.reached}/{m.seeds}",
                            "not reached" if m.median_seconds is None else _fmt(m.median_seconds),
                            f"{m.accuracy_text()} ({m.accuracy_median:.3f})",
                            _fmt(m.train_seconds),
                            "-"
                            if not m.quantum
                            else ("not reached" if m.qpu_seconds is None else _fmt(m.qpu_seconds)),
                            "-"
                            if not m.quantum
                            else ("not reached" if m.cost is None else f"{m.cost:,.2f}"),
                        ]
                        for m in aggregated
                    ],
                    left=2,
                )
            )
        scalars = [
            [k, _fmt(v, 4)]
            for k, v in sorted(doc.items())
            if isinstance(v, (str, int, float, bool)) or v is None
        ]
        parts.append(_fold("run fields", _table(("field", "value"), scalars, left=2)))
        if found:
            parts.append(
                _fold(
                    "every seed's final point",
                    _table(
                        ("model", "family", "final accuracy", "train wall s", "projected QPU s"),
                        [
                            [
                                p.model,
                                p.family,
                                f"{p.accuracy:.4f}",
                                _fmt(p.wall_seconds),
                                _fmt(p.qpu_seconds),
                            ]
                            for p in found
                            if p.last
                        ],
                        left=2,
                    ),
                )
            )
        text = json.dumps(doc, indent=1, sort_keys=True)
        if len(text) > 20000:
            text = text[:20000] + "\n… (truncated)"
        parts.append(_fold("document", f"<pre>{_e(text)}</pre>"))
    return "".join(parts) + "</section>"


def _diminishing_section(
    runs: Sequence[tuple[Any, dict[str, Any]]],
    studies: Sequence[tuple[Any, dict[str, Any]]] = (),
) -> str:
    parts = ['<section id="diminishing"><h2>Diminishing returns</h2>']
    from_study = _study_curves(studies)
    if from_study is not None:
        parts.append(from_study)
        return "".join(parts) + "</section>"
    points: list[ClassifyPoint] = []
    for row, doc in runs:
        try:
            points.extend(classify_points(row.run_id, doc))
        except (KeyError, ValueError, TypeError):
            continue  # the classify section says which document is unreadable
    if not points:
        parts.append(
            _empty(
                "No classify runs with accuracy and compute in the store, so there is no "
                "accuracy-against-compute panel yet."
            )
        )
    else:
        from quantumlimits.plots import pyplot
        from quantumlimits.plots.limits import plot_diminishing

        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        plot_diminishing(axes[0], points, compute="wall_seconds")
        plot_diminishing(axes[1], points, compute="qpu_seconds")
        fig.tight_layout()
        parts.append(_png(fig, "accuracy against compute"))
        parts.append(
            '<p class="note">Held-out accuracy against compute on log axes, quantum and classical '
            "models. A curve that flattens as compute grows tenfold is the diminishing return "
            "deep learning's scaling debate is about; QPU seconds are projected from calibration."
            "</p>"
        )
    return "".join(parts) + "</section>"


def _stored(items: Sequence[tuple[Any, dict[str, Any]]]) -> list[Any]:
    from quantumlimits.report_summary import Stored

    return [Stored(row.run_id, row.created, doc) for row, doc in items]


def _summary_section(chosen: dict[str, list[tuple[Any, dict[str, Any]]]]) -> str:
    from quantumlimits.report_summary import summarise

    summary = summarise(
        qv=_stored(chosen["qv"]),
        limits=_stored(chosen["limits"]),
        classify=_stored(chosen["classify"]),
        studies=_stored(chosen["study"]),
    )
    parts = ['<section id="summary"><h2>What the store says</h2>']
    if summary.empty:
        parts.append(_empty(summary.lines()[0]))
        return "".join(parts) + "</section>"

    def item(sentence: str) -> str:
        name, sep, rest = sentence.partition(": ")
        return f"<li><b>{_e(name)}</b>{sep}{_e(rest)}</li>" if sep else f"<li>{_e(sentence)}</li>"

    if summary.devices:
        parts.append("<h3>Devices</h3><ul>")
        parts.extend(item(d.sentence()) for d in summary.devices)
        parts.append("</ul>")
    if summary.datasets or summary.study:
        parts.append("<h3>Classifiers</h3><ul>")
        parts.extend(item(d.sentence()) for d in summary.datasets)
        parts.extend(f"<li>{_e(line)}</li>" for line in summary.study)
        parts.append("</ul>")
    parts.extend(f'<p class="note">{_e(m)}</p>' for m in summary.missing)
    parts.append(
        '<p class="note">Generated from the runs below (each sentence names its run; a device\'s '
        "newest QV run gives its verdict, a width's newest measurement its HOP; a dataset's "
        'newest classify run or study gives its answer). "Not measured" and "undecided" '
        "mean the stored data do not say.</p>"
    )
    return "".join(parts) + "</section>"


def _limits_section(docs: Sequence[tuple[Any, dict[str, Any]]]) -> str:
    parts = ['<section id="limits"><h2>The classical wall</h2>']
    if not docs:
        parts.append(_empty("No limits run in the store: 'quantumlimits limits' records one."))
        return "".join(parts) + "</section>"
    from quantumlimits.limits.wall import LimitsResult, from_width
    from quantumlimits.plots.limits import limits_figure

    for row, doc in docs:
        try:
            result = LimitsResult.from_dict(doc)
        except (KeyError, ValueError) as exc:
            parts.append(_empty(f"run {row.run_id}: document not readable ({exc})"))
            continue
        c = result.crossings
        fit = result.classical_fit
        parts.append(f"<h3>{_e(result.backend)} — {_e(row.run_id)}</h3>")
        parts.append(_png(limits_figure(result), "time, memory and HOP against width"))
        lo, hi = c.device_faster_range
        widest = max((r.width for r in result.rows), default=0)
        band = "" if lo is None else f" (band {lo}–{hi if hi is not None else f'beyond {widest}'})"
        hop_source = f" ({c.hop_below_source})" if c.hop_below_source else ""
        parts.append(
            "<ul>"
            f"<li><b>Device faster</b> than exact simulation "
            f"<b>{_e(from_width(c.device_faster_width, result))}</b>{_e(band)}.</li>"
            f"<li><b>Device HOP below 2/3</b> "
            f"<b>{_e(from_width(c.hop_below_two_thirds_width, result))}</b>{_e(hop_source)}.</li>"
            "<li><b>Memory wall</b> (16·2<sup>n</sup> bytes): "
            + ", ".join(f"{_e(k)} n ≤ {_e(v)}" for k, v in c.memory_wall.items())
            + ".</li>"
            f"<li>Classical time per circuit ∝ 2<sup>a·n</sup>, a = {fit.rate:.3f} ± "
            f"{fit.rate_se:.3f} (fitted on widths {fit.fitted_widths[0]}–{fit.fitted_widths[-1]}, "
            f"{_e(result.settings.get('threads'))} thread(s); scan stopped: "
            f"{_e(result.stop_reason)}).</li></ul>"
        )
        shown = [
            r
            for r in result.rows
            if r.width in (2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60)
            or r.width == result.classical[-1].width
        ]
        parts.append(
            _table(
                (
                    "width",
                    "classical s/circuit",
                    "95% band",
                    "source",
                    "device s/circuit",
                    "device source",
                    "device HOP",
                    "HOP source",
                    "state vector bytes",
                ),
                [
                    [
                        r.width,
                        _fmt(r.classical_seconds.value),
                        f"{_fmt(r.classical_seconds.low)}–{_fmt(r.classical_seconds.high)}",
                        r.classical_seconds.source,
                        _fmt(r.device_seconds.value),
                        r.device_seconds.source,
                        f"{r.device_hop.value:.3f}",
                        r.device_hop.source,
                        _fmt(r.statevector_bytes),
                    ]
                    for r in shown
                ],
                left=0,
            )
        )
        parts.append(
            f'<p class="note">Measured on this machine: classical points up to width '
            f"{result.classical[-1].width}. Extrapolated: everything wider (fit band is the 95% "
            f"interval of the fitted line). Device: {_e(result.backend)}, calibration "
            f"{_e(result.calibration_date)}, rep_delay "
            f"{_e(result.device_info.get('default_rep_delay_s'))} s, "
            f"{_e(result.settings.get('shots'))} shots, job overhead "
            f"{_e(result.settings.get('job_overhead_s'))} s per "
            f"{_e(result.settings.get('circuits_per_job'))} circuits; transpiled up to width "
            f"{result.device[-1].width if result.device else '-'}, extrapolated beyond.</p>"
        )
    return "".join(parts) + "</section>"


def _timeline_section(docs: Sequence[tuple[Any, dict[str, Any]]]) -> str:
    parts = ['<section id="timeline"><h2>QV through the years</h2>']
    if not docs:
        parts.append(_empty("No timeline run in the store: 'quantumlimits timeline' records one."))
        from quantumlimits.limits.reported import REPORTED

        parts.append("<h3>Reported values</h3>")
        parts.append(
            _table(
                ("date", "vendor", "system", "QV", "status", "source"),
                [
                    [r.date[:10], r.vendor, r.system, r.quantum_volume, r.status, r.source]
                    for r in REPORTED
                ],
                left=6,
            )
        )
        return "".join(parts) + "</section>"
    from quantumlimits.limits.timeline import TimelineResult
    from quantumlimits.plots.limits import timeline_figure

    for row, doc in docs:
        try:
            result = TimelineResult.from_dict(doc)
        except (KeyError, ValueError) as exc:
            parts.append(_empty(f"run {row.run_id}: document not readable ({exc})"))
            continue
        parts.append(f"<h3>{_e(row.run_id)} ({_e(result.mode)})</h3>")
        parts.append(_png(timeline_figure(result), "log2 QV against date"))
        fit = result.fit
        parts.append(
            "<p>Snapshots: "
            + (
                _e(f"QV doubles every {fit.doubling_years_text} ({fit.points} snapshots).")
                if fit
                else "too few dated snapshots to fit."
            )
            + "".join(
                f" {_e(v)}, reported: doubling every {_e(f.doubling_years_text)}."
                for v, f in result.reported_fits.items()
                if f is not None
            )
            + "</p>"
        )
        parts.append(
            "<h4>Where snapshot results and reported values differ, and why</h4><ul>"
            + "".join(f"<li>{_e(d)}</li>" for d in result.differences)
            + "</ul>"
        )
        parts.append("<h4>Reported values (vendor claims, with sources)</h4>")
        parts.append(
            _table(
                ("date", "vendor", "system", "QV", "status", "source"),
                [
                    [
                        f"{r.date[:10]} ({r.date_precision})",
                        r.vendor,
                        r.system,
                        r.quantum_volume,
                        r.status,
                        r.source,
                    ]
                    for r in result.reported
                ],
                left=6,
            )
        )
        parts.append("<h4>Snapshots</h4>")
        parts.append(
            _table(
                ("snapshot", "calibration", "qubits", "QV", "mode", "HOP by width"),
                [
                    [
                        s.name,
                        (s.calibration_date or "-")[:10],
                        s.num_qubits,
                        s.quantum_volume,
                        s.mode,
                        " ".join(f"{k}:{v:.3f}" for k, v in s.hops.items()),
                    ]
                    for s in sorted(result.snapshots, key=lambda s: s.calibration_date or "")
                ],
                left=2,
            )
        )
    return "".join(parts) + "</section>"


def _validation_section(store: Any, docs: Sequence[tuple[Any, dict[str, Any]]]) -> str:
    parts = ['<section id="validation"><h2>Simulation against IBM\'s reported figures</h2>']
    if not docs:
        parts.append(
            _empty("No validate run in the store: 'quantumlimits validate --quick' records one.")
        )
        return "".join(parts) + "</section>"
    from quantumlimits.plots.validate import figure
    from quantumlimits.validate.protocol import merged

    result = merged(store, [row.run_id for row, _ in docs])
    parts.append(
        f"<p>Runs {_e(', '.join(row.run_id for row, _ in docs))} (a snapshot's row under a "
        f"protocol comes from the newest run that covered it), seed {_e(result.seed)}.</p>"
    )
    parts.extend(f"<p>{_e(s.line())}</p>" for s in result.summaries())
    parts.append(_png(figure(result), "simulated against reported QV and CLOPS"))
    if result.qv:
        headers = ["snapshot", "calibration", "reported QV", "predicted QV"]
        for p in result.protocols:
            headers += [f"simulated ({p})", f"log2 ratio ({p})"]
        rows = []
        for r in result.qv:
            cells: list[Any] = [
                r.backend,
                (r.calibration_date or "-")[:10],
                r.reported_qv,
                "-" if r.predicted_log2_qv is None else 2**r.predicted_log2_qv,
            ]
            for p in result.protocols:
                cells += [r.simulated[p]["verdict"], f"{r.ratio(p):+.0f}"]
            rows.append(cells)
        parts.append(_table(headers, rows))
    if result.clops:
        rows = []
        for c in result.clops:
            for kind, label in (("clops_h", "CLOPS_h"), ("clops", "CLOPS")):
                reported, projected = (
                    getattr(c, f"reported_{kind}"),
                    getattr(c, f"projected_{kind}"),
                )
                if reported and projected:
                    rows.append(
                        [
                            c.backend,
                            label,
                            f"{reported:,.0f}",
                            f"{projected['clops']:,.0f}",
                            f"{projected['clops'] / reported:.2f}",
                        ]
                    )
        parts.append(_table(("snapshot", "kind", "reported", "projected", "ratio"), rows, left=2))
    return "".join(parts) + "</section>"


def _provenance_section(included: Sequence[tuple[Any, dict[str, Any]]]) -> str:
    me = provenance.provenance()
    parts = ['<section id="provenance"><h2>Provenance</h2>']
    parts.append(
        f"<p>Report generated {_e(me['created'])} by quantumlimits "
        f"{_e(me['versions'].get('quantumlimits', '?'))}, commit "  # type: ignore[attr-defined]
        f"{_e(me.get('git_commit') or '-')}. Every number above comes from the run named "
        "beside it; each run's versions, machine and commit are below.</p>"
    )
    if included:
        parts.append(
            _table(
                (
                    "run",
                    "kind",
                    "created",
                    "backend",
                    "calibration",
                    "versions",
                    "machine",
                    "commit",
                ),
                [_provenance_of(row.run_id, row.kind, doc) for row, doc in included],
                left=8,
            )
        )
    else:
        parts.append(_empty("No runs were included."))
    return "".join(parts) + "</section>"


def _eplg_section(docs: Sequence[tuple[Any, dict[str, Any]]]) -> str:
    parts = ['<section id="eplg"><h2>Layer fidelity and EPLG</h2>']
    if not docs:
        parts.append(_empty("No eplg run in the store: 'quantumlimits eplg' records one."))
        return "".join(parts) + "</section>"
    from quantumlimits.eplg.results import EPLGResult
    from quantumlimits.plots.eplg import figure

    rows = []
    for row, doc in docs:
        try:
            result = EPLGResult.from_dict(doc)
        except (KeyError, ValueError) as exc:
            parts.append(_empty(f"run {row.run_id}: document not readable ({exc})"))
            continue
        lo, hi = result.eplg_interval
        rows.append(
            [
                result.backend,
                len(result.chain),
                result.two_qubit_gate,
                f"{result.lf:.4f}",
                f"{result.eplg:.5f} [{lo:.5f}, {hi:.5f}]"
                + ("" if result.decided else " (undecided)"),
                f"{result.projected_eplg:.5f}",
                result.layers[0].method if result.layers else "-",
                row.run_id,
            ]
        )
        parts.append(_png(figure(result), f"EPLG against chain length on {result.backend}"))
    parts.append(
        _table(
            ["backend", "chain", "gate", "LF", "EPLG [95 %]", "calibration EPLG", "on", "run"],
            rows,
        )
    )
    parts.append(
        '<p class="note">EPLG = 4/5·(1 − LF^(1/n₂)), n₂ = chain length − 1 (IBM\'s figure); '
        "calibration EPLG: the same from the calibrated gate errors alone (docs/eplg.md).</p>"
    )
    return "".join(parts) + "</section>"


def _select(store: Any, run_ids: Sequence[str]) -> dict[str, list[tuple[Any, dict[str, Any]]]]:
    chosen: dict[str, list[tuple[Any, dict[str, Any]]]] = {
        "qv": [],
        "classify": [],
        "limits": [],
        "timeline": [],
        "validate": [],
        "eplg": [],
        "study": [],
    }
    if run_ids:
        for rid in run_ids:
            row = store.row(rid)
            if row.kind not in chosen:
                raise UsageError(
                    f"run {row.run_id} is of kind {row.kind!r}, which the report does not show"
                )
            if row.status != "complete":
                raise UsageError(f"run {row.run_id} is {row.status}, not complete: pick another")
            chosen[row.kind].append((row, store.document(row.run_id)))
        return chosen
    for kind in chosen:
        rows = [r for r in store.runs(kind=kind) if r.status == "complete"]
        if kind in ("limits", "timeline", "study"):
            rows = rows[:1]
        for r in rows:
            chosen[kind].append((r, store.document(r.run_id)))
    return chosen


def render(*, store: Any, run_ids: Sequence[str] = ()) -> str:
    """The report as one HTML string (runs chosen by id, else everything relevant in the store).

    Without ``run_ids``: every complete QV, classify and validate run (validate runs merged into
    one table), and the newest complete limits and timeline runs.
    """
    chosen = _select(store, run_ids)
    included = [
        item
        for kind in ("qv", "classify", "study", "limits", "timeline", "validate", "eplg")
        for item in chosen[kind]
    ]
    nav = "".join(f'<a href="#{s}">{s}</a>' for s in SECTIONS)
    body = "".join(
        [
            _summary_section(chosen),
            _diminishing_section(chosen["classify"], chosen["study"]),
            _qv_section(chosen["qv"]),
            _study_section(chosen["study"]),
            _classify_section(chosen["classify"]),
            _limits_section(chosen["limits"]),
            _timeline_section(chosen["timeline"]),
            _validation_section(store, chosen["validate"]),
            _eplg_section(chosen["eplg"]),
            _provenance_section(included),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>quantumlimits report</title>"
        f"<style>{_CSS}</style></head><body>"
        "<h1>quantumlimits: where quantum stands against classical compute</h1>"
        f'<p class="note">Store: {_e(store.path)}. {len(included)} runs.</p>'
        f"<nav>{nav}</nav>{body}</body></html>\n"
    )
