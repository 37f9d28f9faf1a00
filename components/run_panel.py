"""The run list of the Model runs page, and the texts it shows for a run (pure builders).

Rows are plain dicts, one per registry row (the page reads them from ``mining.runs``); this
module only decides how a run reads: its status, progress, parameters, duration, key figures,
the warnings of its models and, for a refused or failed run, the reason in the user's language.
"""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import html

from components.formatting import format_value
from components.i18n import MESSAGES, t

# kind -> (parameter, catalog key of its label), in the order the form shows them
PARAMS: dict[str, tuple[tuple[str, str], ...]] = {
    "segmentation": (("n_clusters", "models.param.k"), ("n_factors", "models.param.factors")),
    "value": (("potential_gap", "models.param.gap"),),
    "crosssell": (
        ("min_support", "models.param.support"),
        ("min_confidence", "models.param.confidence"),
        ("products", "models.param.products"),
    ),
    "churn": (("horizon", "models.param.horizon"),),
    "response": (("product_category", "models.param.category"), ("channel_code", "models.param.channel")),
}
# kind -> key figures of its metrics ("a.b" reads metrics["a"]["b"]); label "models.metric.<last>"
METRICS: dict[str, tuple[str, ...]] = {
    "segmentation": ("customers", "n_clusters"),
    "value": ("customers", "potential"),
    "crosssell": ("rules", "products_modelled", "mean_auc"),
    "churn": ("holdout.auc", "train_churners", "dormant"),
    "response": ("holdout.auc", "contacts_history"),
}
STATUS_COLOURS = {
    "running": "primary",
    "succeeded": "success",
    "failed": "danger",
    "cancelled": "secondary",
    "awaiting": "warning",
    "approved": "success",
    "rejected": "secondary",
}


def _word(value: object, lang: str) -> object:
    """A code a message names (a model kind, a counted thing) in the user's language."""
    if isinstance(value, str):
        for key in (f"models.kind.{value}", f"models.word.{value}"):
            if key in MESSAGES:
                return t(key, lang)
    return value


def refusal_text(error: dict | None, lang: str) -> str:
    """A refusal or failure (``{"key", "params", "message"}``) in ``lang``; the English
    message when the catalog does not know the key."""
    if not error:
        return ""
    key = f"models.refused.{error.get('key')}"
    params = {k: _word(v, lang) for k, v in (error.get("params") or {}).items()}
    if "at" in params:
        params["at"] = format_time(str(params["at"]))
    if key in MESSAGES:
        try:
            return t(key, lang, **params)
        except (KeyError, IndexError, ValueError):
            pass  # a parameter the text names is missing: the English message says it all
    return str(error.get("message") or error.get("key") or "")


def step_text(message: str | None, lang: str) -> str:
    """A run's progress message (mining reports it in English) in ``lang``."""
    if not message:
        return ""
    if f"models.step.{message}" in MESSAGES:
        return t(f"models.step.{message}", lang)
    prefix = "propensity model "
    if message.startswith(prefix):
        return t("models.step.propensity", lang, product=message[len(prefix) :])
    return message


