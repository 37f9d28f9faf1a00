"""One plan per shape of scope: SQL bound from a template is the SQL compiled directly, results
agree, and plans compiled on one thread serve another (published-score views included)."""

from __future__ import annotations

import threading

import ibis
import pytest

from cube import connection, engine, routing, scope_template
from cube.api import Query, Scope, execute
from cube.compile import compile_query
from cube.query import Grant
from cube.resolve import resolve
from cube.standard_queries import view_queries, view_states


def _direct_sql(query: Query, scope: Scope) -> str:
    rq, con = resolve(query), connection.backend()
    expr, _, _ = compile_query(rq, scope, con, routing.route(rq, scope, con))
    return str(ibis.to_sql(expr, pretty=False))  # as the engine compiles


def test_template_replaces_each_row_grant_id_by_its_own_sentinel():
    s = scope_template.SENTINEL_BASE
    shape, binding = scope_template.template(Scope.of("region", (3, 4)))
    assert shape == Scope((Grant("region", (s, s - 1)),))
    assert binding == {s: 3, s - 1: 4}
    # every branch manager's scope has the same shape
    seven, nine = (scope_template.template(Scope.of("branch", b))[0] for b in (7, 9))
    assert seven == nine


@pytest.mark.parametrize(
    "scope",
    [
        Scope.all(),
        Scope.none(),
        Scope((Grant("category", ("loan",)),)),  # a product category: not an integer id
        Scope((Grant("branch", (True,)),)),  # a bool is not an id (security denies it)
        Scope((Grant("branch", tuple(range(scope_template.MAX_IDS + 1))),)),
        Scope((Grant("all"), Grant("branch", (1,)))),
    ],
)
def test_scopes_without_plain_ids_are_compiled_directly(scope):
    assert scope_template.template(scope) is None


def test_bind_refuses_sql_without_the_sentinel_and_leaves_longer_numbers_alone():
    s = scope_template.SENTINEL_BASE
    assert scope_template.bind('"branch_id" IN (1)', {s: 5}) is None
    bound = scope_template.bind(f'"branch_id" IN ({s}) AND x = {s}9', {s: 5})
    assert bound == f'"branch_id" IN (5) AND x = {s}9'
    assert scope_template.bind(f"IN ({s}, {s - 1})", {s: 5}) is None  # a sentinel left unbound


def _bank_queries() -> list[Query]:
    """The aggregate queries the built views declare for the bank (drill-through filters aside)."""
    bank = {"bank": view_states(Scope.all())["bank"]}
    queries = (vq.query for vq in view_queries(Scope.all(), bank) if vq.query.measures or vq.query.dimensions)
    return list(dict.fromkeys(queries))


SCOPES = [
    Scope.of("branch", 101),
    Scope.of("region", (1, 2), identities=False),
    Scope.of("manager", 3),  # through the customers table: never a rollup
    Scope((Grant("branch", (101, 102)), Grant("category", ("loan",)))),  # compiled directly
]


@pytest.mark.slow
def test_bound_sql_is_the_directly_compiled_sql_for_every_declared_bank_query(demo_home):
    queries = _bank_queries()
    assert len(queries) > 30
    compared = 0
    for scope in SCOPES:
        shaped = scope_template.template(scope)
        for query in queries:
            direct = _direct_sql(query, scope)
            if shaped is None:
                continue
            assert scope_template.bind(_direct_sql(query, shaped[0]), shaped[1]) == direct, query
            compared += 1
    assert compared == 3 * len(queries)


def test_second_branch_binds_the_first_ones_plans_and_gets_its_own_figures(demo_home, monkeypatch):
    monkeypatch.setattr(engine, "_plans", type(engine._plans)())
    queries = _bank_queries()[:12]
    for q in queries:
        execute(q, Scope.of("branch", 101), use_cache=False)
    compiled, bound = engine.stats["plans_compiled"], engine.stats["plans_bound"]
    fast = [execute(q, Scope.of("branch", 102), use_cache=False) for q in queries]
    assert engine.stats["plans_compiled"] == compiled  # nothing compiled for the second branch
    assert engine.stats["plans_bound"] == bound + len(queries)
    monkeypatch.setattr(scope_template, "template", lambda scope: None)  # compile directly
    monkeypatch.setattr(engine, "_plans", type(engine._plans)())
    for q, result in zip(queries, fast, strict=True):
        direct = execute(q, Scope.of("branch", 102), use_cache=False)
        assert result.sql == direct.sql
        assert result.frame.equals(direct.frame), q


def test_a_plan_made_on_one_thread_runs_on_another_with_its_published_score_views(scored, monkeypatch):
    monkeypatch.setattr(engine, "_plans", type(engine._plans)())
    query = Query("customers", ("customers.customers",), ("customers.segment",))
    here = execute(query, Scope.of("branch", 1), use_cache=False)
    plans = list(engine._plans.values())  # the branch's shape, and the branch bound from it
    assert len(plans) == 2 and all(p.views == plans[0].views for p in plans)
    assert plans[0].views  # it reads published files
    assert all(f'"{name}"' in here.sql for _path, name in plans[0].views)
    compiled = engine.stats["plans_compiled"]
    out: dict = {}

    def other_thread():  # a new thread: its own DuckDB cursor, where no view is registered yet
        out["result"] = execute(query, Scope.of("branch", 1), use_cache=False)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert engine.stats["plans_compiled"] == compiled  # the plan was shared, not compiled again
    assert out["result"].frame.equals(here.frame)
