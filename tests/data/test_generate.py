"""The synthetic bank generator: determinism, the data contract, and the planted truth."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from data import contract
from data.generator import generate, main
from data.generator.util import schema

CUSTOMERS, MONTHS, SEED = 2000, 12, 5


@pytest.fixture(scope="module")
def gen_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two runs with the same seed and one with another seed, at test scale."""
    dirs = {}
    for key, seed in (("a", SEED), ("b", SEED), ("other", SEED + 1)):
        out = tmp_path_factory.mktemp(f"gen_{key}")
        generate(out, customers=CUSTOMERS, months=MONTHS, seed=seed, end_month="2026-10")
        dirs[key] = out
    return dirs


@pytest.fixture(scope="module")
def con(gen_dirs: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    """DuckDB views over the first run's files, named like the contract tables."""
    c = duckdb.connect(config={"threads": 2, "memory_limit": "2GB", "autoinstall_known_extensions": False,
                               "autoload_known_extensions": False})  # fmt: skip
    for t in contract.SOURCE_TABLES:
        c.execute(
            f"CREATE VIEW {t.name} AS SELECT * FROM read_parquet('{gen_dirs['a'] / (t.name + '.parquet')}')"
        )
    truth = gen_dirs["a"] / "_truth" / "customer_truth.parquet"
    c.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{truth}')")
    return c


def _files(d: Path) -> list[Path]:
    return sorted(p.relative_to(d) for p in d.rglob("*") if p.is_file())


def test_same_seed_gives_byte_identical_files(gen_dirs: dict[str, Path]) -> None:
    a, b = gen_dirs["a"], gen_dirs["b"]
    assert _files(a) == _files(b)
    for rel in _files(a):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_another_seed_gives_different_data(gen_dirs: dict[str, Path]) -> None:
    for name in ("customers", "transactions", "holdings", "campaign_contacts", "branches"):
        a = (gen_dirs["a"] / f"{name}.parquet").read_bytes()
        assert a != (gen_dirs["other"] / f"{name}.parquet").read_bytes(), name


def test_every_table_has_the_contract_columns_and_types(gen_dirs: dict[str, Path]) -> None:
    for t in contract.SOURCE_TABLES:
        table = pq.read_table(gen_dirs["a"] / f"{t.name}.parquet")
        # every contract column but the optional ones later versions added (the importer fills them)
        later = [c.name for c in t.columns if c.optional and c.since != "1"]
        assert table.schema.names == [c for c in t.column_names if c not in later], t.name
        assert [f.type for f in table.schema] == [f.type for f in schema(t)], t.name
        assert table.num_rows > 0, t.name


@pytest.mark.parametrize("table", contract.SOURCE_TABLES, ids=lambda t: t.name)
def test_every_table_keeps_the_contract_rules(con: duckdb.DuckDBPyConnection, table: contract.Table) -> None:
    name, keys = table.name, ", ".join(table.primary_key)
    (dupes,) = con.execute(
        f"SELECT count(*) FROM (SELECT {keys} FROM {name} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()
    assert dupes == 0
    present = {r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()}
    for col in table.columns:
        c = col.name
        if c not in present:  # an optional column of a later contract version
            assert col.optional and col.since != "1", c
            continue
        if not col.nullable:
            assert con.execute(f"SELECT count(*) FROM {name} WHERE {c} IS NULL").fetchone()[0] == 0, c
        if col.allowed:
            allowed = ", ".join(f"'{a}'" for a in col.allowed)
            assert (
                con.execute(f"SELECT count(*) FROM {name} WHERE {c} NOT IN ({allowed})").fetchone()[0] == 0
            ), c
        if col.min_value is not None:
            assert (
                con.execute(f"SELECT count(*) FROM {name} WHERE {c} < {col.min_value}").fetchone()[0] == 0
            ), c
        if col.references:
            ref_table, ref_col = col.references.split(".")
            (missing,) = con.execute(
                f"SELECT count(*) FROM {name} t ANTI JOIN {ref_table} p ON p.{ref_col} = t.{c}"
            ).fetchone()
            assert missing == 0, c
        if col.dtype == "DOUBLE" and name not in ("products",):
            (unrounded,) = con.execute(
                f"SELECT count(*) FROM {name} WHERE abs({c} * 100 - round({c} * 100)) > 1e-4"
            ).fetchone()
            assert unrounded == 0, f"{c} not rounded to 0.01"


def test_row_rules_and_date_range(con: duckdb.DuckDBPyConnection) -> None:
    q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731 - a one-line helper reads best here
    assert q("SELECT count(*) FROM customers WHERE (status = 'closed') <> (close_date IS NOT NULL)") == 0
    assert q("SELECT count(*) FROM customers WHERE close_date < open_date") == 0
    assert q("SELECT count(*) FROM campaign_contacts WHERE responded <> (response_date IS NOT NULL)") == 0
    assert q("SELECT count(*) FROM campaign_contacts WHERE responded AND NOT contacted") == 0
    assert q("SELECT count(*) FROM campaign_contacts WHERE response_date < contacted_date") == 0
    assert q("SELECT count(*) FROM campaigns WHERE end_date < start_date") == 0
    assert str(q("SELECT min(month_date) FROM holdings")) == "2025-11-01"
    assert str(q("SELECT max(month_date) FROM holdings")) == "2026-10-01"
    assert str(q("SELECT max(txn_at)::DATE FROM transactions")) <= "2026-10-31"
    assert str(q("SELECT min(txn_at)::DATE FROM transactions")) >= "2025-11-01"
    assert q("SELECT max(contacted_date) FROM campaign_contacts").isoformat() <= "2026-10-31"
    # No activity after a customer closed, none before they opened.
    assert q("SELECT count(*) FROM transactions t JOIN customers c USING (customer_id) "
             "WHERE t.txn_at::DATE > c.close_date OR t.txn_at::DATE < c.open_date") == 0  # fmt: skip
    assert q("SELECT count(*) FROM holdings h JOIN customers c USING (customer_id) "
             "WHERE h.month_date >= date_trunc('month', c.close_date)") == 0  # fmt: skip
    # Identifying columns look real.
    assert q("SELECT count(*) FROM customers WHERE NOT regexp_full_match(phone, '1[3-9][0-9]{9}')") == 0
    assert q("SELECT count(*) FROM customers WHERE NOT regexp_full_match(id_card_no, '[0-9]{17}[0-9X]')") == 0
    # Scale: about 100 transactions per customer over 24 months, ~1 manager per 150 customers.
    per_customer_month = q("SELECT count(*) FROM transactions") / CUSTOMERS / MONTHS
    assert 3.0 < per_customer_month < 5.5
    assert 8 <= q("SELECT count(*) FROM managers") <= 30


def test_planted_affinity_pairs_have_lift_above_1_5(
    gen_dirs: dict[str, Path], con: duckdb.DuckDBPyConnection
) -> None:
    truth = json.loads((gen_dirs["a"] / "_truth" / "ground_truth.json").read_text(encoding="utf-8"))
    pairs = [(p["antecedent"], p["consequent"]) for p in truth["affinity_pairs"]]
    assert 3 <= len(pairs) <= 5
    n = con.execute("SELECT count(DISTINCT customer_id) FROM holdings").fetchone()[0]
    for a, b in pairs:
        na, nb, both = con.execute(
            """WITH h AS (SELECT DISTINCT h.customer_id, p.product_code FROM holdings h
                          JOIN products p USING (product_id))
               SELECT count(*) FILTER (WHERE product_code = ?), count(*) FILTER (WHERE product_code = ?),
                      (SELECT count(*) FROM h x JOIN h y USING (customer_id)
                       WHERE x.product_code = ? AND y.product_code = ?)
               FROM h""",
            [a, b, a, b],
        ).fetchone()
        assert both * n / (na * nb) > 1.5, (a, b)


def test_churners_balances_and_activity_decline_before_closing(con: duckdb.DuckDBPyConnection) -> None:
    # AUM in the month before closing relative to five months before, for churners; for the
    # others, the same four-month span at the end of the data.
    aum = """WITH aum AS (SELECT h.customer_id, h.month_date, sum(h.balance) AS aum FROM holdings h
                          JOIN products p USING (product_id) WHERE p.balance_type IN ('deposit', 'investment')
                          GROUP BY ALL)"""
    churn, n_churn = con.execute(
        aum
        + """, ch AS (SELECT customer_id, date_trunc('month', close_date)::DATE AS m FROM customers
                          WHERE status = 'closed' AND close_date >= DATE '2026-05-01')
        SELECT median(a1.aum / a5.aum), count(*) FROM ch
        JOIN aum a1 ON a1.customer_id = ch.customer_id AND a1.month_date = ch.m - INTERVAL 1 MONTH
        JOIN aum a5 ON a5.customer_id = ch.customer_id AND a5.month_date = ch.m - INTERVAL 5 MONTH
        WHERE a5.aum > 0"""
    ).fetchone()
    stay, n_stay = con.execute(
        aum
        + """SELECT median(a1.aum / a5.aum), count(*) FROM customers c
        JOIN aum a1 ON a1.customer_id = c.customer_id AND a1.month_date = DATE '2026-09-01'
        JOIN aum a5 ON a5.customer_id = c.customer_id AND a5.month_date = DATE '2026-05-01'
        WHERE c.status = 'active' AND a5.aum > 0"""
    ).fetchone()
    assert n_churn >= 30 and n_stay >= 30
    assert churn < 0.6 < 0.9 < stay
    # Transactions fall too: the last full month before closing against four months earlier.
    before, last = con.execute(
        """WITH ch AS (SELECT customer_id, date_trunc('month', close_date)::DATE AS m FROM customers
                       WHERE status = 'closed' AND close_date >= DATE '2026-05-01')
           SELECT count(*) FILTER (WHERE date_trunc('month', t.txn_at) = ch.m - INTERVAL 5 MONTH),
                  count(*) FILTER (WHERE date_trunc('month', t.txn_at) = ch.m - INTERVAL 1 MONTH)
           FROM transactions t JOIN ch USING (customer_id)"""
    ).fetchone()
    assert last < 0.7 * before


def test_churn_and_dormancy_rates(con: duckdb.DuckDBPyConnection) -> None:
    closed, dormant = con.execute(
        "SELECT avg((status = 'closed')::INT), avg((status = 'dormant')::INT) FROM customers"
    ).fetchone()
    assert 0.05 < closed < 0.15
    assert 0.01 < dormant < 0.10
    # Dormant customers have not transacted in the last six months.
    (recent,) = con.execute(
        """SELECT count(*) FROM transactions t JOIN customers c USING (customer_id)
           WHERE c.status = 'dormant' AND t.txn_at >= DATE '2026-05-01'"""
    ).fetchone()
    assert recent == 0


def test_channel_mix_shifts_to_mobile(con: duckdb.DuckDBPyConnection) -> None:
    first, last = con.execute(
        """SELECT avg((ch.channel_code = 'mobile_banking')::INT) FILTER (WHERE t.txn_at < DATE '2026-02-01'),
                  avg((ch.channel_code = 'mobile_banking')::INT) FILTER (WHERE t.txn_at >= DATE '2026-08-01')
           FROM transactions t JOIN channels ch USING (channel_id)"""
    ).fetchone()
    assert last > first + 0.03


def test_counters_keep_office_hours_and_pos_peaks_at_weekends(con: duckdb.DuckDBPyConnection) -> None:
    night, weekend_share_counter, weekend_share_pos = con.execute(
        """SELECT count(*) FILTER (WHERE ch.channel_code = 'counter'
                                    AND (hour(t.txn_at) < 8 OR hour(t.txn_at) > 18)),
                  avg((isodow(t.txn_at) >= 6)::INT) FILTER (WHERE ch.channel_code = 'counter'),
                  avg((isodow(t.txn_at) >= 6)::INT) FILTER (WHERE ch.channel_code = 'pos')
           FROM transactions t JOIN channels ch USING (channel_id)"""
    ).fetchone()
    assert night == 0
    assert weekend_share_counter < 0.15 < 2 / 7 < weekend_share_pos


def test_planted_channel_anomalies_are_visible(
    gen_dirs: dict[str, Path], con: duckdb.DuckDBPyConnection
) -> None:
    truth = json.loads((gen_dirs["a"] / "_truth" / "ground_truth.json").read_text(encoding="utf-8"))
    anomalies = truth["channel_anomalies"]
    assert any(a["factor"] == 0 for a in anomalies) and any(a["factor"] > 1 for a in anomalies)
    for a in anomalies:
        inside, outside_per_day = con.execute(
            """SELECT count(*) FILTER (WHERE t.txn_at::DATE BETWEEN ?::DATE AND ?::DATE),
                      count(*) FILTER (WHERE t.txn_at::DATE NOT BETWEEN ?::DATE AND ?::DATE) / 365.0
               FROM transactions t JOIN channels ch USING (channel_id)
               WHERE t.branch_id = ? AND ch.channel_code = ?""",
            [
                a["start_date"],
                a["end_date"],
                a["start_date"],
                a["end_date"],
                a["branch_id"],
                a["channel_code"],
            ],
        ).fetchone()
        days = (np.datetime64(a["end_date"]) - np.datetime64(a["start_date"])).astype(int) + 1
        if a["factor"] == 0:
            assert inside == 0 and outside_per_day > 0.2, a
        else:
            assert inside / days > 1.5 * outside_per_day, a


def test_segments_are_recoverable_by_clustering(con: duckdb.DuckDBPyConnection) -> None:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import StandardScaler

    shares = ", ".join(f"coalesce(avg((t.channel_id = {i})::INT), 0)" for i in range(1, 10))
    flags = ", ".join(f"coalesce(max((h.product_id = {i})::INT), 0)" for i in range(1, 15))
    feats = con.execute(
        f"""WITH tx AS (SELECT customer_id, ln(1 + count(*)) AS n, {shares} FROM transactions t GROUP BY 1),
                 ho AS (SELECT h.customer_id, {flags}, ln(1 + sum(h.balance) FILTER (
                            WHERE p.balance_type IN ('deposit', 'investment'))
                            / count(DISTINCT h.month_date)) AS aum
                        FROM holdings h JOIN products p USING (product_id) GROUP BY 1)
            SELECT tr.segment_id, tx.* EXCLUDE (customer_id), ho.* EXCLUDE (customer_id)
            FROM truth tr JOIN tx USING (customer_id) JOIN ho USING (customer_id) ORDER BY customer_id"""
    ).fetchnumpy()
    names = list(feats)
    x = np.column_stack([np.nan_to_num(feats[k].astype(float)) for k in names[1:]])
    labels = KMeans(6, n_init=10, random_state=0).fit_predict(StandardScaler().fit_transform(x))
    assert adjusted_rand_score(feats[names[0]], labels) >= 0.5


def test_targets_are_near_actuals(con: duckdb.DuckDBPyConnection) -> None:
    ratios = con.execute(
        """WITH actual AS (SELECT c.home_branch_id AS branch_id, h.month_date, sum(h.balance) AS aum
                           FROM holdings h JOIN products p USING (product_id)
                           JOIN customers c USING (customer_id)
                           WHERE p.balance_type IN ('deposit', 'investment') GROUP BY ALL)
           SELECT a.aum / t.target_value FROM actual a JOIN branch_targets t USING (branch_id, month_date)
           WHERE t.metric = 'aum'"""
    ).fetchnumpy()
    r = next(iter(ratios.values()))
    assert 0.85 < np.median(r) < 1.15
    assert (r > 1).mean() > 0.15 and (r < 1).mean() > 0.15  # some beat their targets, some miss
    (n,) = con.execute("SELECT count(*) FROM branch_targets").fetchone()
    (b,) = con.execute("SELECT count(*) FROM branches").fetchone()
    assert n == b * MONTHS * len(contract.TARGET_METRICS)


def test_command_line_writes_every_table(tmp_path: Path) -> None:
    assert main(["--customers", "300", "--months", "3", "--seed", "1", "--end-month", "2025-02",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    for t in contract.SOURCE_TABLES:
        assert (tmp_path / f"{t.name}.parquet").exists()
    truth = pq.read_table(tmp_path / "_truth" / "customer_truth.parquet")
    assert truth.num_rows == 300
    months = pq.read_table(tmp_path / "holdings.parquet")["month_date"].to_pylist()
    assert str(min(months)) == "2024-12-01" and str(max(months)) == "2025-02-01"


def test_campaign_response_follows_the_recorded_drivers(
    gen_dirs: dict[str, Path], con: duckdb.DuckDBPyConnection
) -> None:
    truth = json.loads((gen_dirs["a"] / "_truth" / "ground_truth.json").read_text(encoding="utf-8"))
    drivers = truth["response_drivers"]
    assert drivers["income_band"]["direction"] == "positive" and drivers["age"]["direction"] == "negative"
    from sklearn.linear_model import LogisticRegression

    x = con.execute(
        """SELECT c.responded::INT AS y, t.income_index, t.age, t.product_count
           FROM campaign_contacts c JOIN truth t USING (customer_id) WHERE c.contacted"""
    ).fetchnumpy()
    assert x["y"].sum() >= 30
    features = np.column_stack([x[k] for k in ("income_index", "age", "product_count")]).astype(float)
    features = (features - features.mean(0)) / features.std(0)
    income, age, products = LogisticRegression().fit(features, x["y"]).coef_[0]
    assert income > 0.2 and age < -0.1 and products > 0.1
