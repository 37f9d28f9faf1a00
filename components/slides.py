"""Deck slides: what one slide of a review deck shows, for one viewer, at one data version.

A slide names a page (``/branches``), the page's filters (the URL query string of a saved
view) and a *part* of the page: its KPI group (``"kpis"``), one of its charts, or the page's
default (``"view"``: the KPI group and the main chart). :func:`build_slide` computes it with
the page's own declared queries (``cube.views``) and figure builders (``components.figures``),
under the VIEWER's scope (sharing a deck never widens what anyone sees) and at the deck's
pinned data version (``cube.connection.at_version``). The presenter page draws the result and
the PPTX/PDF export writes the very same :class:`SlideContent`.

Presenters have no customer rows: no part holds a customer-level table.

This is the one module of ``components`` that reads the cube (tests/test_architecture.py
names it): a slide is computed as well as drawn, and both the presenter page and the export
need exactly the same computation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from components.figures import attainment_bars, bar_chart, flow_bars, line_chart, waterfall
from components.formatting import format_value
from components.i18n import t
from components.slide_content import Kpi, SlideContent
from cube import connection
from cube.api import CubeError, Scope, label_column, member_label
from cube.views import branches as branches_view
from cube.views import channels as channels_view
from cube.views import customers as customers_view
from cube.views import options
from cube.views import overview as overview_view
from cube.views import products as products_view
from cube.views.state import ORG_LEVELS, ViewState

DEFAULT_PART = "view"
PAGES: dict[str, str] = {  # page path -> page key (nav key, catalog prefix)
    "/": "overview",
    "/branches": "branches",
    "/products": "products",
    "/channels": "channels",
    "/customers": "customers",
}


@dataclass
class _Ctx:
    """What every part builder gets: the resolved state, the viewer's scope, the language."""

    state: ViewState
    scope: Scope
    lang: str


@dataclass
class _Out:
    kpis: list[Kpi] | None = None
    figure: Any = None
    table: pd.DataFrame | None = None
    message: str = ""


def _kpi(label: str, value: Any, fmt: str, lang: str, note: str = "") -> Kpi:
    number = None if value is None or (isinstance(value, float) and pd.isna(value)) else float(value)
    return Kpi(label, number, fmt, format_value(number, fmt, lang), note)


def _change_note(now: float | None, before: float | None, month: str | None, lang: str) -> str:
    if now is None or before is None or not before or not month:
        return ""
    return t("slides.vs", lang, change=f"{(now - before) / abs(before):+.1%}", month=month)


# --- Overview -----------------------------------------------------------------------------------


def _overview_kpis(c: _Ctx) -> _Out:
    tiles = overview_view.kpi_tiles(c.state, c.scope, c.lang)
    kpis = [
        _kpi(
            tile["label"],
            tile["value"],
            tile["fmt"],
            c.lang,
            _change_note(tile["value"], tile["comparison_value"], tile["comparison_month"], c.lang),
        )
        for tile in tiles
    ]
    return _Out(kpis=kpis)


def _overview_explain(c: _Ctx) -> _Out:
    months = overview_view.months(c.scope)
    controls = overview_view.explain_controls(c.state, months)
    if not controls["a"] or not controls["b"]:
        return _Out(message=t("overview.no_comparison_data", c.lang))
    try:
        frame = overview_view.explain_change(
            c.state, c.scope, controls["kpi"], controls["by"], controls["a"], controls["b"], c.lang
        )
    except CubeError as exc:
        return _Out(message=str(exc))
    kpi = overview_view.kpi(controls["kpi"])
    members = frame[frame["kind"].isin(["member", "others"])]
    others = t("figure.other", c.lang)
    labels = [
        others if k == "others" else str(lbl)
        for k, lbl in zip(members["kind"], members["label"], strict=True)
    ]
    figure = waterfall(
        labels,
        members["total"].astype(float).tolist(),
        controls["a"],
        frame.attrs["start"],
        controls["b"],
        frame.attrs["end"],
        kpi.fmt,
        c.lang,
        y_title=kpi.label(c.lang),
    )
    figure.update_layout(title=t("slides.part.overview.explain_title", c.lang, kpi=kpi.label(c.lang)))
    return _Out(figure=figure)


def _overview_trend(c: _Ctx) -> _Out:
    tiles = {tile["key"]: tile for tile in overview_view.kpi_tiles(c.state, c.scope, c.lang)}
    tile = tiles.get(overview_view.DEFAULT_KPI)
    if tile is None:
        return _Out(message=t("slides.no_data", c.lang))
    frame = pd.DataFrame(
        {"month": pd.to_datetime([f"{m}-01" for m in tile["sparkline_months"]]), "value": tile["sparkline"]}
    )
    figure = line_chart(frame, "month", {"value": tile["label"]}, tile["fmt"], c.lang, y_title=tile["label"])
    return _Out(figure=figure)


