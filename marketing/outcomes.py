"""Outcome files from a call centre or the bank's product system, imported in bulk.

Two kinds of file, CSV (UTF-8 or GB18030) or Excel (.xlsx, the first sheet), one header row:

- ``contacts``: ``customer_id, channel, contacted_at, reached, outcome, product, amount, note``
  (``outcome``, ``product``, ``amount``, ``note`` may be empty): contacts the call centre made
  with target members of a running campaign, checked by the same rules as a manager's contact
  (:func:`marketing.contacts.clean_contact`), the over-contact limit included.
- ``takeups``: ``customer_id, product, amount, taken_on``: members who took an offered product,
  as the product system reports it. Any member, the control arm included: this is how the
  response of the control arm, never contacted, is measured.

Every row is checked and every problem reported (:class:`RowError`: the 1-based data row, the
column, what is wrong). Nothing at all is stored from a file with any error; a file already
imported into the campaign (same SHA-256) is refused; the whole file is one write transaction,
audited.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from auth import audit, roles
from auth.users import User
from data import ops_store
from marketing import contacts
from marketing.errors import MarketingInputError, NotPermitted

KINDS = ("contacts", "takeups")
COLUMNS = {
    "contacts": ("customer_id", "channel", "contacted_at", "reached", "outcome", "product", "amount", "note"),
    "takeups": ("customer_id", "product", "amount", "taken_on"),
}
REQUIRED = {
    "contacts": ("customer_id", "channel", "contacted_at", "reached"),
    "takeups": ("customer_id", "product", "taken_on"),
}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_ERRORS = 200  # errors reported of one file (the rest are counted)
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class RowError:
    """One problem of a file: ``row`` is the 1-based data row (0: the file or its header)."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class OutcomeFileError(ValueError):
    """A file refused as a whole; ``errors`` says why, row by row."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors
        self.total = total if total is not None else len(errors)
        first = errors[0] if errors else RowError(0, "file", "refused")
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        super().__init__(f"row {first.row}, {first.column}: {first.message}{more}")


@dataclass(frozen=True)
class ImportResult:
    """A file stored: its import id, kind, name and the rows stored."""

    import_id: int
    campaign_id: int
    kind: str
    filename: str
    rows: int
    sha256: str


def _refuse(column: str, message: str) -> OutcomeFileError:
    return OutcomeFileError([RowError(0, column, message)])


def read_file(filename: str, content: bytes) -> pd.DataFrame:
    """The file's rows as text (header names lower-cased and stripped); OutcomeFileError when it
    cannot be read."""
    name = (filename or "").lower()
    try:
        if name.endswith(EXCEL_SUFFIXES):
            frame = pd.read_excel(io.BytesIO(content), dtype=str, engine="openpyxl")
        elif name.endswith((".csv", ".txt")):
            frame = _read_csv(content)
        else:
            raise _refuse("file", "not a CSV (.csv) or Excel (.xlsx) file")
    except OutcomeFileError:
        raise
    except Exception as exc:  # any parser's error: the file is unreadable as what it claims
        raise _refuse("file", f"cannot be read ({type(exc).__name__})") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame.astype(object).where(frame.notna(), None)


def _read_csv(content: bytes) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    raise _refuse("file", "not UTF-8 or GB18030 text")


def _check_header(frame: pd.DataFrame, kind: str) -> list[RowError]:
    errors = []
    known = COLUMNS[kind]
    for column in REQUIRED[kind]:
        if column not in frame.columns:
            errors.append(RowError(0, column, "column missing"))
    for column in frame.columns:
        if column not in known:
            errors.append(RowError(0, column, f"unknown column (expected {', '.join(known)})"))
    if len(set(frame.columns)) != len(frame.columns):
        errors.append(RowError(0, "file", "a column appears twice"))
    return errors


def _value(record: dict, column: str):
    value = record.get(column)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _check_contacts(con, campaign: dict, records: list[dict]) -> tuple[list[dict], list[RowError]]:
    errors: list[RowError] = []
    rows: list[dict] = []
    at_now = contacts.now()
    for i, record in enumerate(records, start=1):
        try:
            customer = contacts.customer_number(_value(record, "customer_id"), i)
            member = contacts.member_row(con, campaign["id"], customer, i)
            contacts.check_target(member, i)
            data = contacts.ContactInput(
                campaign["id"],
                customer,
                _value(record, "channel"),
                _value(record, "contacted_at"),
                _value(record, "reached"),
                _value(record, "outcome"),
                _value(record, "product"),
                _value(record, "amount"),
                _value(record, "note"),
            )
            rows.append(
                {
                    "row": i,
                    "customer": customer,
                    "member": member,
                    "clean": contacts.clean_contact(data, campaign, at_now, i),
                }
            )
        except MarketingInputError as problem:
            errors.append(RowError(i, problem.field, _message(problem)))
    return rows, errors


def _check_takeups(con, campaign: dict, records: list[dict]) -> tuple[list[dict], list[RowError]]:
    errors: list[RowError] = []
    rows: list[dict] = []
    seen: dict[tuple[int, str], int] = {}
    today = contacts.now().date()
    start = date.fromisoformat(str(campaign["start_date"])[:10])
    for i, record in enumerate(records, start=1):
        try:
            customer = contacts.customer_number(_value(record, "customer_id"), i)
            contacts.member_row(con, campaign["id"], customer, i)
            product = _value(record, "product")
            if product is None:
                raise MarketingInputError("product", "required", i)
            product = str(product)
            if product not in campaign["products"]:
                allowed = ", ".join(campaign["products"])
                raise MarketingInputError(
                    "product", f"{product[:40]!r} is not offered by this campaign ({allowed})", i
                )
            amount = contacts.parse_amount(_value(record, "amount"), "amount", i)
            taken = contacts.parse_time(_value(record, "taken_on"), "taken_on", i).date()
            if taken > today:
                raise MarketingInputError("taken_on", "is in the future", i)
            if taken < start:
                raise MarketingInputError(
                    "taken_on", f"is before the campaign's start ({start.isoformat()})", i
                )
            if (customer, product) in seen:
                raise MarketingInputError(
                    "product", f"the same take-up as row {seen[(customer, product)]}", i
                )
            seen[(customer, product)] = i
            stored = con.execute(
                "SELECT 1 FROM campaign_takeups WHERE campaign_id = :c AND customer_id = :k AND product = :p",
                {"c": campaign["id"], "k": customer, "p": product},
            ).fetchone()
            if stored is not None:
                raise MarketingInputError("product", "this take-up is already recorded", i)
            rows.append(
                {"customer_id": customer, "product": product, "amount": amount, "taken_on": taken.isoformat()}
            )
        except MarketingInputError as problem:
            errors.append(RowError(i, problem.field, _message(problem)))
    return rows, errors


def _message(problem: MarketingInputError) -> str:
    """The error's message without the "row n, field: " prefix (the table shows them apart)."""
    text = str(problem)
    prefix = f"row {problem.row}, {problem.field}: " if problem.row is not None else f"{problem.field}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _raise(errors: list[RowError]) -> None:
    if errors:
        raise OutcomeFileError(errors[:MAX_ERRORS], total=len(errors))


