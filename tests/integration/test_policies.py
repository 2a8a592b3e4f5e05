"""Reactions handed the same event twice (a patrol logged twice under one id, a message
replayed by hand) change nothing the second time: their commands are idempotent besides
being recorded with their position (tests/integration/test_reaction_crash.py)."""

from __future__ import annotations

import base64
import os

from contracts import Payload
from contracts.evaluation import RatingIssueRated
from contracts.grid import PatrolLogged, PatrolProblem, WhistleBlown
from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.domain.issue import Issue
from services.issues.placement import Placement
from services.issues.reactions import PATROLS, RATED, WHISTLED
from shared.bus.envelope import Envelope
from shared.eventstore import open_application
from shared.sealing import Sealer
from shared.settings import Settings
from tests.utils.contract_events import envelope_of
from tests.utils.reactions import react
from tests.utils.store import count_events

ACTOR = {"sub": "w-g03", "role": "grid_worker", "name": ""}


AT = "2026-11-23T09:00:00+00:00"


def envelope(p: Payload) -> Envelope:
    return envelope_of(p, tier="km.a")


def problem(title: str, category: str, raise_issue: bool) -> PatrolProblem:
    return {"title": title, "category": category, "description": "", "node": "km.a",
            "raise_issue": raise_issue}


async def placed(_conn: object, node: str) -> Placement:
    """Where the test's nodes sit; the policies' own tier read model is not running here."""
    return Placement.by_depth(node)


async def raise_at_km_a(app: IssuesApplication) -> Issue:
    issue, _ = app.raise_issue(
        RaiseIssue(node="km.a", title="t", description="", category="safety", channel="app",
                   location=None, photos=[], contact=None),
        reporter="r", meta={"actor": ACTOR}, placement=await placed(None, "km.a"))
    return issue


def issues_app(settings: Settings) -> IssuesApplication:
    return open_application(IssuesApplication, settings.database_url,
                            sealer=Sealer(base64.urlsafe_b64encode(os.urandom(32)).decode()))


async def test_a_patrol_handed_over_twice_raises_its_issues_once(settings: Settings) -> None:
    app = issues_app(settings)
    try:
        policy = PATROLS.bind(app, place=placed)
        logged = envelope(PatrolLogged(
            node="km.a", worker="w-g03", households_visited=3, note="", at=AT, actor=ACTOR,
            problems=[problem("a", "safety", True), problem("b", "safety", False),
                      problem("c", "no-such-category", True)]))
        await react(settings.database_url, policy, [logged])
        await react(settings.database_url, policy, [logged])
        assert count_events(settings.database_url, "issues") == 2  # raised, triaged
    finally:
        app.close()


async def test_a_whistle_handed_over_twice_is_recorded_once(settings: Settings) -> None:
    app = issues_app(settings)
    try:
        issue = await raise_at_km_a(app)
        blown = envelope(WhistleBlown(
            node="km.a", situation="law_enforcement", title="t", issue_id=str(issue.id),
            departments=["km-cgj"], summons={"km-cgj": AT}, mode="daily", at=AT,
            actor=ACTOR))
        policy = WHISTLED.bind(app)
        await react(settings.database_url, policy, [blown])
        await react(settings.database_url, policy, [blown])
        assert app.get_issue(issue.id).whistles == [blown.subject]
        assert count_events(settings.database_url, "issues") == 3
    finally:
        app.close()


async def test_an_unsatisfied_rating_handed_over_twice_reopens_once(settings: Settings) -> None:
    app = issues_app(settings)
    try:
        issue = await raise_at_km_a(app)
        app.acknowledge(issue.id, "", {"actor": ACTOR})
        app.resolve(issue.id, "done", [], {"actor": ACTOR})
        rated = envelope(RatingIssueRated(
            issue_id=str(issue.id), round=1, rater="r", verdict="unsatisfied", comment="",
            node="km.a", handling_node="km.a", category="safety", at=AT, actor=ACTOR))
        policy = RATED.bind(app, place=placed)
        await react(settings.database_url, policy, [rated])
        await react(settings.database_url, policy, [rated])
        reopened = app.get_issue(issue.id)
        assert (reopened.status, reopened.round, reopened.reopenings) == ("reopened", 2, 1)
        assert count_events(settings.database_url, "issues") == 5
    finally:
        app.close()
