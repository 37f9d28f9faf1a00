"""The loop's fixtures give each test its own store on both engines, with the users it needs."""

from __future__ import annotations

from data import ops_store
from marketing.acting import scope_of


def test_each_test_has_its_own_store_with_the_loop_users(loop_users) -> None:
    con = ops_store.connect()
    try:
        names = {r[0] for r in con.execute("SELECT username FROM users").fetchall()}
        assert con.execute("SELECT count(*) FROM campaigns").scalar() == 0
    finally:
        con.close()
    assert names == {"admin", "analyst", "head", "head2", "branch", "rm", "rm2", "presenter"}
    assert scope_of(loop_users.rm).rows[0].ids == (loop_users.manager_id,)
    assert scope_of(loop_users.head).identities == ()
