"""The cube on Spark: the same model and compiler on Ibis's pyspark backend.

Selected with ``MAMS_ENGINE=spark`` (see cube.connection). Here Spark runs in local mode and
the warehouse tables are copied into it as temporary views; at a bank the session would point
at the cluster's tables of the same names (data/contract.py) instead.
"""

from __future__ import annotations

from typing import Any

import ibis

from data import contract, rollups, warehouse
from settings import get_settings


def local_session(app_name: str = "mams-cube", partitions: int = 2) -> Any:
    """A small local Spark session (2 cores, few shuffle partitions, UTC)."""
    # Imported here on purpose: pyspark (and the JVM it drives) is an optional, heavy backend,
    # installed only with requirements-spark.txt; DuckDB deployments never import it.
    from pyspark.sql import SparkSession

    settings = get_settings()
    return (
        SparkSession.builder.master(settings.spark_master)
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", settings.spark_memory)
        .getOrCreate()
    )


def table_names() -> list[str]:
    """Every warehouse table the cube reads: contract tables, the enriched relations, rollups."""
    return [*contract.TABLES, *rollups.ENRICHED, *(r.name for r in rollups.LOAD_ROLLUPS)]


def load_from_duckdb(session: Any, con: Any, names: list[str] | None = None) -> Any:
    """Copy tables of a DuckDB warehouse into ``session`` as temp views; return the Ibis backend.

    Handed over as Arrow (PySpark 4): through pandas, a missing text became the string "NaN",
    an all-null text column a double and 32-bit integers 64-bit ones."""
    for name in names or table_names():
        arrow = con.sql(f'SELECT * FROM "{name}"').to_arrow_table()  # names come from the contract
        session.createDataFrame(arrow).createOrReplaceTempView(name)
    return ibis.pyspark.connect(session)


def warehouse_backend() -> Any:
    """An Ibis pyspark backend over the current warehouse (MAMS_ENGINE=spark)."""
    con = warehouse.open_readonly()
    try:
        return load_from_duckdb(local_session(), con)
    finally:
        con.close()