def format_time(iso: str | None) -> str:
    """``2026-10-01T09:30:00+00:00`` -> ``2026-10-01 09:30:00 UTC``."""
    if not iso:
        return "-"
    try:
        moment = dt.datetime.fromisoformat(iso).astimezone(dt.UTC)
    except ValueError:
        return iso
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def duration_text(
    started: str | None, finished: str | None, lang: str, now: dt.datetime | None = None
) -> str:
    """How long the run took (or has been running)."""
    if not started:
        return "-"
    try:
        begin = dt.datetime.fromisoformat(started)
        end = dt.datetime.fromisoformat(finished) if finished else (now or dt.datetime.now(dt.UTC))
    except ValueError:
        return "-"
    seconds = max(0, int(round((end - begin).total_seconds())))
    if seconds < 60:
        return t("models.seconds", lang, n=seconds)
    return t("models.minutes", lang, m=seconds // 60, s=seconds % 60)


def _param_value(name: str, value: object, lang: str) -> str:
    if name == "n_clusters" and value is None:
        return t("models.param.k_auto", lang)
    if name == "products":
        return t("models.word.all", lang) if not value else ", ".join(map(str, value))
    if value is None:
        return t("models.param.latest", lang)
    return str(value)


def params_text(kind: str, params: dict | None, lang: str) -> str:
    """The run's main parameters, e.g. ``Number of segments: 4 · Factors: 4``."""
    params = params or {}
    parts = [
        f"{t(label, lang)}: {_param_value(name, params.get(name), lang)}"
        for name, label in PARAMS.get(kind, ())
        if name in params or name in ("n_clusters", "product_category", "channel_code", "products")
    ]
    return " · ".join(parts)


def _dig(metrics: dict, path: str):
    value: object = metrics
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def metrics_text(kind: str, metrics: dict | None, lang: str) -> str:
    """The run's key figures, e.g. ``customers 7,262 · segments 6``."""
    parts = []
    for path in METRICS.get(kind, ()):
        value = _dig(metrics or {}, path)
        if value is None:
            continue
        shown = format_value(value, "count", lang) if isinstance(value, int) else f"{float(value):.3f}"
        parts.append(f"{t('models.metric.' + path.rsplit('.', 1)[-1], lang)} {shown}")
    return " · ".join(parts)


def warning_text(warning: dict, lang: str) -> str:
    """One guard warning (an identifier or a leak left out) in ``lang``."""
    key = f"models.warning.{warning.get('key')}"
    try:
        values = {k: v for k, v in warning.items() if k not in ("key", "lang")}
        return t(key, lang, **values) if key in MESSAGES else str(warning.get("message", ""))
    except (KeyError, IndexError, ValueError):
        return str(warning.get("message", ""))


def status_of(row: dict) -> tuple[str, str]:
    """(status code, catalog key) as the list shows it: approval and cancel requests included."""
    status = row.get("status")
    if status == "running" and row.get("cancel_by"):
        return "running", "models.status.cancel_asked"
    if status == "succeeded" and row.get("approval"):
        return row["approval"], f"models.status.{row['approval']}"
    return str(status), f"models.status.{status}"


def _status_cell(row: dict, lang: str):
    code, key = status_of(row)
    label = t(key, lang, by=row.get("approval_by") or row.get("cancel_by") or "?")
    return html.Td(
        dbc.Badge(label, color=STATUS_COLOURS.get(code, "secondary")),
        className="models-status",
        **{"data-status": code},
    )


def _progress_cell(row: dict, lang: str):
    if row.get("status") != "running":
        return html.Td("")
    fraction = float(row.get("fraction") or 0.0)
    return html.Td(
        [
            dbc.Progress(value=round(fraction * 100), label=f"{fraction:.0%}", style={"height": "14px"}),
            html.Div(step_text(row.get("progress_message"), lang), className="small text-muted models-step"),
        ],
        style={"minWidth": "160px"},
    )


def _details(row: dict, lang: str):
    metrics = row.get("metrics") or {}
    items = []
    error = metrics.get("error")
    if row.get("status") in ("failed", "cancelled") and (error or row.get("message")):
        items.append(html.Div(refusal_text(error, lang) if error else row.get("message"), className="small"))
        if error and error.get("key") == "run.failed" and row.get("message"):
            items.append(
                html.Details(
                    [html.Summary(t("models.details", lang)), html.Code(row["message"], className="small")]
                )
            )
    elif row.get("message"):
        items.append(html.Div(row["message"], className="small text-muted"))
    warnings = metrics.get("warnings") or []
    if warnings:
        items.append(
            html.Details(
                [
                    html.Summary(
                        t("models.warnings", lang, count=len(warnings)), className="small text-warning"
                    ),
                    html.Ul([html.Li(warning_text(w, lang), className="small") for w in warnings]),
                ],
                className="models-warnings",
            )
        )
    return items


def _actions(row: dict, lang: str, may_approve: bool):
    run_id = row["run_id"]
    if row.get("status") == "running":
        return html.Td(
            dbc.Button(
                t("models.cancel_row", lang),
                id={"type": "models-cancel", "run": run_id},
                size="sm",
                color="outline-danger",
                disabled=bool(row.get("cancel_by")),
            )
        )
    if row.get("approval") == "awaiting" and may_approve:
        return html.Td(
            [
                dbc.Button(
                    t("models.approve", lang),
                    id={"type": "models-approve", "run": run_id},
                    size="sm",
                    color="success",
                    className="me-1",
                ),
                dbc.Button(
                    t("models.reject", lang),
                    id={"type": "models-reject", "run": run_id},
                    size="sm",
                    color="secondary",
                ),
            ],
            className="text-nowrap",
        )
    return html.Td("")


def run_table(rows: list[dict], lang: str, may_approve: bool, element_id: str):
    """Every run, newest first: status, progress, parameters, data version, duration, who
    started it, key figures, what went wrong or was left out, and its buttons."""
    if not rows:
        return html.Div(t("models.no_runs", lang), className="text-muted", id=element_id)
    columns = (
        "started",
        "kind",
        "status",
        "progress",
        "params",
        "version",
        "duration",
        "by",
        "metrics",
        "actions",
    )
    header = html.Thead(html.Tr([html.Th(t(f"models.col.{c}", lang)) for c in columns]))
    body = []
    for row in rows:
        kind = str(row.get("kind"))
        body.append(
            html.Tr(
                [
                    html.Td(format_time(row.get("started_at")), className="small text-nowrap"),
                    html.Td(t(f"models.kind.{kind}", lang) if f"models.kind.{kind}" in MESSAGES else kind),
                    _status_cell(row, lang),
                    _progress_cell(row, lang),
                    html.Td(params_text(kind, row.get("params"), lang), className="small"),
                    html.Td(row.get("data_version") or "-", className="small text-muted"),
                    html.Td(
                        duration_text(row.get("started_at"), row.get("finished_at"), lang), className="small"
                    ),
                    html.Td(row.get("created_by") or "-"),
                    html.Td(
                        [
                            html.Div(metrics_text(kind, row.get("metrics"), lang), className="small"),
                            *_details(row, lang),
                        ]
                    ),
                    _actions(row, lang, may_approve),
                ],
                className="models-run",
                **{"data-run": row["run_id"], "data-status": status_of(row)[0]},
            )
        )
    return dbc.Table([header, html.Tbody(body)], size="sm", hover=True, responsive=True, id=element_id)
