"""``quantumlimits eplg``: layer fidelity and error per layered gate (EPLG) of a device's chain."""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from quantumlimits._io import atomic_write_text
from quantumlimits.cli import _common, _ibm, summary
from quantumlimits.eplg.results import EPLGResult
from quantumlimits.eplg.settings import DEFAULT_LENGTHS, SIMULATORS, EPLGSettings
from quantumlimits.errors import UsageError
from quantumlimits.execution.backends import is_cloud_name

DESCRIPTION = """\
Layer fidelity (LF) and error per layered gate (EPLG), the figures IBM reports its devices by:
choose the best chain of qubits from calibration, split its couplers into two disjoint two-qubit
layers, run simultaneous direct randomized benchmarking of each layer, fit the decays, and report
each pair's process fidelity, LF and EPLG = 4/5·(1 − LF^(1/n₂)) with n₂ the chain's two-qubit
gates, with bootstrap intervals. Runs on stim with the Pauli-twirled device noise at any width, or
on Aer with the full device noise model for chains up to 12 qubits (docs/eplg.md); on an IBM
Quantum device (ibm_<device>) the same circuits are projected, approved, sent and journaled as for
qv (docs/ibm.md).
"""

#: The files ``eplg --out`` writes.
OUTPUTS = ("eplg.json", "eplg.png")


def _chain_length(text: str) -> str | int:
    if text.strip().lower() == "max":
        return "max"
    value = _common.positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError("must be at least 2 (a chain has a coupler)")
    return value


def _lengths(text: str) -> tuple[int, ...]:
    try:
        values = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated sequence lengths like 2,8,32, got {text!r}"
        ) from None
    if len(values) < 3:
        raise argparse.ArgumentTypeError(f"give at least 3 lengths, like 2,8,32, got {text!r}")
    return tuple(values)


