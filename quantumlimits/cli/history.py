"""``quantumlimits history`` and ``quantumlimits show``: runs recorded in the store."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.table import Table

from quantumlimits.cli import _common, summary
from quantumlimits.cli.qv import OUTPUTS, report, write_outputs
from quantumlimits.errors import UsageError
from quantumlimits.qv.protocol import reanalyse
from quantumlimits.qv.results import QVResult
from quantumlimits.qv.stats import METHODS


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``history`` and ``show``."""
    h = sub.add_parser(
        "history",
        help=summary("history"),
        description="List recorded runs, newest first.",
        formatter_class=_common.HELP_FORMATTER,
    )
    h.add_argument("--kind", default=None, help="only runs of this kind (qv, classify, ...)")
    h.add_argument("--limit", type=_common.positive_int, default=50, help="at most this many runs")
    h.add_argument("--json", action="store_true", help="print the list as JSON on stdout")
    _common.add_store_argument(h)
    h.set_defaults(func=run_history)

    s = sub.add_parser(
        "show",
        help=summary("show"),
        description="Re-print a stored run's table. With --reanalyse the statistics are "
        "recomputed from the stored counts and heavy sets, without re-simulation.",
        formatter_class=_common.HELP_FORMATTER,
    )
    s.add_argument("run_id", metavar="RUN_ID", help="run id or a unique prefix of it")
    s.add_argument(
        "--reanalyse",
        action="store_true",
        help="recompute bounds and verdicts from the stored counts",
    )
    s.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="with --reanalyse: the deciding bound (default: the run's own)",
    )
    s.add_argument(
        "--bootstrap-resamples",
        type=_common.positive_int,
        default=None,
        help="with --reanalyse: bootstrap resamples (default: the run's own)",
    )
    s.add_argument("--out", type=Path, default=None, help="write qv.json and qv.png here")
    s.add_argument("--json", action="store_true", help="print the document on stdout")
    _common.add_store_argument(s)
    s.set_defaults(func=run_show)


def run_history(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits history``."""
    out, _ = _common.consoles(args.json)
    with _common.open_store(args, readonly=True) as store:
        rows = store.runs(kind=args.kind, limit=args.limit)
    if args.json:
        _common.print_json(json.dumps([r.__dict__ for r in rows], indent=2))
        return 0
    table = Table(title="Recorded runs", title_justify="left")
    # a run id is copied into show and resume: never cut or wrapped, whatever the terminal
    widest = max((len(r.run_id) for r in rows), default=6)
    table.add_column("run id", no_wrap=True, min_width=widest)
    for column in ("kind", "created (UTC)", "backend", "seed", "status"):
        table.add_column(column)
    table.add_column("summary", overflow="fold")
    for r in rows:
        table.add_row(
            r.run_id, r.kind, r.created, r.backend or "-", str(r.seed), r.status, r.summary
        )
    out.print(table)
    if not rows:
        out.print("no runs recorded yet: 'quantumlimits qv' records one")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits show``."""
    out_console, _ = _common.consoles(args.json)
    out = _common.output_dir(args.out, files=OUTPUTS)
    with _common.open_store(args, readonly=True) as store:
        row = store.row(args.run_id)
        if row.kind != "qv":
            asked = [
                flag
                for flag, value in (
                    ("--reanalyse", args.reanalyse),
                    ("--method", args.method),
                    ("--bootstrap-resamples", args.bootstrap_resamples),
                )
                if value
            ]
            if asked:
                raise UsageError(
                    f"{', '.join(asked)} re-analyse QV runs; run {row.run_id} is a {row.kind} "
                    "run: drop them"
                )
            return _show_document(row.kind, store.document(row.run_id), out, args.json)
        if args.reanalyse:
            result = reanalyse(
                store,
                row.run_id,
                method=args.method,
                bootstrap_resamples=args.bootstrap_resamples,
            )
        elif args.method or args.bootstrap_resamples:
            raise UsageError("--method and --bootstrap-resamples go with --reanalyse: add it")
        else:
            result = QVResult.from_dict(store.document(row.run_id))
    if out is not None:
        write_outputs(out, result)
    report(out_console, result)
    if args.json:
        _common.print_json(result.to_json())
    return 0


def _show_document(kind: str, document: dict[str, Any], out: Path | None, json_mode: bool) -> int:
    """A stored run of another kind: mirror runs as their table (and files with ``--out``); any
    kind as its JSON document (written to ``--out`` as ``<kind>.json``)."""
    if kind == "mirror":
        from quantumlimits.cli import mirror as mirror_cli
        from quantumlimits.mirror.results import MirrorResult

        out_console, _ = _common.consoles(json_mode)
        mirror_cli.show(out_console, MirrorResult.from_dict(document), out=out, json_mode=json_mode)
        return 0
    if kind == "eplg":
        from quantumlimits.cli import eplg as eplg_cli
        from quantumlimits.eplg.results import EPLGResult

        out_console, _ = _common.consoles(json_mode)
        eplg_cli.show(out_console, EPLGResult.from_dict(document), out=out, json_mode=json_mode)
        return 0
    text = json.dumps(document, indent=2)
    if out is not None:
        _common.write_text(out / f"{kind}.json", text + "\n")
        sys.stderr.write(f"wrote {out / f'{kind}.json'}\n")
    _common.print_json(text)
    return 0
