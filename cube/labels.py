"""Display names of dimension values, in English or Chinese, from lookups or the model."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd

from cube import connection, security
from cube.api import Scope
from cube.model.base import Dimension

_lock = threading.Lock()
_lookups: dict[tuple, pd.DataFrame] = {}


def _lookup_frame(d: Dimension, con: Any) -> pd.DataFrame:
    lk = d.lookup
    key = (connection.data_version() or id(con), lk.table, lk.key, lk.en, lk.zh)
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


def labels_for(values: pd.Series, d: Dimension, scope: Scope, lang: str, con: Any) -> pd.Series:
    """Labels of ``values`` (a result column of dimension ``d``)."""
    zh = lang.startswith("zh")
    if d.values:
        mapping = {k: (v[1] if zh else v[0]) for k, v in d.values.items()}
        return values.map(lambda v: mapping.get(str(v), str(v)))
    lk = d.lookup
    frame = _lookup_frame(d, con)
    if lk.table == "managers":
        mapping = {}
        for row in frame.itertuples(index=False):
            ok = security.manager_visible(row.branch_id, row.region_id, row.manager_id, scope)
            mapping[row.manager_id] = (
                row.name if ok else (f"客户经理 #{row.manager_id}" if zh else f"RM #{row.manager_id}")
            )
    else:
        mapping = dict(zip(frame[lk.key], frame[lk.zh if zh else lk.en], strict=True))
    return values.map(lambda v: mapping.get(v, str(v)))
