"""The model is sound: validation rules pass, and they catch what they are for."""

from __future__ import annotations

import dataclasses

from cube import api
from cube.model import CUBES
from cube.model.base import Dimension, Measure, Part
from cube.model.validation import validate


def test_model_validates():
    problems = validate()
    assert problems == [], "\n".join(map(str, problems))


def test_rules_report_all_problems_at_once():
    c = CUBES["customers"]
    broken = dataclasses.replace(
        c,
        measures=(
            *c.measures,
            Measure("bad", "Bad", "", "weird", Part("sum", "no_such_column")),
            Measure("r", "R", "比", "percent", numerator="x", denominator="aum"),
        ),
        dimensions=(*c.dimensions, Dimension("ghost", "Ghost", "鬼", "ghost_col")),
    )
    msgs = "\n".join(map(str, validate([broken])))
    assert "no_such_column" in msgs and "ghost_col" in msgs
    assert "weird" in msgs and "labels" in msgs and "unknown measure 'x'" in msgs


def test_model_api_for_uis():
    assert set(api.cubes()) >= {"customers", "transactions", "holdings", "campaigns", "targets"}
    m = api.members("customers", "zh")
    assert {"customers.aum", "customers.branch"} <= set(m["member"])
    assert m.loc[m["member"] == "customers.aum", "label"].item() == "管理资产(AUM)"
    assert api.hierarchies("customers")["org"] == (
        "customers.region",
        "customers.branch",
        "customers.manager",
    )
    assert api.member_label("transactions.channel", "en") == "Channel"


def test_every_member_has_both_labels():
    for cube in CUBES.values():
        for m in (*cube.measures, *cube.dimensions):
            assert m.label_en and m.label_zh, f"{cube.name}.{m.name}"
