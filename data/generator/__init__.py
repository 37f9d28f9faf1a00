"""The synthetic bank generator: writes a bank's source files in the data contract.

``python -m data.generator --customers 100000 --months 24 --seed 1 --out DIR``, or
:func:`generate` from Python. Only the demo setup (:mod:`data.demo`), tests and benchmarks use
it; the app, the cube and the mining models read the warehouse it is loaded into, never this.

Modules, each depending only on those below it:

- :mod:`data.generator.core`: :func:`generate` (chunked, streaming Parquet writers) and the
  command line; campaigns, targets and the planted ground truth.
- :mod:`data.generator.activity`: transactions, holdings and campaign contacts per customer.
- :mod:`data.generator.people`: customers and their latent segments, churn and dormancy.
- :mod:`data.generator.org`: regions, branches, managers, products, channels.
- :mod:`data.generator.util`: random names, phones, ID numbers; Arrow tables in contract schema.
- :mod:`data.generator.reference`: fixed reference data and segment behaviour parameters.
"""

from __future__ import annotations

from data.generator.core import generate, main

__all__ = ["generate", "main"]
