"""The note beside model scores that an incremental append carried over from the previous month.

After ``python -m data.load --append`` the published segment, value, offer and churn scores
were computed on the data before the new month was loaded (``data.scores.carry_forward``): a
banker reading them must not take them for this month's. Pages pass what the cube says
(``cube.api.scored_months()``) and the kinds they show; nothing is shown while those kinds were
scored on the current data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dash import html

from components.i18n import t

# the run kinds whose scores the cube publishes, in the order a note names them
SCORE_KINDS = ("segmentation", "value", "crosssell", "churn")


def _order(kind: str) -> int:
    return SCORE_KINDS.index(kind) if kind in SCORE_KINDS else len(SCORE_KINDS)


def month_text(month: str, lang: str) -> str:
    """``"2026-09"`` or ``"2026-09-01"`` as "2026-09" (zh "2026年9月"), as the pages write months."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year}年{number}月" if lang == "zh" else f"{year:04d}-{number:02d}"


def carried_text(months: Mapping[str, str | None], kinds: Iterable[str], lang: str) -> str | None:
    """ "Scores as of 2026-09 (computed before the latest month was loaded)" for the ``kinds``
    whose scores were carried (naming each kind when their months differ); None when none is."""
    carried = {k: months[k] for k in kinds if months.get(k)}
    if not carried:
        return None
    if len(set(carried.values())) == 1:
        month = month_text(next(iter(carried.values())), lang)
    else:
        month = t("models.scores_carried_join", lang).join(
            t("models.scores_carried_kind", lang, month=month_text(m, lang), kind=t(f"models.kind.{k}", lang))
            for k, m in sorted(carried.items(), key=lambda item: (item[1], _order(item[0])))
        )
    return t("models.scores_carried", lang, month=month)


def carried_scores_note(
    months: Mapping[str, str | None], kinds: Iterable[str], lang: str, element_id: str
) -> html.Div | None:
    """A short highlighted line saying the scores shown describe an earlier month, or None (a
    banker must not take last month's segments or churn bands for this month's)."""
    text = carried_text(months, kinds, lang)
    if text is None:
        return None
    return html.Div(text, id=element_id, className="small alert alert-warning py-1 px-2 mb-2 scores-carried")
