"""An import's memory limit (MAMS_LOAD_MEMORY) is the whole process's: DuckDB is given a share
of it, in DuckDB's own units, so what DuckDB does not count still fits."""

from __future__ import annotations

import pytest

from data import load


@pytest.mark.parametrize(
    "text, expected",
    [("6GB", 6 * 10**9), ("6GiB", 6 * 2**30), ("512m", 512 * 10**6), ("1024", 1024), ("1.5 GB", 15 * 10**8)],
)
def test_sizes_are_read_as_duckdb_reads_them(text, expected):
    assert load.size_bytes(text) == expected


def test_a_size_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="not a size"):
        load.size_bytes("six gigabytes")


def test_duckdb_gets_its_share_of_the_import_limit(monkeypatch):
    monkeypatch.setenv("MAMS_LOAD_MEMORY", "10GB")
    monkeypatch.setenv("MAMS_LOAD_THREADS", "3")
    config = load.load_config()
    assert config["threads"] == 3
    assert config["memory_limit"] == f"{int(10 * 10**9 * load.DUCKDB_SHARE) // 2**20}MiB"
    assert int(config["memory_limit"].removesuffix("MiB")) * 2**20 < 10 * 10**9
