"""The loop's campaigns and contacts as the contract's ``campaigns.csv`` and
``campaign_contacts.csv``, so the next load (``python -m data.load``) carries them into the
warehouse and the cube's campaign measures include them (docs/marketing_export.md).

``python -m marketing.export OUT_DIR [--merge-with EXTRACT_DIR] [--include-running]``

- Which campaigns: the closed ones (``--include-running`` adds the running ones).
- **Ids**: a loop campaign ``n`` becomes warehouse campaign ``LOOP_ID_OFFSET + n``
  (900,000,000 + n). The contract's ``campaign_id`` is an INTEGER, so the loop's campaigns get
  a reserved range instead of a prefix; the bank's own campaign ids must stay below it. The same
  loop campaign always gets the same id, so exporting again replaces it instead of adding a copy:
  rows of a merged extract in the reserved range are taken as an earlier export and replaced.
- **campaigns.csv**: name in both languages (the loop's campaigns have one name), the first
  offered product and the first channel (as the extract's or warehouse's ids), the dates, and
  ``cost`` = contacts x cost per contact.
- **campaign_contacts.csv**: one row per member of the target arm (control and excluded members
  were never targeted): ``channel_id`` of the member's last contact (the campaign's first
  channel if none), ``contacted_date`` the date of the first contact that reached them (else of
  the first attempt, else the campaign's start), ``contacted`` = reached at least once,
  ``responded`` = accepted on a contact that reached them, ``response_date`` the date of the
  first acceptance, ``response_amount`` the sum of the accepted amounts (0 if none). So the
  cube's contact rate (contacted / targeted) and success rate (responded / contacted) are the
  evaluation's contact rate (reached / targets) and success rate (accepted / reached).
- **Merging**: with ``--merge-with``, every other file of the extract is linked (or copied)
  into OUT_DIR unchanged and the two campaign files hold the extract's rows followed by the
  loop's; product and channel ids come from the extract's own ``products`` and ``channels``
  files, and members who are not customers of that extract are left out (and counted), so the
  result validates. Without it, ids come from the current warehouse.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cube.views import campaign_products
from data import contract, ops_store, sniff

LOOP_ID_OFFSET = 900_000_000
CAMPAIGN_COLUMNS = contract.CAMPAIGNS.column_names
CONTACT_COLUMNS = contract.CAMPAIGN_CONTACTS.column_names
REPLACED = ("campaigns", "campaign_contacts")


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the files, the loop's campaigns and contact rows, and the members
    left out because the merged extract does not have them as customers."""

    files: tuple[Path, ...]
    campaigns: int
    contacts: int
    left_out: int


def warehouse_id(loop_id: int) -> int:
    """The contract's ``campaign_id`` of loop campaign ``loop_id``."""
    return LOOP_ID_OFFSET + int(loop_id)


def find_sources(extract: Path) -> dict[str, Path]:
    """Table name -> the extract's file, Parquet before CSV (as ``data.load`` picks them; the
    loop may not import the importer itself)."""
    found = {}
    for table in contract.SOURCE_TABLES:
        for ext in (".parquet", ".csv"):
            if (extract / f"{table.name}{ext}").is_file():
                found[table.name] = extract / f"{table.name}{ext}"
                break
    return found


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    encoding = sniff.detect_encoding(path).encoding
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def _keys(extract: Path | None) -> tuple[dict[str, int], dict[str, int]]:
    """product code -> product_id, channel code -> channel_id, of the extract or the warehouse."""
    if extract is not None:
        sources = find_sources(extract)
        products, channels = _read_table(sources["products"]), _read_table(sources["channels"])
    else:
        products, channels = campaign_products.product_rates(), campaign_products.channel_keys()
    return (
        {str(c): int(i) for c, i in zip(products["product_code"], products["product_id"], strict=True)},
        {str(c): int(i) for c, i in zip(channels["channel_code"], channels["channel_id"], strict=True)},
    )


def _store_frame(con, sql: str, params: dict) -> pd.DataFrame:
    rows = con.execute(sql, params).fetchall()
    return pd.DataFrame([dict(zip(r.keys(), r, strict=True)) for r in rows])


