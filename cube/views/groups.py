"""Customer groups (客户群): the filter engine behind the group builder, declared once here (the
page, the marketing loop, the tests and the benchmark call the same functions).

A group is the set of customers of the ``customers`` cube (``customer_month``) at the **latest
month of the served data** that meet every condition of a :class:`GroupDefinition`:

- **dimension** fields (region, branch, manager, gender, age band, income band, occupation,
  tenure band, main channel): ``in`` / ``not_in`` a list of values (``not_in`` keeps customers
  without a value, e.g. no main channel in a month without transactions);
- **measure** fields (AUM, deposits, investments, loans, contribution, fee income,
  transactions, transaction amount, products held, age, tenure): ``gte`` / ``lte`` /
  ``between`` (inclusive); flows (contribution, transactions) are the latest month's;
- **holding**: ``holds`` / ``not_holds`` a product category (a position in any product of
  the category at the end of the latest month, from ``holdings_enriched``);
- **score** fields, from the model scores published for the served data (``data.scores``):
  segment, value tier, best offer, propensity band, churn band, activation band (``in`` /
  ``not_in``), and churn, offer and value scores (``gte`` / ``lte`` / ``between`` /
  ``top_decile``). A score condition on a kind with no published run is refused (naming the
  field): "no customer has a churn score" would otherwise read as an empty group.

``top_decile`` is computed **over the scope's customers** at the latest month: the customers
whose score is at least the 90th percentile (linear interpolation, DuckDB ``quantile_cont``)
of the scores of the customers the user may see, before the other conditions. A branch
manager's "top decile of churn risk" is their own branch's riskiest tenth; the bank-wide top
10% is the band ``high`` (the model's bands are ranked over every scored customer).

The scope is applied inside the query exactly as everywhere else: the relation is the cube's
base table (published scores joined on by :func:`cube.compile.base_table`), restricted by
:func:`cube.compile.filtered` (row-level security first, then the month), as the engine's
drill-through does; the holdings sub-query goes through the holdings cube's own security.
Aggregates-only scopes (presenters) are refused groups entirely, counts included: a count of
customers under arbitrary conditions narrows down to single customers.

:func:`live` (count and AUM, one aggregate query) is cached by definition, scope and data
version in the result cache like every cube answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from cube import api, cache, connection, security
from cube.compile import base_table, filtered, parquet_view
from cube.engine import _ibis_quiet
from cube.model import get_cube
from cube.model.labels import DETAIL_COLUMNS
from cube.query import CubeError, Filter, Query, Result, Scope
from cube.resolve import resolve_filters
from data import paths, scores

log = logging.getLogger(__name__)

CUBE = "customers"
HOLDINGS = "holdings"
TOP_DECILE = 0.9  # quantile from which a score is in the top decile
MAX_CONDITIONS = 20
MAX_VALUES = 500  # values of one in / not_in condition
MEMBER_COLUMNS = ("customer_id", "branch_id", "manager_id", "aum", "segment", "best_offer", "offer_score")

CHOICE_OPS = ("in", "not_in")
NUMBER_OPS = ("gte", "lte", "between")
SCORE_NUMBER_OPS = (*NUMBER_OPS, "top_decile")
HOLDING_OPS = ("holds", "not_holds")
KINDS = ("dimension", "measure", "holding", "score")


class ConditionError(CubeError):
    """A condition that cannot be run, naming its field (and its 0-based position)."""

    def __init__(self, field: str, message: str, index: int | None = None) -> None:
        self.field = field
        self.index = index
        self.reason = message
        super().__init__(f"{field}: {message}")


# --- the catalog of fields ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A field a condition can name.

    ``type`` is ``choice`` (values from a list, :func:`options`) or ``number``; ``column`` the
    ``customer_month`` or published-score column it reads (holding: the holdings category);
    ``member`` the cube dimension whose values and labels the choices are; ``score_kind`` the
    model run kind that must be published; ``fmt`` how its numbers read (money, count, number).
    """

    name: str
    kind: str
    label_en: str
    label_zh: str
    type: str
    column: str
    ops: tuple[str, ...]
    member: str | None = None
    fmt: str = "text"
    score_kind: str | None = None

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang.startswith("zh") else self.label_en


