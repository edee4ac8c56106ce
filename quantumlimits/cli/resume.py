"""``quantumlimits resume RUN_ID``: continue a stopped run from its recorded jobs.

Finished cloud jobs are read from the store (or fetched from IBM Quantum when they finished after
the run stopped), failed ones are resubmitted, and a completed job is never run again. A QV run
continues from its recorded settings (``QVSettings``): widths it finished are read from the store,
the others run (seeds make them exactly what the first attempt would have given). A classify run
continues from its recorded settings (``ClassifySettings``): the (model, seed) units it finished
are read from the store, the others trained; one on an IBM Quantum device re-projects what is
still to send and collects or resubmits its jobs (classify/device.py, cli/_classify_ibm.py).
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from quantumlimits.cli import _classify_ibm, _common, _ibm, summary
from quantumlimits.errors import UsageError
from quantumlimits.progress import RichWidthProgress, width_bars
from quantumlimits.qv import protocol
from quantumlimits.store import ResultsStore


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``resume``."""
    p = sub.add_parser(
        "resume",
        help=summary("resume"),
        description="Continue a run that stopped (Ctrl-C, crash, a failed or unreachable job): "
        "finished jobs are collected, failed ones resubmitted, completed ones never re-run. "
        "The run keeps its id and settings.",
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument("run_id", metavar="RUN_ID", help="run id or a unique prefix of it")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write qv.json and qv.png (classify: classify.json and .png) here; a classify run "
        "defaults to its recorded --out",
    )
    p.add_argument("--json", action="store_true", help="print the document on stdout")
    _common.add_store_argument(p)
    _ibm.add_arguments(p, mode=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits resume``."""
    from quantumlimits.cli.qv import OUTPUTS, _describe_width, report, write_outputs

    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out, files=OUTPUTS)
    store = _common.open_store(args, create=False)
    executor = None
    try:
        row = store.row(args.run_id)
        if row.status == "complete":
            err_console.print(f"run {row.run_id} is complete: nothing to resume")
            key, console = _ibm.WIDTH_COLUMN, err_console
            if row.kind == "classify":
                key = _classify_ibm.key_column(store.inputs(row.run_id))
                console = _classify_ibm.jobs_console()
            if row.kind == "eplg":
                from quantumlimits.cli.eplg import LAYER_COLUMN

                key = LAYER_COLUMN
            _ibm.print_jobs(
                console, store, row.run_id, usd_per_second=args.usd_per_qpu_second, key=key
            )
            return 0
        if row.kind == "classify":
            return _resume_classify(args, store, row.run_id, out=out)
        if row.kind == "study":
            return _resume_study(args, store, row.run_id, out=out)
        if row.kind == "mirror":
            return _resume_mirror(args, store, row.run_id, out=out)
        if row.kind == "eplg":
            return _resume_eplg(args, store, row.run_id, out=out)
        if row.kind != "qv":
            raise UsageError(
                f"run {row.run_id} is a {row.kind} run: only qv, mirror, eplg, classify and study "
                "runs resume"
            )
        if (row.backend or "").startswith("imported:"):
            raise UsageError(
                f"run {row.run_id} imports a data set, which runs nothing to resume: "
                "run 'quantumlimits import' on the data set again"
            )
        settings = protocol.recorded_settings(store, row.run_id)
        executor = _ibm.qv_executor(
            settings,
            account=args.account,
            mode=args.mode,
            max_qpu_seconds=args.max_qpu_seconds,
            usd_per_second=args.usd_per_qpu_second,
            yes=args.yes,
            console=err_console,
            resume=(store, row.run_id),
        )
        with width_bars(err_console) as bar:
            result = protocol.resume(
                store,
                row.run_id,
                executor=executor,
                progress=RichWidthProgress(
                    bar,
                    functools.partial(
                        _describe_width, method=settings.method, source=settings.verdict_from
                    ),
                ),
            )
        _ibm.print_jobs(err_console, store, row.run_id, usd_per_second=args.usd_per_qpu_second)
    finally:
        if executor is not None:
            executor.close()
        store.close()
    if out is not None:
        write_outputs(out, result)
    report(out_console, result)
    if args.json:
        _common.print_json(result.to_json())
    return 0


def _resume_classify(
    args: argparse.Namespace, store: ResultsStore, run_id: str, *, out: Path | None
) -> int:
    from quantumlimits.classify import protocol
    from quantumlimits.cli import classify as classify_cli

    settings = protocol.recorded_settings(store, run_id)
    if settings.backend is not None:  # on a device: this invocation's account, budget, --yes
        inputs = store.inputs(run_id) or {}
        recorded_out = (store.parts(run_id).get(classify_cli.OUTPUT_PART) or {}).get(
            "out", (inputs.get("args") or {}).get("out", classify_cli.DEFAULT_OUT)
        )
        ns = argparse.Namespace(
            account=args.account,
            mode=args.mode,
            max_qpu_seconds=args.max_qpu_seconds,
            yes=args.yes,
            json=args.json,
            store=args.store,
            out=str(args.out) if args.out is not None else recorded_out,
        )
        store.close()  # the device run opens the store itself
        return classify_cli.run_on_device(settings, ns, resume_run_id=run_id)
    with classify_cli.progress_bars() as progress:
        one = protocol.resume(store, run_id, progress=progress)
    classify_cli.show([one], out_dirs=[out], json_mode=args.json)
    return 0


def _resume_study(
    args: argparse.Namespace, store: ResultsStore, run_id: str, *, out: Path | None
) -> int:
    from quantumlimits.classify import study
    from quantumlimits.cli import study as study_cli
    from quantumlimits.cli.classify import progress_bars

    out_console, _ = _common.consoles(args.json)
    with progress_bars(several=True) as progress:
        result = study.resume(store, run_id, progress=progress)
    study_cli.show(result, out=out, console=out_console, json_mode=args.json)
    return 0


def _resume_mirror(
    args: argparse.Namespace, store: ResultsStore, run_id: str, *, out: Path | None
) -> int:
    from quantumlimits.cli import mirror as mirror_cli
    from quantumlimits.mirror import protocol as mirror_protocol

    out_console, err_console = _common.consoles(args.json)
    with width_bars(err_console) as bar:
        result = mirror_protocol.resume(
            store, run_id, progress=RichWidthProgress(bar, mirror_cli._describe_width)
        )
    mirror_cli.show(out_console, result, out=out, json_mode=args.json)
    return 0


def _resume_eplg(
    args: argparse.Namespace, store: ResultsStore, run_id: str, *, out: Path | None
) -> int:
    from quantumlimits.cli import eplg as eplg_cli
    from quantumlimits.eplg import protocol as eplg_protocol
    from quantumlimits.eplg.settings import EPLGSettings
    from quantumlimits.execution.backends import is_cloud_name

    inputs = store.inputs(run_id)
    if inputs is not None and is_cloud_name(str(inputs.get("backend", ""))):
        # on a device: this invocation's account, budget and --yes; the recorded chain
        store.close()  # the cloud run opens the store itself
        return eplg_cli.run_cloud(
            EPLGSettings.from_dict(inputs), args, out=out, resume_run_id=run_id
        )
    out_console, err_console = _common.consoles(args.json)
    with err_console.status("layer fidelity") as status:
        result = eplg_protocol.resume(store, run_id, progress=lambda line: status.update(line))
    eplg_cli.show(out_console, result, out=out, json_mode=args.json)
    return 0
