"""The marketing loop end to end in headless Chromium, on the demo data, as each role does it:

1. the analyst builds a customer group with the filter builder (a branch, and AUM at least a
   floor) and saves it;
2. the analyst creates a campaign on it with a 10% control group and submits it;
3. the head of marketing approves it (four eyes) and starts it;
4. the relationship manager finds it on their work list and records a contact (reached,
   accepted, a product and an amount);
5. the analyst imports a call centre's file of outcomes and a product system's file of take-ups
   (control members included: that is how the control arm's response is measured), and closes
   the campaign;
6. the evaluation the page shows (contact rate, success rate, uplift, its interval and p-value)
   equals a pandas computation from the rows stored in the operational store.

Along the way: no control member is ever on the campaign's work lists (never assigned).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import time
import uuid

import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from auth import users
from data import paths
from tests.app.browser import read, severe_logs, sign_in, url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Z95 = 1.959963984540054


def _pick(dash_duo, selector: str, contains: str, timeout: float = 20) -> None:
    """Choose the option of a dcc.Dropdown whose text contains ``contains`` (opening it again
    while a callback is still replacing it)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            dash_duo.find_element(selector).click()
            time.sleep(0.3)
            for option in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
                if contains in option.text:
                    option.click()
                    dash_duo.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
                    return
            dash_duo.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        except Exception:  # noqa: BLE001 - the dropdown is being re-rendered: try again
            pass
        time.sleep(0.5)
    raise AssertionError(f"no option with {contains!r} in {selector}")


def _click(dash_duo, selector: str) -> None:
    """Press a button wherever it is on the long page (scrolled into view, so nothing lies over it)."""
    button = dash_duo.find_element(selector)
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", button
    )


def _type(dash_duo, selector: str, text: str) -> None:
    field = dash_duo.find_element(selector)
    field.clear()
    field.send_keys(text)


def _set_value(dash_duo, selector: str, value: str) -> None:
    """Set an input React controls (a date input) as typing would."""
    dash_duo.driver.execute_script(
        "const el = document.querySelector(arguments[0]);"
        "Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, arguments[1]);"
        "el.dispatchEvent(new Event('input', {bubbles: true}));"
        "el.dispatchEvent(new Event('change', {bubbles: true}));"
        "el.dispatchEvent(new Event('blur', {bubbles: true}));",
        selector,
        value,
    )


def _text(dash_duo, ident: str) -> str:
    return dash_duo.find_element(f"#{ident}").text


def _store(sql: str, params: tuple = ()) -> pd.DataFrame:
    con = sqlite3.connect(paths.ops_db_path())
    try:
        return pd.read_sql_query(sql, con, params=params)
    finally:
        con.close()


def _status(dash_duo, word: str) -> None:
    wait_until(lambda: word in _text(dash_duo, "campaigns--status"), f"status {word}", timeout=30)


def _open_campaign(dash_duo, campaign_id: int) -> None:
    dash_duo.driver.get(url(dash_duo, f"/campaigns?id={campaign_id}"))
    dash_duo.wait_for_element("#campaigns--status", timeout=30)