def _dimension_field(name: str, kind: str = "dimension") -> Field:
    d = get_cube(CUBE).dimension(name)
    return Field(
        name,
        kind,
        d.label_en,
        d.label_zh,
        "choice",
        d.column,
        CHOICE_OPS,
        member=f"{CUBE}.{name}",
        score_kind=d.attribute,
    )


def _measure_field(name: str, column: str) -> Field:
    m = get_cube(CUBE).measure(name)
    return Field(name, "measure", m.label_en, m.label_zh, "number", column, NUMBER_OPS, fmt=m.fmt)


def _score_number(column: str, kind: str) -> Field:
    en, zh, fmt = DETAIL_COLUMNS[column]
    return Field(column, "score", en, zh, "number", column, SCORE_NUMBER_OPS, fmt=fmt, score_kind=kind)


FIELDS: tuple[Field, ...] = (
    *(
        _dimension_field(n)
        for n in (
            "region",
            "branch",
            "manager",
            "gender",
            "age_band",
            "income_band",
            "occupation",
            "tenure_band",
            "main_channel",
        )
    ),
    _measure_field("aum", "aum"),
    _measure_field("deposits", "deposit_balance"),
    _measure_field("investments", "investment_balance"),
    _measure_field("loans", "loan_balance"),
    _measure_field("contribution", "contribution"),
    _measure_field("fee_income", "fee_income"),
    _measure_field("txn_count", "txn_count"),
    _measure_field("txn_amount", "txn_amount"),
    _measure_field("products", "product_count"),
    Field("age", "measure", "Age", "年龄", "number", "age", NUMBER_OPS, fmt="number"),
    Field(
        "tenure_months",
        "measure",
        "Tenure (months)",
        "客龄(月)",
        "number",
        "tenure_months",
        NUMBER_OPS,
        "number",
    ),
    Field(
        "category",
        "holding",
        "Holds product category",
        "持有产品类别",
        "choice",
        "category",
        HOLDING_OPS,
        member=f"{HOLDINGS}.category",
    ),
    *(
        _dimension_field(n, "score")
        for n in ("segment", "value_tier", "best_offer", "propensity_band", "churn_band", "activation_band")
    ),
    _score_number("churn_score", "churn"),
    _score_number("offer_score", "crosssell"),
    _score_number("value_score", "value"),
)
FIELD: dict[str, Field] = {f.name: f for f in FIELDS}
# number fields counting whole things: a condition on them takes whole numbers
_WHOLE = {"txn_count", "products", "age", "tenure_months"}


def fields(kind: str | None = None) -> tuple[Field, ...]:
    """The catalog, in builder order; of one ``kind`` if given."""
    return tuple(f for f in FIELDS if kind is None or f.kind == kind)


def published_kinds() -> frozenset[str]:
    """Model run kinds whose scores are published for the served data."""
    return frozenset(scores.current(connection.warehouse_version()))


