"""``python -m quantumlimits``."""

from quantumlimits.cli import main

raise SystemExit(main())