# --- Branches -----------------------------------------------------------------------------------


def _branches_kpis(c: _Ctx) -> _Out:
    comparison = c.state.comparison(options.months(c.scope))
    now = branches_view.kpis(c.state, c.scope)
    before = branches_view.kpis(c.state, c.scope, comparison) if comparison else {}
    meta = branches_view.kpi_meta(c.lang)
    kpis = [
        _kpi(meta[k][0], now[k], meta[k][1], c.lang, _change_note(now[k], before.get(k), comparison, c.lang))
        for k in branches_view.KPIS
    ]
    return _Out(kpis=kpis)


def _branches_units(c: _Ctx) -> _Out:
    level = c.state.child_level()
    if level is None:
        return _branches_trend(c)
    units = branches_view.units(c.state, c.scope, c.lang)
    if units.empty:
        return _Out(message=t("branches.empty", c.lang))
    meta = branches_view.kpi_meta(c.lang)
    figure = bar_chart(units, "name", "aum", "key", "money", c.lang, y_title=meta["aum"][0])
    figure.update_layout(title=t("branches.by_level", c.lang, level=t(f"branches.level.{level}", c.lang)))
    return _Out(figure=figure)


def _branches_trend(c: _Ctx) -> _Out:
    frame = branches_view.trend(c.state, c.scope)
    if frame.empty:
        return _Out(message=t("branches.empty", c.lang))
    meta = branches_view.kpi_meta(c.lang)
    series = {m: meta[m.split(".")[1]][0] for m in branches_view.TREND_MEASURES}
    figure = line_chart(frame, "month", series, "money", c.lang, y_title=t("branches.balance", c.lang))
    return _Out(figure=figure)


def _branches_targets(c: _Ctx) -> _Out:
    frame = branches_view.targets(c.state, c.scope)
    if frame.empty:
        return _Out(message=t("branches.no_targets", c.lang))
    meta = branches_view.kpi_meta(c.lang)
    frame = frame.assign(label=[meta[m][0] for m in frame["metric"]])
    figure = attainment_bars(frame.fillna({"attainment": 0}), "label", "attainment", lang=c.lang)
    table = pd.DataFrame(
        {
            t("col.metric", c.lang): frame["label"],
            t("col.target", c.lang): [
                format_value(v, meta[m][1], c.lang)
                for v, m in zip(frame["target"], frame["metric"], strict=True)
            ],
            t("col.actual", c.lang): [
                format_value(v, meta[m][1], c.lang)
                for v, m in zip(frame["actual"], frame["metric"], strict=True)
            ],
            t("col.attainment", c.lang): [format_value(v, "percent", c.lang) for v in frame["attainment"]],
        }
    )
    return _Out(figure=figure, table=table)


# --- Products -----------------------------------------------------------------------------------


def _products_kpis(c: _Ctx) -> _Out:
    frame = products_view.items(c.state, c.scope, c.lang)
    customers = frame.attrs.get("customers", 0)
    kpis = [
        _kpi(member_label("customers.customers", c.lang), customers, "count", c.lang),
        _kpi(member_label("holdings.holdings", c.lang), frame["holdings"].sum(), "count", c.lang),
        _kpi(member_label("holdings.balance", c.lang), frame["balance"].sum(), "money", c.lang),
    ]
    if products_view.fees_comparable(c.state):
        kpis.append(
            _kpi(member_label("customers.contribution", c.lang), frame["contribution"].sum(), "money", c.lang)
        )
    return _Out(kpis=kpis)


def _products_items(c: _Ctx) -> _Out:
    frame = products_view.items(c.state, c.scope, c.lang)
    shown = frame[frame["holders"] > 0]
    if shown.empty:
        return _Out(message=t("products.empty", c.lang))
    figure = bar_chart(
        shown, "name", "holders", "key", "count", c.lang, y_title=member_label("holdings.holders", c.lang)
    )
    return _Out(figure=figure)


def _products_trend(c: _Ctx) -> _Out:
    frame = products_view.trend(c.state, c.scope, c.lang)
    if frame.empty:
        return _Out(message=t("products.empty", c.lang))
    names = frame.drop_duplicates("key").set_index("key")["name"]
    keys = list(names.index)
    wide = frame.pivot_table(index="month", columns="key", values="balance", aggfunc="sum")
    wide = wide.reindex(columns=keys).reset_index()
    wide.columns = ["month", *[f"k{i}" for i in range(len(keys))]]
    series = {f"k{i}": str(names[k]) for i, k in enumerate(keys)}
    figure = line_chart(wide, "month", series, "money", c.lang, y_title=t("products.trend_balance", c.lang))
    return _Out(figure=figure)