# --- definitions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """``field`` ``op`` ``values``: e.g. ``Condition("aum", "gte", (500000,))``,
    ``Condition("category", "not_holds", ("fund",))``, ``Condition("churn_score", "top_decile")``."""

    field: str
    op: str
    values: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple):
            vals = self.values
            vals = tuple(vals) if isinstance(vals, (list, set, frozenset)) else (vals,)
            object.__setattr__(self, "values", vals)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "op": self.op, "values": [_plain(v) for v in self.values]}


@dataclass(frozen=True)
class GroupDefinition:
    """Conditions that all hold (AND), and where the group came from (``source``: a JSON-able
    dict for a group made from a selection, a chart or a model list, else None)."""

    conditions: tuple[Condition, ...] = ()
    source: str | None = field(default=None)  # JSON text, so the definition stays hashable

    def __post_init__(self) -> None:
        if not isinstance(self.conditions, tuple):
            object.__setattr__(self, "conditions", tuple(self.conditions))
        if isinstance(self.source, dict):
            object.__setattr__(self, "source", json.dumps(self.source, sort_keys=True, default=str))

    @property
    def source_dict(self) -> dict[str, Any] | None:
        return json.loads(self.source) if self.source else None

    def to_json(self) -> str:
        out: dict[str, Any] = {"conditions": [c.as_dict() for c in self.conditions]}
        if self.source:
            out["source"] = self.source_dict
        return json.dumps(out, sort_keys=True, ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str | dict) -> GroupDefinition:
        """The definition :meth:`to_json` wrote (or its dict).

        Raises
        ------
        ConditionError
            Not a definition (field ``conditions``).
        """
        try:
            data = json.loads(text) if isinstance(text, str) else text
            conditions = tuple(
                Condition(str(c["field"]), str(c["op"]), tuple(c.get("values") or ()))
                for c in data.get("conditions", ())
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ConditionError("conditions", "not a group definition") from exc
        source = data.get("source")
        return cls(conditions, source if isinstance(source, dict) else None)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _number(value: Any, f: Field, i: int) -> float:
    if isinstance(value, bool) or value is None:
        raise ConditionError(f.name, "needs a number", i)
    try:
        number = float(value.replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError) as exc:
        raise ConditionError(f.name, f"{value!r} is not a number", i) from exc
    if not math.isfinite(number):
        raise ConditionError(f.name, "needs a finite number", i)
    if f.name in _WHOLE and number != int(number):
        raise ConditionError(f.name, "needs a whole number", i)
    if f.fmt in ("money", "count") and f.name not in ("contribution", "fee_income") and number < 0:
        raise ConditionError(f.name, "cannot be negative", i)
    return number


def _choice(value: Any, f: Field, i: int) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, float) and not math.isfinite(value):
        raise ConditionError(f.name, f"{value!r} is not a valid value", i)
    if f.member is not None:
        cube_name, name = f.member.split(".")
        d = get_cube(cube_name).dimension(name)
        if d.fmt in ("id", "int"):
            try:
                if isinstance(value, float) and value != int(value):
                    raise ValueError
                return int(value)
            except (TypeError, ValueError) as exc:
                raise ConditionError(f.name, f"{value!r} is not a valid {f.label_en.lower()}", i) from exc
        if d.values and str(value) not in d.values:
            raise ConditionError(f.name, f"{value!r} is not one of {', '.join(d.values)}", i)
    if not isinstance(value, (str, int)):
        raise ConditionError(f.name, f"{value!r} is not a valid value", i)
    text = str(value).strip()
    if not text or len(text) > 100:
        raise ConditionError(f.name, "needs a value", i)
    return text


def check(definition: GroupDefinition, published: frozenset[str] | None = None) -> GroupDefinition:
    """``definition`` with every value in its field's type, or the first problem found.

    Raises
    ------
    ConditionError
        Unknown field or op, missing or extra values, a value of the wrong type, ``between``
        with its ends reversed, or a score whose model has not run on the served data.
    """
    if not isinstance(definition, GroupDefinition):
        raise ConditionError("conditions", "not a group definition")
    if len(definition.conditions) > MAX_CONDITIONS:
        raise ConditionError("conditions", f"at most {MAX_CONDITIONS} conditions")
    published = published_kinds() if published is None else published
    out = []
    for i, c in enumerate(definition.conditions):
        if not isinstance(c, Condition):
            raise ConditionError("conditions", "not a condition", i)
        f = FIELD.get(c.field) if isinstance(c.field, str) else None
        if f is None:
            raise ConditionError(str(c.field)[:40] or "field", "unknown field", i)
        if c.op not in f.ops:
            raise ConditionError(
                f.name, f"operator {str(c.op)[:20]!r} does not apply (use {', '.join(f.ops)})", i
            )
        if f.score_kind and f.score_kind not in published:
            raise ConditionError(f.name, f"no {f.score_kind} model has been published for this data", i)
        values = c.values
        if c.op == "top_decile":
            if values:
                raise ConditionError(f.name, "top decile takes no value", i)
        elif c.op == "between":
            if len(values) != 2:
                raise ConditionError(f.name, "between needs a lowest and a highest value", i)
            low, high = (_number(v, f, i) for v in values)
            if low > high:
                raise ConditionError(f.name, "the lowest value is above the highest", i)
            values = (low, high)
        elif f.type == "number":
            if len(values) != 1:
                raise ConditionError(f.name, "needs one number", i)
            values = (_number(values[0], f, i),)
        else:
            if not values:
                raise ConditionError(f.name, "choose at least one value", i)
            if len(values) > MAX_VALUES:
                raise ConditionError(f.name, f"at most {MAX_VALUES} values", i)
            values = tuple(dict.fromkeys(_choice(v, f, i) for v in values))
        out.append(Condition(f.name, c.op, values))
    return GroupDefinition(tuple(out), definition.source)


# --- the relation ---------------------------------------------------------------------------------

_latest: dict[tuple, Any] = {}
_latest_lock = threading.Lock()


def latest_month(con: Any | None = None) -> pd.Timestamp | None:
    """The last month of the served ``customer_month`` (None for an empty warehouse)."""
    con = con or connection.backend()
    key = (connection.warehouse_version() or "override", id(con))
    with _latest_lock:
        if key in _latest:
            return _latest[key]
    t = con.table("customer_month")
    value = t.month_date.max().to_pyarrow().as_py()
    month = pd.Timestamp(value).date() if value is not None else None
    with _latest_lock:
        if len(_latest) > 64:
            _latest.clear()
        _latest[key] = month
    return month


def _refuse(scope: Scope) -> None:
    if not isinstance(scope, Scope):
        raise CubeError("a Scope is required")
    if not scope.customer_rows:
        raise CubeError("this user's scope shows aggregates only: no customer groups")


def _scoped(con: Any, scope: Scope, month, attributes: set[str]):
    """The scope's customers at ``month`` with the score columns in ``attributes`` joined."""
    cube = get_cube(CUBE)
    resolved = resolve_filters(cube, (Filter(f"{CUBE}.month", "eq", (month,)),))
    return filtered(base_table(cube, con, attributes), cube, resolved, scope, con)


