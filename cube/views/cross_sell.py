"""The Cross-sell view: association rules, propensity per product, best next offers, churn,
dormancy and campaign response, read from the latest succeeded model runs *on the data
version being served*. Readers and queries declared once (page, tests and benchmark).

What comes from where:

- **Run outputs** (Parquet files of the run folder, written by ``mining.runs``): rules and
  their graph, per product the holdout quality (gain, deciles, calibration, drivers), the same
  for churn, dormancy and response. They are aggregates (no customer rows), read with only the
  columns needed and cached per run id (a run folder never changes).
- **The cube** (under the caller's scope): the counts per best offer and band, per churn band
  and per activation band (customers cube, the run's month, grouped by the dimensions a run
  publishes: ``customers.best_offer``, ``propensity_band``, ``churn_band``,
  ``activation_band``), and every customer list: a drill-through on the customers cube
  filtered by those dimensions, with the published score columns and sorted by value. So a
  branch manager's lists hold only their scope's customers and identities are masked by the
  cube, as everywhere.

Definitions: the **expected value** of an offer = propensity score x the product's mean
monthly contribution among its holders (``values`` output); the best offer is the product not
held with the highest expected value. **Value at risk** = churn score x the customer's average
monthly contribution; **activation value** = reactivation score x past monthly contribution.
Bands: high = top 10% of the scored customers, medium = the next 20%, low = the rest.

Runs come from the registry (``mining.runs``), for the served data version only.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from cube import api, connection, labels
from cube.api import Filter, Query, Scope
from cube.model.base import BEST_OFFER
from cube.views.shown_runs import shown_run
from cube.views.state import ViewState
from mining.runs import RunRecord

CUBE = "customers"
KINDS = ("crosssell", "churn", "response")
BANDS = ("high", "medium", "low")
LIST_PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
# the published score columns each list shows (data.scores.ATTRIBUTES), and what it is sorted by
OFFER_COLUMNS = ("best_offer", "offer_score", "offer_value", "propensity_band")
CHURN_COLUMNS = ("churn_score", "value_at_risk", "churn_band", "churn_driver")
DORMANT_COLUMNS = ("activation_value", "activation_band")
LISTS: dict[str, tuple[tuple[str, ...], str]] = {
    "offers": (OFFER_COLUMNS, "offer_value"),
    "churn": (CHURN_COLUMNS, "value_at_risk"),
    "dormant": (DORMANT_COLUMNS, "activation_value"),
}
DRIVERS_SHOWN = 10
GRAPH_NODES_MAX = 40


# --- the runs of the served data ------------------------------------------------------------------


def served_version() -> str | None:
    """The warehouse version the cube serves (the runs shown must be fitted on it)."""
    return connection.warehouse_version()


def runs(data_version: str | None = None) -> dict[str, RunRecord | None]:
    """Kind -> the run the view shows (:func:`shown_run`), for the served version (default)."""
    version = served_version() if data_version is None else data_version
    return {kind: shown_run(kind, version) for kind in KINDS}


@functools.lru_cache(maxsize=512)
def _read(run_id: str, name: str, path: str, columns: tuple[str, ...] | None) -> pd.DataFrame:
    table = pq.read_table(path, columns=list(columns) if columns else None)
    return table.to_pandas()


def output(run: RunRecord | None, name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame | None:
    """Output ``name`` of ``run`` (only ``columns`` if given), cached per run id; None if the
    run did not write it. The frame is shared: copy before changing it."""
    path = run.output(name) if run is not None else None
    if path is None:
        return None
    if columns is not None:
        present = set(pq.read_schema(path).names)
        columns = tuple(c for c in columns if c in present)
    return _read(run.run_id, name, str(path), columns)


# --- association rules ----------------------------------------------------------------------------

RULE_COLUMNS = (
    "antecedent",
    "consequent",
    "size",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "antecedent_support",
    "consequent_support",
)


# A longer rule is worth showing only if its confidence beats every shorter rule with the same
# consequent by this much (Bayardo, Agrawal & Gunopulos's "minimum improvement").
MIN_IMPROVEMENT = 0.01


@dataclass(frozen=True)
class RuleFilter:
    """What the rules table shows: thresholds, optionally rules involving ``product``, and with
    ``improving_only`` only the rules that no shorter rule explains as well."""

    min_support: float = 0.0
    min_confidence: float = 0.0
    min_lift: float = 0.0
    product: str | None = None
    improving_only: bool = False

    @classmethod
    def parse(
        cls,
        support: Any = None,
        confidence: Any = None,
        lift: Any = None,
        product: Any = None,
        improving_only: Any = False,
    ):
        """From control values, anything malformed read as "no threshold"."""

        def number(value: Any, high: float) -> float:
            try:
                x = float(value)
            except (TypeError, ValueError):
                return 0.0
            return min(max(x, 0.0), high) if math.isfinite(x) else 0.0

        code = product if isinstance(product, str) and 0 < len(product) <= 64 else None
        return cls(
            number(support, 1.0), number(confidence, 1.0), number(lift, 1e6), code, improving_only is True
        )


def improvement(frame: pd.DataFrame) -> np.ndarray:
    """Per rule, its confidence minus the best confidence among the run's rules with the same
    consequent and a shorter antecedent contained in its own; NaN where there is none (a pair
    rule, or shorter rules that fell below the run's minimum confidence). A rule that adds a
    product nearly everyone holds to a pair rule improves on it by about nothing."""
    confidence = {
        (frozenset(a), c): x
        for a, c, x in zip(frame["antecedent"], frame["consequent"], frame["confidence"], strict=True)
    }
    out = np.full(len(frame), np.nan)
    for i, (a, c, x) in enumerate(
        zip(frame["antecedent"], frame["consequent"], frame["confidence"], strict=True)
    ):
        shorter = [
            confidence[key]
            for k in range(1, len(a))
            for sub in combinations(a, k)
            if (key := (frozenset(sub), c)) in confidence
        ]
        if shorter:
            out[i] = x - max(shorter)
    return out


def rules(run: RunRecord | None, rule_filter: RuleFilter = RuleFilter()) -> pd.DataFrame:
    """The run's rules passing ``rule_filter``, strongest lift first: ``antecedent`` (tuple of
    product codes), ``consequent`` and the metrics of :data:`RULE_COLUMNS`."""
    frame = output(run, "rules", RULE_COLUMNS)
    if frame is None:
        return pd.DataFrame(columns=list(RULE_COLUMNS))
    keep = (
        (frame["support"] >= rule_filter.min_support - 1e-12)
        & (frame["confidence"] >= rule_filter.min_confidence - 1e-12)
        & (frame["lift"] >= rule_filter.min_lift - 1e-12)
    )
    frame = frame.assign(antecedent=[tuple(a) for a in frame["antecedent"]])
    if rule_filter.improving_only:
        gain = improvement(frame)
        keep &= np.isnan(gain) | (gain >= MIN_IMPROVEMENT - 1e-12)
    out = frame[keep.to_numpy()]
    if rule_filter.product:
        p = rule_filter.product
        involved = [p == c or p in a for a, c in zip(out["antecedent"], out["consequent"], strict=True)]
        out = out[np.asarray(involved, dtype=bool)]
    return out.reset_index(drop=True)


def graph(run: RunRecord | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The product association graph of the run: nodes (``item``, ``support``) and edges
    (``source``, ``target``, ``support``, ``confidence``, ``lift``), the strongest pair rules."""
    nodes = output(run, "graph_nodes")
    edges = output(run, "graph_edges")
    if nodes is None or edges is None:
        return pd.DataFrame(columns=["item", "support"]), pd.DataFrame(
            columns=["source", "target", "support", "confidence", "lift"]
        )
    return nodes.head(GRAPH_NODES_MAX), edges


