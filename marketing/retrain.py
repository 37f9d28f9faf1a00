"""Retraining the response model on a closed campaign's outcomes, compared with the previous
model on the same holdout of this campaign's members, and the choice of the model the next
campaign's targeting uses.

- **Rows**: the campaign's target-arm members who were reached (a response model scores who
  answers when contacted, as :func:`mining.runs._run_response` trains on contacted rows).
- **Outcome**: responded = an accepted contact that reached them, or a take-up
  (``campaign_takeups``) of an offered product in the campaign window (the evaluation's
  definition, :mod:`marketing.evaluation`, without requiring a product on the contact).
- **Features**: :func:`mining.features.response_candidates` (the columns of the warehouse's
  response history) at the latest month of the warehouse version the members were drawn on
  (``campaigns.data_version``; the current warehouse when that file is no longer kept), for
  the category of the first offered product and the first channel.
- **Holdout**: a stratified random ``holdout_share`` (30%) of those rows, drawn with
  ``random_state``; the new model is fitted on the rest.
- **Previous model**: the model the last retraining chose (``marketing_settings`` row
  ``response_model``), else the warehouse's response model as a mining run fits it (every past
  contact of the warehouse's ``campaign_contacts``, :class:`mining.response.ResponseModel`,
  same ``random_state``): the registry keeps that run's scores but not its fitted model, so it is
  refitted the same way on the same data.
- **Comparison**: AUC and lift in the top decile (:mod:`mining.metrics`) of both on the holdout;
  the retrained model is chosen when its AUC is higher.
- **Record**: the fitted model is saved (pickle, written and read only by this app, in the
  private mining folder) under ``<mining_dir>/loop-response-<campaign>-<time>/model.pkl`` with
  ``comparison.json``; the ``marketing_settings`` row ``response_model`` (JSON: path, campaign,
  chosen, both AUCs) names the model the next campaign's targeting uses, audited. A full
  mining-run registry entry is not made (said so in the report of the issue).
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from auth import audit, roles
from auth.users import User
from data import ops_store, paths, warehouse
from marketing import evaluation
from marketing.errors import MarketingInputError, NotPermitted
from mining import features, metrics
from mining.response import ResponseModel

SETTING = "response_model"
DROP = ("campaign_id", "customer_id", "contacted_date", "responded", "contacted")
# the warehouse history refitted, per (data version, random_state): deterministic, so kept
_REFITTED: dict[tuple, ResponseModel] = {}
MIN_ROWS = 40  # reached members below which there is nothing to learn from


@dataclass(frozen=True)
class Retrained:
    """The comparison on the holdout and which model the next campaign uses."""

    campaign_id: int
    rows: int
    holdout_rows: int
    responders: int
    new: dict[str, float]  # auc, lift_10, base_rate on the holdout
    previous: dict[str, float]
    previous_source: str  # "loop" (an earlier retraining) or "warehouse" (refitted history)
    chosen: str  # "retrained" or "previous"
    model_path: Path
    data_version: str | None


def _connection(version: str | None):
    path = warehouse.file_for_version(version) if version else None
    if path is not None and path.exists():
        return warehouse.connect_readonly(path), version
    return warehouse.open_readonly(), warehouse.data_version()


def training_frame(user: User, campaign_id: int, con) -> tuple[pd.DataFrame, dict]:
    """The reached target members of the campaign with their features and ``responded``."""
    rows = evaluation.campaign_rows(user, campaign_id)
    campaign = rows.campaign
    contacts, _ = evaluation._contact_frame(rows, {})
    targets = set(rows.members.loc[rows.members["arm"] == "target", "customer_id"].astype("int64"))
    reached = set(contacts.loc[contacts["reached"], "customer_id"].astype("int64")) & targets
    offered = evaluation._offered(campaign, "products")
    t = rows.takeups
    day = t["taken_on"].astype(str).str.slice(0, 10)
    took = t[t["product"].isin(offered) & (day >= campaign["start_date"]) & (day <= campaign["end_date"])]
    yes = set(contacts.loc[contacts["accepted"], "customer_id"].astype("int64")) | set(
        took["customer_id"].astype("int64")
    )
    products = features.products_frame(con).set_index("product_code")["category"]
    category = next((products[p] for p in offered if p in products.index), None)
    if category is None:
        raise MarketingInputError("products", "none of the campaign's products is in the warehouse")
    channel = (evaluation._offered(campaign, "channels") or ("counter",))[0]
    candidates = features.response_candidates(con, str(category), channel)
    frame = candidates[candidates["customer_id"].isin(reached)].reset_index(drop=True)
    frame["responded"] = frame["customer_id"].isin(yes)
    return frame, campaign


def _current_choice() -> dict | None:
    con = ops_store.connect()
    try:
        value = con.execute("SELECT value FROM marketing_settings WHERE name = :n", {"n": SETTING}).scalar()
    finally:
        con.close()
    try:
        return json.loads(value) if value else None
    except ValueError:
        return None


def current_model() -> tuple[dict | None, ResponseModel | None]:
    """The model the next campaign's targeting uses (the ``response_model`` setting and its fitted
    model), or (None, None) when no retraining chose one (the mining run's model is used)."""
    choice = _current_choice()
    if not choice:
        return None, None
    path = Path(choice.get("path", ""))
    if not path.is_file() or paths.mining_dir() not in path.parents:
        return choice, None
    with path.open("rb") as fh:
        return choice, pickle.load(fh)  # noqa: S301 - our own file in the private mining folder


def _previous(con, random_state: int, warehouse_version: str | None) -> tuple[ResponseModel, str]:
    _choice, model = current_model()
    if model is not None:
        return model, "loop"
    key = (warehouse_version, random_state)
    fitted = _REFITTED.get(key)
    if fitted is None:
        history = features.response_frame(con)
        history = history[history["contacted"] == 1].reset_index(drop=True)
        cols = [c for c in history.columns if c not in DROP]
        fitted = ResponseModel(random_state=random_state).fit(history[cols], history["responded"])
        _REFITTED[key] = fitted
    return fitted, "warehouse"


def _quality(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    return {
        "auc": metrics.auc(y, score),
        "lift_10": metrics.lift_at(y, score, 0.10),
        "base_rate": float(np.mean(y)),
    }


def retrain(user: User, campaign_id: int, random_state: int = 0, holdout_share: float = 0.3) -> Retrained:
    """Retrain on the closed campaign's outcomes, compare on the holdout, record the choice.

    Raises
    ------
    NotPermitted
        Roles that may not run models (only administrators and analysts may).
    MarketingInputError
        The campaign is not closed (``status``), or has too few reached members or outcomes of
        one kind only (``outcomes``).
    """
    if not roles.may_run_models(user.role):
        raise NotPermitted(f"role {user.role} may not retrain models")
    con_meta = ops_store.connect()
    try:
        status = evaluation.campaign_row(con_meta, campaign_id)
    finally:
        con_meta.close()
    if status["status"] != "closed":
        raise MarketingInputError("status", "only a closed campaign's outcomes can retrain the model")
    db, version = _connection(status.get("data_version"))
    try:
        frame, campaign = training_frame(user, campaign_id, db.cursor())
        y = frame["responded"].to_numpy(bool)
        if len(frame) < MIN_ROWS or y.sum() < 5 or (~y).sum() < 5:
            raise MarketingInputError(
                "outcomes",
                f"{len(frame)} reached members with {int(y.sum())} responses: too few to learn from "
                f"(at least {MIN_ROWS} reached, 5 responses and 5 without)",
            )
        cols = [c for c in frame.columns if c not in DROP]
        train, hold = train_test_split(
            np.arange(len(frame)), test_size=holdout_share, random_state=random_state, stratify=y
        )
        model = ResponseModel(random_state=random_state).fit(frame.loc[train, cols], y[train])
        previous, source = _previous(db.cursor(), random_state, version)
    finally:
        db.close()
    new_q = _quality(y[hold], model.score_samples(frame.loc[hold, cols]))
    old_q = _quality(y[hold], previous.score_samples(frame.loc[hold, cols]))
    chosen = "retrained" if new_q["auc"] > old_q["auc"] else "previous"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    folder = paths.mining_dir() / f"loop-response-{int(campaign['id'])}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.pkl"
    with path.open("wb") as fh:
        pickle.dump(model if chosen == "retrained" else previous, fh)
    comparison = {
        "campaign_id": int(campaign["id"]),
        "rows": len(frame),
        "holdout_rows": len(hold),
        "new": new_q,
        "previous": old_q,
        "previous_source": source,
        "chosen": chosen,
        "data_version": version,
    }
    (folder / "comparison.json").write_text(json.dumps(comparison, indent=2), encoding="utf-8")
    record = {"path": str(path), **{k: comparison[k] for k in ("campaign_id", "chosen", "data_version")}}
    record |= {"auc_new": new_q["auc"], "auc_previous": old_q["auc"]}
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with ops_store.transaction() as con:
        con.execute(
            "INSERT INTO marketing_settings (name, value, changed_by, changed_at) VALUES (:n, :v, :by, :at) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_by = excluded.changed_by, "
            "changed_at = excluded.changed_at",
            {"n": SETTING, "v": json.dumps(record), "by": user.username, "at": now},
        )
        audit.record_in(
            con,
            user.username,
            "response_model_retrained",
            f"campaign {int(campaign['id'])}: {chosen} (AUC {new_q['auc']:.3f} vs {old_q['auc']:.3f})",
        )
    return Retrained(
        int(campaign["id"]), len(frame), len(hold), int(y.sum()), new_q, old_q, source, chosen, path, version
    )