def _holders(con: Any, scope: Scope, month, categories: tuple[str, ...]):
    """Customer ids holding a product of ``categories`` at the end of ``month`` (the holdings
    cube's security applied, like any holdings query)."""
    cube = get_cube(HOLDINGS)
    resolved = resolve_filters(
        cube,
        (Filter(f"{HOLDINGS}.month", "eq", (month,)), Filter(f"{HOLDINGS}.category", "in", categories)),
    )
    return filtered(base_table(cube, con), cube, resolved, scope, con).customer_id


def _predicate(t, base, c: Condition, con: Any, scope: Scope, month):
    f = FIELD[c.field]
    if f.kind == "holding":
        held = t.customer_id.isin(_holders(con, scope, month, c.values))
        return held if c.op == "holds" else ~held
    col = t[f.column]
    v = c.values
    if c.op == "in":
        return col.isin(v)
    if c.op == "not_in":
        return col.isnull() | col.notin(v)
    if c.op == "gte":
        return col >= v[0]
    if c.op == "lte":
        return col <= v[0]
    if c.op == "between":
        return col.between(v[0], v[1])
    # top_decile: over the scope's customers at the month, before the other conditions
    return col >= base[f.column].quantile(TOP_DECILE).as_scalar()


def relation(
    definition: GroupDefinition, scope: Scope, con: Any | None = None, columns: tuple[str, ...] = ()
):
    """The Ibis relation of the customers ``definition`` (already :func:`check`-ed) selects
    under ``scope`` at the latest month, with the published score ``columns`` joined."""
    con = con or connection.backend()
    month = latest_month(con)
    score_columns = {c for k in scores.ATTRIBUTES.values() for c in k}
    attributes = {FIELD[c.field].column for c in definition.conditions if FIELD[c.field].kind == "score"}
    attributes |= {c for c in columns if c in score_columns}
    base = _scoped(con, scope, month, attributes)
    t = base
    for c in definition.conditions:
        t = t.filter(_predicate(t, base, c, con, scope, month))
    return t


def _run(expr, con: Any) -> pd.DataFrame:
    if getattr(con, "name", "") == "duckdb":
        return con.raw_sql(str(ibis.to_sql(expr))).to_arrow_table().to_pandas()
    return expr.to_pyarrow().to_pandas()


