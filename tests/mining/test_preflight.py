"""A run that cannot work on the data says why, in words a user can act on, before any model
is fitted: a bank without closed customers cannot train churn, one without campaign contacts
cannot train response; too few customers, or fewer than the segments asked for, are refused;
and the parameters a user types are checked with a message naming the allowed range."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mining import preflight, runs
from mining.errors import RunRefused

BARE_CUSTOMERS = 400
BARE_MONTHS = 14


@pytest.fixture(scope="module")
def bare_home(demo_home, tmp_path_factory):
    """A small generated bank in which no customer ever closed and no campaign contacted
    anyone (the generator's files, edited), loaded into its own home."""
    from data.generator import generate
    from data.load import load

    home = tmp_path_factory.mktemp("bare_bank")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MAMS_HOME", str(home))
        source = home / "source"
        generate(source, customers=BARE_CUSTOMERS, months=BARE_MONTHS, seed=5)
        customers = pq.read_table(source / "customers.parquet")
        closed = pa.compute.equal(customers["status"], "closed")
        customers = customers.set_column(
            customers.schema.get_field_index("status"),
            "status",
            pa.compute.if_else(closed, pa.scalar("active"), customers["status"]),
        )
        index = customers.schema.get_field_index("close_date")
        customers = customers.set_column(
            index, customers.schema.field(index), pa.nulls(len(customers), customers["close_date"].type)
        )
        pq.write_table(customers, source / "customers.parquet")
        contacts = pq.read_table(source / "campaign_contacts.parquet")
        pq.write_table(contacts.slice(0, 0), source / "campaign_contacts.parquet")
        load(source)
    return home


@pytest.fixture
def bare_bank(bare_home, monkeypatch):
    monkeypatch.setenv("MAMS_HOME", str(bare_home))
    return bare_home


def _refusal(kind: str, params: dict | None = None) -> RunRefused:
    with pytest.raises(RunRefused) as caught:
        runs.run(kind, params, created_by="ann")
    return caught.value


def test_churn_on_data_without_closures_says_it_cannot_be_trained(bare_bank):
    refusal = _refusal("churn")
    assert refusal.key == "churn.no_closures"
    assert str(refusal) == "no customer closed their relationship in the data, so churn cannot be trained"
    row = runs.list_runs("churn").iloc[0]
    assert row["status"] == "failed" and row["metrics"]["error"]["key"] == "churn.no_closures"
    assert row["message"] == str(refusal) and row["created_by"] == "ann"


def test_response_without_campaign_contacts_says_it_cannot_be_trained(bare_bank):
    refusal = _refusal("response")
    assert refusal.key == "response.no_contacts"
    assert refusal.params["campaigns"] > 0


def test_churn_with_too_long_a_horizon_for_the_months_held(bare_bank):
    refusal = _refusal("churn", {"horizon": 6})
    assert refusal.key == "churn.too_few_months"
    assert refusal.params == {"horizon": 6, "needed": 18, "months": BARE_MONTHS}


def test_the_other_models_still_run_on_that_bank(bare_bank):
    result = runs.run("segmentation", {"n_clusters": 3, "compare_months_back": 0})
    assert result.status == "succeeded"


def test_segmentation_with_fewer_customers_than_segments(bare_bank, monkeypatch):
    monkeypatch.setattr(preflight, "_open_customers", lambda con, month: 4)
    refusal = _refusal("segmentation", {"n_clusters": 5})
    assert refusal.key == "segmentation.fewer_than_k" and refusal.params["customers"] == 4
    refusal = _refusal("segmentation", {"n_clusters": None})
    assert refusal.key == "data.too_few_rows" and refusal.params["count"] == 4


def test_any_model_with_too_few_rows(bare_bank, monkeypatch):
    monkeypatch.setattr(preflight, "MIN_ROWS", BARE_CUSTOMERS * 10)
    for kind in ("value", "segmentation"):
        refusal = _refusal(kind)
        assert refusal.key == "data.too_few_rows"
        assert refusal.params["minimum"] == BARE_CUSTOMERS * 10


def test_crosssell_with_too_few_customers_or_no_product_with_enough_holders(bare_bank, monkeypatch):
    monkeypatch.setattr(preflight, "MIN_HOLDERS", BARE_CUSTOMERS + 1)
    assert _refusal("crosssell").key == "crosssell.no_product"
    assert _refusal("crosssell", {"products": ["NOPE"]}).key == "crosssell.unknown_products"
    monkeypatch.setattr(preflight, "MIN_CROSSSELL_CUSTOMERS", BARE_CUSTOMERS + 1)
    refusal = _refusal("crosssell")
    assert refusal.key == "crosssell.too_few_customers" and refusal.params["minimum"] == BARE_CUSTOMERS + 1


def test_the_demo_bank_passes_every_check(demo_home):
    from data import warehouse

    con = warehouse.open_readonly().cursor()
    for kind in preflight.CHECKS:
        preflight.check(con, kind, preflight.validate_params(kind, {}))


@pytest.mark.parametrize(
    ("kind", "params", "key"),
    [
        ("segmentation", {"n_clusters": 1}, "params.k"),
        ("segmentation", {"n_clusters": 11}, "params.k"),
        ("segmentation", {"n_clusters": 3.5}, "params.k"),
        ("segmentation", {"n_factors": "many"}, "params.factors"),
        ("value", {"potential_gap": -1}, "params.gap"),
        ("crosssell", {"min_support": 0}, "params.support"),
        ("crosssell", {"min_confidence": 1.5}, "params.confidence"),
        ("crosssell", {"products": []}, "params.products_empty"),
        ("churn", {"horizon": 0}, "params.horizon"),
        ("churn", {"horizon": 13}, "params.horizon"),
        ("response", {"product_category": "yachts"}, "params.category"),
        ("response", {"channel_code": "pigeon"}, "params.channel"),
    ],
)
def test_invalid_parameters_name_the_allowed_range(kind, params, key):
    with pytest.raises(RunRefused) as caught:
        preflight.validate_params(kind, params)
    assert caught.value.key == key


def test_valid_parameters_get_their_defaults():
    assert preflight.validate_params("segmentation", {"n_clusters": "auto"}) == {
        "n_clusters": None,
        "n_factors": 4,
    }
    assert preflight.validate_params("segmentation", {"n_clusters": "4", "n_factors": 3}) == {
        "n_clusters": 4,
        "n_factors": 3,
    }
    assert preflight.validate_params("churn", {}) == {"horizon": 3}
    assert preflight.validate_params("crosssell", {"products": ["WM01", "CC01"]})["products"] == [
        "CC01",
        "WM01",
    ]
    assert preflight.validate_params("response", {"product_category": ""}) == {}
