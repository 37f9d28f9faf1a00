"""The shared folder (``MAMS_SHARED_DIR``): what every node reads alike lives there, the rest
stays in the node's home, and the published-scores record names its files relative to the
mining folder, so nodes that mount the shared storage at different paths read the same scores
(an older record's absolute paths still work)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from data import paths, scores


@pytest.fixture
def node(tmp_path, monkeypatch):
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MAMS_SHARED_DIR", str(tmp_path / "mount_1"))
    return tmp_path


def _customers_file(run_id: str):
    folder = paths.mining_dir() / run_id
    folder.mkdir(parents=True)
    path = folder / "customers.parquet"
    frame = pd.DataFrame(
        {"customer_id": [1, 2], "value_tier": ["gold", "mass"], "value_score": [80.0, 10.0]}
        | {"is_potential": [False, True]}
    )
    frame.to_parquet(path)
    return path


def test_shared_and_per_node_folders(node):
    assert paths.warehouse_dir() == node / "mount_1" / "warehouse"
    assert paths.mining_dir() == node / "mount_1" / "mining"
    assert paths.demo_source_dir() == node / "mount_1" / "demo_source"
    assert paths.cache_dir() == node / "home" / "cache"
    assert paths.jobs_cache_dir() == node / "home" / "jobs"
    assert paths.ops_db_path() == node / "home" / "ops.sqlite"


def test_published_scores_are_found_wherever_the_shared_folder_is_mounted(node, monkeypatch):
    path = _customers_file("run-1")
    scores.publish("value", "v1", "run-1", path)
    record = json.loads((paths.mining_dir() / "published.json").read_text())
    assert record["v1"]["scores"]["value"]["path"] == "run-1/customers.parquet"
    assert scores.current("v1")["value"].path == path

    # another node mounts the same storage elsewhere
    shutil.copytree(node / "mount_1", node / "mount_2")
    monkeypatch.setenv("MAMS_SHARED_DIR", str(node / "mount_2"))
    found = scores.current("v1")["value"]
    assert found.path == node / "mount_2" / "mining" / "run-1" / "customers.parquet"
    assert found.run_id == "run-1" and scores.signature("v1")


def test_a_record_with_absolute_paths_still_works(node):
    path = _customers_file("run-0")
    record = {"v0": {"scores": {"value": {"run_id": "run-0", "path": str(path)}}, "rollups": {}}}
    (paths.mining_dir() / "published.json").write_text(json.dumps(record))
    assert scores.current("v0")["value"].path == path