# --- the fast path on DuckDB ----------------------------------------------------------------------
# Compiling a definition through Ibis costs ~200 ms, far more than running it: the live count
# would miss its budget on compilation alone. So on DuckDB the scoped base relation (security,
# month, score joins) and the scoped holdings are compiled through Ibis once per scope, score
# columns and data version, and each definition adds its conditions as SQL over them with
# every value a bound parameter (no value is ever SQL text; column names come from FIELDS).
# The Ibis relation above stays the one definition for other engines; tests check both agree.

_sql_memo: OrderedDict[tuple, str] = OrderedDict()
_sql_lock = threading.Lock()
SQL_MEMO_SIZE = 256


def _memo(key: tuple, build) -> str:
    with _sql_lock:
        hit = _sql_memo.get(key)
        if hit is not None:
            _sql_memo.move_to_end(key)
            return hit
    sql = str(ibis.to_sql(build()))
    with _sql_lock:
        _sql_memo[key] = sql
        while len(_sql_memo) > SQL_MEMO_SIZE:
            _sql_memo.popitem(last=False)
    return sql


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _condition_sql(c: Condition, base_sql: str, holders_sql: str) -> tuple[str, list[Any]]:
    f = FIELD[c.field]
    marks = ", ".join("?" for _ in c.values)
    if f.kind == "holding":
        sub = f"SELECT customer_id FROM ({holders_sql}) AS h WHERE category IN ({marks})"
        return f"customer_id {'IN' if c.op == 'holds' else 'NOT IN'} ({sub})", list(c.values)
    col = _quoted(f.column)
    sql = {
        "in": f"{col} IN ({marks})",
        "not_in": f"({col} IS NULL OR {col} NOT IN ({marks}))",
        "gte": f"{col} >= ?",
        "lte": f"{col} <= ?",
        "between": f"{col} BETWEEN ? AND ?",
        "top_decile": f"{col} >= (SELECT quantile_cont({col}, {TOP_DECILE}) FROM ({base_sql}) AS q)",
    }[c.op]
    return sql, list(c.values)


# The latest month as one file per data version: customer_month's row of every customer at
# the latest month (the columns the fields read, org columns for security), the published
# scores joined on, and the product categories held as one bit mask. A live count is then one
# scan with no join (a semi-join on the month's holdings costs 0.3-0.6 s at 1M customers). The
# scope is applied to it exactly as to customer_month, by cube.security.row_predicate on the same
# region / branch / manager columns (a grant the customers cube cannot apply denies, as there).
# Written once per data version under the cache folder (atomic rename), shared by processes.

_snapshots: dict[str, tuple[Path, tuple[str, ...]]] = {}
_snapshot_lock = threading.Lock()
MAX_CATEGORIES = 62  # bits of the mask


def _snapshot_columns() -> tuple[str, ...]:
    cols = ["customer_id", "region_id", "branch_id", "manager_id", "aum"]
    cols += [f.column for f in FIELDS if f.kind in ("dimension", "measure")]
    return tuple(dict.fromkeys(cols))


_building: set[str] = set()


def _build_later(version: str) -> None:
    def build() -> None:
        try:
            with _ibis_quiet():
                snapshot(connection.backend(), wait=True)
        except Exception:  # noqa: BLE001 - an optimisation: counts keep joining the holdings
            log.warning("could not build the customer groups' latest-month file", exc_info=True)
        finally:
            with _snapshot_lock:
                _building.discard(version)

    with _snapshot_lock:
        if version in _building:
            return
        _building.add(version)
    threading.Thread(target=build, name="groups-snapshot", daemon=True).start()