def loop_frames(
    statuses: tuple[str, ...] = ("closed",), extract: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The loop's campaigns of ``statuses`` as the contract's two tables (columns in contract
    order, dates as ISO text) and the number of members left out (not customers of ``extract``)."""
    products, channels = _keys(extract)
    known = None
    if extract is not None:
        customers = find_sources(extract)["customers"]
        known = set(pd.to_numeric(_read_table(customers)["customer_id"]).astype("int64"))
    con = ops_store.connect()
    try:
        marks = ", ".join(f":s{i}" for i in range(len(statuses)))
        camps = _store_frame(
            con,
            f"SELECT * FROM campaigns WHERE status IN ({marks}) ORDER BY id",
            {f"s{i}": s for i, s in enumerate(statuses)},
        )
        campaign_rows, contact_rows, left_out = [], [], 0
        for camp in camps.to_dict("records") if len(camps) else []:
            members = _store_frame(
                con,
                "SELECT customer_id FROM campaign_members WHERE campaign_id = :c AND arm = 'target' "
                "ORDER BY customer_id",
                {"c": camp["id"]},
            )
            contacts = _store_frame(
                con,
                "SELECT c.customer_id, c.channel, c.contacted_at, c.reached, c.outcome, c.amount "
                "FROM campaign_contacts c JOIN campaign_members m ON m.campaign_id = c.campaign_id "
                "AND m.customer_id = c.customer_id WHERE c.campaign_id = :c AND m.arm = 'target' "
                "ORDER BY c.contacted_at, c.id",
                {"c": camp["id"]},
            )
            campaign, rows, dropped = _campaign_rows(camp, members, contacts, products, channels, known)
            campaign_rows.append(campaign)
            contact_rows.append(rows)
            left_out += dropped
    finally:
        con.close()
    campaigns = pd.DataFrame(campaign_rows, columns=list(CAMPAIGN_COLUMNS))
    contacts = pd.concat(contact_rows) if contact_rows else pd.DataFrame(columns=list(CONTACT_COLUMNS))
    return campaigns, contacts.reset_index(drop=True), left_out


def _campaign_rows(camp, members, contacts, products, channels, known):
    offered = json.loads(camp["products"] or "[]")
    used = json.loads(camp["channels"] or "[]")
    cid = warehouse_id(camp["id"])
    product = next((products[p] for p in offered if p in products), None)
    if product is None:
        raise ValueError(
            f"campaign {camp['id']}: none of its products {offered} is in the extract's products"
        )
    main_channel = next((channels[c] for c in used if c in channels), None)
    if main_channel is None:
        raise ValueError(f"campaign {camp['id']}: none of its channels {used} is in the extract's channels")
    campaign = {
        "campaign_id": cid,
        "name_zh": camp["name"],
        "name_en": camp["name"],
        "product_id": product,
        "channel_id": main_channel,
        "start_date": str(camp["start_date"])[:10],
        "end_date": str(camp["end_date"])[:10],
        "cost": round(len(contacts) * float(camp["cost_per_contact"]), 2),
    }
    ids = members["customer_id"].astype("int64") if len(members) else pd.Series([], dtype="int64")
    if len(contacts):
        c = contacts.copy()
        c["customer_id"] = c["customer_id"].astype("int64")
        c["day"] = c["contacted_at"].astype(str).str.slice(0, 10)
        c["reached"] = pd.to_numeric(c["reached"]).fillna(0).astype(bool)
        c["accepted"] = c["reached"] & (c["outcome"] == "accepted")
        c["amount"] = pd.to_numeric(c["amount"], errors="coerce").fillna(0.0).where(c["accepted"], 0.0)
        by = c.groupby("customer_id")
        last_channel = by["channel"].last()
        first_day = by["day"].first()
        first_reached = c[c["reached"]].groupby("customer_id")["day"].first()
        first_accepted = c[c["accepted"]].groupby("customer_id")["day"].first()
        reached, accepted, amount = by["reached"].any(), by["accepted"].any(), by["amount"].sum()
    else:
        empty = pd.Series(dtype=object)
        last_channel = first_day = first_reached = first_accepted = empty
        reached = accepted = pd.Series(dtype=bool)
        amount = pd.Series(dtype=float)
    frame = pd.DataFrame({"customer_id": ids})
    if known is not None:
        keep = frame["customer_id"].isin(known)
        dropped = int((~keep).sum())
        frame = frame[keep]
    else:
        dropped = 0
    key = frame["customer_id"]
    channel_code = key.map(last_channel)
    frame["campaign_id"] = cid
    frame["channel_id"] = [channels.get(code, main_channel) for code in channel_code]
    frame["contacted_date"] = (
        key.map(first_reached).fillna(key.map(first_day)).fillna(campaign["start_date"]).astype(str)
    )
    frame["contacted"] = key.map(reached).fillna(False).astype(bool)
    frame["responded"] = key.map(accepted).fillna(False).astype(bool)
    frame["response_date"] = key.map(first_accepted).where(frame["responded"], None)
    frame["response_amount"] = key.map(amount).fillna(0.0).round(2)
    return campaign, frame[list(CONTACT_COLUMNS)], dropped


def _text(frame: pd.DataFrame, table: contract.Table) -> pd.DataFrame:
    """A frame as the contract's CSV text: dates YYYY-MM-DD, booleans true/false, null empty."""
    out = pd.DataFrame(index=frame.index)
    for column in table.columns:
        values = (
            frame[column.name] if column.name in frame else pd.Series([None] * len(frame), index=frame.index)
        )
        if column.dtype == "BOOLEAN":
            text = values.map(
                lambda v: (
                    "" if v is None or v == "" else ("true" if str(v).lower() in ("true", "1") else "false")
                )
            )
        elif column.dtype == "DATE":
            text = values.map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v)[:10])
        else:
            text = values.map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
        out[column.name] = text
    return out


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)


