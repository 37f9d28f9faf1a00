"""The cube layer: semantic model, query engine (Ibis), rollups, cache and row-level security.

Start at :mod:`cube.api` (the public API, whose docstring maps the modules behind it); the
value types live in :mod:`cube.query`; the model is declared in :mod:`cube.model` (one
module per cube); :mod:`cube.standard_queries` holds the dashboard queries shared by pages,
tests and the benchmark.
"""
