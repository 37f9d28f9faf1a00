"""Model runs: start a model on the current data, watch its progress, cancel it, review runs.

An analyst or administrator picks a model (segmentation, value, cross-sell, churn with
dormancy, campaign response) and its main parameters. Starting is two steps, so the role is
checked where a request context exists: ``request_run`` (a normal callback) checks the role,
validates the parameters and claims the run in the registry (``mining.runs.claim``: one run of
a kind per warehouse version, atomically), then hands a signed ticket to ``execute_run``, a
Dash background callback that runs the model in a separate process (the warehouse opened
read-only there) with a progress bar and a cancel button. The run list reads the registry
(``mining.runs.list_runs``): progress lives in the ops store, so a reloaded page still shows
it and still cancels it. No SQL here: every figure comes from the run registry.
"""

from __future__ import annotations

import time

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from itsdangerous import BadSignature, URLSafeTimedSerializer

from auth import audit, roles, users
from auth.secret import secret_key
from components.i18n import t
from components.layout import section
from components.run_panel import refusal_text, run_table, step_text
from cube.api import not_loaded
from mining import preflight, runs
from mining.errors import RunRefused
from pages._session import NotAllowed, current_lang, require_role

dash.register_page(
    __name__,
    path="/models",
    name="Model runs",
    order=6.5,  # after the model pages (segmentation 5, cross-sell 6)
    nav_key="models",
    roles=tuple(sorted(roles.MODEL_RUNNERS)),
    filters=False,
)

KINDS = ("segmentation", "value", "crosssell", "churn", "response")
LIST_LIMIT = 50
POLL_MS = 1000
TICKET_MAX_AGE = 600  # seconds a ticket may wait for its background job
TICKET_SALT = "models.run"


class Ids:
    kind = "models--kind"
    about = "models--about"
    response_not_loaded = "models--response-not-loaded"
    seg_k = "models--seg-k"
    seg_factors = "models--seg-factors"
    value_gap = "models--value-gap"
    cs_support = "models--cs-support"
    cs_confidence = "models--cs-confidence"
    cs_products = "models--cs-products"
    churn_horizon = "models--churn-horizon"
    resp_category = "models--resp-category"
    resp_channel = "models--resp-channel"
    start = "models--start"
    cancel = "models--cancel"
    live = "models--live"
    bar = "models--progress"
    step = "models--step"
    message = "models--message"
    outcome = "models--outcome"
    ticket = "models--ticket"
    kill = "models--kill"
    changed = "models--changed"
    poll = "models--poll"
    runs = "models--runs"
    runs_box = "models--runs-box"
    denied = "models--denied"

    @staticmethod
    def group(kind: str) -> str:
        return f"models--params-{kind}"


CANCEL_ROW = {"type": "models-cancel", "run": ALL}
APPROVE_ROW = {"type": "models-approve", "run": ALL}
REJECT_ROW = {"type": "models-reject", "run": ALL}


# --- who may do what -----------------------------------------------------------------------------


def _runner():
    """The signed-in analyst or administrator (raises NotAllowed for anyone else)."""
    return require_role(*roles.MODEL_RUNNERS)


def _alert(text: str, colour: str, element_id: str | None = None) -> dbc.Alert:
    kwargs = {"id": element_id} if element_id else {}
    return dbc.Alert(text, color=colour, className="py-2 small mb-2", **kwargs)


RESPONSE_TABLES = ("campaigns", "campaign_contacts")  # what the response model learns from


def response_not_loaded(lang: str) -> str | None:
    """Why response cannot run on this data, when the extract had no campaigns or contacts."""
    missing = not_loaded(*RESPONSE_TABLES)
    return t("data.not_loaded", lang, files=", ".join(sorted(missing))) if missing else None


def _denied(lang: str) -> dbc.Alert:
    return _alert(t("models.denied", lang), "warning", Ids.denied)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=TICKET_SALT)