def snapshot(con: Any, wait: bool = True) -> tuple[Path, tuple[str, ...]] | None:
    """(Parquet file of the latest month, product categories in mask-bit order) for the served
    data version, built on first use; None when it cannot be (no version, an earlier version
    pinned, a cache folder that cannot be written, too many categories) or, without ``wait``,
    while it is being built in the background: counts then join the holdings (same answers)."""
    version = connection.data_version()
    if version is None or connection.pinned_version() is not None:
        return None
    with _snapshot_lock:
        hit = _snapshots.get(version)
    if hit is not None and hit[0].is_file():
        return hit
    categories = tuple(
        r[0]
        for r in con.raw_sql("SELECT DISTINCT category FROM products ORDER BY 1").fetchall()
        if r[0] is not None
    )
    if len(categories) > MAX_CATEGORIES:
        return None
    name = hashlib.sha256(version.encode()).hexdigest()[:20]
    folder = paths.cache_dir() / "groups"
    path = folder / f"latest-{name}.parquet"
    if not path.is_file() and not wait:
        _build_later(version)
        return None
    if not path.is_file():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            month = latest_month(con)
            attributes = {c for k in scores.ATTRIBUTES.values() for c in k}
            t = base_table(get_cube(CUBE), con, attributes)
            t = t.filter(t.month_date == month).select(*_snapshot_columns(), *sorted(attributes))
            holdings = (
                "SELECT customer_id,"
                " bit_or(CAST(1 AS BIGINT) << (list_position(?, category) - 1)) AS held_mask"
                " FROM holdings_enriched WHERE month_date = ? AND list_position(?, category) > 0"
                " GROUP BY customer_id"
            )
            sql = (
                f"SELECT b.*, coalesce(h.held_mask, 0) AS held_mask FROM ({ibis.to_sql(t)}) AS b"
                f" LEFT JOIN ({holdings}) AS h ON h.customer_id = b.customer_id ORDER BY b.customer_id"
            )
            table = con.raw_sql(sql, parameters=[list(categories), month, list(categories)]).to_arrow_table()
            tmp = folder / f".latest-{name}-{uuid.uuid4().hex}.parquet"
            pq.write_table(table, tmp, row_group_size=122_880)
            os.replace(tmp, path)
        except OSError:
            return None
    found = (path, categories)
    with _snapshot_lock:
        if len(_snapshots) > 8:
            _snapshots.clear()
        _snapshots[version] = found
    return found


def _mask(values: tuple[str, ...], categories: tuple[str, ...]) -> int:
    return sum(1 << categories.index(v) for v in values if v in categories)


def _fast_sql(
    definition: GroupDefinition, scope: Scope, con: Any, select: str, columns=()
) -> tuple[str, list]:
    """SQL selecting ``select`` from the customers ``definition`` chooses, and its parameters."""
    snap = snapshot(con, wait=False)
    if snap is None:
        return _joined_sql(definition, scope, con, select, columns)
    path, categories = snap

    def scoped():
        t = con.table(parquet_view(con, path, "groups_latest"))
        pred = security.row_predicate(t, get_cube(CUBE), scope, con)
        return t if pred is None else t.filter(pred)

    base_sql = _memo(("snapshot", scope, str(path), id(con)), scoped)
    where, params = [], []
    for c in definition.conditions:
        if FIELD[c.field].kind == "holding":
            where.append(f"(held_mask & ?) {'<>' if c.op == 'holds' else '='} 0")
            params.append(_mask(c.values, categories))
            continue
        sql, values = _condition_sql(c, base_sql, "")
        where.append(sql)
        params.extend(values)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"SELECT {select} FROM ({base_sql}) AS b{clause}", params


def _joined_sql(
    definition: GroupDefinition, scope: Scope, con: Any, select: str, columns=()
) -> tuple[str, list]:
    """:func:`_fast_sql` without the snapshot: the scoped base relation, holdings joined."""
    version = connection.data_version() or f"unversioned-{id(con)}"
    month = latest_month(con)
    score_columns = {c for k in scores.ATTRIBUTES.values() for c in k}
    attributes = frozenset(
        {FIELD[c.field].column for c in definition.conditions if FIELD[c.field].kind == "score"}
        | {c for c in columns if c in score_columns}
    )
    base_sql = _memo(
        ("base", scope, attributes, month, version, id(con)),
        lambda: _scoped(con, scope, month, set(attributes)),
    )
    holders_sql = ""
    if any(FIELD[c.field].kind == "holding" for c in definition.conditions):

        def holders():
            cube = get_cube(HOLDINGS)
            resolved = resolve_filters(cube, (Filter(f"{HOLDINGS}.month", "eq", (month,)),))
            t = filtered(base_table(cube, con), cube, resolved, scope, con)
            return t.select("customer_id", "category")

        holders_sql = _memo(("holders", scope, month, version, id(con)), holders)
    where, params = [], []
    for c in definition.conditions:
        sql, values = _condition_sql(c, base_sql, holders_sql)
        where.append(sql)
        params.extend(values)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"SELECT {select} FROM ({base_sql}) AS b{clause}", params


