"""Where quantum stands against classical compute: the classical wall, QV through the years, and
the self-contained HTML report (``wall``, ``timeline``, ``report``)."""
