"""The queries each view shows, declared once: the pages, the pandas reference tests and the
benchmarks import these very definitions. Builders are pure (a ``ViewState`` and plain
arguments in, ``Query`` objects out); they run under the caller's scope through ``cube.api``."""
