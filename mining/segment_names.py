"""Segment names an analyst gave a segmentation run, in English and Chinese, kept per run.

A run names its segments from the features that set them apart ("high mobile, low loans");
analysts rename them in the words the bank uses. The names live in the ops store (one row per
run and segment, with who changed them last and when), so they survive reloads and reach every
web process. When the renamed run is the one the cube serves for its data version, its customers
file is published again with the new names (:func:`data.scores.publish`): the cube labels the
``customers.segment`` dimension from the published file, so every view shows the new names.
The publication carries the run id plus ``~names<revision>``: a new publication signature, so
no cached result keeps the old labels (:func:`base_run_id` strips it again).

Who may rename is the caller's business (the page lets analysts and admins); the caller also
writes the audit record from the :class:`NameChange` returned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pyarrow.parquet as pq

from data import ops_store, scores
from mining import runs

# its table segment_names is in data/ops_schema.py

MAX_LENGTH = 60
SUFFIX = "~names"
KEEP_FILES = 2  # renamed customers files kept per run (a reader may still hold the previous)


class InvalidName(ValueError):
    """A name that cannot be saved; the message says why, in words a user can act on."""


@dataclass(frozen=True)
class NameChange:
    """One rename: the names before and after, and whether the cube now shows them."""

    run_id: str
    segment: int
    before: tuple[str, str]
    after: tuple[str, str]
    revision: int
    published: bool


def base_run_id(publication_run_id: str | None) -> str | None:
    """The registry's run id of a publication (a renamed run is published as ``id~namesN``)."""
    return publication_run_id.split(SUFFIX)[0] if publication_run_id else publication_run_id


def edited(run_id: str) -> dict[int, tuple[str, str]]:
    """segment -> (English, Chinese) for the segments of ``run_id`` an analyst renamed."""
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT segment, name_en, name_zh FROM segment_names WHERE run_id = :run_id", {"run_id": run_id}
        ).fetchall()
    finally:
        con.close()
    return {int(r["segment"]): (r["name_en"], r["name_zh"]) for r in rows}


def revision(run_id: str) -> int:
    """How many renames ``run_id`` has had (0: the generated names)."""
    con = ops_store.connect()
    try:
        row = con.execute(
            "SELECT max(revision) FROM segment_names WHERE run_id = :run_id", {"run_id": run_id}
        ).fetchone()
    finally:
        con.close()
    return int(row[0] or 0)


def names(run_id: str, generated: pd.DataFrame) -> pd.DataFrame:
    """``segment, segment_name, segment_name_zh, edited`` for every segment of ``generated``
    (a run's profiles: its generated names), the analysts' names where they gave one."""
    own = edited(run_id)
    out = generated[["segment", "segment_name", "segment_name_zh"]].copy()
    out["segment"] = out["segment"].astype(int)
    out["edited"] = out["segment"].map(lambda s: s in own)
    out["segment_name"] = [
        own.get(s, (n, ""))[0] for s, n in zip(out["segment"], out["segment_name"], strict=True)
    ]
    out["segment_name_zh"] = [
        own.get(s, ("", n))[1] for s, n in zip(out["segment"], out["segment_name_zh"], strict=True)
    ]
    return out.reset_index(drop=True)


def _clean(text: object, what: str) -> str:
    value = " ".join(str(text or "").split())
    if not value:
        raise InvalidName(f"the {what} name is empty")
    if len(value) > MAX_LENGTH:
        raise InvalidName(f"the {what} name is longer than {MAX_LENGTH} characters")
    if not value.isprintable():
        raise InvalidName(f"the {what} name holds characters that cannot be shown")
    return value


