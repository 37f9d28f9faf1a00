"""The standard suite gives the same answers on Spark (local mode) as on DuckDB."""

from __future__ import annotations

import pytest

from cube import connection, engine
from cube.api import Scope
from cube.standard_queries import STANDARD_QUERIES
from tests.cube.helpers import assert_frames_match


@pytest.mark.spark
@pytest.mark.slow
def test_standard_suite_identical_on_spark_and_duckdb(tiny_con, scored):
    from cube import spark

    version, _ = scored  # segment and value scores published for this data, read on both engines
    session = spark.local_session(partitions=1)
    session.sparkContext.setLogLevel("ERROR")
    spark_backend = spark.load_from_duckdb(session, tiny_con)
    scopes = [Scope.all(), Scope.of("region", 1)]
    try:
        for sq in STANDARD_QUERIES:
            for scope in scopes:
                connection.use_connection(tiny_con, version=version)
                duck = engine.execute(sq.query, scope, use_cache=False)
                connection.use_backend(spark_backend, version=version)
                spk = engine.execute(sq.query, scope, use_cache=False)
                assert spk.served_by == duck.served_by, sq.name
                assert_frames_match(spk.frame, duck.frame, sq.query.dimensions, sq.query.measures)
    finally:
        connection.use_backend(None)
        connection.use_connection(None)