def _expected_evaluation(campaign_id: int) -> dict:
    """Contact and success rates and the uplift, from the stored rows (pandas only)."""
    campaign = _store("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).iloc[0]
    members = _store("SELECT customer_id, arm FROM campaign_members WHERE campaign_id = ?", (campaign_id,))
    contacts = _store("SELECT * FROM campaign_contacts WHERE campaign_id = ?", (campaign_id,))
    takeups = _store("SELECT * FROM campaign_takeups WHERE campaign_id = ?", (campaign_id,))
    offered = set(json.loads(campaign["products"]))
    start, end = pd.Timestamp(campaign["start_date"]), pd.Timestamp(campaign["end_date"])
    targets = members[members["arm"] == "target"]
    reached = set(contacts.loc[contacts["reached"] == 1, "customer_id"])
    accepted_rows = contacts[(contacts["reached"] == 1) & (contacts["outcome"] == "accepted")]
    accepted = set(accepted_rows["customer_id"])
    taken = takeups[
        takeups["product"].isin(offered)
        & (pd.to_datetime(takeups["taken_on"]) >= start)
        & (pd.to_datetime(takeups["taken_on"]) <= end)
    ]
    responded = set(accepted_rows.loc[accepted_rows["product"].notna(), "customer_id"]) | set(
        taken["customer_id"]
    )
    arm = members.set_index("customer_id")["arm"]
    n1, n0 = int((arm == "target").sum()), int((arm == "control").sum())
    x1 = sum(1 for c in responded if arm.get(c) == "target")
    x0 = sum(1 for c in responded if arm.get(c) == "control")
    p1, p0 = x1 / n1, x0 / n0
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    pooled = (x1 + x0) / (n1 + n0)
    z = (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    p_value = math.erfc(abs(z) / math.sqrt(2))
    uplift = p1 - p0
    return {
        "contact_rate": len(reached & set(targets["customer_id"])) / len(targets),
        "success_rate": len(accepted & reached) / len(reached),
        "uplift": uplift,
        "interval": (uplift - Z95 * se, uplift + Z95 * se),
        "p_value": p_value,
        "n1": n1,
        "n0": n0,
    }


def test_the_marketing_loop_end_to_end(dash_duo, mams_app, demo_source, tmp_path):
    branch_id = users.get_user("branch").branch_id
    rm_manager = users.get_user("rm").manager_id
    branch_name = read(demo_source, "branches").set_index("branch_id").loc[branch_id, "name_en"]
    products = read(demo_source, "products")
    product = products.sort_values("product_id").iloc[0]["product_code"]
    group_name = f"Loop e2e {uuid.uuid4().hex[:6]}"
    today = dt.date.today()
    dash_duo.start_server(mams_app.app, navigate=False)

    # 1. the analyst builds and saves a group: the demo branch, AUM at least 1
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/groups"))
    dash_duo.wait_for_element("#groups--field-0", timeout=30)
    dash_duo.select_dcc_dropdown("#groups--field-0", value="Branch")
    _pick(dash_duo, "#groups--value-0", branch_name)
    _click(dash_duo, "#groups--add-condition")
    dash_duo.wait_for_element("#groups--field-1", timeout=10)
    dash_duo.select_dcc_dropdown("#groups--field-1", value="AUM")
    wait_until(lambda: dash_duo.find_elements("input#groups--value-1"), "the AUM input", timeout=20)
    dash_duo.select_dcc_dropdown("#groups--op-1", value="at least")
    _type(dash_duo, "#groups--value-1", "1")
    wait_until(
        lambda: any(ch.isdigit() for ch in _text(dash_duo, "groups--count")), "the live count", timeout=30
    )
    _type(dash_duo, "#groups--name", group_name)
    _click(dash_duo, "#groups--save")
    wait_until(lambda: group_name in _text(dash_duo, "groups--message"), "the saved message", timeout=30)
    group = _store("SELECT id, member_count FROM customer_groups WHERE name = ?", (group_name,)).iloc[0]
    members = _store(
        "SELECT customer_id, branch_id FROM customer_group_members WHERE group_id = ?", (int(group["id"]),)
    )
    assert len(members) == int(group["member_count"]) > 50
    assert set(members["branch_id"]) == {branch_id}

    # 2. the analyst creates a campaign on it with a 10% control group, and submits it
    dash_duo.driver.get(url(dash_duo, "/campaigns"))
    dash_duo.wait_for_element("#campaigns--create", timeout=30)
    name = f"Campaign {group_name}"
    _type(dash_duo, "#campaigns--name", name)
    _type(dash_duo, "#campaigns--objective", "Cross-sell the first product to the branch's customers")
    _pick(dash_duo, "#campaigns--group", group_name)
    _pick(dash_duo, "#campaigns--products", f"({product})")
    _pick(dash_duo, "#campaigns--channels", "Phone banking")
    _set_value(dash_duo, "#campaigns--start", today.isoformat())
    _set_value(dash_duo, "#campaigns--end", (today + dt.timedelta(days=30)).isoformat())
    _type(dash_duo, "#campaigns--budget", "1000000")
    _type(dash_duo, "#campaigns--control-share", "10")
    _click(dash_duo, "#campaigns--create")
    wait_until(lambda: "?id=" in dash_duo.driver.current_url, "the new campaign's page", timeout=30)
    campaign_id = int(dash_duo.driver.current_url.split("?id=")[1].split("&")[0])
    dash_duo.wait_for_element("#campaigns--status", timeout=30)
    arms = _store(
        "SELECT arm, count(*) AS n FROM campaign_members WHERE campaign_id = ? GROUP BY arm", (campaign_id,)
    )
    arms = dict(zip(arms["arm"], arms["n"], strict=True))
    total = sum(arms.values())
    assert total == len(members) and abs(arms["control"] - round(0.1 * total)) <= 1
    _click(dash_duo, "#campaigns--submit")
    _status(dash_duo, "Submitted")

    # 3. the head of marketing approves and starts it
    sign_in(dash_duo, "marketing")
    _open_campaign(dash_duo, campaign_id)
    _click(dash_duo, "#campaigns--approve")
    _status(dash_duo, "Approved")
    _click(dash_duo, "#campaigns--start-run")
    _status(dash_duo, "Running")
    stored = _store("SELECT * FROM campaign_members WHERE campaign_id = ?", (campaign_id,))
    assert stored.loc[stored["arm"] == "control", "manager_id"].isna().all()  # never assigned
    mine = stored[(stored["arm"] == "target") & (stored["manager_id"] == rm_manager)]
    assert len(mine) > 0

    # 4. the relationship manager records a contact from the work list
    sign_in(dash_duo, "rm")
    dash_duo.driver.get(url(dash_duo, "/worklist"))
    dash_duo.wait_for_element("#worklist--campaign", timeout=30)
    Select(dash_duo.find_element("#worklist--campaign")).select_by_value(str(campaign_id))
    wait_until(lambda: dash_duo.find_elements("#worklist--table .ag-row"), "the work list rows", timeout=30)
    listed = [
        int(c.text)
        for c in dash_duo.find_elements('#worklist--table .ag-row .ag-cell[col-id="customer_id"]')
        if c.text.strip().isdigit()
    ]
    controls = set(stored.loc[stored["arm"] == "control", "customer_id"])
    assert listed and not (set(listed) & controls)
    dash_duo.find_elements("#worklist--table .ag-row .ag-cell")[1].click()
    wait_until(
        lambda: Select(dash_duo.find_element("#worklist--channel")).options, "the contact form", timeout=20
    )
    Select(dash_duo.find_element("#worklist--channel")).select_by_value("phone_banking")
    _click(dash_duo, "#worklist--reached")
    Select(dash_duo.find_element("#worklist--outcome")).select_by_value("accepted")
    wait_until(
        lambda: Select(dash_duo.find_element("#worklist--product")).options, "the products", timeout=10
    )
    Select(dash_duo.find_element("#worklist--product")).select_by_value(product)
    _type(dash_duo, "#worklist--amount", "25000")
    _click(dash_duo, "#worklist--save")
    wait_until(
        lambda: "Contact saved" in _text(dash_duo, "worklist--message"), "the saved contact", timeout=30
    )
    recorded = _store("SELECT * FROM campaign_contacts WHERE campaign_id = ?", (campaign_id,))
    assert len(recorded) == 1 and recorded.iloc[0]["manager_id"] == rm_manager
    assert recorded.iloc[0]["outcome"] == "accepted" and recorded.iloc[0]["amount"] == 25000

    # 5. the analyst imports outcomes and take-ups, then closes the campaign
    done = set(recorded["customer_id"])
    targets = [int(c) for c in stored.loc[stored["arm"] == "target", "customer_id"] if c not in done][:40]
    now = dt.datetime.now().replace(microsecond=0)
    rows = []
    for i, customer in enumerate(targets):
        reached = i % 4 != 3
        outcome = ("accepted" if i % 3 == 0 else "declined") if reached else ""
        rows.append(
            {
                "customer_id": customer,
                "channel": "phone_banking",
                "contacted_at": now.isoformat(sep=" "),
                "reached": int(reached),
                "outcome": outcome,
                "product": product if outcome == "accepted" else "",
                "amount": 10000 + i if outcome == "accepted" else "",
                "note": "",
            }
        )
    contacts_file = tmp_path / "call_centre.csv"
    pd.DataFrame(rows).to_csv(contacts_file, index=False)
    control_takers = sorted(controls)[:3]
    takeups_file = tmp_path / "takeups.csv"
    pd.DataFrame(
        {"customer_id": control_takers, "product": product, "amount": 5000, "taken_on": today.isoformat()}
    ).to_csv(takeups_file, index=False)

    sign_in(dash_duo, "analyst")
    _open_campaign(dash_duo, campaign_id)
    upload = dash_duo.wait_for_element("#progress--upload input[type=file]", timeout=30)
    upload.send_keys(str(contacts_file))
    wait_until(
        lambda: "40" in _text(dash_duo, "progress--upload-result"), "the imported contacts", timeout=30
    )
    kind = dash_duo.find_element('#progress--upload-kind input[value="takeups"]')
    dash_duo.driver.execute_script("arguments[0].click();", kind)  # the label lies over the input
    upload = dash_duo.find_element("#progress--upload input[type=file]")
    upload.send_keys(str(takeups_file))
    wait_until(lambda: "3" in _text(dash_duo, "progress--upload-result"), "the imported take-ups", timeout=30)
    assert len(_store("SELECT id FROM campaign_contacts WHERE campaign_id = ?", (campaign_id,))) == 41
    assert len(_store("SELECT customer_id FROM campaign_takeups WHERE campaign_id = ?", (campaign_id,))) == 3
    _click(dash_duo, "#campaigns--close")
    _status(dash_duo, "Closed")

    # 6. the evaluation equals pandas over the stored rows
    _open_campaign(dash_duo, campaign_id)
    dash_duo.wait_for_element("#evaluation--contact-rate", timeout=30)
    want = _expected_evaluation(campaign_id)
    assert _text(dash_duo, "evaluation--contact-rate") == f"{want['contact_rate'] * 100:.2f}%"
    assert _text(dash_duo, "evaluation--success-rate") == f"{want['success_rate'] * 100:.2f}%"
    assert _text(dash_duo, "evaluation--uplift") == f"{want['uplift'] * 100:+.2f} pp"
    low, high = want["interval"]
    assert _text(dash_duo, "evaluation--uplift-interval") == f"[{low * 100:+.2f} pp, {high * 100:+.2f} pp]"
    p = want["p_value"]
    assert _text(dash_duo, "evaluation--p-value") == ("< 0.0001" if p < 0.0001 else f"{p:.4f}")
    assert not severe_logs(dash_duo)
