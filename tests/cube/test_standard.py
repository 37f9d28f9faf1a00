"""The standard dashboard queries agree with an independent pandas computation, to the cent."""

from __future__ import annotations

import pytest

from cube import engine
from cube.api import Scope
from cube.standard_queries import STANDARD_QUERIES
from tests.cube import reference
from tests.cube.helpers import assert_frames_match


@pytest.fixture(scope="module")
def customer_month(tiny_con):
    return tiny_con.sql("SELECT * FROM customer_month").df()


@pytest.mark.parametrize("sq", STANDARD_QUERIES, ids=lambda s: s.name)
def test_standard_query_matches_pandas(sq, scored, tiny_source, customer_month):
    q = sq.query
    got = engine.execute(q, Scope.all(), use_cache=False).frame
    want = reference.evaluate(q, reference.flat(q.cube, tiny_source, customer_month, scored[1]))
    assert len(got) > 0
    assert_frames_match(got, want, q.dimensions, q.measures)


def test_standard_queries_have_unique_names_and_cover_the_views_to_come():
    names = [s.name for s in STANDARD_QUERIES]
    assert len(names) == len(set(names))
    # built views declare their own queries (cube.views.*; checked in test_branches_view.py
    # and test_overview.py); the standard suite stands in for the views not built yet
    pages = {s.page for s in STANDARD_QUERIES}
    assert pages >= {"customers", "segmentation", "products", "channels", "campaigns"}
    assert not pages & {"overview", "branches"}
