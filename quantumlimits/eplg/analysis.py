"""Layer-fidelity analysis, pure: survival probabilities -> decay fits -> process fidelities ->
layer fidelity (LF) and error per layered gate (EPLG), with bootstrap intervals.

Each subsystem of a layer (a pair, or a qubit the layer leaves alone) has, per sequence length
``m`` and random sequence ``s``, the probability ``y`` that its qubits all read 0. The mean over
sequences is fitted to ``A·α^m + B`` (least squares, ``0 ≤ α ≤ 1``, ``B = 1/2^k`` held: see
:func:`fit_decays`), and the subsystem's
process fidelity is ``F = (1 + (d² − 1)·α)/d²``, ``d = 2^k`` for ``k`` qubits — as
qiskit-experiments' ``LayerFidelityAnalysis`` does. LF is the product of every subsystem's ``F``
over both layers; with ``n₂`` two-qubit gates in the layers (``n − 1`` on a chain of ``n``),

    EPLG = 4/5 · (1 − LF^(1/n₂))          (IBM's published figure; an average gate error)
    EPLG_process = 1 − LF^(1/n₂)          (qiskit-experiments' "EPLG"; a process infidelity)

On a 100-qubit chain the first is IBM's ``4/5·(1 − LF^(1/99))``.

Intervals: the random sequences are resampled with replacement at every length (the same
resampled sequences for every subsystem of a layer, since they share circuits), every curve is
refitted, and the 2.5 % and 97.5 % percentiles of each quantity are reported.

>>> m = np.array([1, 2, 4, 8, 16, 32])
>>> y = 0.7 * 0.95 ** m + 0.25
>>> a, alpha, b = fit_decays(m, y[None, :], num_qubits=[2])[:, 0]
>>> round(float(alpha), 6), round(process_fidelity(float(alpha), 2), 6)
(0.95, 0.953125)
>>> round(eplg(0.5, two_qubit_gates=99), 6)
0.005582
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Two-sided interval of the bootstrap: 95 %.
INTERVAL = (2.5, 97.5)
DEFAULT_RESAMPLES = 200


def process_fidelity(alpha: float, num_qubits: int) -> float:
    """``(1 + (d² − 1)·α)/d²`` with ``d = 2^num_qubits``."""
    d2 = 4**num_qubits
    return (1.0 + (d2 - 1) * alpha) / d2


def eplg(lf: float, *, two_qubit_gates: int) -> float:
    """IBM's EPLG: ``4/5 · (1 − LF^(1/n₂))``."""
    return 0.8 * eplg_process(lf, two_qubit_gates=two_qubit_gates)


def eplg_process(lf: float, *, two_qubit_gates: int) -> float:
    """``1 − LF^(1/n₂)`` (qiskit-experiments' definition)."""
    if two_qubit_gates < 1:
        raise ValueError("EPLG needs at least one two-qubit gate")
    return 1.0 - max(lf, 0.0) ** (1.0 / two_qubit_gates)


