"""The full ``quantumlimits validate`` table of docs/validation.md, as Markdown.

Runs (or reads back) validate runs from a store and prints the Markdown tables: one row per
snapshot with a reported QV (reported, calibration date, predicted, and each protocol's simulated
QV with its verdict line and log2 ratio), the summary line of each protocol over the snapshots it
covered, and the CLOPS table. Rows are read from the runs' parts, so a run stopped part-way (the
strong protocol takes hours on all 47 snapshots) is shown for the snapshots it finished.

Run everything (about 12 minutes for the default protocol on 2 cores; the strong one far longer):
``.venv/bin/python -m quantumlimits validate --protocols default --store /tmp/v.sqlite``
``.venv/bin/python -m quantumlimits validate --protocols strong --clops-backends fake_torino
--store /tmp/v.sqlite``, then ``.venv/bin/python bench/validation.py --store /tmp/v.sqlite``
(every validate run in the store is used unless run ids are given; a snapshot's row under a
protocol comes from the newest run that covered it).
"""

from __future__ import annotations

import argparse
import math
import statistics
from pathlib import Path
from typing import Any

from quantumlimits.store import ResultsStore
from quantumlimits.validate.protocol import ClopsRow, QVRow, merged, summarise


def collect(store: ResultsStore, run_ids: list[str]) -> tuple[list[QVRow], list[ClopsRow], list]:
    """Merged QV rows (one per snapshot, every protocol's result), CLOPS rows and protocols."""
    result = merged(store, run_ids)
    return list(result.qv), list(result.clops), list(result.protocols)


def _verdict(found: dict[str, Any] | None) -> str:
    if found is None:
        return "not run"
    text = (
        str(found["verdict"]).replace(" (log2 ", " (").replace("; a wider width is undecided", "")
    )
    widths = found.get("widths") or []
    detail = ", ".join(
        f"w{w['width']} {w['decision']} {w['mean_hop']:.3f}/{w['circuits']}" for w in widths
    )
    return f"{text.split(' (')[0]}" + (f" [{detail}]" if detail else "")


def compilation_effect(qv: list[QVRow]) -> str:
    """Mean HOP at level 3 (strong) minus level 1 (sequential) over the widths both ran, each
    width's first 100 circuits compared (the same model circuits: the same seed)."""
    gaps = []
    for r in qv:
        a = {w["width"]: w for w in (r.simulated.get("sequential") or {}).get("widths", [])}
        b = {w["width"]: w for w in (r.simulated.get("strong") or {}).get("widths", [])}
        for width in sorted(set(a) & set(b)):
            if a[width]["circuits"] == b[width]["circuits"] == 100:
                gaps.append(b[width]["mean_hop"] - a[width]["mean_hop"])
    if not gaps:
        return "no width ran 100 circuits under both sequential and strong"
    gaps.sort()
    return (
        f"optimization level 3 against 1, same circuits, {len(gaps)} widths run with 100 circuits "
        f"under both: mean HOP {statistics.mean(gaps):+.3f} on average (median "
        f"{statistics.median(gaps):+.3f}, from {gaps[0]:+.3f} to {gaps[-1]:+.3f})"
    )


def markdown(qv: list[QVRow], clops: list[ClopsRow], protocols: list[str]) -> str:
    """The tables and summary lines."""
    lines = []
    head = ["snapshot", "qubits", "calibration", "reported", "predicted"]
    for p in protocols:
        head += [f"simulated, {p} [width decision mean HOP/circuits]", f"log2 r {p}"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for r in qv:
        cells = [
            r.backend,
            str(r.num_qubits),
            (r.calibration_date or "-")[:10],
            str(r.reported_qv),
            "-" if r.predicted_log2_qv is None else str(2**r.predicted_log2_qv),
        ]
        for p in protocols:
            found = r.simulated.get(p)
            ratio = r.ratio(p)
            cells += [_verdict(found), "-" if ratio is None else f"{ratio:+.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for p in protocols:
        s = summarise(qv, p)
        if s is not None:
            lines.append(f"- {s.line()}")
    covered = [r for r in qv if all(p in r.simulated for p in protocols)]
    if len(protocols) > 1 and covered:
        lines.append(f"- on the {len(covered)} snapshots every protocol covered:")
        for p in protocols:
            s = summarise(covered, p)
            if s is not None:
                lines.append(f"  - {s.line()}")
    if "sequential" in protocols and "strong" in protocols:
        lines.append(f"- {compilation_effect(qv)}")
    lines.append("")
    lines.append(
        "| snapshot | kind | reported | projected | projected/reported | shot µs | rep µs |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    ratios = []
    for c in sorted(clops, key=lambda c: c.backend):
        for kind, label in (("clops_h", "CLOPS_h"), ("clops", "CLOPS")):
            reported = getattr(c, f"reported_{kind}")
            projected = getattr(c, f"projected_{kind}")
            if not reported or not projected:
                continue
            ratio = projected["clops"] / reported
            ratios.append(math.log10(ratio))
            lines.append(
                f"| {c.backend} | {label} | {reported:,.0f} | {projected['clops']:,.0f} | "
                f"{ratio:.2f} | {projected['circuit_seconds'] * 1e6:.1f} | "
                f"{projected['rep_delay_seconds'] * 1e6:.0f} |"
            )
    if ratios:
        ratios.sort()
        lines.append("")
        lines.append(
            f"- CLOPS: {len(ratios)} figures; median projected/reported "
            f"{10 ** ratios[len(ratios) // 2]:.2f}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print the Markdown of the validate runs in ``--store``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("run_ids", nargs="*", help="validate runs (default: all of them)")
    parser.add_argument("--figure", type=Path, default=None, help="write the merged plot here")
    args = parser.parse_args()
    with ResultsStore(args.store, readonly=True) as store:
        qv, clops, protocols = collect(store, args.run_ids)
    print(markdown(qv, clops, protocols), end="")
    if args.figure is not None:
        from quantumlimits.plots import save_figure
        from quantumlimits.plots.validate import figure
        from quantumlimits.validate.protocol import ValidationResult

        merged = ValidationResult(
            protocols=tuple(protocols),
            seed=0,
            qv=tuple(qv),
            clops=tuple(clops),
            versions={},
            provenance={},
        )
        save_figure(figure(merged), args.figure)


if __name__ == "__main__":
    main()
