"""An issue assigned to a volunteer team is worked on by its members (issue 12): they see it,
add progress and resolve it; a volunteer outside the team is refused and writes nothing. The
issues service learns the team's members from the volunteers service's events."""

from __future__ import annotations

from services.issues.bootstrap import create_app as issues_app
from shared.settings import Settings
from tests.utils.huayin import (
    ELDER,
    P2,
    STAFF,
    ZHHSC,
    form_vanguard,
    member,
    ok,
    refused,
    register_members,
    volunteers_service,
)
from tests.utils.serve import serve
from tests.utils.wait import eventually


async def test_a_teams_members_work_on_the_issue_assigned_to_it(settings: Settings) -> None:
    async with volunteers_service(settings) as volunteers, serve(issues_app(settings)) as issues:
        await register_members(volunteers.api)
        team = await form_vanguard(volunteers.api)
        raised = await eventually(lambda: issues.post("/v1/issues", headers=ELDER, json={
            "node": ZHHSC, "title": "楼道灯坏了", "category": "environment.littering",
            "channel": "app"}), lambda r: r.status_code == 201, timeout=60)
        issue = raised.json()["id"]
        ok(await issues.post(f"/v1/issues/{issue}/acknowledge", headers=STAFF, json={}))
        ok(await issues.post(f"/v1/issues/{issue}/assign", headers=STAFF, json={
            "assignee": {"kind": "volunteer_team", "id": team, "name": "党员先锋队"}}))

        outsider = member("p-hy-outsider")
        refused(await issues.post(f"/v1/issues/{issue}/progress", headers=outsider,
                                  json={"note": "我来看看"}), 403, "volunteer team")

        # The member may act once the issues service has seen the team's events.
        await eventually(lambda: issues.post(f"/v1/issues/{issue}/progress",
                                             headers=member(P2),
                                             json={"note": "先锋队已到场更换灯泡"}),
                         lambda r: r.status_code == 200, timeout=30)
        done = ok(await issues.post(f"/v1/issues/{issue}/resolve", headers=member(P2),
                                    json={"resolution": "灯已修好"}))
        assert done["status"] == "resolved"
        after = ok(await issues.get(f"/v1/issues/{issue}", headers=member(P2)))
        types = [h["type"] for h in after["history"]]
        # One progress note (the member's; the outsider's refusal wrote nothing), then resolved.
        assert types[-2:] == ["gongzhi.issue.progress_noted.v1", "gongzhi.issue.resolved.v2"]
        assert types.count("gongzhi.issue.progress_noted.v1") == 1
