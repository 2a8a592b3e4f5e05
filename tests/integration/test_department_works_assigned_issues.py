"""A department works the issues assigned to it: its staff note progress and resolve them
(the board's 干事); another department's staff, or one the issue is not assigned to, are
refused with the reason, and nothing is written."""

from __future__ import annotations

from tests.integration.test_issues_api import COMMUNITY, raise_issue
from tests.integration.test_refusals import assert_problem
from tests.utils.store import count_events
from tests.utils.tokens import bearer

CGJ = bearer("department_staff", "km.guandu", sub="p-cgj", department="km-cgj")
GAJ = bearer("department_staff", "km.guandu", sub="p-gaj", department="km-gaj")


async def test_the_assigned_department_notes_progress_and_resolves(issues_api,
                                                                  settings) -> None:
    issue = await raise_issue(issues_api)
    base = f"/v1/issues/{issue['id']}"
    # Not yet assigned to anyone: no department works it.
    before = count_events(settings.database_url, "issues")
    r = await issues_api.post(f"{base}/progress", json={"note": "已派人"}, headers=CGJ)
    assert_problem(r, 403, "assigned to their department")
    assert count_events(settings.database_url, "issues") == before

    assert (await issues_api.post(f"{base}/acknowledge", json={}, headers=COMMUNITY)).is_success
    r = await issues_api.post(f"{base}/assign", headers=COMMUNITY, json={
        "assignee": {"kind": "department", "id": "km-cgj", "name": "城管局"}})
    assert r.status_code == 200, r.text

    before = count_events(settings.database_url, "issues")
    r = await issues_api.post(f"{base}/progress", json={"note": "明早清运"}, headers=GAJ)
    assert_problem(r, 403, "assigned to their department")
    r = await issues_api.post(f"{base}/resolve", json={"resolution": "x"}, headers=GAJ)
    assert_problem(r, 403, "assigned to their department")
    assert count_events(settings.database_url, "issues") == before

    r = await issues_api.post(f"{base}/progress", json={"note": "明早清运"}, headers=CGJ)
    assert r.status_code == 200, r.text
    r = await issues_api.post(f"{base}/resolve", json={"resolution": "已清运"}, headers=CGJ)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resolved"
    # Still only progress and resolution: the rest of handling stays with the tiers.
    r = await issues_api.post(f"{base}/close", json={}, headers=CGJ)
    assert_problem(r, 403, "department_staff may not")
