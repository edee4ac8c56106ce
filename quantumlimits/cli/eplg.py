"""``quantumlimits eplg``: layer fidelity and error per layered gate (EPLG) of a device's chain."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from quantumlimits._io import atomic_write_text
from quantumlimits.cli import _common
from quantumlimits.eplg.results import EPLGResult
from quantumlimits.eplg.settings import DEFAULT_LENGTHS, SIMULATORS, EPLGSettings

DESCRIPTION = """\
Layer fidelity (LF) and error per layered gate (EPLG), the figures IBM reports its devices by:
choose the best chain of qubits from calibration, split its couplers into two disjoint two-qubit
layers, run simultaneous direct randomized benchmarking of each layer, fit the decays, and report
each pair's process fidelity, LF and EPLG = 4/5·(1 − LF^(1/n₂)) with n₂ the chain's two-qubit
gates, with bootstrap intervals. Runs on stim with the Pauli-twirled device noise at any width, or
on Aer with the full device noise model for chains up to 12 qubits (docs/eplg.md).
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
        help="layer fidelity and EPLG of the best chain of a device (IBM's metric)",
        description=DESCRIPTION,
        formatter_class=_common.HELP_FORMATTER,
    )
    p.add_argument("--backend", default="fake_fez", help="a calibration snapshot, e.g. fake_fez")
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


def write_outputs(out: Path, result: EPLGResult) -> None:
    """eplg.json and eplg.png in ``out``, each written atomically."""
    from quantumlimits.execution.backends import edge_errors, load_snapshot
    from quantumlimits.plots import save_figure
    from quantumlimits.plots.eplg import figure

    target = load_snapshot(result.backend).target
    atomic_write_text(out / "eplg.json", result.to_json() + "\n")
    save_figure(
        figure(result, num_qubits=int(target.num_qubits), couplers=sorted(edge_errors(target))),
        out / "eplg.png",
    )


def show(console: Console, result: EPLGResult, *, out: Path | None, json_mode: bool) -> None:
    """Write the outputs, print the table and the EPLG line, and the document with ``--json``."""
    if out is not None:
        write_outputs(out, result)
    report(console, result)
    if out is not None:
        console.print(f"wrote {out / 'eplg.json'} and {out / 'eplg.png'}")
    if json_mode:
        _common.print_json(result.to_json())


def run(args: argparse.Namespace) -> int:
    """Handle ``quantumlimits eplg``."""
    from quantumlimits.eplg import protocol  # stim and qiskit load when a run starts

    settings = settings_from_args(args)
    out_console, err_console = _common.consoles(args.json)
    out = _common.output_dir(args.out, files=OUTPUTS)
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
