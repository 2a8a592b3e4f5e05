"""The lines residents read about their issues (services/issues/projections/resident_feed.py)."""

from __future__ import annotations

import pytest

from services.issues.projections.resident_feed import summary
from tests.utils.issue_events import IssueStory

AT = "2026-11-01T08:00:00+00:00"


@pytest.mark.parametrize(("name", "data", "line"), [
    ("raised", {}, "已收到您反映的问题"),
    ("triaged", {"category": "environment", "level": "community", "handling_node": "km",
                 "departments": [], "ack_by": AT, "resolve_by": AT, "mode": "daily",
                 "reason": ""}, "已分拨，由社区办理"),
    ("acknowledged", {"note": "收到"}, "已受理"),
    ("assigned", {"assignee": {"kind": "property_company", "id": "p1", "name": ""},
                  "note": ""}, "已派单，由物业公司办理"),
    ("assigned", {"assignee": {"kind": "grid_worker", "id": "w", "name": "李娟"}, "note": ""},
     "已派单，由李娟办理"),
    ("progress_noted", {"note": " 已清运 ", "photos": []}, "办理进展：已清运"),
    ("resolved", {"resolution": "", "evidence": [], "round": 1, "reporters": []},
     "已办结，请您评价"),
    ("reopened", {"round": 2, "rating_id": "r", "reason": "", "resolve_by": AT},
     "已重新办理（第2轮）"),
    ("merged", {"into": "x"}, "已与同一地点的相同问题合并办理，进展将继续告知您"),
    ("some_future_event", {}, "有新进展"),
])
def test_each_event_reads_as_one_short_line(name: str, data: dict, line: str) -> None:
    assert summary(IssueStory("km", "t", "r").event(name, **data)) == line


def test_a_long_note_is_cut_with_an_ellipsis() -> None:
    line = summary(IssueStory("km", "t", "r").event("progress_noted", note="清" * 100,
                                                    photos=[]))
    assert line.endswith("…") and len(line) < 70
