"""Concurrent commands share transactions, and a conflict in a shared batch fails only the
command that lost."""

from __future__ import annotations

import base64
import os
import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from uuid import uuid4

import psycopg

from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.domain.issue import Issue
from services.issues.placement import Placement
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings

META = {"actor": {"sub": "t", "role": "admin", "name": ""}}
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CMD = RaiseIssue(node="km.a", title="t", description="", category="safety", channel="app",
                 location=None, photos=[], contact=None)


def open_issues(settings: Settings) -> IssuesApplication:
    return open_application(IssuesApplication, settings.database_url,
                            sealer=Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode()))


def test_concurrent_commands_share_transactions_and_all_commit(settings: Settings) -> None:
    app = open_issues(settings)
    try:
        barrier = threading.Barrier(24)

        def work() -> None:
            barrier.wait()
            for _ in range(10):
                app.raise_issue(CMD, reporter="r", meta=META,
                                placement=Placement.by_depth(CMD.node))

        threads = [threading.Thread(target=work) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert app.writer.commands == 240
        assert app.writer.batches < 240  # some commands shared a transaction
        with psycopg.connect(settings.database_url) as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT notification_id FROM issues.issues_events ORDER BY 1").fetchall()]
        # Each raise stores two events (raised, triaged): 480, in order, with no gaps.
        assert len(ids) == 480 and ids == list(range(ids[0], ids[0] + 480))
    finally:
        app.close()


def test_a_conflict_in_a_shared_batch_fails_only_the_loser(settings: Settings) -> None:
    app = open_issues(settings)
    try:
        issue, _ = app.raise_issue(CMD, reporter="r", meta=META,
                                   placement=Placement.by_depth(CMD.node))
        # Two stale copies of one issue both acknowledge it, in one batch with a new issue:
        # the first acknowledgement and the new issue commit; only the second fails.
        first, second = app.get_issue(issue.id), app.get_issue(issue.id)
        first.acknowledge("a", T0, META)
        second.acknowledge("b", T0, META)
        fresh = Issue(id=uuid4(), node="km.a", title="t", description="", category="safety",
                      channel="app", location=None, photos=[], contact_sealed=None,
                      reporter="x", fingerprint="f", tier="km.a", meta=META)
        batch = [(agg.collect_events(), Future()) for agg in (first, fresh, second)]
        app.writer._flush(batch)  # exactly what the writer thread does with a full queue
        outcomes = [type(done.exception()).__name__ if done.exception() else "ok"
                    for _, done in batch]
        assert outcomes == ["ok", "ok", "IntegrityError"]
        assert app.get_issue(issue.id).status == "acknowledged"
        assert app.get_issue(fresh.id).reporter == "x"
    finally:
        app.close()
