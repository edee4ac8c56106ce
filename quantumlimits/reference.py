"""The committed reference circuits: OpenQASM 3 files plus a manifest of seeds and ideal HOPs.

``circuits/`` in the repository holds a few QV model circuits per width, written by
``quantumlimits circuits export circuits/``. Rebuilding them with the installed Qiskit must give
the same OpenQASM text, the same ideal heavy-output probabilities and the same heavy sets; any
drift across Qiskit versions shows up as a mismatch (see :func:`verify`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from qiskit import qasm3

from quantumlimits._io import atomic_write_text
from quantumlimits.circuits import qv_circuit, to_standard_gates
from quantumlimits.errors import UsageError
from quantumlimits.execution.aer import ideal_probabilities
from quantumlimits.provenance import versions
from quantumlimits.qv.heavy import heavy_mask, ideal_hop, mask_digest

DEFAULT_SEED = 2026
DEFAULT_WIDTHS = tuple(range(2, 9))
DEFAULT_PER_WIDTH = 3
MANIFEST = "manifest.json"
#: Ideal HOPs must agree to this many decimal places (they are sums of float64 probabilities).
HOP_DECIMALS = 10


@dataclass(frozen=True)
class ReferenceCircuit:
    """One manifest entry."""

    file: str
    seed: int
    width: int
    depth: int
    index: int
    ideal_hop: float
    heavy_mask_sha256: str
    qasm_sha256: str


def build(
    *, seed: int, widths: tuple[int, ...], per_width: int
) -> list[tuple[ReferenceCircuit, str]]:
    """The reference entries and their OpenQASM 3 text, rebuilt from scratch."""
    entries: list[tuple[ReferenceCircuit, str]] = []
    for width in widths:
        circuits = [qv_circuit(width=width, seed=seed, index=i) for i in range(per_width)]
        for i, (circuit, probs) in enumerate(
            zip(circuits, ideal_probabilities(circuits), strict=True)
        ):
            mask = heavy_mask(probs)
            text = qasm3.dumps(to_standard_gates(circuit))
            entry = ReferenceCircuit(
                file=f"qv_w{width}_i{i}.qasm",
                seed=seed,
                width=width,
                depth=width,
                index=i,
                ideal_hop=round(ideal_hop(probs, mask), HOP_DECIMALS),
                heavy_mask_sha256=mask_digest(mask),
                qasm_sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
            entries.append((entry, text))
    return entries


def export(
    folder: Path,
    *,
    seed: int = DEFAULT_SEED,
    widths: tuple[int, ...] = DEFAULT_WIDTHS,
    per_width: int = DEFAULT_PER_WIDTH,
) -> list[ReferenceCircuit]:
    """Write the reference set to ``folder`` (each file atomically, the manifest last)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = build(seed=seed, widths=widths, per_width=per_width)
    for entry, text in entries:
        atomic_write_text(folder / entry.file, text)
    manifest = {
        "description": "Quantum volume reference circuits; see docs/results.md",
        "seed": seed,
        "widths": list(widths),
        "per_width": per_width,
        "versions": {
            k: v for k, v in versions().items() if k in ("qiskit", "qiskit-aer", "qulacs")
        },
        "circuits": [asdict(e) for e, _ in entries],
    }
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return [e for e, _ in entries]


def verify(folder: Path) -> list[str]:
    """Rebuild the set described by ``folder/manifest.json``; return every mismatch found."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        seed, per_width = int(manifest["seed"]), int(manifest["per_width"])
        widths = tuple(int(w) for w in manifest["widths"])
        stored = {c["file"]: ReferenceCircuit(**c) for c in manifest["circuits"]}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, KeyError) else f"no {exc}"
        raise UsageError(
            f"{path} is not a manifest quantumlimits wrote ({reason}): pass the folder "
            "'quantumlimits circuits export' wrote, or export it again"
        ) from None
    missing = [name for name in stored if not (folder / name).is_file()]
    if missing:
        raise UsageError(
            f"{path} lists {len(missing)} files missing from {folder} (first {missing[0]}): "
            "export the set again"
        )
    rebuilt = build(seed=seed, widths=widths, per_width=per_width)
    problems: list[str] = []
    if set(stored) != {e.file for e, _ in rebuilt}:
        problems.append("the manifest lists other files than the rebuilt set")
    for entry, text in rebuilt:
        old = stored.get(entry.file)
        if old is None:
            continue
        if (folder / entry.file).read_text() != text:
            problems.append(f"{entry.file}: OpenQASM text differs from the rebuilt circuit")
        for name in ("ideal_hop", "heavy_mask_sha256", "qasm_sha256"):
            if getattr(old, name) != getattr(entry, name):
                problems.append(
                    f"{entry.file}: {name} {getattr(old, name)} != rebuilt {getattr(entry, name)}"
                )
    return problems
