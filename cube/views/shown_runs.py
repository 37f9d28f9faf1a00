"""Which model run the views show for the served data, one rule for every view that speaks of
runs (segmentation, cross-sell, customers, Customer 360), so they all name the same run.

The run whose scores the cube serves comes first: a newer run may await an administrator's
approval (its figures would not match the customer lists). After a monthly append
(``data.append``) the served scores are the previous version's, carried over and marked with
the month they describe; until the models run on the new data, their run is the one shown,
with the "scores as of" note, rather than "not run yet" beside a cube that still serves it.
"""

from __future__ import annotations

from data import scores
from mining import runs, segment_names


def shown_run(kind: str, data_version: str | None) -> runs.RunRecord | None:
    """The run of ``kind`` the views show for ``data_version``: the one whose scores the cube
    serves (fitted on this version, or carried over to it by an append), else the latest
    succeeded run fitted on this version, else None."""
    if data_version is None:
        return None
    published = scores.current(data_version).get(kind)
    if published is not None:
        run = runs.get_run(segment_names.base_run_id(published.run_id))
        fitted_or_carried = run is not None and (
            run.data_version == data_version or published.scored_month is not None
        )
        if fitted_or_carried and run.status == "succeeded":
            return run
    return runs.latest_run(kind, data_version)
