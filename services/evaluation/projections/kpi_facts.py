"""The facts every KPI is counted from, one row per thing that happened, with its business
time (`at` of the emitting service's clock; the envelope's time for events older than `at`).

Nothing here is a counter: a month's figures, as of any instant, are counted at query time
from the facts dated at or before that instant (projections/kpi_queries.py), so "as of" a
past moment and "recompute with today's weights" need no replay and touch no event.

- `issues`: where each issue was raised and when, its first triage's deadlines, when it
  was first acknowledged, when it was merged into another (a duplicate counts in its
  survivor, not twice);
- `resolutions`, `reopenings`: one row per round resolved and per reopening;
- `cosignatures`: one row per resident who said "me too" (附议) on an issue;
- `ratings`: one row per rating (one per rater per round);
- `summons`: one row per (whistle, summoned department): where and when it was blown, the
  report-in deadline, when the department reported in;
- `evaluations`: one row per department evaluation (社区评部门);
- `departments`: code → name, for tables people read;
- `service`: one row per time-bank credit (volunteers service): where the service was
  given, when, its hours and points;
- `wishes`: one row per wish (心愿单): where and when it was posted, when confirmed.
- `surveys`: the keys of each survey's scale questions; `survey_answers`: one row per
  household's response (third-party survey, 第三方测评), where it lives and when.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from contracts import read
from contracts.evaluation import (
    DepartmentEvaluationRecorded,
    RatingIssueRated,
    SurveyOpened,
    SurveyResponseRecorded,
)
from contracts.grid import DepartmentRegistered, WhistleBlown, WhistleDepartmentReported
from contracts.issues import (
    IssueAcknowledged,
    IssueCosigned,
    IssueEscalated,
    IssueMerged,
    IssueRaised,
    IssueReopened,
    IssueResolved,
    IssueTriaged,
)
from contracts.volunteers import AccountCredited, WishConfirmed, WishPosted
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _rows(e: Envelope) -> tuple[str, tuple] | list[tuple[str, tuple]] | None:
    """The statement (by name) and its arguments an event adds to the facts."""
    p, at = read(e, *_READS), business_time(e)
    match p:
        case IssueRaised():
            return "raised", (e.subject, p.node, at)
        case IssueTriaged():
            return "triaged", (e.subject, _when(p.ack_by), _when(p.resolve_by),
                               p.handling_node)
        case IssueAcknowledged():
            return "acknowledged", (e.subject, at)
        case IssueEscalated():
            return "escalated", (e.subject, p.to_node)
        case IssueResolved():
            return "resolved", (e.subject, p.round, at)
        case IssueReopened():
            return "reopened", (e.subject, p.round, at)
        case IssueMerged():
            return "merged", (e.subject, at)
        case IssueCosigned():
            return "cosigned", (e.subject, p.resident, at)
        case RatingIssueRated():
            return "rated", (e.subject, p.issue_id, p.round, p.verdict, at)
        case WhistleBlown():
            return [("blown", (e.subject, code, p.node, at, _when(deadline)))
                    for code, deadline in p.summons.items()]
        case WhistleDepartmentReported():
            return "reported", (e.subject, p.department, at)
        case DepartmentEvaluationRecorded():
            return "evaluated", (e.subject, p.whistle_id, p.department, p.node, at,
                                 p.timeliness, p.effectiveness, p.attitude)
        case DepartmentRegistered():
            return "department", (p.code, p.name)
        case AccountCredited():
            return "served", (e.id, p.node, at, float(p.hours or 0), int(p.points))
        case WishPosted():
            return "wished", (e.subject, p.node, at)
        case WishConfirmed():
            return "wish_confirmed", (e.subject, at)
        case SurveyOpened():
            return "survey", (e.subject, [q["key"] for q in p.questions
                                          if q.get("kind") == "scale"])
        case SurveyResponseRecorded():
            return "surveyed", (e.subject, p.household, p.node, at,
                                json.dumps(p.answers, ensure_ascii=False))
    return None


_READS = (IssueRaised, IssueTriaged, IssueAcknowledged, IssueEscalated, IssueResolved,
          IssueReopened, IssueMerged, IssueCosigned, RatingIssueRated, WhistleBlown,
          WhistleDepartmentReported, DepartmentEvaluationRecorded, DepartmentRegistered,
          AccountCredited, WishPosted, WishConfirmed, SurveyOpened, SurveyResponseRecorded)


# In this order, so that a row exists before a later event of the same batch updates it.
_STATEMENTS = {
    "raised": "INSERT INTO {s}.issues (id, node, handling_node, raised_at) "
              "VALUES ($1, $2, $2, $3) ON CONFLICT (id) DO NOTHING",
    "triaged": "UPDATE {s}.issues SET ack_by = coalesce(ack_by, $2), "
               "resolve_by = coalesce(resolve_by, $3), "
               "handling_node = coalesce($4, handling_node) WHERE id = $1",
    "acknowledged": "UPDATE {s}.issues SET acknowledged_at = coalesce(acknowledged_at, $2) "
                    "WHERE id = $1",
    "escalated": "UPDATE {s}.issues SET handling_node = $2 WHERE id = $1",
    "resolved": "INSERT INTO {s}.resolutions (issue_id, round, resolved_at) "
                "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    "reopened": "INSERT INTO {s}.reopenings (issue_id, round, reopened_at) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING",
    "merged": "UPDATE {s}.issues SET merged_at = coalesce(merged_at, $2) WHERE id = $1",
    "cosigned": "INSERT INTO {s}.cosignatures (issue_id, resident, cosigned_at) "
                "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    "rated": "INSERT INTO {s}.ratings (id, issue_id, round, verdict, rated_at) "
             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    "blown": "INSERT INTO {s}.summons (whistle_id, department, node, blown_at, deadline) "
             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    "reported": "UPDATE {s}.summons SET reported_at = coalesce(reported_at, $3) "
                "WHERE whistle_id = $1 AND department = $2",
    "evaluated": "INSERT INTO {s}.evaluations (id, whistle_id, department, node, "
                 "evaluated_at, timeliness, effectiveness, attitude) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    "department": "INSERT INTO {s}.departments (code, name) VALUES ($1, $2) "
                  "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name",
    "served": "INSERT INTO {s}.service (id, node, served_at, hours, points) "
              "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    "wished": "INSERT INTO {s}.wishes (id, node, posted_at) VALUES ($1, $2, $3) "
              "ON CONFLICT DO NOTHING",
    "wish_confirmed": "UPDATE {s}.wishes SET confirmed_at = coalesce(confirmed_at, $2) "
                      "WHERE id = $1",
    "survey": "INSERT INTO {s}.surveys (id, scale_keys) VALUES ($1, $2) "
              "ON CONFLICT (id) DO NOTHING",
    "surveyed": "INSERT INTO {s}.survey_answers (survey_id, household, node, recorded_at, "
                "answers) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING",
}


class KpiFacts(Projection):
    schema = "evaluation_kpi_facts"
    streams = ("issues", "grid", "evaluation", "volunteers")
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.issues (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        handling_node text NOT NULL,
        raised_at timestamptz NOT NULL,
        ack_by timestamptz,
        resolve_by timestamptz,
        acknowledged_at timestamptz,
        merged_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS issues_node ON {schema}.issues (node text_pattern_ops, raised_at);
    CREATE INDEX IF NOT EXISTS issues_raised ON {schema}.issues (raised_at);
    CREATE TABLE IF NOT EXISTS {schema}.resolutions (
        issue_id uuid NOT NULL,
        round int NOT NULL,
        resolved_at timestamptz NOT NULL,
        PRIMARY KEY (issue_id, round)
    );
    CREATE TABLE IF NOT EXISTS {schema}.reopenings (
        issue_id uuid NOT NULL,
        round int NOT NULL,
        reopened_at timestamptz NOT NULL,
        PRIMARY KEY (issue_id, round)
    );
    CREATE TABLE IF NOT EXISTS {schema}.cosignatures (
        issue_id uuid NOT NULL,
        resident text NOT NULL,
        cosigned_at timestamptz NOT NULL,
        PRIMARY KEY (issue_id, resident)
    );
    CREATE TABLE IF NOT EXISTS {schema}.ratings (
        id uuid PRIMARY KEY,
        issue_id uuid NOT NULL,
        round int NOT NULL,
        verdict text NOT NULL,
        rated_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ratings_issue ON {schema}.ratings (issue_id);
    CREATE TABLE IF NOT EXISTS {schema}.summons (
        whistle_id uuid NOT NULL,
        department text NOT NULL,
        node text NOT NULL,
        blown_at timestamptz NOT NULL,
        deadline timestamptz NOT NULL,
        reported_at timestamptz,
        PRIMARY KEY (whistle_id, department)
    );
    CREATE INDEX IF NOT EXISTS summons_node ON {schema}.summons (node text_pattern_ops);
    CREATE INDEX IF NOT EXISTS summons_blown ON {schema}.summons (blown_at);
    CREATE TABLE IF NOT EXISTS {schema}.evaluations (
        id uuid PRIMARY KEY,
        whistle_id uuid NOT NULL,
        department text NOT NULL,
        node text NOT NULL,
        evaluated_at timestamptz NOT NULL,
        timeliness int NOT NULL,
        effectiveness int NOT NULL,
        attitude int NOT NULL
    );
    CREATE INDEX IF NOT EXISTS evaluations_at ON {schema}.evaluations (evaluated_at);
    CREATE TABLE IF NOT EXISTS {schema}.departments (
        code text PRIMARY KEY,
        name text NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {schema}.service (
        id text PRIMARY KEY,
        node text NOT NULL,
        served_at timestamptz NOT NULL,
        hours double precision NOT NULL,
        points int NOT NULL
    );
    CREATE INDEX IF NOT EXISTS service_node ON {schema}.service (node text_pattern_ops);
    CREATE TABLE IF NOT EXISTS {schema}.wishes (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        posted_at timestamptz NOT NULL,
        confirmed_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS wishes_node ON {schema}.wishes (node text_pattern_ops);
    CREATE TABLE IF NOT EXISTS {schema}.surveys (
        id uuid PRIMARY KEY,
        scale_keys text[] NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {schema}.survey_answers (
        survey_id uuid NOT NULL,
        household text NOT NULL,
        node text NOT NULL,
        recorded_at timestamptz NOT NULL,
        answers jsonb NOT NULL,
        PRIMARY KEY (survey_id, household)
    );
    CREATE INDEX IF NOT EXISTS survey_answers_node
        ON {schema}.survey_answers (node text_pattern_ops, recorded_at);
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        batches: dict[str, list[tuple]] = defaultdict(list)
        for e in events:
            found = _rows(e)
            for name, args in (found if isinstance(found, list) else [found] if found else []):
                batches[name].append(args)
        for name, statement in _STATEMENTS.items():
            if batches[name]:
                await conn.executemany(statement.format(s=schema), batches[name])


KPI_FACTS = KpiFacts()