def product_names(codes, scope: Scope, lang: str = "en") -> dict[str, str]:
    """Product code -> display name (the products table of the warehouse)."""
    codes = list(dict.fromkeys(str(c) for c in codes))
    if not codes:
        return {}
    names = labels.labels_for(pd.Series(codes, dtype=object), BEST_OFFER, scope, lang, connection.backend())
    return dict(zip(codes, names.astype(str), strict=True))


# --- model quality --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quality:
    """A model's holdout figures: headline ``metrics`` (auc, alift, lift_10, lift_20, base_rate,
    rows), the gain curve, the decile table, the calibration table and the drivers."""

    metrics: dict
    gain: pd.DataFrame | None
    deciles: pd.DataFrame | None
    calibration: pd.DataFrame | None
    drivers: pd.DataFrame | None


# kind of panel -> (run kind, output names prefix)
PANELS = {"churn": ("churn", ""), "dormancy": ("churn", "dormancy_"), "response": ("response", "")}


def _for_product(frame: pd.DataFrame | None, product: str) -> pd.DataFrame | None:
    if frame is None:
        return None
    part = frame[frame["product"] == product].drop(columns="product").reset_index(drop=True)
    return part if len(part) else None


def products(run: RunRecord | None) -> pd.DataFrame:
    """The modelled products of a cross-sell run with their holdout figures (``product``,
    ``holders``, ``auc``, ``alift``, ``lift_10``, ``base_rate``), best AUC first."""
    frame = output(run, "metrics")
    if frame is None:
        return pd.DataFrame(columns=["product", "holders", "auc", "alift", "lift_10", "base_rate"])
    return frame.sort_values(["auc", "product"], ascending=[False, True], na_position="last").reset_index(
        drop=True
    )


