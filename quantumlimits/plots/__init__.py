"""Figures. Every function draws on a given matplotlib Axes (or Figure) and never calls show().

Import matplotlib through :func:`pyplot` so the non-interactive Agg backend is selected first.
"""

from __future__ import annotations

import io
import os
from typing import Any

from quantumlimits._io import atomic_write_bytes


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(
    fig: Any, path: str | os.PathLike[str], *, dpi: int = 120, crop: bool = True
) -> None:
    """Render ``fig`` to PNG and write it atomically, then close it.

    ``crop`` trims the figure's blank margins (``bbox_inches="tight"``), at the cost of one more
    drawing of the figure; a figure laid out to fit its canvas does not need it.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if crop else None)
    pyplot().close(fig)
    atomic_write_bytes(path, buffer.getvalue())