# --- Channels -----------------------------------------------------------------------------------

_CHANNEL_KPIS = ("transactions.txn_count", "transactions.amount", "transactions.fee")  # additive


def _channels_kpis(c: _Ctx) -> _Out:
    frame, result = channels_view.mix(c.state, c.scope, c.lang)
    kpis = [
        _kpi(result.columns[m].label(c.lang), frame[m].astype(float).sum(), result.columns[m].fmt, c.lang)
        for m in _CHANNEL_KPIS
        if m in frame
    ]
    return _Out(kpis=kpis)


def _channels_mix(c: _Ctx) -> _Out:
    frame, _result = channels_view.mix(c.state, c.scope, c.lang)
    if frame.empty:
        return _Out(message=t("channels.empty", c.lang))
    member = channels_view.mix_query(c.state).dimensions[0]
    shown = pd.DataFrame(
        {
            "label": frame[label_column(member)].astype(str),
            "value": frame["transactions.txn_count"],
            "key": frame[member],
        }
    )
    figure = bar_chart(
        shown,
        "label",
        "value",
        "key",
        "count",
        c.lang,
        y_title=member_label("transactions.txn_count", c.lang),
        horizontal=True,
    )
    figure.update_yaxes(dtick=1)  # every channel named, however small the slide
    return _Out(figure=figure)


def _channels_trend(c: _Ctx) -> _Out:
    frame = channels_view.trend(c.state, c.scope, c.lang)
    if frame.empty:
        return _Out(message=t("channels.empty", c.lang))
    measure = channels_view.controls(c.state)["measure"]
    wide = frame.pivot_table(index="month", columns="key", values=measure, aggfunc="sum").reset_index()
    names = dict(zip(frame["key"], frame["label"], strict=False))
    keys = [k for k in wide.columns if k != "month"]
    wide.columns = ["month", *[f"k{k}" for k in keys]]
    fmt = "money" if measure in ("amount", "fee") else "count"
    figure = line_chart(
        wide,
        "month",
        {f"k{k}": names[k] for k in keys},
        fmt,
        c.lang,
        y_title=member_label(channels_view.MEASURES[measure], c.lang),
    )
    return _Out(figure=figure)


# --- Customers ----------------------------------------------------------------------------------

_CUSTOMER_KPIS = ("customers", "new_customers", "lost_customers", "aum", "contribution")


def _customers_kpis(c: _Ctx) -> _Out:
    # the unit's customer figures: the customers cube's KPIs (as the Branches view reads them)
    comparison = c.state.comparison(options.months(c.scope))
    now = branches_view.kpis(c.state, c.scope)
    before = branches_view.kpis(c.state, c.scope, comparison) if comparison else {}
    meta = branches_view.kpi_meta(c.lang)
    kpis = [
        _kpi(meta[k][0], now[k], meta[k][1], c.lang, _change_note(now[k], before.get(k), comparison, c.lang))
        for k in _CUSTOMER_KPIS
    ]
    return _Out(kpis=kpis)


def _customers_flows(c: _Ctx) -> _Out:
    flows = customers_view.flows(c.state, c.scope, c.lang)
    if flows.empty:
        return _Out(message=t("slides.no_data", c.lang))
    figure = flow_bars(
        flows,
        "month",
        ("new", t("customers.new", c.lang)),
        ("lost", t("customers.lost", c.lang)),
        ("net", t("customers.net", c.lang)),
        "key",
        "customers.month",
        c.lang,
        y_title=member_label("customers.customers", c.lang),
    )
    return _Out(figure=figure)


# --- the registry -------------------------------------------------------------------------------

Builder = Callable[[_Ctx], _Out]
# page key -> part -> builder; the first chart part after "kpis" is the page's main chart
PARTS: dict[str, dict[str, Builder]] = {
    "overview": {"kpis": _overview_kpis, "explain": _overview_explain, "trend": _overview_trend},
    "branches": {
        "kpis": _branches_kpis,
        "units": _branches_units,
        "trend": _branches_trend,
        "targets": _branches_targets,
    },
    "products": {"kpis": _products_kpis, "items": _products_items, "trend": _products_trend},
    "channels": {"kpis": _channels_kpis, "mix": _channels_mix, "trend": _channels_trend},
    "customers": {"kpis": _customers_kpis, "flows": _customers_flows},
}