def export(
    out_dir: Path | str, merge_with: Path | str | None = None, include_running: bool = False
) -> ExportResult:
    """Write ``campaigns.csv`` and ``campaign_contacts.csv`` (UTF-8) into ``out_dir``; with
    ``merge_with``, a whole extract ready for ``python -m data.load out_dir`` (module docstring).

    Raises
    ------
    ValueError
        OUT_DIR is the extract itself, or a campaign's products or channels are unknown there.
    """
    out = Path(out_dir)
    extract = Path(merge_with).resolve() if merge_with is not None else None
    if extract is not None and out.resolve() == extract:
        raise ValueError("OUT_DIR must not be the extract itself: the extract is left as it is")
    out.mkdir(parents=True, exist_ok=True)
    statuses = ("closed", "running") if include_running else ("closed",)
    campaigns, contacts, left_out = loop_frames(statuses, extract)
    loop_campaigns, loop_contacts = len(campaigns), len(contacts)
    files: list[Path] = []
    if extract is not None:
        sources = find_sources(extract)
        for path in sorted(extract.iterdir()):
            stem = path.name.split(".")[0]
            if path.is_file() and not path.name.startswith("_") and stem not in REPLACED:
                _link_or_copy(path, out / path.name)
                files.append(out / path.name)
        theirs = {name: _read_table(sources[name]) for name in REPLACED if name in sources}
        if "campaigns" in theirs:
            own = theirs["campaigns"]
            own = own[pd.to_numeric(own["campaign_id"]) < LOOP_ID_OFFSET]  # an earlier export: replaced
            campaigns = pd.concat([_text(own, contract.CAMPAIGNS), _text(campaigns, contract.CAMPAIGNS)])
        if "campaign_contacts" in theirs:
            own = theirs["campaign_contacts"]
            own = own[pd.to_numeric(own["campaign_id"]) < LOOP_ID_OFFSET]
            contacts = pd.concat(
                [_text(own, contract.CAMPAIGN_CONTACTS), _text(contacts, contract.CAMPAIGN_CONTACTS)]
            )
    for name, frame, table in (
        ("campaigns", campaigns, contract.CAMPAIGNS),
        ("campaign_contacts", contacts, contract.CAMPAIGN_CONTACTS),
    ):
        for stale in (out / f"{name}.parquet",):
            stale.unlink(missing_ok=True)  # the loader prefers Parquet: never leave one beside ours
        target = out / f"{name}.csv"
        _text(frame, table).to_csv(target, index=False, encoding="utf-8")
        files.append(target)
    return ExportResult(tuple(files), loop_campaigns, loop_contacts, left_out)


def export_bytes(include_running: bool = True) -> dict[str, bytes]:
    """The two files as bytes (for the page's download): name -> UTF-8 CSV."""
    campaigns, contacts, _ = loop_frames(("closed", "running") if include_running else ("closed",))
    return {
        "campaigns.csv": _text(campaigns, contract.CAMPAIGNS).to_csv(index=False).encode("utf-8"),
        "campaign_contacts.csv": _text(contacts, contract.CAMPAIGN_CONTACTS)
        .to_csv(index=False)
        .encode("utf-8"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m marketing.export", description=__doc__.split("\n")[0])
    parser.add_argument(
        "out_dir", type=Path, help="folder to write campaigns.csv and campaign_contacts.csv into"
    )
    parser.add_argument(
        "--merge-with",
        type=Path,
        default=None,
        help="the bank's extract folder: OUT_DIR becomes a full extract",
    )
    parser.add_argument(
        "--include-running", action="store_true", help="also running campaigns (default: closed)"
    )
    args = parser.parse_args(argv)
    try:
        result = export(args.out_dir, args.merge_with, args.include_running)
    except (ValueError, KeyError, OSError) as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 1
    print(
        f"Wrote {result.campaigns} loop campaign(s) and {result.contacts} contact row(s) into {args.out_dir}"
        + (
            f"; {result.left_out} member(s) left out (not customers of the extract)"
            if result.left_out
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