def fit_decays(
    lengths: Sequence[int] | np.ndarray,
    y: np.ndarray,
    *,
    num_qubits: np.ndarray | Sequence[int] | None = None,
    start: np.ndarray | None = None,
    iterations: int = 40,
) -> np.ndarray:
    """Least-squares fits of ``A·α^m + B`` to each row of ``y`` (curves × lengths), ``B`` held
    at ``1/2^k`` for a ``k``-qubit subsystem (default 2), all curves at once (Levenberg–Marquardt
    on ``A`` and ``α``, batched in numpy). Returns ``(A, α, B)`` as a 3 × curves array;
    ``start`` gives starting ``(A, α, ·)`` instead of the guess from the first and last points.

    Why ``B`` is fixed: with sequences much shorter than ``1/(1 − α)`` (a lone qubit decays by
    a few 10⁻⁴ per layer) a free asymptote trades off against ``α`` and the fit wanders; a fully
    randomized ``k``-qubit subsystem reads all zeros with probability ``1/2^k`` (up to the
    difference of its two readout errors).
    """
    m = np.asarray(lengths, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    curves = y.shape[0]
    k = np.full(curves, 2.0) if num_qubits is None else np.asarray(num_qubits, dtype=float)
    b = 1.0 / 2.0**k
    if start is None:
        first = np.clip(y[:, 0] - b, 1e-3, None)
        last = np.clip(y[:, -1] - b, 1e-3, None)
        span = float(m[-1] - m[0]) or 1.0
        alpha = np.clip((last / first) ** (1.0 / span), 0.05, 0.99999)
        a = np.clip(first / alpha ** m[0], 0.05, 1.0)
    else:
        a, alpha = np.array(start[0], dtype=float), np.array(start[1], dtype=float)
    p = np.stack([a, alpha])
    damping = np.full(curves, 1e-3)

    def residuals(params: np.ndarray) -> np.ndarray:
        return params[0][:, None] * params[1][:, None] ** m[None, :] + b[:, None] - y

    cost = (residuals(p) ** 2).sum(axis=1)
    for _ in range(iterations):
        a, alpha = p
        pw = alpha[:, None] ** m[None, :]
        safe = np.where(alpha > 0, alpha, 1.0)[:, None]
        jac = np.stack([pw, a[:, None] * m[None, :] * pw / safe], axis=2)  # curves × L × 2
        r = residuals(p)
        jtj = np.einsum("clp,clq->cpq", jac, jac)
        jtr = np.einsum("clp,cl->cp", jac, r)
        diag = np.einsum("cpp->cp", jtj)
        lhs = jtj + (damping[:, None] * (diag + 1e-12))[:, :, None] * np.eye(2)[None]
        step = np.linalg.solve(lhs, -jtr[:, :, None])[:, :, 0]
        trial = p + step.T
        trial[1] = np.clip(trial[1], 0.0, 1.0)
        new_cost = (residuals(trial) ** 2).sum(axis=1)
        better = new_cost < cost
        p = np.where(better[None, :], trial, p)
        cost = np.where(better, new_cost, cost)
        damping = np.clip(np.where(better, damping / 3.0, damping * 4.0), 1e-9, 1e9)
    return np.stack([p[0], p[1], b])


def subsystem_fidelities(
    lengths: Sequence[int], survival: np.ndarray, sizes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Fit each subsystem of a layer. ``survival`` is lengths × sequences × subsystems;
    ``sizes`` the qubits of each subsystem. Returns (fit parameters 3 × subsystems, process
    fidelities)."""
    mean = survival.mean(axis=1).T  # subsystems × lengths
    k = np.asarray(sizes, dtype=float)
    params = fit_decays(lengths, mean, num_qubits=k)
    d2 = 4.0**k
    return params, (1.0 + (d2 - 1.0) * params[1]) / d2


def bootstrap_fidelities(
    lengths: Sequence[int],
    survival: np.ndarray,
    sizes: Sequence[int],
    *,
    start: np.ndarray,
    resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Process fidelities of every subsystem under ``resamples`` bootstrap resamplings of the
    sequences (resamples × subsystems)."""
    n_len, n_seq, n_sub = survival.shape
    picks = rng.integers(n_seq, size=(resamples, n_len, n_seq))
    # resampled means: resamples × lengths × subsystems
    gathered = np.take_along_axis(
        survival[None, :, :, :], picks[:, :, :, None].repeat(n_sub, axis=3), axis=2
    ).mean(axis=2)
    curves = gathered.transpose(0, 2, 1).reshape(resamples * n_sub, n_len)
    k = np.tile(np.asarray(sizes, dtype=float), resamples)
    params = fit_decays(lengths, curves, num_qubits=k, start=np.tile(start, (1, resamples)))
    d2 = 4.0**k
    return ((1.0 + (d2 - 1.0) * params[1]) / d2).reshape(resamples, n_sub)


def interval(samples: np.ndarray) -> tuple[float, float]:
    """The bootstrap's 95 % percentile interval."""
    lo, hi = np.percentile(samples, INTERVAL)
    return float(lo), float(hi)


def log_product(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Product along ``axis`` through logs (hundreds of factors near 1)."""
    return np.exp(np.sum(np.log(np.clip(values, 1e-300, None)), axis=axis))


def survival_probabilities(
    counts: dict[int, int], subsystems: Sequence[Sequence[int]], num_qubits: int
) -> np.ndarray:
    """Probability each subsystem's qubits all read 0 (bit ``q`` of an outcome = qubit ``q``).

    >>> survival_probabilities({0b00: 3, 0b01: 1}, [(0,), (1,), (0, 1)], 2).tolist()
    [0.75, 1.0, 0.75]
    """
    outcomes = list(counts)
    weights = np.array([counts[o] for o in outcomes], dtype=float)
    nbytes = max(1, math.ceil(num_qubits / 8))
    raw = np.frombuffer(b"".join(o.to_bytes(nbytes, "little") for o in outcomes), dtype=np.uint8)
    bits = np.unpackbits(raw.reshape(len(outcomes), nbytes), axis=1, bitorder="little")
    total = weights.sum()
    out = np.empty(len(subsystems))
    for i, qubits in enumerate(subsystems):
        zero = ~bits[:, list(qubits)].any(axis=1)
        out[i] = weights[zero].sum() / total
    return out