def import_outcomes(
    user: User, campaign_id: int, filename: str, content: bytes, kind: str = "contacts"
) -> ImportResult:
    """Store a file of outcomes (kind ``contacts`` or ``takeups``) for a campaign, all of it or
    nothing.

    Raises
    ------
    NotPermitted
        The role may not import outcomes (:data:`auth.roles.OUTCOME_IMPORTERS`).
    MarketingInputError
        No such campaign, a campaign not running (contacts) or neither running nor closed
        (take-ups), or an unknown kind.
    OutcomeFileError
        The file is too large, unreadable, already imported, or has any wrong row.
    """
    if user.role not in roles.OUTCOME_IMPORTERS:
        raise NotPermitted(f"role {user.role} may not import outcomes")
    if kind not in KINDS:
        raise MarketingInputError("kind", f"one of {', '.join(KINDS)}")
    if not content:
        raise _refuse("file", "empty")
    if len(content) > MAX_BYTES:
        raise _refuse("file", f"larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files")
    frame = read_file(filename, content)
    _raise(_check_header(frame, kind))
    if frame.empty:
        raise _refuse("file", "no data rows")
    if len(frame) > MAX_ROWS:
        raise _refuse("file", f"{len(frame):,} rows: at most {MAX_ROWS:,} rows per file, split it")
    digest = hashlib.sha256(content).hexdigest()
    records = frame.to_dict("records")
    with ops_store.transaction() as con:
        campaign = contacts.campaign_row(con, campaign_id)
        if kind == "contacts":
            contacts.check_running(campaign)
        elif campaign["status"] not in ("running", "closed"):
            raise MarketingInputError(
                "campaign_id", f"the campaign is {campaign['status']}: not running or closed"
            )
        seen = con.execute(
            "SELECT filename, imported_at FROM contact_imports WHERE campaign_id = :c AND sha256 = :h",
            {"c": campaign["id"], "h": digest},
        ).fetchone()
        if seen is not None:
            raise _refuse("file", f"already imported into this campaign (as {seen[0]} at {seen[1]})")
        checker = _check_contacts if kind == "contacts" else _check_takeups
        rows, errors = checker(con, campaign, records)
        _raise(errors)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        import_id = int(
            con.execute(
                "INSERT INTO contact_imports (campaign_id, kind, filename, sha256, rows, imported_by, "
                "imported_at) VALUES (:c, :kind, :name, :h, :rows, :by, :at) RETURNING id",
                {
                    "c": campaign["id"],
                    "kind": kind,
                    "name": str(filename)[:255],
                    "h": digest,
                    "rows": len(rows),
                    "by": user.username,
                    "at": stamp,
                },
            ).scalar()
        )
        if kind == "contacts":
            for row in rows:  # one by one: the guard counts the file's earlier rows too
                try:
                    contacts.insert_contact(
                        con,
                        campaign["id"],
                        row["customer"],
                        row["member"],
                        row["clean"],
                        user,
                        source="import",
                        import_id=import_id,
                    )
                except MarketingInputError as problem:
                    errors.append(RowError(row["row"], problem.field, _message(problem)))
            _raise(errors)  # rolls the whole file back
        else:
            from data import ops_schema

            con.connection.execute(
                ops_schema.campaign_takeups.insert(),
                [
                    row
                    | {
                        "campaign_id": campaign["id"],
                        "import_id": import_id,
                        "recorded_by": user.username,
                        "recorded_at": stamp,
                    }
                    for row in rows
                ],
            )
        detail = {
            "campaign": campaign["id"],
            "import": import_id,
            "kind": kind,
            "file": str(filename)[:255],
            "rows": len(rows),
        }
        audit.record_in(con, user.username, "outcomes_import", json.dumps(detail, ensure_ascii=False))
    return ImportResult(import_id, int(campaign["id"]), kind, str(filename), len(rows), digest)
