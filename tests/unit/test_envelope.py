"""Reading a stored event into the public envelope."""

from __future__ import annotations

import json

from shared.bus.envelope import from_stored

STATE = {
    "originator_id": {"_type_": "uuid_hex", "_data_": "6f714407e41b595f9f245f923489905a"},
    "originator_version": 1,
    "timestamp": {"_type_": "datetime_iso", "_data_": "2026-11-22T06:49:31.269976+00:00"},
    "originator_topic": "gongzhi.issue",
    "tier": "km.guandu",
    "meta": {"actor": {"sub": "r1", "role": "resident"}, "traceparent": "00-ab-cd-01"},
    "node": "km.guandu",
    "title": "路灯不亮",
    "contact_sealed": "gz1:secret",
    "fingerprint": "sha256-of-the-request-including-the-phone",
}


def envelope():
    return from_stored("issues", "6f714407-e41b-595f-9f24-5f923489905a", 1,
                       "gongzhi.issue.raised.v1", json.dumps(STATE).encode())


def test_lifts_bookkeeping_into_attributes() -> None:
    e = envelope()
    assert e.type == "gongzhi.issue.raised.v1"
    assert e.source == "/gongzhi/issues" and e.service == "issues"
    assert e.subject == "6f714407-e41b-595f-9f24-5f923489905a" and e.seq == 1
    assert e.time == "2026-11-22T06:49:31.269976+00:00"
    assert e.tier == "km.guandu" and e.traceparent == "00-ab-cd-01"


def test_id_is_stable_for_the_stored_event() -> None:
    assert envelope().id == envelope().id == "6f714407-e41b-595f-9f24-5f923489905a/1"


def test_private_fields_never_leave_the_service() -> None:
    data = envelope().data
    assert "contact_sealed" not in data and "fingerprint" not in data and "meta" not in data
    assert data == {"node": "km.guandu", "title": "路灯不亮",
                    "actor": {"sub": "r1", "role": "resident"}}
