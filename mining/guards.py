"""Feature guards every supervised model applies before it fits.

A model given a customer number learns the order customers joined in; a model given a column
that encodes its own target (a closing date for churn, a product's balance for its propensity)
scores perfectly on paper and uselessly in practice. :func:`screen` leaves such columns out
and says so, and tells the model which columns are category codes (a branch number is a
label, not a quantity: branch 12 is not "more" than branch 3).

The rules, each kept deliberately simple:

- *Identifier*: a column with one distinct value per row (at least :data:`MIN_ROWS` rows),
  unless it is a continuous measure (floats with fractions are unique by nature); or a column
  named ``id`` / ``*_id`` that is near-unique (at least :data:`NEAR_UNIQUE` of rows distinct)
  or has more values than a category may (:data:`MAX_LEVELS`).
- *Leak*: a feature whose values alone rank the target with an AUC of at least
  :data:`LEAK_AUC` (either direction). Real single drivers of customer behaviour stay well
  below that (the strongest in the demo bank are near 0.8); at 0.99 the feature almost
  certainly records the outcome itself.
- *Category codes*: text columns, the codes in :data:`CATEGORY_CODES` and any column named
  ``*_id`` that is not an identifier, plus whatever the model declares.

Warnings are plain dicts (``key``, ``feature``, ``message`` in English, and the figure behind
it), so they can go into a run's metrics as JSON; a run collects them with :func:`collecting`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

MIN_ROWS = 50
NEAR_UNIQUE = 0.9
LEAK_AUC = 0.99
LEAK_SAMPLE = 20_000  # rows the single-feature AUCs are computed on (seeded sample)
MAX_LEVELS = 255  # HistGradientBoostingClassifier takes at most max_bins (255) categories
CATEGORY_CODES = frozenset({"branch_id", "home_branch_id", "region_id", "manager_id", "channel_id"})

_collector: contextvars.ContextVar[list[dict] | None] = contextvars.ContextVar("guard_warnings", default=None)


def _is_id_name(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _whole_numbers(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(np.float64)
    return bool(len(numbers)) and bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))


def identifier_reason(column: pd.Series, name: str, declared_category: bool = False) -> dict | None:
    """Why ``column`` looks like an identifier (``{"rule", "distinct", "rows"}``), or None."""
    values = column.dropna()
    rows, distinct = len(values), int(values.nunique())
    if rows == 0:
        return None
    continuous = pd.api.types.is_float_dtype(column) and not _whole_numbers(values)
    if rows >= MIN_ROWS and distinct == rows and not continuous:
        return {"rule": "unique", "distinct": distinct, "rows": rows}
    if _is_id_name(name) and not continuous:
        if distinct >= NEAR_UNIQUE * rows and rows >= MIN_ROWS:
            return {"rule": "near_unique", "distinct": distinct, "rows": rows}
        if distinct > MAX_LEVELS and not declared_category:
            return {"rule": "too_many_codes", "distinct": distinct, "rows": rows}
    return None


def is_category(column: pd.Series, name: str, declared: Iterable[str] = ()) -> bool:
    """Whether ``column`` enters a model as categories rather than as a number."""
    if name in set(declared) or name in CATEGORY_CODES or _is_id_name(name):
        return True
    return not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column))


def codes(column: pd.Series) -> pd.Series:
    """Category codes as text, the same whatever the dtype (12, 12.0 and "12" are one level)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = pd.to_numeric(column, errors="coerce")
        if _whole_numbers(numbers):
            return numbers.astype("Int64").astype("string")
    return column.astype("string")


def levels(column: pd.Series) -> list[str]:
    """The levels a model learns for a category column: the :data:`MAX_LEVELS` most frequent
    (the rest count as missing), sorted."""
    counts = codes(column).dropna().value_counts(sort=True)
    return sorted(counts.index[:MAX_LEVELS].tolist())


def single_feature_auc(column: pd.Series, target: np.ndarray, category: bool) -> float:
    """AUC of ranking the target by this one feature, in its better direction (0.5-1).

    Missing values form their own group (missingness can itself encode the outcome); a
    category is scored by its share of positives."""
    if category:
        text = codes(column).fillna("\0missing")
        score = pd.Series(target, index=column.index, dtype=np.float64).groupby(text).transform("mean")
        values = score.to_numpy(np.float64)
    else:
        numbers = pd.to_numeric(column, errors="coerce").astype(np.float64).to_numpy()
        finite = numbers[np.isfinite(numbers)]
        low = (finite.min() - 1.0) if len(finite) else 0.0
        values = np.where(np.isfinite(numbers), numbers, low)
    if np.unique(values).size < 2:
        return 0.5
    auc = float(roc_auc_score(target, values))
    return max(auc, 1.0 - auc)


def screen(
    X: pd.DataFrame, y, declared_categories: Iterable[str] = (), random_state: int = 0
) -> tuple[list[str], set[str], list[dict]]:
    """The columns of ``X`` a model may use against target ``y``.

    Returns
    -------
    kept : list of str
        Column names, in ``X``'s order, without identifiers and leaks.
    categories : set of str
        Those of ``kept`` that enter as categories.
    warnings : list of dict
        One per column left out: ``key`` ("identifier" or "leak"), ``feature``, ``message``
        (English) and the figures behind it.
    """
    target = np.asarray(y).astype(bool)
    declared = {str(c) for c in declared_categories}
    sample = X
    if len(X) > LEAK_SAMPLE:
        rng = np.random.default_rng(random_state)
        take = np.sort(rng.choice(len(X), LEAK_SAMPLE, replace=False))
        sample, target_sample = X.iloc[take], target[take]
    else:
        target_sample = target
    kept, categories, warnings = [], set(), []
    both = target_sample.any() and not target_sample.all()
    for column in X.columns:
        name = str(column)
        category = is_category(X[column], name, declared)
        reason = identifier_reason(X[column], name, name in declared or name in CATEGORY_CODES)
        if reason is not None:
            warnings.append(
                {
                    "key": "identifier",
                    "feature": name,
                    **reason,
                    "message": f"left out {name}: it looks like an identifier "
                    f"({reason['distinct']} distinct values in {reason['rows']} rows)",
                }
            )
            continue
        if both:
            auc = single_feature_auc(sample[column], target_sample, category)
            if auc >= LEAK_AUC:
                warnings.append(
                    {
                        "key": "leak",
                        "feature": name,
                        "auc": round(auc, 4),
                        "message": f"left out {name}: alone it predicts the target almost "
                        f"perfectly (AUC {auc:.3f}), so it probably records the outcome",
                    }
                )
                continue
        kept.append(name)
        if category:
            categories.add(name)
    return kept, categories, warnings


@contextmanager
def collecting() -> Iterator[list[dict]]:
    """Collect the warnings of every model fitted inside the block (a run uses this, so its
    record lists what its models left out without each model body passing them on)."""
    found: list[dict] = []
    token = _collector.set(found)
    try:
        yield found
    finally:
        _collector.reset(token)


def report(warnings: list[dict]) -> None:
    """Hand a fit's warnings to the run collecting them, if any."""
    found = _collector.get()
    if found is not None:
        found.extend(warnings)


def distinct(warnings: Iterable[dict]) -> list[dict]:
    """Each warning once (several models of a run often leave out the same column)."""
    seen, out = set(), []
    for w in warnings:
        key = (w.get("key"), w.get("feature"))
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out
