"""Display names of dimension values, in English or Chinese, from lookups or the model."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from cube import connection, security
from cube.model.base import Dimension
from cube.model.labels import NOT_SCORED
from cube.query import Scope
from data import scores

_lock = threading.Lock()
_lookups: dict[tuple, pd.DataFrame] = {}


def _lookup_frame(d: Dimension, con: Any) -> pd.DataFrame:
    lk = d.lookup
    key = (connection.warehouse_version() or id(con), lk.table, lk.key, lk.en, lk.zh)
    with _lock:
        frame = _lookups.get(key)
    if frame is None:
        t = con.table(lk.table)
        cols = {lk.key, lk.en, lk.zh}
        if lk.table == "managers":
            br = con.table("branches").select("branch_id", "region_id")
            t = t.join(br, "branch_id")
            cols |= {"branch_id", "region_id"}
        frame = t.select(*sorted(cols)).distinct().to_pyarrow().to_pandas().drop_duplicates(lk.key)
        with _lock:
            _lookups[key] = frame
    return frame


def _segment_names(lang: str) -> dict:
    """Segment number -> name from the published segmentation (empty if none is published)."""
    pub = scores.current(connection.warehouse_version()).get("segmentation")
    if pub is None:
        return {}
    column = "segment_name_zh" if lang.startswith("zh") else "segment_name"
    key = (str(pub.path), column)
    with _lock:
        names = _lookups.get(key)
    if names is None:
        table = pq.read_table(pub.path, columns=["segment", column]).to_pandas().drop_duplicates("segment")
        names = {int(k): str(v) for k, v in zip(table["segment"], table[column], strict=True)}
        with _lock:
            _lookups[key] = names
    return names


_manager_maps: OrderedDict[tuple, dict] = OrderedDict()


def _manager_names(frame: pd.DataFrame, scope: Scope, zh: bool) -> dict:
    """manager_id -> name, or "RM #id" where ``scope`` may not see the name (identifying);
    memoised per lookup frame, scope and language (a few thousand managers at a large bank)."""
    key = (id(frame), scope, zh)
    with _lock:
        found = _manager_maps.get(key)
        if found is not None:
            _manager_maps.move_to_end(key)
            return found
    mapping = {}
    for row in frame.itertuples(index=False):
        ok = security.manager_visible(row.branch_id, row.region_id, row.manager_id, scope)
        mapping[row.manager_id] = (
            row.name if ok else (f"客户经理 #{row.manager_id}" if zh else f"RM #{row.manager_id}")
        )
    with _lock:
        _manager_maps[key] = mapping
        while len(_manager_maps) > 256:
            _manager_maps.popitem(last=False)
    return mapping


def labels_for(values: pd.Series, d: Dimension, scope: Scope, lang: str, con: Any) -> pd.Series:
    """Labels of ``values`` (a result column of dimension ``d``); missing values of a model
    score read "Not scored"."""
    zh = lang.startswith("zh")
    unscored = NOT_SCORED[1] if zh else NOT_SCORED[0]
    if d.attribute == "segmentation":
        names = _segment_names(lang)
        return values.map(lambda v: unscored if pd.isna(v) else names.get(int(v), str(v)))
    if d.values:
        mapping = {k: (v[1] if zh else v[0]) for k, v in d.values.items()}
        if d.attribute:
            return values.map(lambda v: unscored if pd.isna(v) else mapping.get(str(v), str(v)))
        return values.map(lambda v: mapping.get(str(v), str(v)))
    lk = d.lookup
    frame = _lookup_frame(d, con)
    if lk.table == "managers":
        mapping = _manager_names(frame, scope, zh)
    else:
        mapping = dict(zip(frame[lk.key], frame[lk.zh if zh else lk.en], strict=True))
    return values.map(lambda v: mapping.get(v, str(v)))