def rename(run_id: str, segment: int, name_en: str, name_zh: str, username: str | None) -> NameChange:
    """Give ``segment`` of ``run_id`` new names (both languages) and, when the cube serves this
    run, publish them.

    Raises
    ------
    InvalidName
        Unknown run or segment, an empty or too long name, or a name another segment of the
        run already has (two segments of one name could not be told apart).
    """
    record = runs.get_run(run_id)
    if record is None or record.kind != "segmentation" or record.status != "succeeded":
        raise InvalidName(f"no finished segmentation run {run_id!r}")
    profiles = record.output("profiles")
    if profiles is None:
        raise InvalidName(f"run {run_id} has no segment profiles (its files were removed)")
    current = names(run_id, pd.read_parquet(profiles, columns=["segment", "segment_name", "segment_name_zh"]))
    if not isinstance(segment, int) or segment not in set(current["segment"]):
        raise InvalidName(f"run {run_id} has no segment {segment!r}")
    en, zh = _clean(name_en, "English"), _clean(name_zh, "Chinese")
    others = current[current["segment"] != segment]
    for value, column, what in ((en, "segment_name", "English"), (zh, "segment_name_zh", "Chinese")):
        if value.casefold() in {n.casefold() for n in others[column]}:
            raise InvalidName(f"another segment is already called {value!r} ({what})")
    row = current[current["segment"] == segment].iloc[0]
    with ops_store.transaction() as con:
        rev = con.execute(
            "SELECT coalesce(max(revision), 0) + 1 FROM segment_names WHERE run_id = :run_id",
            {"run_id": run_id},
        ).fetchone()[0]
        con.execute(
            "INSERT INTO segment_names (run_id, segment, name_en, name_zh, revision, updated_at, updated_by) "
            "VALUES (:run_id, :segment, :en, :zh, :rev, :at, :by) "
            "ON CONFLICT (run_id, segment) DO UPDATE SET "
            "name_en = excluded.name_en, name_zh = excluded.name_zh, revision = excluded.revision, "
            "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            {
                "run_id": run_id,
                "segment": int(segment),
                "en": en,
                "zh": zh,
                "rev": rev,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "by": username,
            },
        )
    published = republish(record)
    return NameChange(
        run_id, segment, (row["segment_name"], row["segment_name_zh"]), (en, zh), rev, published
    )


def republish(record: runs.RunRecord) -> bool:
    """Publish ``record``'s customers file with its current names if the cube serves this run
    for its data version; False (nothing done) when it serves another run or none."""
    version = record.data_version
    for _ in range(5):  # a concurrent rename may land while publishing: publish the newest
        served = scores.current(version).get("segmentation")
        if served is None or base_run_id(served.run_id) != record.run_id:
            return False
        rev = revision(record.run_id)
        wanted = f"{record.run_id}{SUFFIX}{rev}" if rev else record.run_id
        if served.run_id == wanted:
            return True
        source = record.output("customers")
        if source is None:
            return False
        path = source if not rev else _renamed_file(record, source, rev)
        scores.publish("segmentation", version, wanted, path)
        _prune(source, rev)
    return True


def _renamed_file(record: runs.RunRecord, source, rev: int):
    table = pq.read_table(source).to_pandas()
    current = names(
        record.run_id, table[["segment", "segment_name", "segment_name_zh"]].drop_duplicates("segment")
    )
    by_segment = current.set_index("segment")
    table["segment_name"] = table["segment"].map(by_segment["segment_name"]).astype(str)
    table["segment_name_zh"] = table["segment"].map(by_segment["segment_name_zh"]).astype(str)
    path = source.with_name(f"{source.stem}.names-{rev}.parquet")
    tmp = path.with_suffix(".tmp")
    table.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def _prune(source, rev: int) -> None:
    """Remove renamed files older than the last :data:`KEEP_FILES` (and their rollups)."""
    for old in source.parent.glob(f"{source.stem}.names-*.parquet"):
        number = old.name.removeprefix(f"{source.stem}.names-").split(".")[0]
        if number.isdigit() and int(number) <= rev - KEEP_FILES:
            old.unlink(missing_ok=True)