def make_ticket(run_id: str, username: str, lang: str) -> dict:
    """What ``request_run`` hands the background job: the claimed run, signed."""
    return {"run_id": run_id, "token": _serializer().dumps({"run_id": run_id, "by": username, "lang": lang})}


def read_ticket(ticket) -> dict | None:
    """The ticket's signed content if it is genuine, recent, and its user may still run models."""
    if not isinstance(ticket, dict) or not isinstance(ticket.get("token"), str):
        return None
    try:
        content = _serializer().loads(ticket["token"], max_age=TICKET_MAX_AGE)
    except BadSignature:
        return None
    user = users.get_user(content.get("by", ""))
    if user is None or not user.is_active or not roles.may_run_models(user.role):
        return None
    return content


# --- the form ------------------------------------------------------------------------------------


def _field(label: str, component, width: int = 3) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=component.id, className="small mb-0"), component], md=width)


def _number(element_id: str, value, low, high, step) -> dbc.Input:
    return dbc.Input(id=element_id, type="number", value=value, min=low, max=high, step=step, size="sm")


def _groups(lang: str, choices: dict) -> list:
    latest = [{"label": t("models.param.latest", lang), "value": ""}]
    products = [
        {"label": f"{p['code']} · {p['name_zh'] if lang == 'zh' else p['name_en']}", "value": p["code"]}
        for p in choices["products"]
    ]
    k_options = [{"label": t("models.param.k_auto", lang), "value": "auto"}]
    k_options += [
        {"label": str(k), "value": str(k)} for k in range(preflight.K_RANGE[0], preflight.K_RANGE[1] + 1)
    ]
    fields = {
        "segmentation": [
            _field(
                t("models.param.k", lang),
                dbc.Select(id=Ids.seg_k, options=k_options, value="auto", size="sm"),
            ),
            _field(
                t("models.param.factors", lang), _number(Ids.seg_factors, 4, *preflight.FACTOR_RANGE, 1), 2
            ),
        ],
        "value": [_field(t("models.param.gap", lang), _number(Ids.value_gap, 20, 0, 100, 1))],
        "crosssell": [
            _field(t("models.param.support", lang), _number(Ids.cs_support, 0.01, 0.0001, 0.99, 0.005), 2),
            _field(t("models.param.confidence", lang), _number(Ids.cs_confidence, 0.1, 0.01, 1, 0.05), 2),
            _field(
                t("models.param.products", lang),
                dcc.Dropdown(
                    id=Ids.cs_products, options=products, value=[p["value"] for p in products], multi=True
                ),
                8,
            ),
        ],
        "churn": [
            _field(
                t("models.param.horizon", lang), _number(Ids.churn_horizon, 3, *preflight.HORIZON_RANGE, 1)
            )
        ],
        "response": [
            _field(
                t("models.param.category", lang),
                dbc.Select(
                    id=Ids.resp_category,
                    options=latest + [{"label": c, "value": c} for c in choices["categories"]],
                    value="",
                    size="sm",
                ),
            ),
            _field(
                t("models.param.channel", lang),
                dbc.Select(
                    id=Ids.resp_channel,
                    options=latest + [{"label": c, "value": c} for c in choices["channels"]],
                    value="",
                    size="sm",
                ),
            ),
        ],
    }
    if missing := response_not_loaded(lang):
        fields["response"].append(html.P(missing, className="small text-muted", id=Ids.response_not_loaded))
    return [
        html.Div(dbc.Row(fields[kind], className="g-2"), id=Ids.group(kind), style=_shown(kind == KINDS[0]))
        for kind in KINDS
    ]


def _shown(visible: bool) -> dict:
    return {} if visible else {"display": "none"}


