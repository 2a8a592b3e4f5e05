"""A generated month (and the month before it) of a district: issues across its streets,
whistles summoning departments, residents' ratings and department evaluations.

Fast by design: each aggregate lives its whole life in memory through its own domain
methods, with business times from a schedule, and the services' Applications save them in
chunks (one transaction per chunk) instead of one command per request. The stored events
are the same ones the services' commands store. Streets differ in how well they work, so
their rankings differ; departments differ in how fast they report in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from services.evaluation.application import EvaluationApplication
from services.evaluation.domain.department_evaluation import DepartmentEvaluation, WhistleFacts
from services.evaluation.domain.rating import IssueFacts, Rating
from services.grid.application import DepartmentSpec, GridApplication, NodeSpec
from services.grid.domain.whistle import Whistle, deadlines
from services.issues.application import IssuesApplication
from services.issues.domain.issue import Issue
from services.issues.domain.triage import resolve_again_by, route
from shared.clock import ManualClock
from shared.eventstore import open_application
from shared.sealing import Sealer
from tests.conftest import DATA_KEY

DISTRICT = "km.guandu"
STREETS = {f"{DISTRICT}.s{i}": quality for i, quality in
           enumerate((0.95, 0.85, 0.75, 0.65, 0.55), start=1)}
COMMUNITIES_PER_STREET = 3
DEPARTMENTS = {"km-cgj": 0.6, "km-gaj": 1.2, "km-zjj": 2.5, "km-wjj": 4.0}  # report hours
CATEGORIES = ("environment.garbage", "environment.back_lane", "environment.sewage",
              "public_affairs.occupied_space")
# Issues are raised from 1 October to the end of November (Beijing), so November has a
# previous month to move against; acts spill into December.
FROM = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
SETTLED = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # every act of the month lies before
RATING_WINDOW = timedelta(days=7)
SYSTEM = {"actor": {"sub": "generator", "role": "admin", "name": "generator"}}
CHUNK = 100


def tree() -> list[NodeSpec]:
    nodes = [NodeSpec("km", "city", "昆明市"), NodeSpec(DISTRICT, "district", "官渡区")]
    for i, street in enumerate(STREETS, start=1):
        nodes.append(NodeSpec(street, "street", f"第{i}街道"))
        nodes += [NodeSpec(f"{street}.c{j}", "community", f"第{i}街道第{j}社区")
                  for j in range(1, COMMUNITIES_PER_STREET + 1)]
    return nodes


def ancestry(node: str) -> list[tuple[str, str]]:
    levels = {n.path: n.level for n in tree()}
    parts = node.split(".")
    return [(p, levels[p]) for p in (".".join(parts[:i]) for i in range(1, len(parts) + 1))]


@dataclass
class Generated:
    issues: int = 0
    whistles: int = 0
    ratings: int = 0
    evaluations: int = 0
    merged: int = 0
    reopened: int = 0
    last_act: datetime = FROM
    _pending: dict[str, list[Any]] = field(default_factory=lambda: {
        "issues": [], "evaluation": [], "grid": []})


def _actor(sub: str, role: str) -> dict[str, Any]:
    return {"actor": {"sub": sub, "role": role, "name": sub}}


class MonthGenerator:
    def __init__(self, database_url: str, seed: int = 7) -> None:
        self.url = database_url
        self.rng = random.Random(seed)
        self.out = Generated()
        self.clock = ManualClock(FROM)

    def run(self, issues: int, whistles: int) -> Generated:
        grid = open_application(GridApplication, self.url, sealer=Sealer(DATA_KEY),
                                clock=self.clock)
        self.issues = open_application(IssuesApplication, self.url, sealer=Sealer(DATA_KEY),
                                       clock=self.clock)
        evaluation = open_application(EvaluationApplication, self.url, clock=self.clock)
        self.apps = {"issues": self.issues, "evaluation": evaluation, "grid": grid}
        try:
            grid.register_nodes(tree(), SYSTEM)
            grid.register_departments(
                [DepartmentSpec(code, f"部门{code}", code.split("-")[1], [], [DISTRICT])
                 for code in DEPARTMENTS], SYSTEM)
            self.rules = {c: self.issues.catalog().rule_for(c) for c in CATEGORIES}
            made = 0
            while made < issues:
                made += self._issue_pair() if self.rng.random() < 0.04 else self._issue()
            for _ in range(whistles):
                self._whistle()
            for service in self.apps:
                self._flush(service, force=True)
        finally:
            for app in self.apps.values():
                app.close()
        return self.out

    # -- issues ---------------------------------------------------------------------------

    def _raised(self, node: str, at: datetime, reporter: str) -> Issue:
        category = self.rng.choice(CATEGORIES)
        issue = Issue(id=uuid4(), node=node, title="生成的诉求", description="", category=category,
                      channel="app", location=None, photos=[], contact_sealed=None,
                      reporter=reporter, fingerprint="-", tier=node,
                      meta=_actor(reporter, "resident"), at=at.isoformat())
        issue.triage(route(self.rules[category], ancestry(node), "daily", 0.5, at), category,
                     "按分类目录自动分派", at, SYSTEM)
        self.out.issues += 1
        return issue

    def _place(self) -> tuple[str, float, datetime]:
        street = self.rng.choice(list(STREETS))
        node = f"{street}.c{self.rng.randint(1, COMMUNITIES_PER_STREET)}"
        if self.rng.random() < 0.05:
            node = street  # a street-wide matter, raised at the street itself
        at = FROM + (UNTIL - FROM) * self.rng.random()
        return node, STREETS[street], at

    def _issue(self) -> int:
        node, quality, at = self._place()
        issue = self._raised(node, at, f"r-{uuid4().hex[:8]}")
        self._live(issue, quality, at)
        return 1

    def _issue_pair(self) -> int:
        """A problem raised twice at one place: the second is merged into the first, whose
        reporters then both may rate it."""
        node, quality, at = self._place()
        survivor = self._raised(node, at, f"r-{uuid4().hex[:8]}")
        duplicate = self._raised(node, at + timedelta(minutes=20), f"r-{uuid4().hex[:8]}")
        duplicate.merge_into(survivor, at + timedelta(minutes=30), SYSTEM)
        self.out.merged += 1
        self._save("issues", duplicate)
        self._live(survivor, quality, at + timedelta(minutes=30))
        return 2

    def _live(self, issue: Issue, quality: float, since: datetime) -> None:
        rng, staff = self.rng, _actor("c-staff", "community_staff")
        t = since
        if rng.random() < 0.03:
            self._save("issues", issue)  # never acknowledged
            return
        # Good streets answer within hours, poor ones often after the 24-hour deadline.
        t += timedelta(hours=rng.expovariate(1 / (4 + 40 * (1 - quality))) + 0.1)
        issue.acknowledge("收到", t, staff)
        for _ in range(2):
            if rng.random() > quality:
                break
            t += timedelta(hours=rng.expovariate(1 / (6 + 60 * (1 - quality))) + 0.1)
            issue.resolve("已处理", [], t, staff)
            t = self._rate(issue, quality, t)
            if issue.status != "reopened":
                break
        self.out.last_act = max(self.out.last_act, t)
        self._save("issues", issue)

    def _rate(self, issue: Issue, quality: float, resolved_at: datetime) -> datetime:
        """Each reporter may rate the round; an unsatisfied rating reopens the issue once."""
        t = resolved_at
        for rater in issue.reporters:
            if self.rng.random() > 0.7:
                continue
            t += timedelta(hours=self.rng.uniform(0.5, 72))
            roll = self.rng.random()
            verdict = ("satisfied" if roll < quality * 0.8 else
                       "basically_satisfied" if roll < quality else "unsatisfied")
            facts = IssueFacts(issue_id=issue.id, node=issue.node,
                               handling_node=issue.handling_node, category=issue.category,
                               reporters=frozenset(issue.reporters), round=issue.round,
                               status="resolved", resolved_at=resolved_at)
            rating = Rating.rate(facts, rater, verdict, "", t, RATING_WINDOW,
                                 _actor(rater, "resident"))
            self.out.ratings += 1
            self._save("evaluation", rating)
            if verdict == "unsatisfied":
                t += timedelta(minutes=5)
                again = resolve_again_by(self.rules[issue.category], "daily", 0.5, t)
                if issue.reopen_after_rating(issue.round, str(rating.id), again, 1, t,
                                             SYSTEM) == "reopened":
                    self.out.reopened += 1
                    return t
        return t

    # -- whistles -------------------------------------------------------------------------

    def _whistle(self) -> None:
        rng = self.rng
        street = rng.choice(list(STREETS))
        node = street if rng.random() < 0.5 else f"{street}.c{rng.randint(1, 3)}"
        at = FROM + (UNTIL - FROM) * rng.random()
        departments = rng.sample(list(DEPARTMENTS), rng.randint(1, 3))
        situation = rng.choice(("law_enforcement", "key_task"))
        summons = deadlines(situation, departments, at, 1.0)
        whistle = Whistle(id=uuid4(), node=node, situation=situation, title="生成的吹哨",
                          issue_id=None, departments=departments, summons=summons,
                          mode="daily", at=at.isoformat(), tier=node,
                          meta=_actor("s-staff", "street_staff"))
        self.out.whistles += 1
        done = at
        for code in departments:
            if rng.random() < 0.05:
                continue  # never reports in: the whistle stays open
            reported = at + timedelta(hours=rng.expovariate(1 / DEPARTMENTS[code]))
            whistle.report_in(code, reported, "到场", _actor(code, "department_staff"))
            done = max(done, reported)
        for code in departments:
            if whistle.summons[code]["reported_at"]:
                done += timedelta(hours=rng.uniform(1, 24))
                whistle.complete(code, done, "已完成", _actor(code, "department_staff"))
        self._save("grid", whistle)
        if whistle.status != "closed":
            return
        facts = WhistleFacts(whistle_id=whistle.id, node=node, departments=tuple(departments),
                             status="closed")
        for code in departments:
            if rng.random() < 0.8:
                done += timedelta(hours=rng.uniform(1, 48))
                speed = DEPARTMENTS[code]
                scores = {a: max(1, min(5, round(rng.gauss(5 - speed / 1.5, 0.8))))
                          for a in ("timeliness", "effectiveness", "attitude")}
                self._save("evaluation", DepartmentEvaluation.record(
                    facts, code, scores, "", done, _actor("s-staff", "street_staff")))
                self.out.evaluations += 1
        self.out.last_act = max(self.out.last_act, done)

    # -- saving ---------------------------------------------------------------------------

    def _save(self, service: str, aggregate: Any) -> None:
        self.out._pending[service].append(aggregate)
        self._flush(service)

    def _flush(self, service: str, force: bool = False) -> None:
        pending = self.out._pending[service]
        if pending and (force or len(pending) >= CHUNK):
            self.apps[service].save(*pending)
            pending.clear()


def generate(database_url: str, issues: int = 6000, whistles: int = 300,
             seed: int = 7) -> Generated:
    return MonthGenerator(database_url, seed).run(issues, whistles)