def _at_least(minimum: int, why: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = _common.non_negative_int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum} ({why})")
        return value

    return parse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``eplg``."""
    p = sub.add_parser(
        "eplg",
        help=summary("eplg"),
        description=DESCRIPTION,
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument(
        "--backend",
        default="fake_fez",
        help="a calibration snapshot (fake_fez), a device spec, or an IBM Quantum device (ibm_fez)",
    )
    p.add_argument(
        "--chain-length",
        type=_chain_length,
        default=100,
        help="qubits of the chain, or max (the longest chain the search finds)",
    )
    p.add_argument(
        "--chain",
        type=_common.int_list,
        default=None,
        help="explicit chain of physical qubits, e.g. 0,1,2,3 (instead of the search)",
    )
    p.add_argument(
        "--lengths",
        type=_lengths,
        default=DEFAULT_LENGTHS,
        help="layers per sequence, comma-separated",
    )
    p.add_argument(
        "--samples",
        type=_at_least(2, "the bootstrap needs a spread"),
        default=12,
        help="random sequences per length and layer",
    )
    p.add_argument("--shots", type=_common.positive_int, default=400, help="shots per sequence")
    p.add_argument(
        "--resamples",
        type=_at_least(10, "the interval needs them"),
        default=200,
        help="bootstrap resamplings",
    )
    p.add_argument("--simulator", choices=SIMULATORS, default="stim", help="stim or aer")
    p.add_argument("--seed", type=_common.non_negative_int, default=0, help="master seed")
    p.add_argument("--out", type=Path, default=None, help="folder for eplg.json and eplg.png")
    _common.add_dask_argument(p)
    _common.add_store_argument(p)
    p.add_argument("--no-store", action="store_true", help="do not record the run in the store")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the result document on stdout (progress and tables go to stderr)",
    )
    _ibm.add_arguments(p)
    p.set_defaults(func=run)


def settings_from_args(args: argparse.Namespace) -> EPLGSettings:
    """The run the flags ask for (validated)."""
    return EPLGSettings(
        backend=args.backend,
        chain_length=args.chain_length if args.chain is None else len(args.chain),
        chain=None if args.chain is None else tuple(args.chain),
        lengths=tuple(args.lengths),
        samples=args.samples,
        shots=args.shots,
        seed=args.seed,
        simulator=args.simulator,
        resamples=args.resamples,
    )


def results_table(result: EPLGResult) -> Table:
    """One row per layer, then the chain."""
    table = Table(
        title=f"Layer fidelity of a {len(result.chain)}-qubit chain of {result.backend} "
        f"({result.two_qubit_gate}, on {result.layers[0].method})",
        title_justify="left",
        caption="LF: product of the subsystems' process fidelities; EPLG = 4/5·(1 − LF^(1/n₂)); "
        "95 % bootstrap intervals",
    )
    for column in ("layer", "2q gates", "LF", "LF 95 %", "worst pair F", "s"):
        table.add_column(column, justify="right")
    for layer in result.layers:
        pairs = [f for s, f in zip(layer.subsystems, layer.fidelities, strict=True) if len(s) == 2]
        lo, hi = layer.layer_interval
        table.add_row(
            str(layer.index + 1),
            str(layer.two_qubit_gates),
            f"{layer.layer_fidelity:.4f}",
            f"[{lo:.4f}, {hi:.4f}]",
            f"{min(pairs):.4f}" if pairs else "-",
            f"{sum(layer.timings.values()):.1f}",
        )
    lo, hi = result.lf_interval
    table.add_row(
        "chain",
        str(result.two_qubit_gates),
        f"{result.lf:.4f}",
        f"[{lo:.4f}, {hi:.4f}]",
        "-",
        f"{result.timings.get('total', 0.0):.1f}",
    )
    return table


def report(console: Console, result: EPLGResult) -> None:
    """Table and the EPLG line (or why it is undecided)."""
    console.print(results_table(result))
    lo, hi = result.eplg_interval
    console.print(
        f"[bold]EPLG {result.eplg:.5f}[/bold] [{lo:.5f}, {hi:.5f}] (process form "
        f"1 − LF^(1/n₂) = {result.eplg_process:.5f}) on {result.backend}, calibration "
        f"{result.calibration_date or 'n/a'}; calibration alone projects EPLG "
        f"{result.projected_eplg:.5f}, the simulated channels {result.model_eplg:.5f}; "
        f"seed {result.seed}" + (f"; run {result.run_id}" if result.run_id else "")
    )
    if not result.decided:
        shortest = min(result.settings["lengths"])
        shown = ", ".join("-".join(map(str, u)) for u in result.unresolved[:5])
        console.print(
            f"[bold]undecided[/bold]: {len(result.unresolved)} subsystems ({shown}"
            f"{', ...' if len(result.unresolved) > 5 else ''}) had decayed to their asymptote "
            f"by length {shortest}: their fidelities, and so LF and EPLG, are not measured; pass "
            "shorter --lengths (such as 1,2,3,4,6,8) or a --chain that avoids them"
        )
    console.print(f"chain: {','.join(map(str, result.chain))}")


def write_outputs(out: Path, result: EPLGResult, *, target: Any = None) -> None:
    """eplg.json and eplg.png in ``out``, each written atomically. The figure draws the chain on
    ``target``'s coupling map (the snapshot's when None; a cloud device's run shown without its
    target draws the chain's own couplers)."""
    from quantumlimits.execution.backends import edge_errors, load_snapshot
    from quantumlimits.plots import save_figure
    from quantumlimits.plots.eplg import figure

    if target is None and not is_cloud_name(result.backend):
        target = load_snapshot(result.backend).target
    if target is not None:
        num_qubits, couplers = int(target.num_qubits), sorted(edge_errors(target))
    else:
        num_qubits = max(result.chain) + 1
        couplers = sorted((min(a, b), max(a, b)) for a, b in itertools.pairwise(result.chain))
    atomic_write_text(out / "eplg.json", result.to_json() + "\n")
    save_figure(figure(result, num_qubits=num_qubits, couplers=couplers), out / "eplg.png")


def show(
    console: Console,
    result: EPLGResult,
    *,
    out: Path | None,
    json_mode: bool,
    target: Any = None,
) -> None:
    """Write the outputs, print the table and the EPLG line, and the document with ``--json``."""
    if out is not None:
        write_outputs(out, result, target=target)
    report(console, result)
    if out is not None:
        console.print(f"wrote {out / 'eplg.json'} and {out / 'eplg.png'}")
    if json_mode:
        _common.print_json(result.to_json())


#: The jobs table's first column for eplg runs: the layer a job belongs to.
LAYER_COLUMN: _ibm.KeyColumn = ("layer", lambda key: str(int(key.removeprefix("layer")) + 1))
_HINT = "pass fewer --lengths, --samples or --shots, or a shorter --chain-length"