def _form(lang: str) -> html.Div:
    choices = runs.form_choices()
    kinds = [{"label": t(f"models.kind.{k}", lang), "value": k} for k in KINDS]
    return html.Div(
        [
            dbc.Row(
                [
                    _field(
                        t("models.kind", lang),
                        dbc.Select(id=Ids.kind, options=kinds, value=KINDS[0], size="sm"),
                    ),
                    dbc.Col(
                        html.Div(
                            t(f"models.about.{KINDS[0]}", lang), id=Ids.about, className="small text-muted"
                        ),
                        md=9,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2 mb-2",
            ),
            *_groups(lang, choices),
            html.Div(
                [
                    dbc.Button(
                        t("models.start", lang), id=Ids.start, color="primary", size="sm", className="me-2"
                    ),
                    dbc.Button(
                        t("models.cancel", lang),
                        id=Ids.cancel,
                        color="outline-danger",
                        size="sm",
                        disabled=True,
                    ),
                ],
                className="mt-3 mb-2",
            ),
            html.Div(
                [
                    dbc.Progress(id=Ids.bar, value=0, label="", striped=True, animated=True),
                    html.Div(id=Ids.step, className="small text-muted mt-1"),
                ],
                id=Ids.live,
                style={"display": "none"},
                className="mb-2",
            ),
            html.Div(id=Ids.message),
            html.Div(id=Ids.outcome),
        ]
    )


def form_params(
    kind: str, k, factors, gap, support, confidence, products, horizon, category, channel, choices
):
    """The parameters of a ``kind`` run from the form's values (validated by mining)."""
    if kind == "segmentation":
        return {"n_clusters": None if k in (None, "", "auto") else k, "n_factors": factors}
    if kind == "value":
        return {"potential_gap": gap}
    if kind == "crosssell":
        every = sorted(p["code"] for p in choices["products"])
        chosen = list(products) if isinstance(products, list | tuple) else products
        # all products chosen: let the model pick those with enough holders
        return {
            "min_support": support,
            "min_confidence": confidence,
            "products": None if isinstance(chosen, list) and sorted(chosen) == every and every else chosen,
        }
    if kind == "churn":
        return {"horizon": horizon}
    if kind == "response":
        return {"product_category": category or None, "channel_code": channel or None}
    raise RunRefused("params.kind", "unknown model {kind}", kind=str(kind))


# --- the run list --------------------------------------------------------------------------------


def _rows() -> tuple[list[dict], bool]:
    frame = runs.list_runs(limit=LIST_LIMIT)
    if frame.empty:
        return [], False
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return rows, any(r["status"] == "running" for r in rows)


def _run_list(lang: str, may_approve: bool):
    rows, running = _rows()
    return run_table(rows, lang, may_approve, Ids.runs), running


def layout(**_query):
    """The form and the run list; only for analysts and administrators."""
    lang = current_lang()
    try:
        user = _runner()
    except NotAllowed:
        return _denied(lang)
    table, running = _run_list(lang, user.role == roles.ADMIN)
    return html.Div(
        [
            html.H3(t("models.title", lang)),
            html.P(t("models.subtitle", lang), className="small text-muted"),
            section(t("models.start_title", lang), _form(lang)),
            section(t("models.runs", lang), html.Div(table, id=Ids.runs_box), t("models.runs_note", lang)),
            dcc.Store(id=Ids.ticket),
            dcc.Store(id=Ids.kill),
            dcc.Store(id=Ids.changed),
            dcc.Interval(id=Ids.poll, interval=POLL_MS, disabled=not running),
        ]
    )


# --- callbacks -----------------------------------------------------------------------------------


@callback(
    [Output(Ids.group(k), "style") for k in KINDS],
    Output(Ids.about, "children"),
    Input(Ids.kind, "value"),
    prevent_initial_call=True,
)
def show_params(kind):
    """Only the chosen model's parameters are shown."""
    try:
        _runner()
    except NotAllowed:
        raise PreventUpdate from None
    kind = kind if kind in KINDS else KINDS[0]
    return [_shown(k == kind) for k in KINDS] + [t(f"models.about.{kind}", current_lang())]


@callback(
    Output(Ids.ticket, "data"),
    Output(Ids.message, "children"),
    Output(Ids.changed, "data"),
    Input(Ids.start, "n_clicks"),
    State(Ids.kind, "value"),
    State(Ids.seg_k, "value"),
    State(Ids.seg_factors, "value"),
    State(Ids.value_gap, "value"),
    State(Ids.cs_support, "value"),
    State(Ids.cs_confidence, "value"),
    State(Ids.cs_products, "value"),
    State(Ids.churn_horizon, "value"),
    State(Ids.resp_category, "value"),
    State(Ids.resp_channel, "value"),
    prevent_initial_call=True,
)
def request_run(_clicks, kind, k, factors, gap, support, confidence, products, horizon, category, channel):
    """Check the role and the parameters, claim the run, and hand the job a signed ticket."""
    lang = current_lang()
    try:
        user = _runner()
    except NotAllowed:
        return no_update, _denied(lang), no_update
    if kind not in KINDS:
        return no_update, _alert(t("models.bad_ticket", lang), "danger"), no_update
    if kind == "response" and (missing := response_not_loaded(lang)):
        return no_update, _alert(missing, "warning"), no_update
    try:
        values = (k, factors, gap, support, confidence, products, horizon, category, channel)
        params = form_params(kind, *values, runs.form_choices())
        run_id = runs.claim(kind, params, created_by=user.username)
    except RunRefused as exc:
        return no_update, _alert(refusal_text(exc.as_dict(), lang), "warning"), no_update
    audit.record(user.username, "model_run_started", f"{run_id} {kind} {params}")
    started = _alert(t("models.started", lang, kind=t(f"models.kind.{kind}", lang)), "info")
    return make_ticket(run_id, user.username, lang), started, time.time()


def run_ticket(ticket, set_progress) -> dbc.Alert | None:
    """The background job's work: run the ticket's claimed run, reporting progress; returns
    what the page says when it ends (never a traceback: errors go to the run list)."""
    content = read_ticket(ticket)
    if content is None:
        return _alert(t("models.bad_ticket", "en"), "danger") if ticket else None
    lang = content.get("lang", "en")

    def progress(fraction: float, message: str) -> None:
        set_progress((round(fraction * 100), f"{fraction:.0%}", step_text(message, lang)))

    try:
        result = runs.execute(content["run_id"], progress=progress)
    except runs.Cancelled:
        return _alert(t("models.cancelled", lang), "secondary")
    except RunRefused as exc:
        return _alert(refusal_text(exc.as_dict(), lang), "warning")
    except Exception:  # noqa: BLE001 - recorded in the registry by execute; the user gets its summary
        record = runs.get_run(content["run_id"])
        error = (record.metrics.get("error") if record else None) or {
            "key": "run.failed",
            "params": {"reason": "?"},
        }
        return _alert(refusal_text(error, lang), "danger")
    kind = t(f"models.kind.{result.kind}", lang)
    if runs.approval_of(result.run_id) == "awaiting":
        return _alert(t("models.awaiting", lang, kind=kind), "warning")
    return _alert(t("models.succeeded", lang, kind=kind), "success")


@callback(
    Output(Ids.outcome, "children"),
    Input(Ids.ticket, "data"),
    background=True,
    progress=[Output(Ids.bar, "value"), Output(Ids.bar, "label"), Output(Ids.step, "children")],
    running=[
        (Output(Ids.start, "disabled"), True, False),
        (Output(Ids.cancel, "disabled"), False, True),
        (Output(Ids.live, "style"), {}, {"display": "none"}),
    ],
    cancel=[Input(Ids.kill, "data")],
    interval=300,
    prevent_initial_call=True,
)
def execute_run(set_progress, ticket):
    """Runs in the background-job process: no request there, so the signed ticket (made by
    ``request_run`` after its role check, re-checked against the user's current role) is what
    authorises it, and the registry lets a claimed run start once only."""
    return run_ticket(ticket, set_progress)


@callback(
    Output(Ids.kill, "data"),
    Output(Ids.message, "children", allow_duplicate=True),
    Output(Ids.changed, "data", allow_duplicate=True),
    Input(Ids.cancel, "n_clicks"),
    State(Ids.ticket, "data"),
    prevent_initial_call=True,
)
def cancel_current(_clicks, ticket):
    """Record the cancel in the ops store first, then let Dash stop the job (``kill`` is the
    background callback's cancel input): the run list then says "cancelled", not "failed"."""
    lang = current_lang()
    try:
        user = _runner()
    except NotAllowed:
        return no_update, _denied(lang), no_update
    content = read_ticket(ticket)
    if content is None:
        return no_update, _alert(t("models.nothing_to_cancel", lang), "secondary"), no_update
    try:
        runs.request_cancel(content["run_id"], user.username)
    except RunRefused as exc:
        return no_update, _alert(refusal_text(exc.as_dict(), lang), "secondary"), no_update
    audit.record(user.username, "model_run_cancelled", content["run_id"])
    return time.time(), _alert(t("models.cancel_asked", lang), "secondary"), time.time()


def _clicked() -> str | None:
    """The run id of the list button that was clicked (not one that merely appeared)."""
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        return None
    trigger = ctx.triggered_id
    return trigger.get("run") if isinstance(trigger, dict) else None


@callback(
    Output(Ids.changed, "data", allow_duplicate=True),
    Output(Ids.message, "children", allow_duplicate=True),
    Input(CANCEL_ROW, "n_clicks"),
    prevent_initial_call=True,
)
def cancel_listed(_clicks):
    """Cancel a run from the list (after a reload too): its process stops at its next step."""
    run_id = _clicked()
    if run_id is None:
        raise PreventUpdate
    lang = current_lang()
    try:
        user = _runner()
    except NotAllowed:
        return no_update, _denied(lang)
    try:
        runs.request_cancel(str(run_id), user.username)
    except RunRefused as exc:
        return time.time(), _alert(refusal_text(exc.as_dict(), lang), "secondary")
    audit.record(user.username, "model_run_cancelled", str(run_id))
    return time.time(), _alert(t("models.cancel_asked", lang), "secondary")


@callback(
    Output(Ids.changed, "data", allow_duplicate=True),
    Output(Ids.message, "children", allow_duplicate=True),
    Input(APPROVE_ROW, "n_clicks"),
    Input(REJECT_ROW, "n_clicks"),
    prevent_initial_call=True,
)
def decide_approval(_approve, _reject):
    """An administrator publishes (approve) or drops (reject) an awaiting run's scores; audited."""
    run_id = _clicked()
    if run_id is None:
        raise PreventUpdate
    lang = current_lang()
    try:
        admin = require_role(roles.ADMIN)
    except NotAllowed:
        return no_update, _alert(t("models.approve_denied", lang), "warning")
    approving = ctx.triggered_id.get("type") == APPROVE_ROW["type"]
    try:
        (runs.approve if approving else runs.reject)(str(run_id), admin.username)
    except RunRefused as exc:
        return time.time(), _alert(refusal_text(exc.as_dict(), lang), "warning")
    except Exception as exc:  # noqa: BLE001 - publishing failed: the run awaits approval again
        error = {"key": "run.failed", "params": {"reason": runs.short_reason(exc)}}
        return time.time(), _alert(refusal_text(error, lang), "danger")
    audit.record(admin.username, "model_run_approved" if approving else "model_run_rejected", str(run_id))
    text = t("models.approved" if approving else "models.rejected", lang)
    return time.time(), _alert(text, "success" if approving else "secondary")


@callback(
    Output(Ids.runs_box, "children"),
    Output(Ids.poll, "disabled"),
    Input(Ids.poll, "n_intervals"),
    Input(Ids.changed, "data"),
    Input(Ids.outcome, "children"),
    prevent_initial_call=True,
)
def refresh_runs(_ticks, _changed, _outcome):
    """The run list, polled while something runs (progress, status, who asked to cancel)."""
    lang = current_lang()
    try:
        user = _runner()
    except NotAllowed:
        return _denied(lang), True
    table, running = _run_list(lang, user.role == roles.ADMIN)
    return table, not running
