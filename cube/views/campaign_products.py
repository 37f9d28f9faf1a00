"""What the marketing loop's evaluation and export read from the warehouse, declared once here:
the products' rates (margin and fee, for a campaign's revenue), the product and channel keys
(for the contract's campaign files) and display names of branches, managers and channels.

The warehouse is read only here (cube/ is the only code that knows its schema): small
dimension tables, read once per data version and kept in memory.

- :func:`product_rates`: ``product_code``, ``product_id``, ``name_en``, ``name_zh``,
  ``margin_rate``, ``fee_rate`` of every product.
- :func:`channel_keys`: ``channel_code``, ``channel_id``, ``name_en``, ``name_zh``.
- :func:`branch_regions`: ``branch_id``, ``region_id``.
- :func:`names`: display names of ``branch`` / ``manager`` / ``channel`` values under a scope
  (a manager outside the scope reads "RM #id": names of people are identifying).
"""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd

from cube import connection, labels
from cube.model.base import BRANCH, CHANNEL, MANAGER, Dimension, Lookup
from cube.query import Scope

_lock = threading.Lock()
_frames: dict[tuple, pd.DataFrame] = {}

PRODUCT_COLUMNS = ("product_code", "product_id", "name_en", "name_zh", "margin_rate", "fee_rate")
CHANNEL_COLUMNS = ("channel_code", "channel_id", "name_en", "name_zh")
# a channel named by its code (the loop records contacts by channel code)
_CHANNEL_BY_CODE = Dimension(
    "channel_code",
    "Channel",
    "渠道",
    "channel_code",
    "text",
    lookup=Lookup("channels", "channel_code", "name_en", "name_zh"),
)
_DIMENSIONS = {"branch": BRANCH, "manager": MANAGER, "channel": _CHANNEL_BY_CODE, "channel_id": CHANNEL}


def _table(name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    key = (connection.warehouse_version(), name, columns)
    with _lock:
        found = _frames.get(key)
    if found is None:
        backend = connection.backend()
        found = backend.table(name).select(*columns).to_pyarrow().to_pandas()
        with _lock:
            _frames[key] = found
    return found.copy()


def product_rates() -> pd.DataFrame:
    """Every product's code, id, names and its ``margin_rate`` and ``fee_rate`` (fractions of
    the amount: a product taken for 10,000 yuan at a margin of 0.012 and fees of 0.005 earns
    170 yuan)."""
    return _table("products", PRODUCT_COLUMNS)


def channel_keys() -> pd.DataFrame:
    """Every channel's code, id and names."""
    return _table("channels", CHANNEL_COLUMNS)


def branch_regions() -> pd.DataFrame:
    """Every branch's ``branch_id`` and ``region_id`` (a regional manager's scope as branches)."""
    return _table("branches", ("branch_id", "region_id"))


def names(kind: str, values: pd.Series | list[Any], scope: Scope, lang: str = "en") -> pd.Series:
    """Display names of ``values`` of ``kind`` (``branch``, ``manager``, ``channel`` by code,
    ``channel_id``) in ``lang``; unknown values read as themselves."""
    series = pd.Series(list(values), dtype=object)
    if series.empty:
        return series.astype(str)
    return labels.labels_for(series, _DIMENSIONS[kind], scope, lang, connection.backend())