def propensity_quality(run: RunRecord | None, product: str) -> Quality | None:
    """Holdout quality of ``product``'s propensity model in a cross-sell run."""
    table = products(run)
    row = table[table["product"] == product]
    if row.empty:
        return None
    figures = {
        k: _for_product(output(run, k), product) for k in ("gains", "deciles", "calibration", "drivers")
    }
    drivers = figures["drivers"]
    return Quality(
        {k: _plain(v) for k, v in row.iloc[0].to_dict().items() if k != "product"},
        figures["gains"],
        figures["deciles"],
        figures["calibration"],
        drivers.head(DRIVERS_SHOWN) if drivers is not None else None,
    )


def panel_quality(run: RunRecord | None, panel: str) -> Quality | None:
    """Holdout quality of the churn, dormancy (reactivation) or response model of ``run``."""
    _kind, prefix = PANELS[panel]
    metrics = output(run, f"{prefix}metrics")
    if metrics is None or metrics.empty:
        return None
    drivers = output(run, f"{prefix}drivers")
    return Quality(
        {k: _plain(v) for k, v in metrics.iloc[0].to_dict().items()},
        output(run, f"{prefix}gain"),
        output(run, f"{prefix}deciles"),
        output(run, f"{prefix}calibration"),
        drivers.head(DRIVERS_SHOWN) if drivers is not None else None,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# --- cube queries: counts and lists ---------------------------------------------------------------


def month_filter(run: RunRecord) -> Filter:
    """The customers of the month the run scored."""
    month = run.month
    return Filter(f"{CUBE}.month", "eq", (dt.date.fromisoformat(f"{month}-01"),))


def _org_filters(state: ViewState) -> tuple[Filter, ...]:
    return tuple(f for f in state.filters(CUBE) if f.member.split(".")[1] in ("region", "branch", "manager"))


def offer_counts_query(state: ViewState, run: RunRecord) -> Query:
    """Customers per best offer and propensity band in the run's month."""
    return Query(
        CUBE,
        ("customers.customers",),
        ("customers.best_offer", "customers.propensity_band"),
        (*_org_filters(state), month_filter(run)),
    )


def band_counts_query(state: ViewState, run: RunRecord, band: str) -> Query:
    """Customers per band (``churn_band`` / ``activation_band``) in the run's month."""
    return Query(
        CUBE,
        ("customers.customers",),
        (f"customers.{band}",),
        (*_org_filters(state), month_filter(run)),
    )


def offer_counts(state: ViewState, scope: Scope, run: RunRecord, lang: str = "en") -> pd.DataFrame:
    """``best_offer`` (code, None = not scored), ``offer_name``, ``band``, ``customers`` in the
    run's month, under ``scope``."""
    query = offer_counts_query(state, run)
    frame = api.execute(query, scope, lang).frame
    return pd.DataFrame(
        {
            "best_offer": [_plain(v) if isinstance(v, str) else None for v in frame["customers.best_offer"]],
            "offer_name": frame[api.label_column("customers.best_offer")].astype(str).to_numpy(),
            "band": [v if isinstance(v, str) else None for v in frame["customers.propensity_band"]],
            "customers": frame["customers.customers"].astype("int64").to_numpy(),
        }
    )


def band_counts(state: ViewState, scope: Scope, run: RunRecord, band: str, lang: str = "en") -> pd.DataFrame:
    """``band`` (None = not scored / not dormant), ``label``, ``customers`` per band."""
    query = band_counts_query(state, run, band)
    frame = api.execute(query, scope, lang).frame
    member = f"customers.{band}"
    out = pd.DataFrame(
        {
            "band": [v if isinstance(v, str) else None for v in frame[member]],
            "label": frame[api.label_column(member)].astype(str).to_numpy(),
            "customers": frame["customers.customers"].astype("int64").to_numpy(),
        }
    )
    order = {b: i for i, b in enumerate(BANDS)}
    return out.iloc[
        sorted(range(len(out)), key=lambda i: order.get(out["band"].iloc[i], len(order)))
    ].reset_index(drop=True)


def list_filters(
    state: ViewState, run: RunRecord, kind: str, product: str | None = None, band: str | None = None
) -> tuple[Filter, ...]:
    """The drill-through filters of list ``kind`` ("offers", "churn", "dormant"): the run's
    month, the org unit, the band (default every band: scored customers only) and, for offers,
    the best offer."""
    dimension = {"offers": "propensity_band", "churn": "churn_band", "dormant": "activation_band"}[kind]
    bands = (band,) if band in BANDS else BANDS
    out = [*_org_filters(state), month_filter(run), Filter(f"{CUBE}.{dimension}", "in", bands)]
    if kind == "offers" and product:
        out.append(Filter(f"{CUBE}.best_offer", "eq", (product,)))
    return tuple(out)


def customer_list(
    state: ViewState,
    scope: Scope,
    run: RunRecord,
    kind: str,
    product: str | None = None,
    band: str | None = None,
    page: int = 0,
    lang: str = "en",
    page_size: int = LIST_PAGE_SIZE,
) -> api.Result:
    """One page of list ``kind`` under ``scope``, highest value first (offers: expected value;
    churn: value at risk; dormant: activation value), with the published score columns;
    ``Result.total_rows`` counts the whole list."""
    columns, sort = LISTS[kind]
    return api.drill_through(
        CUBE,
        list_filters(state, run, kind, product, band),
        scope,
        page=page,
        page_size=page_size,
        lang=lang,
        columns=columns,
        sort=(sort, True),
    )


def export_list(
    state: ViewState,
    scope: Scope,
    run: RunRecord,
    kind: str,
    product: str | None = None,
    band: str | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """The whole list (up to :data:`EXPORT_LIMIT` rows) in its order, headers in ``lang``."""
    columns, sort = LISTS[kind]
    filters = list_filters(state, run, kind, product, band)
    frames, page = [], 0
    while sum(len(f) for f in frames) < EXPORT_LIMIT:
        result = api.drill_through(
            CUBE, filters, scope, page, api.MAX_PAGE_SIZE, lang, columns=columns, sort=(sort, True)
        )
        frames.append(result.frame)
        if len(result.frame) < api.MAX_PAGE_SIZE:
            break
        page += 1
    frame = pd.concat(frames, ignore_index=True).head(EXPORT_LIMIT)
    return frame.rename(columns={c: info.label(lang) for c, info in result.columns.items()})


# --- one render -----------------------------------------------------------------------------------


def default_product(run: RunRecord | None, state: ViewState) -> str | None:
    """The product the propensity panel opens on: a product linked from another view
    (``sel=link:product:<id>`` is a product id, so only a code given as ``x_product``), else
    the best-modelled product."""
    table = products(run)
    chosen = state.param("product")
    if chosen in set(table["product"]):
        return chosen
    return str(table["product"].iloc[0]) if len(table) else None


def render(state: ViewState, scope: Scope, lang: str = "en", lists: bool = True) -> dict[str, Any]:
    """Everything the page shows for the served data version, as the page calls it (the
    benchmark times this). ``lists`` False leaves out the customer lists (presenters)."""
    found = runs()
    out: dict[str, Any] = {"version": served_version(), "runs": found}
    cs, churn, response = found["crosssell"], found["churn"], found["response"]
    if cs is not None:
        out["rules"] = rules(cs)
        nodes, edges = graph(cs)
        out["graph"] = (nodes, edges)
        codes = [*out["rules"]["consequent"], *nodes["item"], *products(cs)["product"]]
        out["names"] = product_names(codes, scope, lang)
        out["products"] = products(cs)
        product = default_product(cs, state)
        out["product"] = product
        out["propensity"] = propensity_quality(cs, product) if product else None
        out["offer_counts"] = offer_counts(state, scope, cs, lang)
        if lists:
            out["offers"] = customer_list(state, scope, cs, "offers", lang=lang)
    if churn is not None:
        out["churn"] = panel_quality(churn, "churn")
        out["dormancy"] = panel_quality(churn, "dormancy")
        out["churn_counts"] = band_counts(state, scope, churn, "churn_band", lang)
        out["dormant_counts"] = band_counts(state, scope, churn, "activation_band", lang)
        if lists:
            out["churn_list"] = customer_list(state, scope, churn, "churn", lang=lang)
            out["dormant_list"] = customer_list(state, scope, churn, "dormant", lang=lang)
    if response is not None:
        out["response"] = panel_quality(response, "response")
    return out
