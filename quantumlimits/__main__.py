"""``python -m quantumlimits``."""

from quantumlimits.cli import console

raise SystemExit(console())