def _duckdb(con: Any) -> bool:
    return getattr(con, "name", "") == "duckdb"


# --- what the builder and the loop call ----------------------------------------------------------


@dataclass(frozen=True)
class GroupCount:
    """How many customers a definition selects under a scope, and their AUM."""

    customers: int
    aum: float
    data_version: str | None
    ms: float = 0.0
    cached: bool = False


def live(definition: GroupDefinition, scope: Scope, use_cache: bool = True) -> GroupCount:
    """Count and AUM of the customers ``definition`` selects under ``scope`` (latest month).

    One aggregate query; cached by definition, scope and data version (``use_cache`` False
    runs it whatever the cache holds, for benchmarks).

    Raises
    ------
    ConditionError
        A condition that cannot run (see :func:`check`), naming its field.
    CubeError
        An aggregates-only scope.
    """
    t0 = time.perf_counter()
    _refuse(scope)
    definition = check(definition)
    version = connection.data_version()
    key = cache.key("groups.live", definition.to_json(), scope, version) if version and use_cache else None
    hit = cache.get(key) if key is not None else None
    if hit is not None:
        row = hit.frame.iloc[0]
        ms = (time.perf_counter() - t0) * 1000
        return GroupCount(int(row["customers"]), float(row["aum"]), version, ms, True)
    con = connection.backend()
    with _ibis_quiet():
        if _duckdb(con):
            sql, params = _fast_sql(
                definition, scope, con, "count(*) AS customers, coalesce(sum(aum), 0.0) AS aum"
            )
            frame = con.raw_sql(sql, parameters=params).to_arrow_table().to_pandas()
        else:
            t = relation(definition, scope, con)
            frame = t.aggregate(customers=t.count(), aum=t.aum.sum().coalesce(0.0)).to_pyarrow().to_pandas()
    frame = pd.DataFrame({"customers": frame["customers"].astype("int64"), "aum": frame["aum"].astype(float)})
    if key is not None:
        cache.put(key, Result(None, frame))
    row = frame.iloc[0]
    return GroupCount(int(row["customers"]), float(row["aum"]), version, (time.perf_counter() - t0) * 1000)


def _members(frame: pd.DataFrame, version: str | None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype("int64").to_numpy(),
            "branch_id": pd.array(frame["branch_id"], dtype="Int64"),
            "manager_id": pd.array(frame["manager_id"], dtype="Int64"),
            "aum": pd.to_numeric(frame["aum"], errors="coerce").astype(float).fillna(0.0).to_numpy(),
            "segment": pd.array(frame["segment"], dtype="Int64"),
            "best_offer": frame["best_offer"]
            .astype(object)
            .where(frame["best_offer"].notna(), None)
            .to_numpy(),
            "offer_score": pd.to_numeric(frame["offer_score"], errors="coerce").astype(float).to_numpy(),
        }
    )
    out = out.sort_values("customer_id", kind="stable").reset_index(drop=True)
    out.attrs["data_version"] = version
    return out


def member_frame(definition: GroupDefinition, scope: Scope) -> pd.DataFrame:
    """The customers ``definition`` selects under ``scope`` at the latest month, by customer id:
    :data:`MEMBER_COLUMNS` (score columns null when their model is not published).
    ``frame.attrs["data_version"]`` names the data they were read from.

    Raises
    ------
    ConditionError, CubeError
        As :func:`live`.
    """
    _refuse(scope)
    definition = check(definition)
    version = connection.data_version()
    con = connection.backend()
    extra = ("segment", "best_offer", "offer_score")
    with _ibis_quiet():
        if _duckdb(con):
            sql, params = _fast_sql(definition, scope, con, ", ".join(map(_quoted, MEMBER_COLUMNS)), extra)
            frame = con.raw_sql(sql, parameters=params).to_arrow_table().to_pandas()
        else:
            t = relation(definition, scope, con, columns=extra)
            frame = t.select(*MEMBER_COLUMNS).to_pyarrow().to_pandas()
    return _members(frame, version)


