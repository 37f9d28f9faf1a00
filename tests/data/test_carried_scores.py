"""Scores carried over by an incremental append, as the pages learn of them: each published kind
-> the month it was scored on (None when scored on the served data), carried files found where
the record names them relative to the mining folder (as model runs publish them), and the
signature (hence the cube's and the view cache's keys) changing with the carried month."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from data import paths, scores


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _scores_file(kind: str) -> Path:
    """A one-customer scores file of ``kind`` inside the mining folder, as a model run writes it."""
    out = paths.mining_dir() / "runs" / f"{kind}-run" / "scores.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    select = {
        "segmentation": "1 AS segment, 'a' AS segment_name, '甲' AS segment_name_zh",
        "value": "'A' AS value_tier, 0.5 AS value_score, false AS is_potential",
    }[kind]
    duckdb.sql(f"SELECT 1000 AS customer_id, {select}").write_parquet(str(out))
    return out


def test_published_on_the_data_no_kind_is_carried(home: Path) -> None:
    scores.publish("segmentation", "v1", "seg-1", _scores_file("segmentation"))
    assert scores.scored_months("v1") == {"segmentation": None}
    assert scores.scored_months("v2") == {}
    assert scores.scored_months(None) == {}


def test_files_named_relative_to_the_mining_folder_are_carried_with_their_month(home: Path) -> None:
    scores.publish("segmentation", "v1", "seg-1", _scores_file("segmentation"))
    scores.publish("value", "v1", "value-1", _scores_file("value"))
    record = (paths.mining_dir() / "published.json").read_text(encoding="utf-8")
    assert '"path": "runs/segmentation-run/scores.parquet"' in record  # relative, as runs publish
    carried = scores.carry_forward("v1", "v2", "2026-09-01")
    assert set(carried) == {"segmentation", "value"}
    assert scores.scored_months("v2") == {"segmentation": "2026-09-01", "value": "2026-09-01"}
    assert scores.scored_months("v1") == {"segmentation": None, "value": None}
    # a model run again on the new data scores it anew; the other kind stays carried
    scores.publish("value", "v2", "value-2", _scores_file("value"))
    assert scores.scored_months("v2") == {"segmentation": "2026-09-01", "value": None}
    # a second append keeps the older month of what was carried already
    scores.carry_forward("v2", "v3", "2026-10-01")
    assert scores.scored_months("v3") == {"segmentation": "2026-09-01", "value": "2026-10-01"}


def test_the_signature_changes_with_the_carried_month(home: Path) -> None:
    scores.publish("segmentation", "v1", "seg-1", _scores_file("segmentation"))
    before = scores.signature("v1")
    scores.carry_forward("v1", "v1", "2026-09-01")  # the same runs, now marked as carried
    assert scores.current("v1")["segmentation"].run_id == "seg-1"
    assert scores.signature("v1") not in ("", before)