def _check_cloud(args: argparse.Namespace) -> None:
    """Flags that mean nothing on a cloud device are refused before any connection."""
    _ibm.check_flags(args)
    if not is_cloud_name(args.backend):
        return
    if args.simulator != "stim":
        raise UsageError(
            f"--simulator applies to device snapshots; on {args.backend} the device runs the "
            "circuits: drop --simulator"
        )
    if getattr(args, "dask", None) not in (None, "none"):
        raise UsageError(
            f"--dask distributes simulations; {args.backend} runs the circuits itself: drop --dask"
        )


def open_cloud(
    settings: EPLGSettings,
    args: argparse.Namespace,
    console: Console,
    *,
    resume: tuple[Any, str] | None = None,
) -> tuple[Any, Any]:
    """The approved executor and plan of a run on a cloud device: connect, choose the chain
    on the device's calibration (a resumed run's recorded chain), build every circuit, show the
    projected QPU seconds and cost of what is still to send, refuse over ``--max-qpu-seconds``
    or without approval — before anything is sent or (for a new run) recorded."""
    from quantumlimits.eplg import protocol

    ex = _ibm.executor(
        backend=settings.backend,
        account=args.account,
        mode=args.mode,
        max_qpu_seconds=args.max_qpu_seconds,
    )
    try:
        _ibm.warn_if_local(console, ex, settings.backend)
        recorded = None
        if resume is not None:
            store, run_id = resume
            ex.attach(store=store, run_id=run_id)
            recorded = protocol.recorded_chain(store, run_id)
        with console.status("choosing the chain and building the circuits"):
            plan = protocol.cloud_plan(settings, executor=ex, recorded=recorded)
        console.print(
            f"chain of {len(plan.chain.qubits)} qubits on {settings.backend}: "
            f"{','.join(map(str, plan.chain.qubits))}",
            soft_wrap=True,
        )
        _ibm.approve(
            projection=protocol.cloud_projection(ex, plan, shots=settings.shots),
            backend=settings.backend,
            max_qpu_seconds=args.max_qpu_seconds,
            usd_per_second=args.usd_per_qpu_second,
            yes=args.yes,
            console=console,
            local=ex.transport.local,
            hint=_HINT,
        )
    except BaseException:
        ex.close()
        raise
    return ex, plan


def run_cloud(
    settings: EPLGSettings,
    args: argparse.Namespace,
    *,
    out: Path | None,
    resume_run_id: str | None = None,
) -> int:
    """``eplg`` (or ``resume``) on an IBM Quantum device: approve, then send, journal, collect."""
    from quantumlimits.eplg import protocol

    out_console, err_console = _common.consoles(args.json)
    store = None
    executor = None
    try:
        if resume_run_id is not None:
            store = _common.open_store(args, create=False)
            executor, plan = open_cloud(
                settings, args, err_console, resume=(store, store.resolve(resume_run_id))
            )
        else:  # the projection is approved before the store is touched
            executor, plan = open_cloud(settings, args, err_console)
            store = _common.open_store(args)
        with err_console.status("layer fidelity") as status:
            if resume_run_id is not None:
                result = protocol.resume(
                    store,
                    resume_run_id,
                    progress=lambda line: status.update(line),
                    executor=executor,
                    plan=plan,
                )
            else:
                result = protocol.measure(
                    settings,
                    store=store,
                    progress=lambda line: status.update(line),
                    executor=executor,
                    plan=plan,
                )
        _ibm.print_jobs(
            err_console,
            store,
            executor.run_id,
            usd_per_second=args.usd_per_qpu_second,
            key=LAYER_COLUMN,
        )
    except KeyboardInterrupt:
        if executor is not None:
            _ibm.resume_hint(err_console, executor.run_id)
        raise
    finally:
        if executor is not None:
            executor.close()
        if store is not None:
            store.close()
    show(out_console, result, out=out, json_mode=args.json, target=plan.target)
    return 0


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits eplg``."""
    settings = settings_from_args(args)
    _check_cloud(args)
    out = _common.output_dir(args.out, files=OUTPUTS)
    if is_cloud_name(settings.backend):
        return run_cloud(settings, args, out=out)
    out_console, err_console = _common.consoles(args.json)
    store = None if args.no_store else _common.open_store(args)
    dask = None
    try:
        dask = _common.open_dask(args, err_console)
        with err_console.status("layer fidelity") as status:
            from quantumlimits.eplg import protocol  # stim: imported when a run starts

            result = protocol.measure(
                settings,
                store=store,
                progress=lambda line: status.update(line),
                mapper=None if dask is None else dask.map,
            )
    finally:
        if dask is not None:
            dask.close()
        if store is not None:
            store.close()
    show(out_console, result, out=out, json_mode=args.json)
    return 0