def page_key(path: str | None) -> str | None:
    """The page key of a page path (``"/branches"`` -> ``"branches"``), None if no slide can
    show that page."""
    if not isinstance(path, str):
        return None
    clean = urlsplit(path).path.rstrip("/") or "/"
    return PAGES.get(clean)


def parts_for(page: str | None, lang: str = "en") -> list[tuple[str, str]]:
    """(part, label) a slide of ``page`` (a key or a path) may show, the default first; empty
    when the page cannot be shown as a slide."""
    key = page if isinstance(page, str) and page in PARTS else page_key(page)  # any JSON, when forged
    if key is None:
        return []
    return [(DEFAULT_PART, t("slides.part.view", lang))] + [
        (part, t(f"slides.part.{key}.{part}", lang)) for part in PARTS[key]
    ]


def _field(slide: Any, name: str, default: Any = "") -> Any:
    if isinstance(slide, Mapping):
        return slide.get(name, default)
    return getattr(slide, name, default)


def state_for(search: str | None, scope: Scope) -> ViewState:
    """The view state a slide's filters give under ``scope``: the URL's filters, the viewer's
    own unit when the filters name none and the scope holds one, the period resolved."""
    query = search[1:] if isinstance(search, str) and search.startswith("?") else (search or "")
    state = ViewState.from_params(dict(parse_qsl(query if isinstance(query, str) else "")))
    if state.org_level() is None and not _sees_all(scope):
        state = options.home_state(state, scope, len(ORG_LEVELS))
    return state.resolve(options.months(scope))


def _sees_all(scope: Scope) -> bool:
    return any(g.kind == "all" for g in scope.rows)


def _unit_name(state: ViewState, scope: Scope, lang: str) -> str | None:
    """The name of the state's unit, "" for the whole bank, None when outside the scope."""
    level = state.org_level()
    if level is None:
        return ""
    return branches_view.unit_name(level, getattr(state, level), scope, lang)


def subtitle(unit: str, period: str | None, lang: str) -> str:
    """ "<unit> · <period>" as a slide and a cover page name them."""
    return t("slides.subtitle", lang, unit=unit or t("slides.whole_bank", lang), period=period or "-")


def build_slide(slide: Any, scope: Scope, lang: str, version: str | None) -> SlideContent:
    """What ``slide`` shows to a viewer of ``scope`` in ``lang`` at data ``version``.

    Parameters
    ----------
    slide
        Anything with ``path`` (or ``page``), ``search``, ``part``, ``title`` and ``notes``
        (a ``auth.decks.Slide``, or a dict with those keys).
    scope
        The VIEWER's scope: every figure is computed under it.
    version
        The deck's pinned data version (None: the current data).

    Raises
    ------
    cube.connection.VersionUnavailable
        When ``version``'s warehouse file is no longer kept (the deck offers "move to current").
    """
    path = _field(slide, "path") or _field(slide, "page")
    key = page_key(path)
    part = _field(slide, "part") or DEFAULT_PART
    notes = str(_field(slide, "notes") or "")
    with connection.at_version(version) as served:
        title = str(_field(slide, "title") or "") or (t(f"nav.{key}", lang) if key else "")
        content = SlideContent(title=title, notes=notes, data_version=served)
        if key is None or (part != DEFAULT_PART and part not in PARTS[key]):
            content.message = t("slides.unknown_part", lang)
            return content
        state = state_for(_field(slide, "search"), scope)
        if state.period is None:
            content.message = t("slides.no_data", lang)
            return content
        unit = _unit_name(state, scope, lang)
        if unit is None:  # the slide's unit is not the viewer's: nothing of it is shown
            content.subtitle = subtitle("", state.period, lang)
            content.message = t("slides.outside_scope", lang)
            return content
        content.subtitle = subtitle(unit, state.period, lang)
        ctx = _Ctx(state, scope, lang)
        names = list(PARTS[key]) if part == DEFAULT_PART else [part]
        if part == DEFAULT_PART:
            names = ["kpis", names[1]]  # the KPI group and the page's main chart
        messages = []
        for name in names:
            out = PARTS[key][name](ctx)
            if out.kpis is not None:
                content.kpis = out.kpis
            if out.figure is not None and content.figure is None:
                content.figure = out.figure
            if out.table is not None and content.table is None:
                content.table = out.table
            if out.message:
                messages.append(out.message)
        if not content.kpis and content.figure is None and content.table is None:
            content.message = " ".join(messages) or t("slides.no_data", lang)
        return content
