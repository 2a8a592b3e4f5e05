"""A v1 event in the log reads as v2 everywhere: `gongzhi.issue.resolved.v1`, stored as the
service wrote it before v2 (no round, reporters or at), reaches a consumer as
`gongzhi.issue.resolved.v2` through the embedded transport and through the Kafka relay, and
the issue it belongs to still loads (eventsourcing upcasts it) and resolves as v2 from now
on."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.persistence import StoredEvent

import contracts
from contracts.issues import IssueResolved
from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.placement import Placement
from shared.bus.embedded import EmbeddedConsumer
from shared.bus.envelope import Envelope
from shared.bus.kafka import KafkaConsumer
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings
from tests.kafka.helpers import META, relay_for, relay_until

NODE = "km.a.s1.c1"
STORED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
V1 = "gongzhi.issue.resolved.v1"


def issues_app(settings: Settings) -> IssuesApplication:
    return open_application(IssuesApplication, settings.database_url,
                            sealer=Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode()))


def store_a_v1_resolution(app: IssuesApplication) -> UUID:
    """An issue raised and acknowledged today, then resolved by a v1 event as it was stored
    before `round`, `reporters` and `at` were added: written into the log row as it was."""
    cmd = RaiseIssue(node=NODE, title="路灯不亮", description="", category="safety",
                     channel="app", location=None, photos=[], contact=None)
    issue, _ = app.raise_issue(cmd, reporter="r-1", meta=META,
                               placement=Placement.by_depth(NODE))
    app.acknowledge(issue.id, "", META)
    version = app.repository.get(issue.id).version
    state = app.mapper.transcoder.encode({
        "timestamp": STORED_AT, "tier": NODE, "meta": META,
        "resolution": "已修复", "evidence": []})
    app.recorder.insert_events([StoredEvent(originator_id=issue.id,
                                            originator_version=version + 1, topic=V1,
                                            state=state)])
    return issue.id


def assert_read_as_v2(envelopes: list[Envelope], issue_id: UUID) -> None:
    [resolved] = [e for e in envelopes
                  if e.subject == str(issue_id) and "resolved" in e.type]
    assert resolved.type == IssueResolved.TYPE == "gongzhi.issue.resolved.v2"
    p = IssueResolved.of(resolved)
    assert (p.resolution, p.round, p.reporters) == ("已修复", 1, [])
    assert datetime.fromisoformat(p.at) == STORED_AT  # the stored time stands in for `at`
    assert p.actor == META["actor"]
    assert "class_version" not in resolved.data


async def no_positions() -> dict[str, int]:
    return {}


async def test_a_stored_v1_event_reads_as_v2_on_both_transports(
        kafka_settings: Settings) -> None:
    app = issues_app(kafka_settings)
    try:
        issue_id = store_a_v1_resolution(app)
        head = app.recorder.max_notification_id()
    finally:
        app.close()

    embedded = EmbeddedConsumer(kafka_settings.database_url, ("issues",), poll_seconds=0.1)
    read = [d.decode() async for batch in embedded.batches(no_positions, follow=False)
            for d in batch]
    assert_read_as_v2(read, issue_id)

    await relay_until(relay_for(kafka_settings), head, kafka_settings)
    kafka = KafkaConsumer(kafka_settings.kafka_bootstrap, ("issues",),
                          namespace=kafka_settings.kafka_namespace, group_id="unused",
                          poll_seconds=0.2)
    read = [d.decode() async for batch in kafka.batches(no_positions, follow=False)
            for d in batch]
    assert_read_as_v2(read, issue_id)
    assert {d.type for d in read} <= set(contracts.REGISTRY), "an old type left the relay"


def test_the_issue_loads_from_its_v1_event_and_resolves_as_v2_from_now_on(
        settings: Settings) -> None:
    app = issues_app(settings)
    try:
        issue_id = store_a_v1_resolution(app)
        issue = app.repository.get(issue_id)
        assert issue.status == "resolved"
        assert issue.resolution == {"text": "已修复", "evidence": [], "round": 1}

        issue.reopen_after_rating(1, "rating-1", STORED_AT.isoformat(), max_reopenings=2,
                                  at=STORED_AT, meta=META)
        issue.assign({"kind": "grid_worker", "id": "w-1", "name": "李"}, "", STORED_AT, META)
        issue.resolve("再次修复", [], STORED_AT, META)
        app.save(issue)

        stored = list(app.recorder.select_events(issue_id))
        assert [e.topic for e in stored if "resolved" in e.topic] == [V1, IssueResolved.TYPE]
        again = app.repository.get(issue_id)
        assert again.resolution == {"text": "再次修复", "evidence": [], "round": 2}
        assert again.round == 2
    finally:
        app.close()
