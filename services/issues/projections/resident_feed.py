"""What residents are told about the issues they follow: "my issues" and their live feed.

- `issues`: each issue's title, place and status, as residents see them;
- `timeline`: each issue event as one line in Chinese ("已受理", "已办结，请您评价");
- `followers`: who follows which issue from which event on: its reporter from the start,
  and, from `absorbed` on, the reporters of a duplicate merged into it, who so hear the
  survivor's outcome; from `cosigned` on, a resident who said "me too";
- `feed`: one numbered row per (event, follower), what `GET /v1/me/events` streams.

Nothing here holds contact details: residents are told what happened, not who complained.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from contracts import read
from contracts.issues import (
    IssueAbsorbed,
    IssueAssigned,
    IssueClassified,
    IssueCosigned,
    IssueProgressNoted,
    IssueRaised,
    IssueReopened,
    IssueTriaged,
)
from services.issues.domain.issue import STATUS_AFTER
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection

_LEVEL_NAMES = {"city": "市", "district": "区", "street": "街道", "community": "社区",
                "grid": "网格", "compound": "小区", "building": "楼栋", "unit": "单元"}
_ASSIGNEE_NAMES = {"grid_worker": "网格员", "building_head": "楼栋长", "compound_head": "院落长",
                   "property_company": "物业公司", "owners_committee": "业委会",
                   "volunteer_team": "志愿服务队", "community_staff": "社区工作人员",
                   "department": "职能部门"}
_NOTE_CHARS = 60  # a feed line, not the whole note; the issue itself holds the rest


def summary(e: Envelope) -> str:
    """One short line telling a resident what happened to their issue."""
    match read(e, IssueTriaged, IssueAssigned, IssueProgressNoted, IssueReopened):
        case IssueTriaged() as p:
            return f"已分拨，由{_LEVEL_NAMES.get(p.level, '相关层级')}办理"
        case IssueAssigned() as p:
            who = p.assignee.get("name") or _ASSIGNEE_NAMES.get(p.assignee["kind"], "专人")
            return f"已派单，由{who}办理"
        case IssueProgressNoted() as p:
            note = p.note.strip()
            return "办理进展：" + (note[:_NOTE_CHARS] + ("…" if len(note) > _NOTE_CHARS else ""))
        case IssueReopened() as p:
            return f"已重新办理（第{p.round}轮）"
    name = e.type.removeprefix("gongzhi.issue.").rsplit(".", 1)[0]
    return _FIXED.get(name, "有新进展")


_FIXED = {
    "raised": "已收到您反映的问题",
    "classified": "问题类别已调整",
    "acknowledged": "已受理",
    "resolved": "已办结，请您评价",
    "escalated": "已上报上级处理",
    "supervised": "已由上级督办",
    "whistled": "已吹哨，召集相关部门报到",
    "merged": "已与同一地点的相同问题合并办理，进展将继续告知您",
    "absorbed": "同一地点的相同反映已并入本事项一并办理",
    "closed": "已结案",
    "cosigned": "又有居民反映遇到同样的问题（附议）",
}


class ResidentFeed(Projection):
    schema = "issues_resident_feed"
    streams = ("issues",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.issues (
        id uuid PRIMARY KEY,
        node text NOT NULL,
        title text NOT NULL,
        category text NOT NULL,
        status text NOT NULL,
        raised_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS {schema}.timeline (
        issue_id uuid NOT NULL,
        seq integer NOT NULL,
        type text NOT NULL,
        at timestamptz NOT NULL,
        summary text NOT NULL,
        PRIMARY KEY (issue_id, seq)
    );
    CREATE TABLE IF NOT EXISTS {schema}.followers (
        issue_id uuid NOT NULL,
        person text NOT NULL,
        since_seq integer NOT NULL,
        -- How they came to follow: reporter, merged (a duplicate of theirs) or cosigned (附议).
        via text,
        PRIMARY KEY (issue_id, person)
    );
    CREATE INDEX IF NOT EXISTS followers_person ON {schema}.followers (person);
    CREATE TABLE IF NOT EXISTS {schema}.feed (
        id bigserial PRIMARY KEY,
        person text NOT NULL,
        issue_id uuid NOT NULL,
        seq integer NOT NULL
    );
    CREATE INDEX IF NOT EXISTS feed_person ON {schema}.feed (person, id);
    """
    version = 2  # 2: followers' `via` in the CREATE, not added by ALTER

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        events = [e for e in events if e.type.startswith("gongzhi.issue.")]
        if not events:
            return
        raised = [(e, p) for e in events if (p := read(e, IssueRaised))]
        await conn.executemany(
            f"INSERT INTO {schema}.issues (id, node, title, category, status, raised_at,"
            f" updated_at) VALUES ($1, $2, $3, $4, 'raised', $5, $5) ON CONFLICT DO NOTHING",
            [(e.subject, p.node, p.title, p.category, business_time(e)) for e, p in raised])
        # Followers first, each from the event that made them one: the feed rows below then
        # reach exactly those following at each event, whatever the batch's order.
        await conn.executemany(
            f"INSERT INTO {schema}.followers (issue_id, person, since_seq, via)"
            f" VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(e.subject, person, e.seq, _VIA.get(e.type)) for e in events
             for person in _new_followers(e)])
        await conn.executemany(
            f"UPDATE {schema}.issues SET status = COALESCE($2, status),"
            f" category = COALESCE($3, category), updated_at = $4 WHERE id = $1",
            [(e.subject, STATUS_AFTER.get(e.type), _category(e), business_time(e))
             for e in events if e.type != IssueRaised.TYPE])
        await conn.executemany(
            f"INSERT INTO {schema}.timeline (issue_id, seq, type, at, summary)"
            f" VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            [(e.subject, e.seq, e.type, business_time(e), summary(e))
             for e in events])
        await conn.executemany(
            f"INSERT INTO {schema}.feed (person, issue_id, seq) SELECT person, issue_id, $2"
            f" FROM {schema}.followers WHERE issue_id = $1 AND since_seq <= $2 ORDER BY person",
            [(e.subject, e.seq) for e in events])


def _new_followers(e: Envelope) -> list[str]:
    match read(e, IssueRaised, IssueAbsorbed, IssueCosigned):
        case IssueRaised() as p:
            return [p.reporter]
        case IssueAbsorbed() as p:
            return list(p.reporters)
        case IssueCosigned() as p:
            return [p.resident]
    return []


def _category(e: Envelope) -> str | None:
    """The category an event sets, if any (a triage or a reclassification)."""
    p = read(e, IssueTriaged, IssueClassified)
    return p.category if p is not None else None


_VIA = {IssueRaised.TYPE: "reporter", IssueAbsorbed.TYPE: "merged", IssueCosigned.TYPE: "cosigned"}
