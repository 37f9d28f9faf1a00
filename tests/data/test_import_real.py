"""A real bank's files at import: encodings (cp1250, cp1252, GBK, UTF-8 with BOM) and
delimiters (semicolon, tab, pipe) detected per file, undecodable bytes and mismatched headers
told by file, row and column, optional tables absent or empty, the contract extensions
(overdrafts, direction, system postings, unknown demographics, dates without a time, masked
personal data, names in one language, the currency), and extracts made for an older contract.

Every case writes the hand-made mini bank (``tests/data/_mini.py``) into ``tmp_path``, changes
what a bank's export would change, and loads it into a private home.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cube import api, connection
from data import contract, load, warehouse
from tests.data._mini import D, Rows, T, _text, mini_tables

REPO = Path(__file__).resolve().parents[2]
Tables = dict[str, Rows]
OPTIONAL = ("campaigns", "campaign_contacts", "branch_targets", "manager_targets")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def write(
    tables: Tables,
    out: Path,
    encoding: str = "utf-8",
    delimiter: str = ",",
    per_file: dict[str, tuple[str, str]] | None = None,
) -> Path:
    """Each table as ``<table>.csv`` in ``encoding`` with ``delimiter`` (header from the rows),
    or in the (encoding, delimiter) ``per_file`` gives for it."""
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        header = list(rows[0]) if rows else list(contract.TABLES[name].columns_in("1"))
        enc, delim = (per_file or {}).get(name, (encoding, delimiter))
        with open(out / f"{name}.csv", "w", encoding=enc, newline="") as fh:
            writer = csv.writer(fh, delimiter=delim)
            writer.writerow(header)
            writer.writerows([_text(r.get(c)) for c in header] for r in rows)
    return out


def latin(rows: Rows, names: list[str]) -> Rows:
    """``rows`` with every Chinese text replaced by ``names`` in turn (for code pages that have
    no Chinese)."""
    i = 0
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str) and any(ord(ch) > 0x2E80 for ch in value):
                row[key] = names[i % len(names)]
                i += 1
    return rows


def sql(query: str, *args: object) -> list[tuple]:
    with warehouse.open_readonly() as con:
        return con.execute(query, list(args)).fetchall()


def problems(tables: Tables, tmp_path: Path, **kwargs: object) -> list:
    """The problems loading ``tables`` reports (the current warehouse stays as it was)."""
    before = warehouse.current_path()
    with pytest.raises(load.ValidationFailed) as info:
        load.load(write(tables, tmp_path / "src"), **kwargs)
    assert warehouse.current_path() == before
    return info.value.problems


def one(found: list, file: str, row: int | None, column: str | None, *words: str):
    """The problem at (file, row, column), asserting its message has ``words``."""
    hits = [p for p in found if (p.file, p.row, p.column) == (file, row, column)]
    assert hits, f"nothing at {file} row {row} column {column}: {[str(p) for p in found]}"
    for word in words:
        assert word in hits[0].message, hits[0]
    return hits[0]


# --- encodings -------------------------------------------------------------------------------

CENTRAL = ["Łódź", "Gdańsk", "Żółć"]
WESTERN = ["Zürich", "Åsa Öberg", "Straße"]
# Accented letters each followed by a letter: these bytes in cp1250 are valid GBK, by accident.
GBK_BY_ACCIDENT = ["Józef Wiśniewski", "Antonín Dvořák"]
ENCODINGS = {
    "regions": ("cp1250", ","),
    "branches": ("cp1252", ","),
    "managers": ("cp1250", ","),
    "products": ("utf-8-sig", ","),
    "customers": ("gbk", ","),
}


def test_each_file_in_its_own_encoding(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    latin(tables["regions"], CENTRAL)
    latin(tables["branches"], WESTERN)
    latin(tables["managers"], GBK_BY_ACCIDENT)
    src = write(tables, tmp_path / "src", per_file=ENCODINGS)
    (src / "managers.csv").read_bytes().decode("gb18030")  # valid GBK indeed: the sniffer looks past it
    detected = {name: load.detect_encoding(src / f"{name}.csv") for name in ENCODINGS}
    assert detected == {
        "regions": "cp1250",
        "branches": "cp1252",
        "managers": "cp1250",
        "products": "utf-8-sig",
        "customers": "gb18030",
    }
    result = load.load(src)
    assert sql("SELECT name_zh FROM regions") == [(tables["regions"][0]["name_zh"],)]
    assert sql("SELECT name_zh, city FROM branches ORDER BY branch_id") == [
        (r["name_zh"], r["city"]) for r in tables["branches"]
    ]
    assert sql("SELECT name FROM managers ORDER BY manager_id") == [(r["name"],) for r in tables["managers"]]
    assert sql("SELECT name_zh FROM products ORDER BY product_id") == [("产品1",), ("产品2",), ("产品3",)]
    assert sql("SELECT DISTINCT name, city FROM customers") == [("张三", "上海")]
    assert any("managers.csv" in w and "only by accident" in w for w in result.warnings)


def test_gbk_asked_for_a_cp1250_file_is_refused_naming_the_likely_encoding(
    home: Path, tmp_path: Path
) -> None:
    tables = mini_tables()
    latin(tables["managers"], GBK_BY_ACCIDENT)
    src = write(tables, tmp_path / "src", per_file={"managers": ("cp1250", ",")})
    with pytest.raises(load.ValidationFailed) as info:
        load.load(src, encodings={"managers.csv": "gbk"})
    hit = one(info.value.problems, "managers.csv", None, None, "GBK only by accident", "cp1250")
    assert "--encoding managers.csv=cp1250" in str(hit)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_an_undecodable_byte_is_reported_with_file_row_and_column(
    home: Path, tmp_path: Path, encoding: str
) -> None:
    tables = mini_tables()
    for row in tables["customers"]:
        row["city"] = "上海浦东新区陆家嘴金融贸易区"  # enough text to judge the encoding by
    tables["customers"][1]["city"] = "BAD"
    src = write(tables, tmp_path / "src", encoding=encoding)
    path = src / "customers.csv"
    path.write_bytes(path.read_bytes().replace(b"BAD", b"\xff"))
    with pytest.raises(load.ValidationFailed) as info:
        load.load(src)
    hit = one(info.value.problems, "customers.csv", 2, "city", "--encoding customers.csv=")
    assert ("byte 0xFF cannot be read as GBK" if encoding == "gbk" else "not valid UTF-8") in hit.message


def test_a_file_in_no_supported_encoding_is_refused_by_name(home: Path, tmp_path: Path) -> None:
    src = write(mini_tables(), tmp_path / "src")
    (src / "regions.csv").write_bytes("region_id,name_zh,name_en\n1,東區,East\n".encode("utf-16-le"))
    with pytest.raises(load.ValidationFailed) as info:
        load.load(src)
    one(info.value.problems, "regions.csv", None, None, "UTF-16", "--encoding regions.csv=")


def test_per_file_encoding_on_the_command_line(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    latin(tables["regions"], CENTRAL)
    src = write(tables, tmp_path / "src", per_file={"regions": ("cp1250", ",")})
    env = {**os.environ, "MAMS_HOME": str(home), "PYTHONPATH": str(REPO)}

    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "data.load", str(src), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)

    bad = run("--encoding", "regions.csv=klingon", "--encoding", "sales.csv=gbk")
    assert bad.returncode == 1, bad.stderr
    assert "regions.csv: unknown encoding 'klingon'" in bad.stderr
    assert "sales.csv: --encoding names a file the extract does not have" in bad.stderr
    ok = run("--encoding", "regions.csv=windows-1250", "--encoding", "utf-8")
    assert ok.returncode == 0, ok.stderr
    assert sql("SELECT name_zh FROM regions") == [("Łódź",)]


# --- delimiters ----------------------------------------------------------------------------


def test_semicolon_tab_and_pipe_files(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    tables["branches"][0]["name_en"] = "Shanghai; Huangpu | main"  # delimiters inside a quoted value
    for row in tables["transactions"]:  # the optional column given: it wins over txn_at's form
        row["time_known"] = row["txn_id"] != 2
    per_file = {"regions": ("utf-8", ";"), "branches": ("utf-8", "\t"), "products": ("utf-8", "|")}
    per_file |= {"transactions": ("gbk", ";"), "holdings": ("utf-8-sig", "\t")}
    load.load(write(tables, tmp_path / "src", per_file=per_file))
    amount = sum(r["amount"] for r in tables["transactions"])
    assert sql("SELECT count(*), round(sum(amount), 2) FROM transactions") == [(6, round(amount, 2))]
    assert sql("SELECT count(*) FROM holdings") == [(len(tables["holdings"]),)]
    assert sql("SELECT name_en FROM branches WHERE branch_id = 10") == [("Shanghai; Huangpu | main",)]
    assert sql("SELECT name_zh FROM regions") == [("华东区",)]
    assert sql("SELECT txn_id, time_known FROM transactions WHERE txn_id <= 3 ORDER BY 1") == [
        (1, True),
        (2, False),
        (3, True),
    ]


def test_a_header_that_does_not_match_says_which_delimiter_it_looks_like(home: Path, tmp_path: Path) -> None:
    src = write(mini_tables(), tmp_path / "src")
    (src / "regions.csv").write_text("Region ID;Name (zh);Name (en)\n1;华东区;East\n", encoding="utf-8")
    (src / "channels.csv").write_text("channel_id:channel_code\n1:counter\n", encoding="utf-8")
    with pytest.raises(load.ValidationFailed) as info:
        load.load(src)
    found = info.value.problems
    one(found, "regions.csv", None, "region_id", "missing from the header")
    one(found, "regions.csv", None, None, "looks semicolon-separated", "3 field(s)", "0 of them")
    one(found, "channels.csv", None, None, "no comma, semicolon, tab or pipe splits it")


# --- optional tables -----------------------------------------------------------------------


def test_optional_tables_absent_or_empty(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    del tables["campaigns"], tables["branch_targets"]  # absent
    tables["campaign_contacts"] = tables["manager_targets"] = []  # a header row only
    src = write(tables, tmp_path / "src")
    (src / contract.VERSION_FILE).write_text("1\n", encoding="utf-8")
    result = load.load(src)
    assert any("not loaded" in w and "branch_targets" in w for w in result.warnings)
    assert any("as contract_version.txt says" in w for w in result.warnings)  # migrated from 1
    assert warehouse.missing_tables() == OPTIONAL
    with warehouse.open_readonly() as con:
        for name in OPTIONAL:
            described = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {name}").fetchall()]
            assert described == [(c.name, c.dtype) for c in contract.TABLES[name].columns]
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == 0
        assert warehouse.missing_tables(con) == OPTIONAL
    # The cube answers empty frames and no targets, and says what was not loaded.
    con = duckdb.connect(str(warehouse.current_path()), read_only=True)
    connection.use_connection(con)
    try:
        assert api.not_loaded() == frozenset(OPTIONAL)
        assert api.not_loaded("campaigns", "holdings") == {"campaigns"}
        everyone = api.Scope.all(identities=True)
        query = api.Query("campaigns", ("campaigns.targeted",), ("campaigns.campaign",))
        assert api.execute(query, everyone).frame.empty
        month = (api.Filter("customers.month", "eq", ("2025-06-01",)),)
        att = api.attainment(
            api.Query("customers", ("customers.aum",), ("customers.branch",), month), everyone
        )
        assert len(att.frame) == 1 and att.frame["customers.aum"].iloc[0] > 0
        assert att.frame["targets.aum"].isna().all() and att.frame["aum.attainment"].isna().all()
    finally:
        connection.use_connection(None)
        con.close()


# --- contract extensions ---------------------------------------------------------------------

SYSTEM_CHANNEL = {
    "channel_id": 3,
    "channel_code": "interest_posting",
    "name_zh": "结息",
    "name_en": "Interest posting",
    "channel_type": "system",
    "type_name_zh": "系统入账",
    "type_name_en": "System postings",
}


def extended() -> Tables:
    """The mini bank as a real extract has it, with every extension of contract version 2."""
    t = mini_tables()
    for p in t["products"]:
        p["allows_negative"] = p["product_id"] == 1  # the demand deposit has an overdraft
    t["holdings"][0]["balance"] = -250.0  # customer 1000's demand deposit, January
    for row in t["transactions"]:
        row["direction"] = "debit" if row["txn_type"] in ("withdrawal", "purchase") else "credit"
    t["transactions"][1]["direction"] = None  # not known for this one
    t["transactions"][0]["txn_at"] = D(2025, 1, 5)  # a date alone: written 2025-01-05
    t["channels"].append(dict(SYSTEM_CHANNEL))
    # Customer 1002 only receives interest in January: a posting, not activity.
    t["transactions"].append(
        {**t["transactions"][2], "txn_id": 7, "customer_id": 1002, "channel_id": 3, "amount": 1.5}
    )
    t["transactions"][-1]["txn_at"] = T(2025, 1, 31, 23, 0)
    t["customers"][0].update(gender="unknown", occupation=None, birth_date=None)
    for row in t["customers"]:
        del row["income_band"], row["name"], row["id_card_no"]  # not exported, or masked
        row["phone"] = None  # present but empty
    for row in t["regions"]:
        del row["name_en"]  # names in Chinese only
    t["branches"][1]["name_zh"] = None  # this one in English only
    t["products"][0]["category_name_en"] = " "
    return t


def test_an_extract_with_every_extension(home: Path, tmp_path: Path) -> None:
    result = load.load(write(extended(), tmp_path / "src"))
    assert not [w for w in result.warnings if "contract version" in w]  # made for the current one
    assert dict(sql("SELECT key, value FROM meta"))["extract_version"] == contract.CONTRACT_VERSION
    # overdrafts
    assert sql("SELECT min(balance) FROM holdings") == [(-250.0,)]
    assert sql("SELECT allows_negative FROM products ORDER BY product_id") == [(True,), (False,), (False,)]
    # direction
    assert sql("SELECT direction, count(*) FROM transactions GROUP BY ALL ORDER BY 1 NULLS FIRST") == [
        (None, 1),
        ("credit", 3),
        ("debit", 3),
    ]
    # a date without a time of day: no hour
    assert sql("SELECT txn_id, time_known, hour FROM transactions_enriched WHERE txn_id <= 2 ORDER BY 1") == [
        (1, False, None),
        (2, True, 20),
    ]
    # system postings: counted and channel type "system", but not activity nor a main channel
    assert sql(
        "SELECT txn_count, is_active, main_channel FROM customer_month "
        "WHERE customer_id = 1002 AND month_date = DATE '2025-01-01'"
    ) == [(1, False, None)]
    assert sql("SELECT DISTINCT channel_type FROM transactions_enriched WHERE channel_id = 3") == [
        ("system",)
    ]
    # unknown demographics
    assert sql(
        "SELECT gender, occupation, income_band, birth_date FROM customers WHERE customer_id = 1000"
    ) == [("unknown", "unknown", "unknown", None)]
    assert sql("SELECT DISTINCT age, age_band FROM customer_month WHERE customer_id = 1000") == [
        (None, "unknown")
    ]
    # names in one language
    assert sql("SELECT name_zh, name_en FROM regions") == [("华东区", "华东区")]
    assert sql("SELECT name_zh FROM branches WHERE branch_id = 11") == [("Pudong Outlet",)]
    assert sql("SELECT category_name_en FROM products WHERE product_id = 1") == [("类别1",)]
    # masked personal data: empty in the warehouse and in every drill-through
    assert sql("SELECT DISTINCT name, phone, id_card_no FROM customers") == [(None, None, None)]
    con = duckdb.connect(str(warehouse.current_path()), read_only=True)
    connection.use_connection(con)
    try:
        month = (api.Filter("customers.month", "eq", ("2025-06-01",)),)
        for identities in (True, False):
            frame = api.drill_through("customers", month, api.Scope.all(identities=identities)).frame
            assert len(frame) == 2
            for column in ("customer_name", "customer_phone", "customer_id_card_no"):
                assert frame[column].isna().all(), (identities, column, frame[column].tolist())
        labels = api.execute(
            api.Query("customers", ("customers.customers",), ("customers.gender",), month), everyone()
        ).frame
        assert dict(
            zip(labels["customers.gender"], labels[api.label_column("customers.gender")], strict=True)
        ) == {"unknown": "Unknown", "M": "Male"}
    finally:
        connection.use_connection(None)
        con.close()


def everyone() -> api.Scope:
    return api.Scope.all(identities=True)


def test_each_extension_still_refuses_what_is_wrong(home: Path, tmp_path: Path) -> None:
    t = extended()
    fund = next(i for i, h in enumerate(t["holdings"]) if h["product_id"] == 2)
    t["holdings"][fund]["avg_daily_balance"] = -1.0  # a fund does not allow negative balances
    t["transactions"][2]["direction"] = "in"
    t["channels"][2]["channel_type"] = "digital"  # a system-posting code with a customer channel type
    t["customers"][1]["gender"] = "X"
    t["branches"][1]["name_en"] = ""  # and its name_zh is empty already
    found = problems(t, tmp_path)
    one(
        found, "holdings.csv", fund + 1, "avg_daily_balance", "-1.0 is below the minimum 0", "allows_negative"
    )
    one(found, "transactions.csv", 3, "direction", "'in' is not an allowed value (allowed: credit, debit)")
    one(found, "channels.csv", 3, "channel_type", "does not go with the channel code")
    one(found, "customers.csv", 2, "gender", "'X' is not an allowed value", "unknown")
    one(found, "branches.csv", 2, "name_zh", "name_zh and name_en are both empty")
    assert not [p for p in found if p.column == "name_en"]  # told once per row
    assert not [p for p in found if p.file == "holdings.csv" and p.row == 1]  # the overdraft is fine
    for p in t["products"]:
        del p["allows_negative"]  # without the column no product allows a negative balance
    one(problems(t, tmp_path / "none"), "holdings.csv", 1, "balance", "-250.0 is below the minimum 0")


def test_the_currency_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from components.formatting import axis_ticks, format_value, unit_label

    assert format_value(56_800, "money", "zh") == "¥5.68万"
    monkeypatch.setenv("MAMS_CURRENCY_CODE", "EUR")
    monkeypatch.setenv("MAMS_CURRENCY_SYMBOL", "€")
    monkeypatch.setenv("MAMS_CURRENCY_CJK_UNITS", "0")
    assert format_value(56_800, "money", "zh") == "€56.80K"
    assert format_value(-1234.5, "money_exact", "en") == "-€1,234.50"
    assert unit_label("money", "zh") == "€"
    assert axis_ticks([0, 20_000], "money", "zh")[1][-1].endswith("K")
    assert axis_ticks([0, 20_000], "count", "zh")[1][-1].endswith("万")  # counts keep 万


# --- contract versions -------------------------------------------------------------------------


def test_an_extract_with_an_older_column_set_is_migrated(home: Path, tmp_path: Path) -> None:
    result = load.load(write(mini_tables(), tmp_path / "src"))  # the mini bank has version 1's columns
    meta = dict(sql("SELECT key, value FROM meta"))
    assert (meta["contract_version"], meta["extract_version"], meta["not_loaded"]) == (
        contract.CONTRACT_VERSION,
        "1",
        "",
    )
    [warning] = [w for w in result.warnings if "contract version 1" in w]
    assert "its columns match that version" in warning and "allows_negative" in warning
    assert sql("SELECT DISTINCT allows_negative, time_known FROM products, transactions") == [(False, True)]


@pytest.mark.parametrize(("stated", "words"), [("3", "newer than this release reads"), ("0.9", "unknown")])
def test_an_extract_for_an_unknown_version_is_refused(
    home: Path, tmp_path: Path, stated: str, words: str
) -> None:
    src = write(mini_tables(), tmp_path / "src")
    (src / contract.VERSION_FILE).write_text(stated, encoding="utf-8")
    with pytest.raises(load.ValidationFailed) as info:
        load.load(src)
    one(info.value.problems, contract.VERSION_FILE, None, None, words, stated)
