"""Pure fits for the limits report: exponential growth with width, power laws, memory walls.

Nothing here touches a simulator, a file or a figure: numbers in, frozen values out.

>>> fit = fit_exponential(widths=[10, 11, 12, 13], values=[1.0, 2.0, 4.0, 8.0])
>>> round(fit.rate, 6), round(fit.predict(14).value, 6)
(1.0, 16.0)
>>> memory_wall_width(budget_bytes=16 * 2**30)
30
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: Bytes per amplitude of a double-precision complex state vector.
BYTES_PER_AMPLITUDE = 16
#: Confidence of the band drawn around a fitted line.
BAND_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A value with a lower and upper bound and where it came from."""

    value: float
    low: float
    high: float
    source: str

    def __post_init__(self) -> None:
        for name in ("value", "low", "high"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"estimate {name} is not finite")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"estimate {self.value} lies outside [{self.low}, {self.high}]")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class LogLinearFit:
    """``log2 y = intercept + rate * x`` fitted by least squares, with its covariance.

    For an exponential in width ``y = c * 2**(rate * n)``: ``x`` is the width and ``rate`` is ``a``.
    For a power law ``y = c * n**rate``: ``x`` is ``log2 n`` (see :func:`fit_power_law`).
    """

    kind: str
    rate: float
    intercept: float
    rate_se: float
    intercept_se: float
    covariance: float
    residual_sd: float
    dof: int
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    fitted_widths: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.kind not in ("exponential", "power"):
            raise ValueError(f"unknown fit kind {self.kind!r}")
        if len(self.xs) != len(self.ys) or len(self.xs) < 2:
            raise ValueError("a fit needs at least two points")
        for name in ("rate", "intercept", "rate_se", "intercept_se", "residual_sd"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"fit {name} is not finite")

    def _x(self, width: float) -> float:
        return float(width) if self.kind == "exponential" else math.log2(width)

    def predict(self, width: float, *, confidence: float = BAND_CONFIDENCE) -> Estimate:
        """The fitted value at ``width`` with a confidence band of the fitted line.

        The band is the t-interval of the line's mean (parameter uncertainty only, not the scatter
        of single measurements). Inside the fitted widths the source is ``"fit"``, outside
        ``"extrapolated"``.
        """
        x = self._x(width)
        log_value = self.intercept + self.rate * x
        var = self.intercept_se**2 + (x * self.rate_se) ** 2 + 2 * x * self.covariance
        half = _t_quantile(confidence, self.dof) * math.sqrt(max(var, 0.0))
        inside = min(self.fitted_widths) <= width <= max(self.fitted_widths)
        return Estimate(
            value=2.0**log_value,
            low=2.0 ** (log_value - half),
            high=2.0 ** (log_value + half),
            source="fit" if inside else "extrapolated",
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        for k in ("xs", "ys", "fitted_widths"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LogLinearFit:
        """Inverse of :meth:`to_dict`."""
        kw = dict(d)
        kw["xs"] = tuple(float(v) for v in d["xs"])
        kw["ys"] = tuple(float(v) for v in d["ys"])
        kw["fitted_widths"] = tuple(int(v) for v in d["fitted_widths"])
        kw["dof"] = int(d["dof"])
        return cls(**kw)


def _t_quantile(confidence: float, dof: int) -> float:
    if dof < 1:
        return float(_stats().norm.ppf(0.5 + confidence / 2))
    return float(_stats().t.ppf(0.5 + confidence / 2, dof))


def _fit(kind: str, widths: Sequence[int], xs: np.ndarray, values: Sequence[float]) -> LogLinearFit:
    ys = np.log2(np.asarray(values, dtype=float))
    if xs.size < 2:
        raise ValueError(f"a fit needs at least two widths, got {xs.size}")
    if np.unique(xs).size < 2:
        raise ValueError("a fit needs at least two distinct widths")
    design = np.column_stack([np.ones_like(xs), xs])
    coef, *_ = np.linalg.lstsq(design, ys, rcond=None)
    residuals = ys - design @ coef
    dof = int(xs.size - 2)
    # With two points the line is exact; keep a zero spread rather than dividing by zero.
    sigma2 = float(residuals @ residuals / dof) if dof > 0 else 0.0
    cov = sigma2 * np.linalg.inv(design.T @ design)
    return LogLinearFit(
        kind=kind,
        rate=float(coef[1]),
        intercept=float(coef[0]),
        rate_se=float(math.sqrt(cov[1, 1])),
        intercept_se=float(math.sqrt(cov[0, 0])),
        covariance=float(cov[0, 1]),
        residual_sd=float(math.sqrt(sigma2)),
        dof=dof,
        xs=tuple(float(x) for x in xs),
        ys=tuple(float(y) for y in ys),
        fitted_widths=tuple(int(w) for w in widths),
    )


def fit_exponential(*, widths: Sequence[int], values: Sequence[float]) -> LogLinearFit:
    """Fit ``value = c * 2**(a * width)`` by least squares on ``log2 value``.

    ``rate`` is ``a`` (1.0 means the value doubles per added qubit), ``rate_se`` its standard
    error from the residuals (zero when only two widths are given).
    """
    if len(widths) != len(values):
        raise ValueError(f"{len(widths)} widths but {len(values)} values")
    if any(v <= 0 for v in values):
        raise ValueError("values must be positive to fit on a log scale")
    return _fit("exponential", widths, np.asarray(widths, dtype=float), values)


def fit_power_law(*, widths: Sequence[int], values: Sequence[float]) -> LogLinearFit:
    """Fit ``value = c * width**b`` by least squares on log-log axes (``rate`` is ``b``).

    >>> round(fit_power_law(widths=[2, 4, 8], values=[4.0, 16.0, 64.0]).rate, 6)
    2.0
    """
    if len(widths) != len(values):
        raise ValueError(f"{len(widths)} widths but {len(values)} values")
    if any(v <= 0 for v in values) or any(w <= 0 for w in widths):
        raise ValueError("widths and values must be positive to fit on log-log axes")
    return _fit("power", widths, np.log2(np.asarray(widths, dtype=float)), values)


def memory_wall_width(
    *, budget_bytes: float, bytes_per_amplitude: int = BYTES_PER_AMPLITUDE
) -> int:
    """The widest ``n`` whose state vector ``bytes_per_amplitude * 2**n`` fits in the budget.

    >>> memory_wall_width(budget_bytes=2e12), memory_wall_width(budget_bytes=10e15)
    (36, 49)
    """
    if budget_bytes < bytes_per_amplitude:
        raise ValueError(f"a budget of {budget_bytes} bytes holds no amplitude")
    return math.floor(math.log2(budget_bytes / bytes_per_amplitude))


def first_width(widths: Sequence[int], condition: Sequence[bool]) -> int | None:
    """The first width where ``condition`` holds, or None.

    >>> first_width([2, 3, 4], [False, True, True])
    3
    """
    for w, c in zip(widths, condition, strict=True):
        if c:
            return int(w)
    return None


def _stats() -> Any:
    """scipy.stats, imported when a fit needs a quantile (it costs commands that build the
    argument parser and never fit about half a second)."""
    from scipy import stats

    return stats
