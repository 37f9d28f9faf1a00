"""The cube on a real loaded warehouse file: read-only connection, data version, cache, reload.

The tiny source frames are written as Parquet and loaded with data.load (the product's own
loader), so this exercises the path users run, without needing the demo generator.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cube import connection, engine
from cube.api import Query, Scope
from data import contract
from tests.cube import tiny

Q = Query("customers", ("customers.customers", "customers.aum"), ("customers.region",))


def _write(frames, folder) -> None:
    folder.mkdir(parents=True)
    for table in contract.SOURCE_TABLES:
        pq.write_table(
            pa.Table.from_pandas(frames[table.name], preserve_index=False), folder / f"{table.name}.parquet"
        )


@pytest.mark.slow
def test_real_warehouse_cache_and_reload(tmp_path, monkeypatch, tiny_source):
    from data import load, warehouse

    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    connection.use_connection(None)
    _write(tiny_source, tmp_path / "v1")
    load.load(tmp_path / "v1")
    v1 = warehouse.data_version()
    first = engine.execute(Q, Scope.all())
    assert not first.cached and first.served_by.startswith("rollup_cm_")
    assert engine.execute(Q, Scope.all()).cached

    # A reload with different data: a new version, so neither the cache nor the old file serve.
    changed = tiny.source_frames(customers=150, txns=2000, seed=11)
    _write(changed, tmp_path / "v2")
    load.load(tmp_path / "v2")
    assert warehouse.data_version() != v1
    second = engine.execute(Q, Scope.all())
    assert not second.cached
    want = tiny.build(changed).sql(
        "SELECT count(*) FROM customer_month WHERE month_date = (SELECT max(month_date) FROM customer_month)"
    )
    assert second.frame["customers.customers"].sum() == want.fetchone()[0]
    assert second.frame["customers.customers"].sum() != first.frame["customers.customers"].sum()