def _ids(customer_ids: Any) -> np.ndarray:
    try:
        ids = pd.to_numeric(pd.Series(list(customer_ids), dtype=object), errors="raise")
    except (TypeError, ValueError) as exc:
        raise ConditionError("customer_ids", "customer numbers are whole numbers") from exc
    if ids.isna().any() or (ids != ids.round()).any() or (ids <= 0).any():
        raise ConditionError("customer_ids", "customer numbers are positive whole numbers")
    return np.unique(ids.astype("int64").to_numpy())


def describe(customer_ids: Any, scope: Scope) -> pd.DataFrame:
    """:data:`MEMBER_COLUMNS` of those of ``customer_ids`` visible in ``scope`` at the latest
    month (customers outside it, closed before it or unknown are left out), by customer id.

    Raises
    ------
    ConditionError
        ``customer_ids`` not customer numbers (field ``customer_ids``).
    CubeError
        An aggregates-only scope.
    """
    _refuse(scope)
    ids = _ids(customer_ids)
    version = connection.data_version()
    empty = pd.DataFrame({c: [] for c in MEMBER_COLUMNS})
    if not len(ids):
        return _members(empty, version)
    con = connection.backend()
    with _ibis_quiet():
        t = relation(GroupDefinition(), scope, con, columns=("segment", "best_offer", "offer_score"))
        chosen = ibis.memtable(pa_ids(ids))
        t = t.filter(t.customer_id.isin(chosen.customer_id))
        frame = t.select(*MEMBER_COLUMNS).to_pyarrow().to_pandas()
    return _members(frame, version)


def pa_ids(ids: np.ndarray):
    import pyarrow as pa

    return pa.table({"customer_id": pa.array(ids, type=pa.int64())})


def customers_matching(cube_name: str, filters: tuple[Filter, ...], scope: Scope) -> np.ndarray:
    """Distinct customer ids of the drill-through rows of ``cube_name`` matching ``filters``
    under ``scope`` (the rows a click menu or a model list shows), ascending.

    Raises
    ------
    CubeError
        A cube without customers, a bad filter or an aggregates-only scope.
    """
    _refuse(scope)
    cube = get_cube(cube_name)
    if not cube.customer_column:
        raise CubeError(f"cube {cube_name!r} has no customers")
    resolved = resolve_filters(cube, tuple(filters))
    con = connection.backend()
    attributes = {r.dimension.column for r in resolved if r.dimension.attribute}
    with _ibis_quiet():
        t = filtered(base_table(cube, con, attributes), cube, resolved, scope, con)
        frame = _run(t.select(customer_id=t[cube.customer_column]).distinct(), con)
    return np.sort(frame["customer_id"].dropna().astype("int64").to_numpy())


# --- choices for the builder ----------------------------------------------------------------------


def options(field_name: str, scope: Scope, lang: str = "en") -> list[dict[str, Any]]:
    """The values a choice field offers under ``scope`` (``{"value", "label"}`` each, in the
    model's order or by label): org units and segments the scope holds at the latest month,
    declared codes (age bands...) in their order, product categories held. Empty for a number
    field or an unpublished score.
    """
    _refuse(scope)
    f = FIELD.get(field_name)
    if f is None or f.type != "choice" or f.member is None:
        return []
    if f.score_kind and f.score_kind not in published_kinds():
        return []
    cube_name, name = f.member.split(".")
    d = get_cube(cube_name).dimension(name)
    zh = lang.startswith("zh")
    if d.values and d.attribute != "segmentation":
        return [{"value": code, "label": v[1] if zh else v[0]} for code, v in d.values.items()]
    month = latest_month()
    measure = "holdings.holders" if cube_name == HOLDINGS else "customers.customers"
    query = Query(cube_name, (measure,), (f.member,), (Filter(f"{cube_name}.month", "eq", (month,)),))
    frame = api.execute(query, scope, lang).frame
    frame = frame[frame[f.member].notna()]
    label = api.label_column(f.member)
    labels = frame[label] if label in frame else frame[f.member].astype(str)
    whole = d.fmt in ("id", "int")
    out = [
        {"value": int(v) if whole else _plain(v), "label": str(lbl)}
        for v, lbl in zip(frame[f.member], labels, strict=True)
    ]
    return out if d.fmt in ("id", "int") and d.lookup is None else sorted(out, key=lambda o: o["label"])
